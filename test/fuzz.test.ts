import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseInput, FAMILIES } from '../bench/fuzz/inputs.js';

/**
 * `npm run fuzz` (bench/fuzz): a short seeded run over every input family is part of the tests —
 * no crash, hang or memory breach; the run resumes where its state file stopped; and the harness
 * itself is shown to classify, bound and minimize (the selftest family's crash, loop and
 * allocation). The harness runs its cases in worker threads, from the compiled dist/ (npm test
 * compiles first).
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'dist/bench/fuzz/cli.js');

interface Summary {
  cases: number;
  runCases: number;
  counts: Record<string, number>;
  byFamily: Record<string, Record<string, number>>;
  failures: { signature: string; saved: string[] }[];
}

function fuzz(args: string[]): { status: number | null; summary: Summary; stderr: string } {
  const r = spawnSync('node', [CLI, ...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, summary: JSON.parse(r.stdout) as Summary, stderr: r.stderr };
}

describe.skipIf(!existsSync(CLI))('npm run fuzz', () => {
  it('a seeded run over every input family: no crash, hang or memory breach; resumable', () => {
    const out = mkdtempSync(join(tmpdir(), 'ftp-ids-fuzz-'));
    const seed = 5;
    const opts = ['--seed', String(seed), '--workers', '2', '--minimize-ms', '3000', '--out', out];
    const first = fuzz(['--cases', '1000', ...opts]);
    expect(first.summary.cases).toBe(1000);
    // the same state: continues at case 1000
    const r = fuzz(['--cases', '2000', ...opts]);
    const s = r.summary;
    expect(s.runCases).toBe(1000);
    expect(s.cases).toBe(2000);
    expect(s.failures.map((f) => `${f.signature} ${f.saved.join(' ')}`)).toEqual([]);
    expect({ crash: s.counts.crash, hang: s.counts.hang, memory: s.counts.memory, skipped: s.counts.skipped }).toEqual({ crash: 0, hang: 0, memory: 0, skipped: 0 });
    expect(r.status).toBe(0);
    // every case ran exactly once across the two runs: the families' counts are the generator's
    const want: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const f = caseInput(seed, i).family;
      want[f] = (want[f] ?? 0) + 1;
    }
    const got = Object.fromEntries(Object.entries(s.byFamily).map(([f, c]) => [f, Object.values(c).reduce((a, b) => a + b, 0)]));
    expect(got).toEqual(want);
    expect(Object.keys(got).sort()).toEqual([...FAMILIES].sort());
    // both answers occur in every family: inputs that pass and inputs refused with an FtpIdsError
    for (const f of FAMILIES) {
      expect(s.byFamily[f].ok, f).toBeGreaterThan(0);
      expect(s.byFamily[f].expected, f).toBeGreaterThan(0);
    }
  });

  it('the harness finds, bounds and minimizes: a crash, an endless loop and an endless allocation', () => {
    const out = mkdtempSync(join(tmpdir(), 'ftp-ids-fuzz-self-'));
    // seed 5's first five selftest cases: CRASH, BAD (an FtpIdsError), nothing, MEM, HANG
    const r = fuzz(['--families', 'selftest', '--seed', '5', '--cases', '5', '--case-ms', '2000', '--memory-mb', '32', '--minimize-ms', '1500', '--out', out]);
    expect(r.summary.counts).toEqual({ ok: 1, expected: 1, crash: 1, hang: 1, memory: 1, slow: 0, skipped: 0 });
    expect(r.status).toBe(1);
    const saved = Object.fromEntries(r.summary.failures.map((f) => [f.signature.split(' ')[1], f.saved]));
    // the crash input minimized to its trigger; the others keep theirs (minimizing a hang costs its bound per try)
    expect(readFileSync(saved.crash[0], 'latin1')).toBe('CRASH');
    expect(readFileSync(saved.hang[0], 'latin1')).toContain('HANG');
    expect(readFileSync(saved.memory[0], 'latin1')).toContain('MEM');
    const note = readFileSync(saved.crash[0].replace(/\.bin$/, '.txt'), 'utf8');
    expect(note).toContain('signature: TypeError: selftest crash @ bench/fuzz/targets');
    expect(note).toMatch(/replay: node dist\/bench\/fuzz\/cli\.js --replay .* --family selftest --variant \d+/);
  });
});
