import { describe, expect, it } from 'vitest';
import { normalizeGspConfig } from '../src/gsp/config.js';
import { buildDb, buildVertical, type RawSequence, type Taxonomy } from '../src/gsp/db.js';
import { FilterSink } from '../src/gsp/filter.js';
import { mineVertical } from '../src/gsp/vertical.js';
import { minePatterns } from '../src/gsp/mine.js';
import { Rng } from '../bench/synthetic-ftp.js';
import { frequentFillers, okey, oracleFilter, oracleMine, type OracleConstraints, type OracleSeq } from './gsp-oracle.js';

/**
 * BackScan pruning (src/gsp/vertical.ts) skips whole subtrees of non-closed patterns for maximal
 * and closed output. Judge: the brute-force oracle's maximal / closed sets. The databases are
 * small enough for the oracle to enumerate without a length limit (its limit is the longest
 * sequence's item count, which no pattern can exceed), because the pruning is only on without
 * max-length. Repeated items and itemsets are frequent on purpose: they are where the (I) case
 * and the repeated-prefix cases of the proof matter.
 */
interface Case {
  db: OracleSeq[];
  alphabet: number[];
  minCount: number;
  bound: number;
}

function randomCase(seed: number, maxTransactions = 4): Case {
  const r = new Rng(seed);
  const nItems = 2 + r.int(3);
  const alphabet = Array.from({ length: nItems }, (_, i) => i);
  const nSeq = 1 + r.int(8);
  const db: OracleSeq[] = [];
  let bound = 1;
  for (let s = 0; s < nSeq; s++) {
    const len = 1 + r.int(maxTransactions);
    const itemsets: number[][] = [];
    for (let j = 0; j < len; j++) {
      const size = r.float() < 0.5 ? 1 : 1 + r.int(Math.min(3, nItems));
      const set = new Set<number>();
      while (set.size < size) set.add(r.int(nItems));
      itemsets.push([...set].sort((a, b) => a - b));
    }
    bound = Math.max(bound, itemsets.reduce((n, e) => n + e.length, 0));
    db.push({ itemsets, times: itemsets.map((_, j) => j) });
  }
  return { db, alphabet, minCount: 1 + r.int(Math.max(1, Math.ceil(nSeq * 0.6))), bound };
}

function mine(
  cs: Case,
  output: 'all' | 'maximal' | 'closed',
  extra: { minGap?: number | null; maxGap?: number; maxLength?: number; taxonomy?: Taxonomy } = {},
): { got: Map<string, number>; frequent: number } {
  const raw: RawSequence[] = cs.db.map((d, i) => ({ name: i, label: '', itemsets: d.itemsets.map((is) => is.map(String)), times: d.times }));
  const db = buildDb(raw, extra.taxonomy);
  const cfg = normalizeGspConfig({
    minSupport: cs.minCount,
    minGap: extra.minGap ?? null,
    maxGap: extra.maxGap ?? Infinity,
    window: 0,
    ...(extra.maxLength !== undefined ? { maxLength: extra.maxLength } : {}),
    output,
    algorithm: 'vertical',
    sids: true,
  });
  const got = new Map<string, number>();
  const res = minePatterns(db, cfg, (fp) => {
    const k = okey(fp.pattern.map((e) => e.map((x) => Number(db.items[x]))));
    if (got.has(k)) throw new Error(`pattern ${k} reported twice`);
    if (fp.sids?.length !== fp.support) throw new Error(`pattern ${k}: ${fp.sids?.length} sids for support ${fp.support}`);
    got.set(k, fp.support);
  });
  return { got, frequent: res.frequent };
}

const asMap = (m: Map<string, { support: number }>): Map<string, number> => new Map([...m].map(([k, v]) => [k, v.support]));
const none: OracleConstraints = { minGap: null, maxGap: Infinity, window: 0 };

describe('BackScan pruning for maximal / closed output', () => {
  // judge one database; returns whether the pruning skipped anything
  function judge(seed: number, maxTransactions: number): boolean {
    const cs = randomCase(seed, maxTransactions);
    const all = oracleMine(cs.db, cs.alphabet, cs.minCount, cs.bound, none);
    const ctx = `seed ${seed} ${JSON.stringify(cs)}`;
    const max = mine(cs, 'maximal');
    const closed = mine(cs, 'closed');
    expect(max.got, ctx).toEqual(asMap(oracleFilter(all, 'maximal')));
    expect(closed.got, ctx).toEqual(asMap(oracleFilter(all, 'closed')));
    // the patterns the engine visited: never more than all frequent ones
    expect(max.frequent, ctx).toBeLessThanOrEqual(all.size);
    expect(closed.frequent, ctx).toBe(max.frequent);
    return max.frequent < all.size;
  }

  it('equals the oracle on 1000 random databases with itemsets and repeated items, and prunes', () => {
    let prunedCases = 0;
    for (let seed = 30001; seed <= 31000; seed++) if (judge(seed, 4)) prunedCases++;
    // the pruning must actually fire, or this test judges nothing (509 of 1000 when written)
    expect(prunedCases).toBeGreaterThan(250);
  });

  it('equals the oracle on 150 databases of longer sequences (up to 5 transactions, 15 items)', () => {
    // the oracle's cost grows steeply with the sequence length (no length limit here), so fewer
    let prunedCases = 0;
    for (let seed = 33001; seed <= 33150; seed++) if (judge(seed, 5)) prunedCases++;
    expect(prunedCases).toBeGreaterThan(40);
  });

  it('item ids above 31 and above 63 (BackScan reads transactions as 64-bit sets of the occurring items)', () => {
    // filler words sort before the numeric items, so 40 of them put the case's items at ids 40+
    // and 70 past 64. They stand once each in one extra sequence, infrequent at min count >= 2,
    // which changes no frequent pattern's support; dropInfrequent removes them, and the bit sets
    // number the items that occur (bitOf), so high ids take low bits
    for (const fillers of [40, 70]) {
      let prunedCases = 0;
      for (let seed = 34001; seed <= 34200; seed++) {
        const cs = randomCase(seed, 4);
        cs.minCount = Math.max(2, cs.minCount);
        const all = oracleMine(cs.db, cs.alphabet, cs.minCount, cs.bound, none);
        const raw: RawSequence[] = cs.db.map((d, i) => ({ name: i, label: '', itemsets: d.itemsets.map((is) => is.map(String)), times: d.times }));
        raw.push({ name: 'filler', label: '', itemsets: [Array.from({ length: fillers }, (_, k) => `f${k}`)], times: [0] });
        const db = buildDb(raw);
        expect(db.items.findIndex((x) => !x.startsWith('f'))).toBe(fillers);
        for (const output of ['maximal', 'closed'] as const) {
          const got = new Map<string, number>();
          const res = minePatterns(db, normalizeGspConfig({ minSupport: cs.minCount, output, algorithm: 'vertical' }), (fp) =>
            got.set(okey(fp.pattern.map((e) => e.map((x) => Number(db.items[x])))), fp.support),
          );
          expect(got, `seed ${seed} ${fillers} fillers ${output}`).toEqual(asMap(oracleFilter(all, output)));
          if (output === 'maximal' && res.frequent < all.size) prunedCases++;
        }
      }
      expect(prunedCases).toBeGreaterThan(40);
    }
  });

  it('more than 64 occurring items: BackScan and the implied items read item lists instead of bit sets', () => {
    let prunedCases = 0;
    for (let seed = 35001; seed <= 35150; seed++) {
      const cs = randomCase(seed, 4);
      const all = oracleMine(cs.db, cs.alphabet, cs.minCount, cs.bound, none);
      const raw: RawSequence[] = cs.db.map((d, i) => ({ name: i, label: '', itemsets: d.itemsets.map((is) => is.map(String)), times: d.times }));
      const fill = frequentFillers(70, cs.minCount);
      fill.itemsets.forEach((t, j) => raw.push({ name: `filler${j}`, label: '', itemsets: [t], times: [0] }));
      const db = buildDb(raw);
      for (const output of ['maximal', 'closed'] as const) {
        const got = new Map<string, number>();
        const res = minePatterns(db, normalizeGspConfig({ minSupport: cs.minCount, output, algorithm: 'vertical' }), (fp) =>
          got.set(okey(fp.pattern.map((e) => e.map((x) => Number(db.items[x])))), fp.support),
        );
        expect(got, `seed ${seed} ${output}`).toEqual(new Map([...asMap(oracleFilter(all, output)), ...fill.patterns]));
        if (output === 'maximal' && res.frequent < all.size + 70) prunedCases++;
      }
    }
    expect(prunedCases).toBeGreaterThan(40);
  });

  it('counterexample: an item at every first end prunes the S-children only, never the I-children (taxonomy)', () => {
    // d1 = 0 and d2 = 1 are-a g = 10; y = 20, z = 30. {<{d1,y}{z}>, <{d1}{d2,y}{z}>}, min count 2: every
    // supporter of <{g}> holds d1 at its first end, so the node and its S-subtree (<{g}{z}>, covered
    // by <{d1}{z}>) go (firstImpliedCut). But {g,y} ends at the first transaction in one supporter and
    // at a later one in the other: neither <{d1,y}{z}> nor <{d1}{g,y}{z}> has both supporters, and
    // <{g,y}{z}> is maximal — pruning the I-children too (the whole subtree, as the global implied
    // items do) would lose it.
    const parents = new Map<number, number[]>([
      [0, [10]],
      [1, [10]],
    ]);
    const taxonomy: Taxonomy = new Map([...parents].map(([k, v]) => [String(k), v.map(String)]));
    const cs: Case = {
      db: [
        { itemsets: [[0, 20], [30]], times: [0, 1] },
        { itemsets: [[0], [1, 20], [30]], times: [0, 1, 2] },
      ],
      alphabet: [0, 1, 10, 20, 30],
      minCount: 2,
      bound: 4,
    };
    const truth = oracleFilter(oracleMine(cs.db, cs.alphabet, 2, 4, none, parents), 'maximal', parents);
    expect(new Set(truth.keys())).toEqual(new Set(['10,20|30', '0|30']));
    const max = mine(cs, 'maximal', { taxonomy });
    expect(max.got).toEqual(asMap(truth));
  });

  it('worked example: <{a}{b}> in every sequence after an a-free prefix c prunes <{b}> and its subtree', () => {
    // sequences <{c}{a}{b}>, <{c}{a,b}{b}>: <{b}> is not closed (<{c}{b}> and <{a}{b}> have equal
    // support 2); closed: <{c}{a}{b}> (2) only, plus nothing else with its own support
    const cs: Case = {
      db: [
        { itemsets: [[2], [0], [1]], times: [0, 1, 2] },
        { itemsets: [[2], [0, 1], [1]], times: [0, 1, 2] },
      ],
      alphabet: [0, 1, 2],
      minCount: 2,
      bound: 4,
    };
    const all = oracleMine(cs.db, cs.alphabet, cs.minCount, cs.bound, none);
    expect(mine(cs, 'closed').got).toEqual(new Map([['2|0|1', 2]]));
    expect(mine(cs, 'closed').got).toEqual(asMap(oracleFilter(all, 'closed')));
    expect(mine(cs, 'maximal').frequent).toBeLessThan(all.size);
  });

  it('prunes nothing with min-gap, max-gap or max-length (every frequent pattern visited)', () => {
    for (let seed = 32001; seed <= 32100; seed++) {
      const cs = randomCase(seed);
      const allCount = mine(cs, 'all').got.size;
      expect(mine(cs, 'maximal', { minGap: 0 }).frequent).toBe(mine(cs, 'all', { minGap: 0 }).got.size);
      expect(mine(cs, 'closed', { maxGap: 2 }).frequent).toBe(mine(cs, 'all', { maxGap: 2 }).got.size);
      expect(mine(cs, 'maximal', { maxLength: 20 }).frequent).toBe(allCount);
    }
  });

  it('with a taxonomy: equals the oracle on 400 random databases, and prunes', () => {
    // 0 and 1 are-a 10, 10 is-a 11, and 2 is-a 11 in half of them: ancestors share transactions
    // with their descendants (the (I) keys and implied items that must not be inserted), and
    // stand alone as elements (the (S) keys that may)
    let prunedCases = 0;
    let judged = 0;
    for (let seed = 34001; seed <= 34400; seed++) {
      const cs = randomCase(seed, 3);
      // the oracle enumerates every pattern over 7 items up to the bound: keep it small
      if (cs.bound > 6) continue;
      judged++;
      const parents = new Map<number, number[]>([
        [0, [10]],
        [1, [10]],
        [10, [11]],
      ]);
      if (seed % 2 === 0) parents.set(2, [11]);
      const taxonomy: Taxonomy = new Map([...parents].map(([k, v]) => [String(k), v.map(String)]));
      const alphabet = [...cs.alphabet, 10, 11];
      const all = oracleMine(cs.db, alphabet, cs.minCount, cs.bound, none, parents);
      const ctx = `seed ${seed} ${JSON.stringify(cs)}`;
      const max = mine(cs, 'maximal', { taxonomy });
      expect(max.got, ctx).toEqual(asMap(oracleFilter(all, 'maximal', parents)));
      expect(mine(cs, 'closed', { taxonomy }).got, ctx).toEqual(asMap(oracleFilter(all, 'closed', parents)));
      if (max.frequent < all.size) prunedCases++;
    }
    // 356 judged, 163 of them pruned when written
    expect(judged).toBeGreaterThan(300);
    expect(prunedCases).toBeGreaterThan(100);
  });

  /** BackScan forced on where minePatterns keeps it off: what it would lose. */
  function forced(raw: RawSequence[], minGap: number | null, maxGap: number): Set<string> {
    const db = buildDb(raw);
    const sink = new FilterSink('maximal', db.ancestors, 1000);
    const eo = { minCount: 1, constraints: { minGap, maxGap, window: 0 }, maxLength: Infinity, wantSids: false, weight: null };
    mineVertical(db, buildVertical(db), { ...eo, pruneNonClosed: true }, sink);
    return new Set([...sink.filter.results()].map((f) => okey(f.pattern.map((e) => e.map((x) => Number(db.items[x]))))));
  }
  const oracleMaximal = (d: OracleSeq, c: OracleConstraints): Set<string> => new Set(oracleFilter(oracleMine([d], [0, 1, 2, 3], 1, 4, c), 'maximal').keys());

  it('counterexample, min-gap: {<(a)(b)(c)>} at 0,1,2, min-gap 1 — BackScan would lose the maximal <(a)(c)>', () => {
    const d: OracleSeq = { itemsets: [[0], [1], [2]], times: [0, 1, 2] };
    const c: OracleConstraints = { minGap: 1, maxGap: Infinity, window: 0 };
    const truth = oracleMaximal(d, c);
    expect(truth.has('0|2')).toBe(true); // b lies between a and c, but <(a)(b)(c)> breaks min-gap
    expect(truth.has('0|1|2')).toBe(false);
    const raw: RawSequence[] = [{ name: 0, label: '', itemsets: [['0'], ['1'], ['2']], times: d.times }];
    expect(forced(raw, 1, Infinity).has('0|2')).toBe(false); // the unsound pruning drops it
    const got = mine({ db: [d], alphabet: [0, 1, 2], minCount: 1, bound: 3 }, 'maximal', { minGap: 1 }).got;
    expect(new Set(got.keys())).toEqual(truth); // minePatterns keeps the pruning off
  });

  it('counterexample, max-gap: {<(e)(b)(b)(c)>} at seconds 0,1,10,11, max-gap 1 — BackScan would lose the maximal <(b)(c)>', () => {
    const d: OracleSeq = { itemsets: [[3], [1], [1], [2]], times: [0, 1, 10, 11] };
    const c: OracleConstraints = { minGap: null, maxGap: 1, window: 0 };
    const truth = oracleMaximal(d, c);
    expect(truth.has('1|2')).toBe(true); // e lies before every b, but not within 1 of the b before c
    expect(truth.has('3|1|2')).toBe(false);
    const raw: RawSequence[] = [{ name: 0, label: '', itemsets: [['3'], ['1'], ['1'], ['2']], times: d.times }];
    expect(forced(raw, null, 1).has('1|2')).toBe(false);
    const got = mine({ db: [d], alphabet: [1, 2, 3], minCount: 1, bound: 4 }, 'maximal', { maxGap: 1 }).got;
    expect(new Set(got.keys())).toEqual(truth);
  });
});
