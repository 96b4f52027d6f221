import { describe, expect, it } from 'vitest';
import { normalizeGspConfig } from '../src/gsp/config.js';
import { buildDb, type RawSequence, type Taxonomy } from '../src/gsp/db.js';
import { minePatterns } from '../src/gsp/mine.js';
import { Rng } from '../bench/synthetic-ftp.js';
import { okey, oracleFilter, oracleMine, type OracleConstraints, type OracleSeq } from './gsp-oracle.js';

/** mulberry32, the workload generators' PRNG */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.float();
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

interface Case {
  db: OracleSeq[];
  alphabet: number[];
  c: OracleConstraints;
  minCount: number;
  maxLen: number;
  parents: Map<number, number[]>;
}

function randomCase(seed: number, opts: { window: boolean; taxonomy: boolean }): Case {
  const r = rng(seed);
  const nItems = 2 + Math.floor(r() * 3); // leaves 0..nItems-1
  const leaves = Array.from({ length: nItems }, (_, i) => i);
  const parents = new Map<number, number[]>();
  let alphabet = leaves;
  if (opts.taxonomy) {
    // two ancestors: 10 over some leaves, 11 over 10 and maybe another leaf
    for (const x of leaves) if (r() < 0.6) parents.set(x, [10]);
    parents.set(10, [11]);
    if (r() < 0.5) parents.set(nItems - 1, [...(parents.get(nItems - 1) ?? []), 11]);
    alphabet = [...leaves, 10, 11];
  }
  const nSeq = 1 + Math.floor(r() * 7);
  const seconds = r() < 0.5;
  const db: OracleSeq[] = [];
  for (let s = 0; s < nSeq; s++) {
    const len = 1 + Math.floor(r() * 6);
    const itemsets: number[][] = [];
    const times: number[] = [];
    let t = Math.floor(r() * 3);
    for (let j = 0; j < len; j++) {
      const size = 1 + Math.floor(r() * Math.min(3, nItems));
      const set = new Set<number>();
      while (set.size < size) set.add(pick(r, leaves));
      itemsets.push([...set].sort((a, b) => a - b));
      times.push(seconds ? t : j);
      t += Math.floor(r() * 3); // ties when seconds
    }
    db.push({ itemsets, times });
  }
  const c: OracleConstraints = {
    minGap: pick(r, [null, null, 0, 1, 2]),
    maxGap: pick(r, [Infinity, Infinity, 1, 2, 3, 4]),
    window: opts.window ? pick(r, [1, 2, 3]) : 0,
  };
  if (c.minGap !== null && c.maxGap <= c.minGap) c.maxGap = Infinity;
  return { db, alphabet, c, minCount: 1 + Math.floor(r() * Math.max(1, nSeq * 0.6)), maxLen: opts.taxonomy ? 3 : 4, parents };
}

function runMiner(cs: Case, output: 'all' | 'maximal' | 'closed', algorithm: 'vertical' | 'levelwise' | 'auto') {
  const raw: RawSequence[] = cs.db.map((d, i) => ({
    name: i,
    label: '',
    itemsets: d.itemsets.map((is) => is.map(String)),
    times: d.times,
  }));
  const tax: Taxonomy | undefined = cs.parents.size
    ? new Map([...cs.parents].map(([k, v]) => [String(k), v.map(String)]))
    : undefined;
  const db = buildDb(raw, tax);
  const cfg = normalizeGspConfig({
    minSupport: cs.minCount,
    minGap: cs.c.minGap,
    maxGap: cs.c.maxGap,
    window: cs.c.window,
    maxLength: cs.maxLen,
    output,
    algorithm,
    sids: true,
  });
  const got = new Map<string, number>();
  minePatterns(db, cfg, (fp) => {
    const p = fp.pattern.map((e) => e.map((x) => Number(db.items[x])));
    const k = okey(p);
    // plain throws: expect() per pattern would dominate the run time
    if (got.has(k)) throw new Error(`pattern ${k} reported twice`);
    if (fp.sids?.length !== fp.support) throw new Error(`pattern ${k}: ${fp.sids?.length} sids for support ${fp.support}`);
    got.set(k, fp.support);
  });
  return got;
}

const asMap = (m: Map<string, { support: number }>): Map<string, number> => new Map([...m].map(([k, v]) => [k, v.support]));

function check(seed: number, opts: { window: boolean; taxonomy: boolean }, algorithm: 'vertical' | 'levelwise' | 'auto'): void {
  const cs = randomCase(seed, opts);
  const all = oracleMine(cs.db, cs.alphabet, cs.minCount, cs.maxLen, cs.c, cs.parents);
  const ctx = `seed ${seed} ${algorithm} ${JSON.stringify({ ...cs, parents: [...cs.parents] })}`;
  expect(runMiner(cs, 'all', algorithm), ctx).toEqual(asMap(all));
  expect(runMiner(cs, 'maximal', algorithm), ctx).toEqual(asMap(oracleFilter(all, 'maximal', cs.parents)));
  expect(runMiner(cs, 'closed', algorithm), ctx).toEqual(asMap(oracleFilter(all, 'closed', cs.parents)));
}

describe('GSP equals a brute-force miner from the definitions', () => {
  it('vertical engine, window 0, with min-gap/max-gap, itemsets and repeated items (1000 databases)', () => {
    for (let seed = 1; seed <= 1000; seed++) check(seed, { window: false, taxonomy: false }, 'vertical');
  });
  it('level-wise engine (join/prune/forward-backward contains), window 0 (400 databases)', () => {
    for (let seed = 5001; seed <= 5400; seed++) check(seed, { window: false, taxonomy: false }, 'levelwise');
  });
  it('window > 0: elements spanning transactions, with gaps (500 databases)', () => {
    for (let seed = 10001; seed <= 10500; seed++) check(seed, { window: true, taxonomy: false }, 'auto');
  });
  it('taxonomies: extended sequences, no item with its ancestor in one element (500 databases, both engines)', () => {
    for (let seed = 20001; seed <= 20250; seed++) check(seed, { window: false, taxonomy: true }, 'vertical');
    for (let seed = 20251; seed <= 20500; seed++) check(seed, { window: false, taxonomy: true }, 'levelwise');
  });
});
