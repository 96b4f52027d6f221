import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Progress on stderr when it is a terminal (bytes read of the total, flows or sessions, rate), nothing
 * otherwise. The terminal is a real pseudo-terminal: util-linux `script` runs the command on one.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const bin = (name: string): string => join(ROOT, 'dist/bin', `${name}.js`);
const sample = (name: string): string => join(ROOT, 'samples', name);
const haveScript = spawnSync('script', ['--version']).status === 0;
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** the command's terminal output (stdout goes to /dev/null) */
const onTerminal = (args: string[]): string => {
  const r = spawnSync('script', ['-qec', `node ${args.map(q).join(' ')} > /dev/null`, '/dev/null'], { encoding: 'utf8' });
  expect(r.status, r.stdout).toBe(0);
  return r.stdout;
};
const mb = (f: string): string => `${(statSync(f).size / 1e6).toFixed(1)} MB`;

describe.skipIf(!haveScript)('progress on a terminal, silence otherwise', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftp-progress-'));
  const model = join(dir, 'model.json');

  it('ftp-flows: bytes of the total, flows, rate; the last line says 100 % and the flows written', () => {
    const cap = sample('attacks.pcap');
    const t = onTerminal([bin('ftp-flows'), cap]);
    const last = t.split('\r').filter((l) => l.startsWith('ftp-flows: ')).pop()!;
    const flows = spawnSync('node', [bin('ftp-flows'), cap], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(flows.stderr).toBe(''); // not a terminal: nothing
    const n = flows.stdout.trim().split('\n').length;
    expect(last).toMatch(new RegExp(`^ftp-flows: ${mb(cap).replace('.', '\\.')} of ${mb(cap).replace('.', '\\.')} \\(100 %\\), ${n} flows, [\\d.]+ MB/s, [\\d.]+ s`));
  });

  it('ftp-ids train, ftp-ids detect and ftp-match: sessions', () => {
    const cap = sample('ipv6.pcap');
    const t = onTerminal([bin('ftp-ids'), 'train', cap, '-o', model]);
    expect(t).toMatch(/ftp-ids train: 0\.1 MB of 0\.1 MB \(100 %\), \d+ sessions, [\d.]+ MB\/s/);
    const quiet = spawnSync('node', [bin('ftp-match'), '--model', model, cap], { encoding: 'utf8' });
    expect(quiet.stderr).toBe('');
    const n = spawnSync('node', [bin('ftp-match'), '--model', model, '--all', '--json', cap], { encoding: 'utf8' }).stdout.trim().split('\n').filter((l) => !l.includes('"type"')).length;
    for (const cmd of [[bin('ftp-match')], [bin('ftp-ids'), 'detect']]) {
      const out = onTerminal([...cmd, '--model', model, cap]);
      const name = cmd.length === 1 ? 'ftp-match' : 'ftp-ids detect';
      expect(out).toContain(`${name}: 0.1 MB of 0.1 MB (100 %), ${n} sessions`);
    }
  });
});
