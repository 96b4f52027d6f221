import { describe, expect, it } from 'vitest';
import { PatternFilter } from '../src/gsp/filter.js';
import { Rng } from '../bench/synthetic-ftp.js';
import { oracleFilter, type OPattern } from './gsp-oracle.js';

/**
 * The maximal/closed filter (src/gsp/filter.ts) on its own, with many more candidates than the
 * miner's property tests give it: thousands of distinct random patterns over a few items (so that
 * many cover each other, candidates die in numbers and the index lists are rebuilt), offered in
 * random order and shortest first. Judge: the oracle's brute-force filter over the same set.
 */
function randomPatterns(seed: number, n: number, nItems: number): Map<string, { pattern: OPattern; support: number }> {
  const r = new Rng(seed);
  const out = new Map<string, { pattern: OPattern; support: number }>();
  while (out.size < n) {
    const len = 1 + r.int(7);
    const p: OPattern = [];
    for (let i = 0; i < len; i++) {
      const set = new Set<number>();
      const size = r.chance(0.6) ? 1 : 1 + r.int(3);
      while (set.size < size) set.add(r.int(nItems));
      p.push([...set].sort((a, b) => a - b));
    }
    const key = JSON.stringify(p);
    if (!out.has(key)) out.set(key, { pattern: p, support: 1 + r.int(4) });
  }
  return out;
}

const size = (p: OPattern): number => p.reduce((n, e) => n + e.length, 0);

function filtered(
  all: Map<string, { pattern: OPattern; support: number }>,
  kind: 'maximal' | 'closed',
  nItems: number,
  shortFirst: boolean,
): Map<string, number> {
  const f = new PatternFilter(kind, Array.from({ length: nItems }, () => new Int32Array(0)));
  const offers = [...all.values()];
  // short patterns first: later ones cover and remove them, so the lists fill with dead entries
  if (shortFirst) offers.sort((a, b) => size(a.pattern) - size(b.pattern));
  for (const { pattern, support } of offers) f.offer(pattern, support, null, false, false);
  const got = new Map<string, number>();
  for (const fp of f.results()) got.set(JSON.stringify(fp.pattern), fp.support);
  return got;
}

describe('PatternFilter against the brute-force filter', () => {
  for (const [seed, n, nItems] of [
    [1, 3000, 3],
    [2, 3000, 5],
    [3, 2500, 70], // items beyond 64 share signature bits
  ] as const) {
    it(`seed ${seed}: ${n} patterns over ${nItems} items, maximal and closed`, () => {
      const all = randomPatterns(seed, n, nItems);
      for (const kind of ['maximal', 'closed'] as const) {
        const want = new Map([...oracleFilter(all, kind)].map(([k, v]) => [k, v.support]));
        expect(filtered(all, kind, nItems, false)).toEqual(want);
        expect(filtered(all, kind, nItems, true)).toEqual(want);
      }
    });
  }
});
