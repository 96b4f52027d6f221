import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPackets, writePcap } from '../scripts/pcap-tools.js';

/**
 * `--state FILE`: a cron job over a capture rotated into files (as tcpdump -C / -G or editcap -c cut
 * it, at packet boundaries, sessions running across the cuts) sees what one run over the whole capture
 * sees: the same verdicts (updates included), the same incidents, in the same order.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const C2 = join(ROOT, 'samples', 'corpus2');
const bin = (name: string): string => join(ROOT, 'dist/bin', `${name}.js`);
const have = existsSync(join(C2, 'attacks.pcap'));
const SIG = ['--signatures', join(C2, 'signatures.csv')];
const run = (cmd: string[], input?: string) => spawnSync('node', cmd, { encoding: 'utf8', input, maxBuffer: 1 << 28 });

describe.skipIf(!have)('--state: rotated captures, one run each, as one run over all', () => {
  let dir = '';
  let model = '';
  const capture = join(C2, 'attacks.pcap');
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ftp-state-'));
    model = join(dir, 'model.json');
    const t = run([bin('ftp-ids'), 'train', join(C2, 'benign.pcap'), ...SIG, '-o', model]);
    expect(t.status, t.stderr).toBe(0);
  }, 120_000);

  /** the capture cut every `n` packets into files, as editcap -c does */
  const rotate = (n: number): string[] => {
    const packets = readPackets(readFileSync(capture));
    const files: string[] = [];
    for (let i = 0; i * n < packets.length; i++) {
      const f = join(dir, `rot-${n}-${String(i).padStart(4, '0')}.pcap`);
      writeFileSync(f, writePcap(packets.slice(i * n, (i + 1) * n), packets[0]!.linkType));
      files.push(f);
    }
    return files;
  };

  for (const [n, cmd] of [[3000, ['ftp-match']], [1200, ['ftp-ids', 'detect']]] as const) {
    it(`${cmd.join(' ')}, a file every ${n} packets`, () => {
      const [name, ...sub] = cmd;
      const args = [bin(name), ...sub, '--model', model, ...SIG, '--json', '--all'];
      const whole = run([...args, capture]);
      expect(whole.status, whole.stderr).toBe(0);
      const files = rotate(n);
      expect(files.length).toBeGreaterThan(3);
      const state = join(dir, `state-${n}-${name}.json`);
      let loop = '';
      let joined = 0;
      for (const f of files) {
        const r = run([...args, '--stats', '--state', state, f]);
        expect(r.status, r.stderr).toBe(0);
        loop += r.stdout;
        joined += JSON.parse(r.stderr.trim().split('\n').pop()!)['state.flows_joined'] ?? 0;
      }
      expect(joined).toBeGreaterThan(5); // the cuts did split sessions
      const lines = whole.stdout.trim().split('\n');
      expect(lines.filter((l) => l.includes('"type":"incident"')).length).toBeGreaterThan(5);
      expect(loop).toBe(whole.stdout);
      // nothing left open at the end of this capture: the state holds only windows
      const st = JSON.parse(readFileSync(state, 'utf8'));
      expect(st.format).toBe('ftp-ids-state');
      expect(st.source.flows).toEqual([]);
      expect(st.matcher.windows.length).toBeGreaterThan(0);
      // without --state, the same loop misses what spans the cuts
      const plain = files.map((f) => run([...args, f]).stdout).join('');
      expect(plain).not.toBe(whole.stdout);
    }, 120_000);
  }

  it('the exchange CSV cut inside sessions, and flow NDJSON cut inside lines: as one run', () => {
    const flows = run([bin('ftp-flows'), capture]).stdout;
    const csv = run([bin('ftp-extract'), ...SIG], flows).stdout;
    const args = [bin('ftp-match'), '--model', model, ...SIG, '--json', '--all'];
    const loop = (parts: string[], tag: string): string => {
      const state = join(dir, `state-${tag}.json`);
      return parts
        .map((text, i) => {
          const f = join(dir, `${tag}-${i}`);
          writeFileSync(f, text);
          const r = run([...args, '--state', state, f]);
          expect(r.status, r.stderr).toBe(0);
          return r.stdout;
        })
        .join('');
    };
    // CSV: every part with the header, cut between rows of one session
    const [header, ...rows] = csv.trimEnd().split('\n');
    const cuts = [0.25, 0.5, 0.75].map((q) => {
      let k = Math.floor(rows.length * q);
      while (rows[k]!.split(',')[0] !== rows[k - 1]!.split(',')[0]) k++; // inside a session
      return k;
    });
    const parts = [0, ...cuts].map((a, i) => `${header}\n${rows.slice(a, [...cuts, rows.length][i]).join('\n')}\n`);
    const wholeCsv = join(dir, 'whole.csv');
    writeFileSync(wholeCsv, csv);
    const one = run([...args, wholeCsv]).stdout;
    expect(one.split('\n').length).toBeGreaterThan(400);
    // the last session of a run's CSV waits for the next run (its rows may continue there): the loop has
    // everything before it, and the state holds it
    const last = rows[rows.length - 1]!.split(',')[0]!;
    const csvLoop = loop(parts, 'csv');
    const cut = one.indexOf(`{"flow_id":"${last}"`);
    expect(cut).toBeGreaterThan(0);
    expect(csvLoop).toBe(one.slice(0, cut));
    expect(JSON.parse(readFileSync(join(dir, 'state-csv.json'), 'utf8')).source.session.flowId).toBe(last);
    // NDJSON: cut at byte offsets, mid-line
    const b = Buffer.from(flows);
    const offs = [0, Math.floor(b.length / 3) + 17, Math.floor((2 * b.length) / 3) + 5, b.length];
    const nd = offs.slice(1).map((e, i) => b.subarray(offs[i]!, e).toString('latin1'));
    expect(nd.every((p) => !p.endsWith('\n') || p === nd[nd.length - 1])).toBe(true);
    expect(loop(nd.map((p) => Buffer.from(p, 'latin1').toString('utf8')), 'ndjson')).toBe(one);
  });

  it('a state file that is not one: exit 2, nothing on stdout, the file left as it was', () => {
    const bad = join(dir, 'bad-state.json');
    writeFileSync(bad, '{"format":"something else"}');
    const r = run([bin('ftp-match'), '--model', model, '--state', bad, capture]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ftp-match: .*bad-state\.json: not an ftp-ids state file/);
    expect(readFileSync(bad, 'utf8')).toBe('{"format":"something else"}');
  });
});
