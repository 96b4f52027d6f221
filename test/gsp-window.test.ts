import { describe, expect, it } from 'vitest';
import { normalizeGspConfig } from '../src/gsp/config.js';
import { buildDb, type RawSequence, type Taxonomy } from '../src/gsp/db.js';
import { minePatterns } from '../src/gsp/mine.js';
import { minimalIntervals } from '../src/gsp/window.js';
import { Rng } from '../bench/synthetic-ftp.js';
import { frequentFillers, okey, oracleFilter, oracleMine, type OracleConstraints, type OracleSeq } from './gsp-oracle.js';

/**
 * The depth-first window engine (src/gsp/window.ts: window > 0 without gaps) and its BackScan
 * pruning, judged by the brute-force oracle (every pattern, maximal, closed) with no length limit
 * (the oracle's bound is the longest sequence's item count, which no pattern can exceed: elements
 * take disjoint intervals) and by the level-wise engine, the paper's reference.
 */
interface Case {
  db: OracleSeq[];
  alphabet: number[];
  minCount: number;
  bound: number;
  window: number;
}

function randomCase(seed: number, maxTransactions: number): Case {
  const r = new Rng(seed);
  const nItems = 2 + r.int(3);
  const alphabet = Array.from({ length: nItems }, (_, i) => i);
  const nSeq = 1 + r.int(7);
  const seconds = r.float() < 0.4; // times with ties and jumps, else the transaction index
  const db: OracleSeq[] = [];
  let bound = 1;
  for (let s = 0; s < nSeq; s++) {
    const len = 1 + r.int(maxTransactions);
    const itemsets: number[][] = [];
    const times: number[] = [];
    let t = r.int(3);
    for (let j = 0; j < len; j++) {
      const size = r.float() < 0.6 ? 1 : 1 + r.int(Math.min(2, nItems));
      const set = new Set<number>();
      while (set.size < size) set.add(r.int(nItems));
      itemsets.push([...set].sort((a, b) => a - b));
      times.push(seconds ? t : j);
      t += r.int(3);
    }
    bound = Math.max(bound, itemsets.reduce((n, e) => n + e.length, 0));
    db.push({ itemsets, times });
  }
  return { db, alphabet, minCount: 1 + r.int(Math.max(1, Math.ceil(nSeq * 0.6))), bound, window: 1 + r.int(2) };
}

function mine(
  cs: Case,
  output: 'all' | 'maximal' | 'closed',
  algorithm: 'auto' | 'vertical' | 'levelwise',
  taxonomy?: Taxonomy,
): { got: Map<string, number>; frequent: number; engine: string } {
  const raw: RawSequence[] = cs.db.map((d, i) => ({ name: i, label: '', itemsets: d.itemsets.map((is) => is.map(String)), times: d.times }));
  const db = buildDb(raw, taxonomy);
  const cfg = normalizeGspConfig({ minSupport: cs.minCount, window: cs.window, output, algorithm, sids: true });
  const got = new Map<string, number>();
  const res = minePatterns(db, cfg, (fp) => {
    const k = okey(fp.pattern.map((e) => e.map((x) => Number(db.items[x]))));
    if (got.has(k)) throw new Error(`pattern ${k} reported twice`);
    if (fp.sids?.length !== fp.support) throw new Error(`pattern ${k}: ${fp.sids?.length} sids for support ${fp.support}`);
    got.set(k, fp.support);
  });
  return { got, frequent: res.frequent, engine: res.engine };
}

const asMap = (m: Map<string, { support: number }>): Map<string, number> => new Map([...m].map(([k, v]) => [k, v.support]));

describe('depth-first window engine', () => {
  function judge(cs: Case, ctx: string, parents?: Map<number, number[]>): boolean {
    const c: OracleConstraints = { minGap: null, maxGap: Infinity, window: cs.window };
    const taxonomy: Taxonomy | undefined = parents && new Map([...parents].map(([k, v]) => [String(k), v.map(String)]));
    const all = oracleMine(cs.db, cs.alphabet, cs.minCount, cs.bound, c, parents);
    const dfsAll = mine(cs, 'all', 'auto', taxonomy);
    expect(dfsAll.engine, ctx).toBe('vertical');
    expect(dfsAll.got, ctx).toEqual(asMap(all));
    const max = mine(cs, 'maximal', 'auto', taxonomy);
    expect(max.got, ctx).toEqual(asMap(oracleFilter(all, 'maximal', parents)));
    const closed = mine(cs, 'closed', 'auto', taxonomy);
    expect(closed.got, ctx).toEqual(asMap(oracleFilter(all, 'closed', parents)));
    expect(max.frequent, ctx).toBeLessThanOrEqual(all.size);
    expect(closed.frequent, ctx).toBe(max.frequent);
    return max.frequent < all.size;
  }

  it('equals the oracle (all, maximal, closed) on 800 random databases, windows 1 and 2, and BackScan prunes', () => {
    let pruned = 0;
    for (let seed = 40001; seed <= 40800; seed++) {
      const cs = randomCase(seed, 4);
      if (judge(cs, `seed ${seed} ${JSON.stringify(cs)}`)) pruned++;
    }
    // the pruning must fire, or this judges nothing (339 of 800 when written)
    expect(pruned).toBeGreaterThan(200);
  });

  it('equals the oracle on 120 databases of longer sequences (up to 6 transactions)', () => {
    let pruned = 0;
    for (let seed = 41001; seed <= 41120; seed++) {
      const cs = randomCase(seed, 6);
      if (cs.bound > 9) continue; // the oracle enumerates every pattern up to the bound
      if (judge(cs, `seed ${seed} ${JSON.stringify(cs)}`)) pruned++;
    }
    expect(pruned).toBeGreaterThan(20);
  });

  it('more than 64 items (the I count and BackScan read 64-bit item sets up to 64 occurring items, lists beyond)', () => {
    let pruned = 0;
    for (let seed = 44001; seed <= 44150; seed++) {
      const cs = randomCase(seed, 4);
      const all = oracleMine(cs.db, cs.alphabet, cs.minCount, cs.bound, { minGap: null, maxGap: Infinity, window: cs.window });
      const raw: RawSequence[] = cs.db.map((d, i) => ({ name: i, label: '', itemsets: d.itemsets.map((is) => is.map(String)), times: d.times }));
      const fill = frequentFillers(70, cs.minCount);
      fill.itemsets.forEach((t, j) => raw.push({ name: `filler${j}`, label: '', itemsets: [t], times: [0] }));
      const db = buildDb(raw);
      for (const output of ['all', 'maximal', 'closed'] as const) {
        const got = new Map<string, number>();
        const res = minePatterns(db, normalizeGspConfig({ minSupport: cs.minCount, window: cs.window, output }), (fp) =>
          got.set(okey(fp.pattern.map((e) => e.map((x) => Number(db.items[x])))), fp.support),
        );
        const want = new Map([...(output === 'all' ? asMap(all) : asMap(oracleFilter(all, output))), ...fill.patterns]);
        expect(got, `seed ${seed} ${output}`).toEqual(want);
        if (output === 'maximal' && res.frequent < all.size + 70) pruned++;
      }
    }
    expect(pruned).toBeGreaterThan(15); // 30 of 150 when written
  });

  it('with a taxonomy: equals the oracle on 300 random databases', () => {
    let judged = 0;
    for (let seed = 42001; seed <= 42300; seed++) {
      const cs = randomCase(seed, 3);
      if (cs.bound > 6) continue;
      judged++;
      const parents = new Map<number, number[]>([
        [0, [10]],
        [1, [10]],
        [10, [11]],
      ]);
      if (seed % 2 === 0) parents.set(2, [11]);
      judge({ ...cs, alphabet: [...cs.alphabet, 10, 11] }, `seed ${seed} ${JSON.stringify(cs)}`, parents);
    }
    expect(judged).toBeGreaterThan(150);
  });

  it('equals the level-wise engine (the paper reference) on 200 random databases', () => {
    for (let seed = 43001; seed <= 43200; seed++) {
      const cs = randomCase(seed, 5);
      const ctx = `seed ${seed}`;
      for (const output of ['all', 'maximal'] as const) {
        const lw = mine(cs, output, 'levelwise');
        expect(lw.engine).toBe('levelwise');
        expect(mine(cs, output, 'vertical').got, ctx).toEqual(lw.got);
      }
    }
  });

  it('worked example: an I-extension widens the interval to the left, so BackScan may not insert before E_n\'s own interval', () => {
    // {<(b)(a)>} at 0,1, window 1: maximal are <{a,b}> (one element over both transactions) and
    // <{b}{a}>. b lies before a's interval, and <{b}{a}> has the support of <{a}> — yet <{a}>'s
    // subtree holds <{a,b}>, whose interval starts at b. The insertion period therefore ends at
    // the earliest start the window allows (earliestStart), not at a's transaction.
    const cs: Case = { db: [{ itemsets: [[1], [0]], times: [0, 1] }], alphabet: [0, 1], minCount: 1, bound: 2, window: 1 };
    const max = mine(cs, 'maximal', 'auto');
    expect(max.got).toEqual(new Map([['0,1', 1], ['1|0', 1]]));
    const all = oracleMine(cs.db, cs.alphabet, 1, 2, { minGap: null, maxGap: Infinity, window: 1 });
    expect(max.got).toEqual(asMap(oracleFilter(all, 'maximal')));
  });

  it('keeps the level-wise engine with a window and gaps, and refuses --algorithm vertical there', () => {
    const raw: RawSequence[] = [{ name: 0, label: '', itemsets: [['a'], ['b'], ['c']], times: [0, 1, 2] }];
    const db = buildDb(raw);
    const res = minePatterns(db, normalizeGspConfig({ minSupport: 1, window: 1, maxGap: 2, output: 'maximal' }), () => {});
    expect(res.engine).toBe('levelwise');
    expect(() => minePatterns(db, normalizeGspConfig({ minSupport: 1, window: 1, minGap: 0, algorithm: 'vertical' }), () => {})).toThrow(/window only without/);
  });

  it('stops at the time budget, marked incomplete', () => {
    const cs = randomCase(40007, 4);
    const raw: RawSequence[] = cs.db.map((d, i) => ({ name: i, label: '', itemsets: d.itemsets.map((is) => is.map(String)), times: d.times }));
    const db = buildDb(raw);
    const res = minePatterns(db, normalizeGspConfig({ minSupport: 1, window: 1, output: 'maximal' }), () => {}, undefined, { timeBudgetMs: 0 });
    expect(res.incomplete).toBe(true);
    expect(res.engine).toBe('vertical');
  });

  it('minimalIntervals keeps the intervals with no other inside, sorted', () => {
    const l = Int32Array.from([3, 1, 1, 2, 5, 3]);
    const u = Int32Array.from([4, 4, 2, 4, 6, 5]);
    const n = minimalIntervals(l, u, 6);
    // [1,2] and [3,4] and [5,6] are minimal; [1,4] ⊇ [1,2], [2,4] ⊇ [3,4], [3,5] ⊇ [3,4]
    expect([...l.subarray(0, n)]).toEqual([1, 3, 5]);
    expect([...u.subarray(0, n)]).toEqual([2, 4, 6]);
  });
});
