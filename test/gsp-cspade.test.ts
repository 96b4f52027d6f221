/**
 * ftp-gsp's min-gap / max-gap semantics against an independent implementation: R arulesSequences'
 * cSPADE (M. J. Zaki's exttpose + spade, third-party, built outside the repository — see
 * docs/ARCHITECTURE.md "ftp-gsp vs cSPADE"). Runs only where those programs exist ($CSPADE_DIR or
 * ../cspade beside the repository); CI without them skips it.
 *
 * Mapping under test: cSPADE mingap m (eid difference ≥ m) = ftp-gsp --min-gap m−1 (strict);
 * cSPADE maxgap M (eid difference ≤ M) = ftp-gsp --max-gap M.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { canonical, cspadeShell, findCspade, spadePatterns, writeCspadeInput } from '../bench/gsp-cspade.js';
import { normalizeGspConfig } from '../src/gsp/config.js';
import { finishDb } from '../src/gsp/db.js';
import { parseSpmf } from '../src/gsp/input.js';
import { minePatterns } from '../src/gsp/mine.js';
import { mulberry32 } from './prng.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const progs = findCspade(ROOT);

const rng = mulberry32;

/** n sequences of 1..maxLen itemsets of 1..3 distinct items from 1..items, as SPMF text */
function randomSpmf(seed: number, n: number, maxLen: number, items: number): string {
  const r = rng(seed);
  const lines: string[] = [];
  for (let s = 0; s < n; s++) {
    const len = 1 + Math.floor(r() * maxLen);
    const tx: string[] = [];
    for (let t = 0; t < len; t++) {
      const set = new Set<number>();
      const k = 1 + Math.floor(r() * 3);
      while (set.size < k) set.add(1 + Math.floor(r() * items));
      tx.push([...set].sort((a, b) => a - b).join(' ') + ' -1');
    }
    lines.push(tx.join(' ') + ' -2');
  }
  return lines.join('\n') + '\n';
}

function ftpGsp(text: string, count: number, c: { mingap?: number; maxgap?: number }): Set<string> {
  const db = finishDb(parseSpmf(text).flat);
  const cfg = normalizeGspConfig({
    minSupport: count,
    output: 'all',
    minGap: c.mingap ? c.mingap - 1 : undefined,
    maxGap: c.maxgap,
  });
  const out = new Set<string>();
  minePatterns(db, cfg, (fp) => out.add(canonical(fp.pattern.map((e) => e.map((x) => db.items[x])), String(fp.support))));
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'gsp-cspade-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cspade(file: string, prefix: string, n: number, count: number, c: { mingap?: number; maxgap?: number }): Set<string> {
  const { names, nop } = writeCspadeInput(file, prefix);
  // a fraction whose ceil(s·N) is `count` without floating-point doubt
  const s = ((count - 0.5) / n).toFixed(6);
  const r = spawnSync('sh', ['-c', cspadeShell(progs!, prefix, nop, s, c)], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain(`MINSUPPORT ${count} out of ${n} sequences`);
  return spadePatterns(r.stdout, names);
}

describe.skipIf(!progs)('ftp-gsp vs cSPADE (arulesSequences) with min-gap / max-gap', () => {
  const constraints: { mingap?: number; maxgap?: number }[] = [
    {},
    { maxgap: 1 },
    { maxgap: 2 },
    { maxgap: 3 },
    { mingap: 2 },
    { mingap: 3 },
    { mingap: 2, maxgap: 2 },
    { mingap: 2, maxgap: 4 },
  ];
  for (let seed = 1; seed <= 8; seed++) {
    it(`random database seed ${seed}: same patterns and supports under every constraint`, () => {
      const n = 40;
      const text = randomSpmf(seed, n, 8, 7);
      const file = join(dir, `db${seed}.spmf`);
      writeFileSync(file, text);
      for (const c of constraints) {
        for (const count of [4, 8]) {
          const a = cspade(file, join(dir, `db${seed}`), n, count, c);
          const b = ftpGsp(text, count, c);
          expect(a.size, `seed ${seed} ${JSON.stringify(c)} count ${count}`).toBeGreaterThan(0);
          expect([...b].sort(), `seed ${seed} ${JSON.stringify(c)} count ${count}`).toEqual([...a].sort());
        }
      }
    });
  }
});
