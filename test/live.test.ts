import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The README's live pipeline against a real FTP server (pyftpdlib) on loopback:
 *   tcpdump -i lo --immediate-mode -U -w - | ftp-flows | ftp-extract | ftp-match --model m.json
 * Each session's verdict must come out within 1 s of the session's end (the client seeing the close).
 * Needs root (tcpdump on lo) and python3-pyftpdlib (.ci/run installs it); skipped otherwise.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const bin = (name: string): string => join(ROOT, 'dist/bin', `${name}.js`);
const canRun =
  process.getuid?.() === 0 &&
  spawnSync('tcpdump', ['--version']).status === 0 &&
  spawnSync('/usr/bin/python3', ['-c', 'import pyftpdlib']).status === 0;

/** One FTP control session spoken by hand, so the test knows when it ended. */
class FtpClient {
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  readonly closed: Promise<number>;
  port = 0;
  constructor(readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (let i; (i = this.buf.indexOf('\r\n')) >= 0; ) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        if (/^\d{3} /.test(line)) this.waiters.shift()?.(line);
      }
    });
    this.closed = new Promise((res) => sock.on('close', () => res(Date.now())));
    sock.on('error', () => {});
  }
  static open(port: number): Promise<FtpClient> {
    return new Promise((res, rej) => {
      const s = connect(port, '127.0.0.1');
      const c = new FtpClient(s);
      s.once('connect', () => {
        c.port = s.localPort!;
        res(c);
      });
      s.once('error', rej);
    });
  }
  reply(): Promise<string> {
    return new Promise((res) => this.waiters.push(res));
  }
  async cmd(line: string): Promise<string> {
    const r = this.reply();
    this.sock.write(`${line}\r\n`);
    return r;
  }
}

describe.skipIf(!canRun)('live pipeline: a verdict within 1 s of each session closing', () => {
  const procs: ChildProcess[] = [];
  let dir = '';
  let ftpPort = 0;
  let model = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ftp-live-'));
    writeFileSync(join(dir, 'readme.txt'), 'hello\n');
    model = join(dir, 'model.json');
    expect(spawnSync('node', [bin('ftp-ids'), 'train', join(ROOT, 'samples/ipv6.pcap'), '-o', model]).status).toBe(0);
    const server = spawn('/usr/bin/python3', [join(ROOT, 'scripts/live-ftp-server.py'), dir, '127.0.0.1', '0.2'], { stdio: ['ignore', 'pipe', 'ignore'] });
    procs.push(server);
    ftpPort = await new Promise<number>((res, rej) => {
      let out = '';
      server.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /PORT (\d+)\n/.exec(out);
        if (m) res(Number(m[1]));
      });
      server.once('exit', () => rej(new Error('the FTP server did not start')));
    });
  }, 30_000);
  afterAll(() => {
    for (const p of procs.reverse()) if (p.exitCode === null) p.kill('SIGTERM'); // only what this test started, by PID
  });

  it('normal, reset and empty connections: each verdict ≤ 1 s after the session ended', async () => {
    const tcpdump = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-w', '-', `tcp port ${ftpPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const flows = spawn('node', [bin('ftp-flows')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const extract = spawn('node', [bin('ftp-extract')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const match = spawn('node', [bin('ftp-match'), '--model', model, '--all', '--json', '--judge-unknown-servers'], { stdio: ['pipe', 'pipe', 'inherit'] });
    procs.push(tcpdump, flows, extract, match);
    tcpdump.stdout!.pipe(flows.stdin!);
    flows.stdout!.pipe(extract.stdin!);
    extract.stdout!.pipe(match.stdin!);
    await new Promise<void>((res) => tcpdump.stderr!.setEncoding('utf8').on('data', (d: string) => d.includes('listening on') && res()));
    const seen = new Map<number, { at: number; v: Record<string, unknown> }>();
    createInterface({ input: match.stdout! }).on('line', (line) => {
      const v = JSON.parse(line) as Record<string, unknown>;
      if (v.type === undefined && !v.update) seen.set(Number(v.client_port), { at: Date.now(), v });
    });

    // warm-up: the processes start and load the model; measured are the sessions after the first verdict
    {
      const c = await FtpClient.open(ftpPort);
      await c.reply();
      await c.cmd('QUIT');
      c.sock.end();
      await c.closed;
      for (let i = 0; i < 100 && !seen.has(c.port); i++) await new Promise((r) => setTimeout(r, 100));
      expect(seen.has(c.port)).toBe(true);
    }
    const ended: { port: number; end: number; kind: string }[] = [];
    // 1. a whole session: login, a listing-free command or two, QUIT
    for (let i = 0; i < 2; i++) {
      const c = await FtpClient.open(ftpPort);
      expect(await c.reply()).toMatch(/^220 /);
      expect(await c.cmd('USER alice')).toMatch(/^331 /);
      expect(await c.cmd('PASS wonderland7')).toMatch(/^230 /);
      await c.cmd('PWD');
      await c.cmd('QUIT');
      c.sock.end();
      ended.push({ port: c.port, end: await c.closed, kind: 'quit' });
      await new Promise((r) => setTimeout(r, 1200));
    }
    // 2. a failed login ended by a reset (no QUIT)
    {
      const c = await FtpClient.open(ftpPort);
      await c.reply();
      await c.cmd('USER alice');
      expect(await c.cmd('PASS wrong')).toMatch(/^530 /);
      c.sock.resetAndDestroy();
      ended.push({ port: c.port, end: await c.closed, kind: 'rst' });
      await new Promise((r) => setTimeout(r, 1200));
    }
    // 3. a connection that never talks: reset before the greeting was read
    {
      const c = await FtpClient.open(ftpPort);
      c.sock.resetAndDestroy();
      ended.push({ port: c.port, end: await c.closed, kind: 'empty' });
      await new Promise((r) => setTimeout(r, 1200));
    }
    for (const e of ended) {
      const got = seen.get(e.port);
      expect(got, `no verdict for the ${e.kind} session from port ${e.port}`).toBeDefined();
      const latency = got!.at - e.end;
      expect(latency, `${e.kind} session: verdict ${latency} ms after its end`).toBeLessThanOrEqual(1000);
      expect(got!.v.verdict).toMatch(/^(normal|suspicious)$/);
    }
    // how each ended, and the empty connection: a session without exchanges
    expect(ended.map((e) => seen.get(e.port)!.v.flow_end)).toEqual(['fin', 'fin', 'rst', 'rst']);
    expect(ended.map((e) => seen.get(e.port)!.v.exchanges)).toEqual([5, 5, 3, 0]);
  }, 60_000);
});
