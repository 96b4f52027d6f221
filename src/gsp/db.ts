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
 * Sequences with items already interned to input-local ids (parsers that care about speed fill
 * this directly; `flatFromRaw` converts RawSequences). `finishDb` turns it into a SeqDb.
 */
export interface FlatInput {
  dict: string[];
  seqStart: number[];
  txStart: number[];
  txTime: number[];
  txItems: number[];
  names: (string | number)[];
  labels: string[];
}

/** An empty FlatInput and the interner that gives each distinct item name its integer. */
export function flatBuilder(): { flat: FlatInput; intern: (name: string) => number } {
  const flat: FlatInput = { dict: [], seqStart: [], txStart: [], txTime: [], txItems: [], names: [], labels: [] };
  const ids = new Map<string, number>();
  const intern = (name: string): number => {
    let x = ids.get(name);
    if (x === undefined) {
      x = flat.dict.length;
      ids.set(name, x);
      flat.dict.push(name);
    }
    return x;
  };
  return { flat, intern };
}

export function flatFromRaw(seqs: readonly RawSequence[]): FlatInput {
  const { flat: f, intern } = flatBuilder();
  for (const s of seqs) {
    f.seqStart.push(f.txStart.length);
    f.names.push(s.name);
    f.labels.push(s.label);
    s.itemsets.forEach((is, j) => {
      f.txStart.push(f.txItems.length);
      f.txTime.push(s.times[j]);
      for (const it of is) f.txItems.push(intern(it));
    });
  }
  return f;
}

/** Several inputs as one (sequences appended; items re-interned). */
export function mergeFlat(parts: readonly FlatInput[]): FlatInput {
  const { flat: f, intern } = flatBuilder();
  for (const p of parts) {
    const map = p.dict.map(intern);
    const txBase = f.txStart.length;
    const itemBase = f.txItems.length;
    for (const s of p.seqStart) f.seqStart.push(s + txBase);
    for (const t of p.txStart) f.txStart.push(t + itemBase);
    for (const t of p.txTime) f.txTime.push(t);
    for (const x of p.txItems) f.txItems.push(map[x]);
    f.names.push(...p.names);
    f.labels.push(...p.labels);
  }
  return f;
}

/** Build the integer database from raw sequences (see finishDb). */
export function buildDb(seqs: readonly RawSequence[], taxonomy?: Taxonomy): SeqDb {
  return finishDb(flatFromRaw(seqs), taxonomy);
}

/**
 * Final item ids follow `itemOrder` over every item that occurs (and every ancestor of one), so
 * sorting ids sorts strings the printed way. Transactions are sorted, deduplicated and, with a
 * taxonomy, extended by the ancestors of their items.
 */
export function finishDb(f: FlatInput, taxonomy?: Taxonomy): SeqDb {
  const all = new Set<string>(f.dict);
  const ancestorNames = new Map<string, string[]>();
  if (taxonomy) {
    for (const it of f.dict) {
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
  const remap = Int32Array.from(f.dict, (s) => id.get(s)!);
  const nSeq = f.seqStart.length;
  const nTx = f.txStart.length;
  const seqStart = new Int32Array(nSeq + 1);
  const txStart = new Int32Array(nTx + 1);
  const txTime = Float64Array.from(f.txTime);
  let buf = new Int32Array(Math.max(16, f.txItems.length * (taxonomy ? 3 : 1)));
  let k = 0;
  const tmp: number[] = [];
  for (let s = 0; s < nSeq; s++) seqStart[s] = f.seqStart[s];
  seqStart[nSeq] = nTx;
  for (let t = 0; t < nTx; t++) {
    const a = f.txStart[t];
    const b = t + 1 < nTx ? f.txStart[t + 1] : f.txItems.length;
    if (!taxonomy) {
      // without ancestors a transaction never grows: sort and deduplicate it in place (buf holds
      // every input item); this pass runs once, cold, so no per-transaction array
      txStart[t] = k;
      const n = b - a;
      for (let j = 0; j < n; j++) {
        const x = remap[f.txItems[a + j]];
        let i = k + j;
        while (i > k && buf[i - 1] > x) {
          buf[i] = buf[i - 1];
          i--;
        }
        buf[i] = x;
      }
      let w = k;
      for (let j = k; j < k + n; j++) if (j === k || buf[j] !== buf[w - 1]) buf[w++] = buf[j];
      k = w;
      continue;
    }
    tmp.length = 0;
    for (let j = a; j < b; j++) {
      const x = remap[f.txItems[j]];
      tmp.push(x);
      if (taxonomy) for (const an of ancestors[x]) tmp.push(an);
    }
    if (tmp.length > 1) tmp.sort((x, y) => x - y);
    if (k + tmp.length > buf.length) {
      const nb = new Int32Array(Math.max(buf.length * 2, k + tmp.length));
      nb.set(buf);
      buf = nb;
    }
    txStart[t] = k;
    for (let j = 0; j < tmp.length; j++) if (j === 0 || tmp[j] !== tmp[j - 1]) buf[k++] = tmp[j];
  }
  txStart[nTx] = k;
  return { items, n: nSeq, seqStart, txStart, txTime, txItems: buf.subarray(0, k), names: f.names, labels: f.labels, ancestors };
}

/**
 * The database without the items held by fewer than minCount sequences (and without the
 * transactions left empty): no pattern can hold such an item, and transaction times are kept,
 * so every constraint measures the same. Makes every scan of the miner shorter.
 */
export function dropInfrequent(db: SeqDb, minCount: number): SeqDb {
  const m = db.items.length;
  const nSeq = new Int32Array(m);
  const last = new Int32Array(m).fill(-1);
  for (let s = 0; s < db.n; s++) {
    for (let k = db.txStart[db.seqStart[s]], e = db.txStart[db.seqStart[s + 1]]; k < e; k++) {
      const x = db.txItems[k];
      if (last[x] !== s) {
        last[x] = s;
        nSeq[x]++;
      }
    }
  }
  const keep = new Uint8Array(m);
  let dropped = 0;
  for (let x = 0; x < m; x++) if (nSeq[x] >= minCount) keep[x] = 1;
  for (let k = 0; k < db.txItems.length; k++) if (!keep[db.txItems[k]]) dropped++;
  if (dropped === 0) return db;
  const seqStart = new Int32Array(db.n + 1);
  // at most as many transactions as before (typed arrays: this pass runs once, cold)
  const nTx = db.txStart.length - 1;
  const txStart = new Int32Array(nTx + 1);
  const txTimes = new Float64Array(nTx);
  let nt = 0;
  const txItems = new Int32Array(db.txItems.length - dropped);
  let k = 0;
  for (let s = 0; s < db.n; s++) {
    seqStart[s] = nt;
    for (let t = db.seqStart[s]; t < db.seqStart[s + 1]; t++) {
      const start = k;
      for (let j = db.txStart[t]; j < db.txStart[t + 1]; j++) if (keep[db.txItems[j]]) txItems[k++] = db.txItems[j];
      if (k > start) {
        txStart[nt] = start;
        txTimes[nt++] = db.txTime[t];
      }
    }
  }
  seqStart[db.n] = nt;
  txStart[nt] = k;
  return { ...db, seqStart, txStart: txStart.slice(0, nt + 1), txTime: txTimes.slice(0, nt), txItems };
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

/**
 * Identical sequences (same transactions, same times) merged into one with a weight: supports are
 * sums of weights, so the result is exactly that of the full database, while every per-sequence
 * cost of the miner is paid once per distinct sequence (sessions of scripted clients repeat).
 * `members` lists, per distinct sequence, the original sequence indices (for --sids).
 */
export function mergeIdentical(db: SeqDb): { db: SeqDb; weight: Int32Array; memberStart: Int32Array; members: Int32Array } | null {
  // hash each sequence (FNV-1a over times and items) into an open-addressing table of group ids
  // (typed arrays, no per-sequence objects); equal hashes are confirmed item by item
  const group = new Int32Array(db.n);
  const reps: number[] = [];
  let cap = 1024;
  while (cap < db.n * 2) cap *= 2;
  const mask = cap - 1;
  const slotGroup = new Int32Array(cap).fill(-1);
  const groupHash: number[] = [];
  for (let s = 0; s < db.n; s++) {
    const h = sequenceHash(db, s);
    let slot = h & mask;
    let g = -1;
    for (;;) {
      const c = slotGroup[slot];
      if (c < 0) break;
      if (groupHash[c] === h && sameSequence(db, reps[c], s)) {
        g = c;
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (g < 0) {
      g = reps.length;
      reps.push(s);
      groupHash.push(h);
      slotGroup[slot] = g;
    }
    group[s] = g;
  }
  if (reps.length === db.n) return null;
  const weight = new Int32Array(reps.length);
  for (let s = 0; s < db.n; s++) weight[group[s]]++;
  const memberStart = new Int32Array(reps.length + 1);
  for (let g = 0; g < reps.length; g++) memberStart[g + 1] = memberStart[g] + weight[g];
  const fill = memberStart.slice(0, reps.length);
  const members = new Int32Array(db.n);
  for (let s = 0; s < db.n; s++) members[fill[group[s]]++] = s;
  return { db: subDb(db, reps), weight, memberStart, members };
}

function sequenceHash(db: SeqDb, s: number): number {
  const { seqStart, txStart, txTime, txItems } = db;
  let h = 0x811c9dc5;
  for (let t = seqStart[s]; t < seqStart[s + 1]; t++) {
    h = Math.imul(h ^ ((txTime[t] * 1000003) | 0), 16777619);
    for (let k = txStart[t]; k < txStart[t + 1]; k++) h = Math.imul(h ^ (txItems[k] + 1), 16777619);
    h = Math.imul(h ^ 0x5bd1e995, 16777619);
  }
  return h;
}

function sameSequence(db: SeqDb, a: number, b: number): boolean {
  const { seqStart, txStart, txTime, txItems } = db;
  const ta = seqStart[a];
  const tb = seqStart[b];
  const n = seqStart[a + 1] - ta;
  if (n !== seqStart[b + 1] - tb) return false;
  for (let i = 0; i < n; i++) {
    if (txTime[ta + i] !== txTime[tb + i]) return false;
    const ka = txStart[ta + i];
    const kb = txStart[tb + i];
    const len = txStart[ta + i + 1] - ka;
    if (len !== txStart[tb + i + 1] - kb) return false;
    for (let j = 0; j < len; j++) if (txItems[ka + j] !== txItems[kb + j]) return false;
  }
  return true;
}
