import { FtpIdsError } from '../common/errors.js';

/**
 * The miner's data model. Strings outside, integers inside: every item string is interned to a
 * dense integer id whose order is the order items are printed in inside an element (commands
 * before reply codes, numbers numerically — see `itemOrder`). A database is stored flat in typed
 * arrays (no per-transaction objects):
 *
 *   sequence s      = transactions seqStart[s] .. seqStart[s+1]-1   (global transaction indices)
 *   transaction t   = items       txStart[t]  .. txStart[t+1]-1     (sorted ascending ids, no duplicates)
 *   time of t       = txTime[t]   (non-decreasing inside a sequence)
 *
 * With a taxonomy, each transaction is stored *extended* (its items plus all their ancestors), as
 * the paper prescribes; `ancestors[id]` lists the ancestors of an item.
 */
export interface SeqDb {
  readonly items: readonly string[]; // id -> string
  readonly n: number;
  readonly seqStart: Int32Array;
  readonly txStart: Int32Array;
  readonly txTime: Float64Array;
  readonly txItems: Int32Array;
  /** external sequence ids (flow id, SPMF ordinal, JSON sid) */
  readonly names: readonly (string | number)[];
  /** per sequence label ('' when the input has none) */
  readonly labels: readonly string[];
  /** ancestors of each item id (sorted ids); empty arrays without a taxonomy */
  readonly ancestors: readonly Int32Array[];
}

/** A raw sequence as parsers produce it: itemsets of strings with their times. */
export interface RawSequence {
  name: string | number;
  label: string;
  itemsets: string[][];
  times: number[];
  /** 1-based input line of each transaction, for messages */
  lines?: number[];
}

const NUMERIC = /^-?\d+$/;

/**
 * Print order inside an element: commands and other words first (so `{PASS,230}` reads as in the
 * study), then numbers numerically (reply codes, SPMF integer items), then `label=`/`tag=` items.
 */
export function itemOrder(a: string, b: string): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) {
    const d = Number(a) - Number(b);
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
function rank(s: string): number {
  if (NUMERIC.test(s)) return 1;
  if (s.startsWith('label=') || s.startsWith('tag=')) return 2;
  return 0;
}

/** is-a hierarchy: child -> parents (a DAG; an item may have several parents). */
export type Taxonomy = ReadonlyMap<string, readonly string[]>;

/** All ancestors of `item` (transitive), refusing cycles. */
export function ancestorsOf(tax: Taxonomy, item: string): string[] {
  const out = new Set<string>();
  const walk = (x: string, path: Set<string>): void => {
    for (const p of tax.get(x) ?? []) {
      if (path.has(p) || p === item) throw new FtpIdsError('TAXONOMY_CYCLE', `taxonomy has a cycle through "${p}"`);
      if (!out.has(p)) out.add(p);
      path.add(p);
      walk(p, path);
      path.delete(p);
    }
  };
  walk(item, new Set());
  return [...out];
}

/**
 * Build the integer database from raw sequences. Item ids follow `itemOrder` over every item that
 * occurs (and every ancestor of one), so sorting ids sorts strings the printed way.
 */
export function buildDb(seqs: readonly RawSequence[], taxonomy?: Taxonomy): SeqDb {
  const ancestorNames = new Map<string, string[]>();
  const all = new Set<string>();
  for (const s of seqs) for (const is of s.itemsets) for (const it of is) all.add(it);
  if (taxonomy) {
    for (const it of [...all]) {
      const anc = ancestorsOf(taxonomy, it);
      ancestorNames.set(it, anc);
      for (const a of anc) all.add(a);
    }
  }
  const items = [...all].sort(itemOrder);
  const id = new Map<string, number>();
  items.forEach((s, i) => id.set(s, i));
  const ancestors: Int32Array[] = items.map((s) =>
    Int32Array.from((ancestorNames.get(s) ?? (taxonomy ? ancestorsOf(taxonomy, s) : [])).map((a) => id.get(a)!)).sort(),
  );
  let nTx = 0;
  let nItems = 0;
  for (const s of seqs) {
    nTx += s.itemsets.length;
    for (const is of s.itemsets) nItems += is.length;
  }
  const seqStart = new Int32Array(seqs.length + 1);
  const txStart = new Int32Array(nTx + 1);
  const txTime = new Float64Array(nTx);
  let buf = new Int32Array(Math.max(16, nItems * (taxonomy ? 3 : 1)));
  let t = 0;
  let k = 0;
  const scratch = new Set<number>();
  seqs.forEach((s, si) => {
    seqStart[si] = t;
    s.itemsets.forEach((is, j) => {
      scratch.clear();
      for (const it of is) {
        const x = id.get(it)!;
        scratch.add(x);
        for (const a of ancestors[x]) scratch.add(a);
      }
      const sorted = [...scratch].sort((a, b) => a - b);
      if (k + sorted.length > buf.length) {
        const nb = new Int32Array(Math.max(buf.length * 2, k + sorted.length));
        nb.set(buf);
        buf = nb;
      }
      txStart[t] = k;
      for (const x of sorted) buf[k++] = x;
      txTime[t] = s.times[j];
      t++;
    });
  });
  seqStart[seqs.length] = t;
  txStart[t] = k;
  return {
    items,
    n: seqs.length,
    seqStart,
    txStart,
    txTime,
    txItems: buf.subarray(0, k),
    names: seqs.map((s) => s.name),
    labels: seqs.map((s) => s.label),
    ancestors,
  };
}

/**
 * Vertical index: for each item, the sequences holding it and, per sequence, the sorted global
 * transaction indices where it occurs (SPADE's id-lists, flat in typed arrays).
 *   item x: sequences sids[x][0..], positions pos[x][off[x][j] .. off[x][j+1]-1] for sids[x][j]
 */
export interface VerticalIndex {
  readonly sids: Int32Array[];
  readonly off: Int32Array[];
  readonly pos: Int32Array[];
}

export function buildVertical(db: SeqDb): VerticalIndex {
  const m = db.items.length;
  const nSeq = new Int32Array(m);
  const nPos = new Int32Array(m);
  const last = new Int32Array(m).fill(-1);
  for (let s = 0; s < db.n; s++) {
    for (let t = db.seqStart[s]; t < db.seqStart[s + 1]; t++) {
      for (let k = db.txStart[t]; k < db.txStart[t + 1]; k++) {
        const x = db.txItems[k];
        nPos[x]++;
        if (last[x] !== s) {
          last[x] = s;
          nSeq[x]++;
        }
      }
    }
  }
  const sids: Int32Array[] = [];
  const off: Int32Array[] = [];
  const pos: Int32Array[] = [];
  for (let x = 0; x < m; x++) {
    sids.push(new Int32Array(nSeq[x]));
    off.push(new Int32Array(nSeq[x] + 1));
    pos.push(new Int32Array(nPos[x]));
  }
  const ns = new Int32Array(m);
  const np = new Int32Array(m);
  last.fill(-1);
  for (let s = 0; s < db.n; s++) {
    for (let t = db.seqStart[s]; t < db.seqStart[s + 1]; t++) {
      for (let k = db.txStart[t]; k < db.txStart[t + 1]; k++) {
        const x = db.txItems[k];
        if (last[x] !== s) {
          last[x] = s;
          sids[x][ns[x]] = s;
          off[x][ns[x]] = np[x];
          ns[x]++;
        }
        pos[x][np[x]++] = t;
      }
    }
  }
  for (let x = 0; x < m; x++) off[x][nSeq[x]] = nPos[x];
  return { sids, off, pos };
}

/** Index j of `s` in sorted `arr` at or after `from` (galloping), or -1. */
export function gallop(arr: Int32Array, from: number, s: number): number {
  const n = arr.length;
  if (from >= n) return n;
  if (arr[from] >= s) return from;
  let step = 1;
  let lo = from;
  let hi = from + 1;
  while (hi < n && arr[hi] < s) {
    lo = hi;
    step <<= 1;
    hi = from + step;
  }
  if (hi > n) hi = n;
  // arr[lo] < s, arr[hi] >= s (or hi == n)
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < s) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Subset of a database (e.g. the sessions of one server label), sharing the item dictionary. */
export function subDb(db: SeqDb, keep: readonly number[]): SeqDb {
  let nTx = 0;
  let nItems = 0;
  for (const s of keep) {
    nTx += db.seqStart[s + 1] - db.seqStart[s];
    nItems += db.txStart[db.seqStart[s + 1]] - db.txStart[db.seqStart[s]];
  }
  const seqStart = new Int32Array(keep.length + 1);
  const txStart = new Int32Array(nTx + 1);
  const txTime = new Float64Array(nTx);
  const txItems = new Int32Array(nItems);
  let t = 0;
  let k = 0;
  keep.forEach((s, i) => {
    seqStart[i] = t;
    for (let u = db.seqStart[s]; u < db.seqStart[s + 1]; u++) {
      txStart[t] = k;
      txTime[t] = db.txTime[u];
      for (let j = db.txStart[u]; j < db.txStart[u + 1]; j++) txItems[k++] = db.txItems[j];
      t++;
    }
  });
  seqStart[keep.length] = t;
  txStart[t] = k;
  return {
    items: db.items,
    n: keep.length,
    seqStart,
    txStart,
    txTime,
    txItems,
    names: keep.map((s) => db.names[s]),
    labels: keep.map((s) => db.labels[s]),
    ancestors: db.ancestors,
  };
}
