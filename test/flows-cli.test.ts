import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readCaptureFile, recordLinesOf } from '../scripts/compare-follow.js';
import { readPackets, writePcap, writePcapng } from '../scripts/pcap-tools.js';

/** The command as users run it (dist/ is built by `npm test` before vitest). */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'dist/bin/ftp-flows.js');
const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const C = (p: string): string => join(SHARED, 'corpus', p);
const IPV4 = C('zeek/ipv4/ipv4.pcap');
const CWD = C('zeek/cwd-navigation/cwd-navigation.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'ftp-flows-cli-'));

function cli(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, maxBuffer: 1 << 28, encoding: 'latin1' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** flow records and the data records of the data connections they announced, in the command's order */
const expected = (buf: Buffer, o: Record<string, unknown> = {}): string => recordLinesOf(buf, o);

describe('ftp-flows command', () => {
  it('file argument and stdin give the flows of the library, stderr quiet', () => {
    const want = expected(readFileSync(IPV4));
    const a = cli([IPV4]);
    expect(a.status).toBe(0);
    expect(a.stderr).toBe('');
    expect(a.stdout).toBe(want);
    const b = cli([], readFileSync(IPV4));
    expect(b.stdout).toBe(want);
    expect(b.status).toBe(0);
  });

  it('several files are one capture: a session split across files stays whole', () => {
    const pk = readPackets(readFileSync(IPV4));
    const cut = pk.length >> 1;
    const f1 = join(tmp, 'part1.pcap');
    const f2 = join(tmp, 'part2.pcapng');
    writeFileSync(f1, writePcap(pk.slice(0, cut), 1));
    writeFileSync(f2, writePcapng(pk.slice(cut)));
    const r = cli(['--all', f1, f2]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected(readFileSync(IPV4), { all: true }));
  });

  it('gzip-compressed captures are read (file and stdin)', () => {
    const gz = C('zeek/ftp-many-port-expected/ftp-many-port-expected.pcap.gz');
    const want = expected(readCaptureFile(gz));
    expect(want.length).toBeGreaterThan(100);
    expect(cli([gz]).stdout).toBe(want);
    expect(cli(['-'], gzipSync(readFileSync(IPV4))).stdout).toBe(expected(readFileSync(IPV4)));
  });

  it('--stats prints counters on stderr as JSON, or key=value', () => {
    const r = cli(['--stats', IPV4]);
    const s = JSON.parse(r.stderr);
    expect(s.packets).toBe(readPackets(readFileSync(IPV4)).length);
    expect(s.flows_emitted).toBe(1);
    expect(s.linktype_1).toBe(s.packets);
    const kv = cli(['--stats', '--stats-format', 'kv', IPV4]);
    expect(kv.stderr).toMatch(/^packets=\d+$/m);
  });

  it('a truncated last record: flows (and data records) out, warning with byte offset, exit 0; --strict: exit 2', () => {
    const whole = readFileSync(IPV4);
    const cutFile = join(tmp, 'cut.pcap');
    writeFileSync(cutFile, whole.subarray(0, whole.length - 7));
    const r = cli([cutFile]);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('{"type":"flow"'))).toHaveLength(1);
    expect(r.stderr).toMatch(/^ftp-flows: warning: .*cut\.pcap: byte offset \d+: truncated packet record/);
    const s = cli(['--strict', cutFile]);
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/cut\.pcap: byte offset \d+: truncated/);
    expect(s.stdout.split('\n').filter((l) => l.startsWith('{"type":"flow"'))).toHaveLength(1);
    expect(s.stdout).toBe(r.stdout);
  });

  it('garbage: error with the byte offset, exit 2, after the flows read so far', () => {
    const whole = readFileSync(CWD);
    const bad = Buffer.concat([whole, Buffer.from('this is not a packet record at all')]);
    const f = join(tmp, 'garbage.pcap');
    writeFileSync(f, bad);
    const r = cli([f]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`garbage.pcap: byte offset ${whole.length}: `);
    expect(r.stdout).toBe(expected(whole));
  });

  it('bad options: exit 2 with the option named', () => {
    const r = cli(['--max-flows', 'many', IPV4]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/maxFlows/);
  });

  it('a closed stdout (| head -c 100) exits 0 with empty stderr', () => {
    const errFile = join(tmp, 'err.txt');
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" --all "${CWD}" 2>"${errFile}" | head -c 100 >/dev/null; echo "status=\${PIPESTATUS[0]}"`], {
      encoding: 'latin1',
    });
    expect(r.stdout.trim()).toBe('status=0');
    expect(readFileSync(errFile, 'latin1')).toBe('');
  });
});

describe('stage wrapper', () => {
  it('flowStream | ndjsonStream gives the command\'s output', async () => {
    const { createReadStream } = await import('node:fs');
    const { pipeline } = await import('node:stream/promises');
    const { Writable } = await import('node:stream');
    const { flowStream, ndjsonStream } = await import('../stages/flows.js');
    let text = '';
    await pipeline(
      createReadStream(CWD, { highWaterMark: 4096 }),
      flowStream({ all: true }),
      ndjsonStream(),
      new Writable({
        write(chunk, _enc, cb) {
          text += chunk.toString('latin1');
          cb();
        },
      }),
    );
    expect(text).toBe(expected(readFileSync(CWD), { all: true }));
  });

  it('flowStream fails with the FtpIdsError of bad input', async () => {
    const { Readable } = await import('node:stream');
    const { pipeline } = await import('node:stream/promises');
    const { Writable } = await import('node:stream');
    const { flowStream } = await import('../stages/flows.js');
    const sink = new Writable({ objectMode: true, write: (_c, _e, cb) => cb() });
    await expect(pipeline(Readable.from([Buffer.from('definitely not a capture')]), flowStream(), sink)).rejects.toMatchObject({ code: 'BAD_CAPTURE' });
  });
});
