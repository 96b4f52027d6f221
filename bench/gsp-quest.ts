/**
 * An IBM Quest-style generator of customer sequences, after the description in Srikant & Agrawal
 * (EDBT 1996, §5.1) and Agrawal & Srikant (ICDE 1995): "maximal potentially large" sequences are
 * built from potentially large itemsets; each customer's sequence is assembled from them with
 * corruption. Parameters (paper's names):
 *   D  customers            C  avg transactions per customer   T  avg items per transaction
 *   S  avg itemsets in a potentially large sequence            I  avg items in a potentially large itemset
 *   NS potentially large sequences   NI potentially large itemsets   N  items
 * e.g. C10-T2.5-S4-I1.25 with D = 100K, NS = 5000, NI = 25000, N = 10000.
 * Deterministic for a seed. Output: a FlatInput (integer items as strings), times = transaction index.
 */
import type { FlatInput } from '../src/gsp/db.js';
import { Rng } from './synthetic-ftp.js';

export interface QuestParams {
  D: number;
  C: number;
  T: number;
  S: number;
  I: number;
  NS: number;
  NI: number;
  N: number;
  seed: number;
}

export const QUEST_DEFAULT: QuestParams = { D: 10_000, C: 10, T: 2.5, S: 4, I: 1.25, NS: 5000, NI: 25_000, N: 10_000, seed: 1 };

/** the shared mulberry32 of the workload generators */
function mulberry(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.float();
}

export function generateQuest(p: QuestParams): FlatInput {
  const r = mulberry(p.seed);
  const poisson = (mean: number): number => {
    // Knuth; means here are small
    const L = Math.exp(-mean);
    let k = 0;
    let q = 1;
    do {
      k++;
      q *= r();
    } while (q > L);
    return k - 1;
  };
  const expo = (): number => -Math.log(1 - r());
  const normal = (mu: number, sd: number): number => mu + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  // cumulative weights for picking by weight
  const cumulative = (n: number): Float64Array => {
    const w = new Float64Array(n);
    let s = 0;
    for (let i = 0; i < n; i++) w[i] = s += expo();
    for (let i = 0; i < n; i++) w[i] /= s;
    return w;
  };
  const pick = (cum: Float64Array): number => {
    const x = r();
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // potentially large itemsets: size ~ Poisson(I) (at least 1), part of the items shared with the previous one
  const itemsets: number[][] = [];
  for (let i = 0; i < p.NI; i++) {
    const size = Math.max(1, poisson(p.I));
    const set = new Set<number>();
    const prev = itemsets[i - 1];
    if (prev) {
      const share = Math.min(size, Math.round(Math.min(1, expo() * 0.25) * size));
      for (let k = 0; k < share && k < prev.length; k++) set.add(prev[Math.floor(r() * prev.length)]);
    }
    while (set.size < size) set.add(Math.floor(r() * p.N));
    itemsets.push([...set]);
  }
  const itemsetCum = cumulative(p.NI);
  // potentially large sequences
  const seqs: number[][] = [];
  const seqCorruption: number[] = [];
  for (let i = 0; i < p.NS; i++) {
    const len = Math.max(1, poisson(p.S));
    const s: number[] = [];
    for (let k = 0; k < len; k++) s.push(pick(itemsetCum));
    seqs.push(s);
    seqCorruption.push(Math.min(1, Math.max(0, normal(0.75, 0.1))));
  }
  const seqCum = cumulative(p.NS);
  const f: FlatInput = { dict: [], seqStart: [], txStart: [], txTime: [], txItems: [], names: [], labels: [] };
  const local = new Map<number, number>();
  const intern = (x: number): number => {
    let id = local.get(x);
    if (id === undefined) {
      id = f.dict.length;
      local.set(x, id);
      f.dict.push(String(x));
    }
    return id;
  };
  for (let c = 0; c < p.D; c++) {
    const nTx = Math.max(1, poisson(p.C));
    const txs: Set<number>[] = Array.from({ length: nTx }, () => new Set<number>());
    const target = Math.max(1, Math.round(nTx * p.T));
    let placed = 0;
    let guard = 0;
    while (placed < target && guard++ < 50) {
      const si = pick(seqCum);
      const s = seqs[si];
      const keep = seqCorruption[si];
      // the sequence's itemsets go to increasing transactions, starting at a random one
      let t = Math.floor(r() * nTx);
      for (const is of s) {
        if (t >= nTx) break;
        for (const x of itemsets[is]) {
          if (r() < keep && !txs[t].has(x)) {
            txs[t].add(x);
            placed++;
          }
        }
        t += 1 + (r() < 0.3 ? 1 : 0);
      }
    }
    f.seqStart.push(f.txStart.length);
    f.names.push(c);
    f.labels.push('');
    let time = 0;
    for (const tx of txs) {
      if (tx.size === 0) continue;
      f.txStart.push(f.txItems.length);
      f.txTime.push(time++);
      for (const x of tx) f.txItems.push(intern(x));
    }
    if (f.txStart.length === f.seqStart[f.seqStart.length - 1]) {
      // every customer has at least one transaction
      f.txStart.push(f.txItems.length);
      f.txTime.push(0);
      f.txItems.push(intern(Math.floor(r() * p.N)));
    }
  }
  return f;
}
