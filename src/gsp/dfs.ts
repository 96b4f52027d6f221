import type { SeqDb, VerticalIndex } from './db.js';
import type { EngineOptions, EngineStats, PatternSink } from './mine-types.js';
import type { Pattern } from './steps.js';
import type { SearchControl } from './vertical.js';

/**
 * What the depth-first engines share (vertical.ts for window 0, window.ts for a sliding window):
 * the frequent items, the taxonomy's blocked items, the extension counters and their collection,
 * the pattern on the search path, the transactions as bit sets and the implied items BackScan reads.
 */
export class DepthFirstSearch {
  readonly m: number;
  readonly T: Float64Array;
  readonly txStart: Int32Array;
  readonly txItems: Int32Array;
  readonly seqStart: Int32Array;
  readonly minCount: number;
  readonly weight: Int32Array | null;
  readonly maxLength: number;
  readonly wantSids: boolean;
  readonly freq: Uint8Array;
  readonly f1: number[] = [];
  readonly itemSupport: Float64Array;
  readonly taxonomy: boolean;
  readonly ancestors: readonly Int32Array[];
  readonly descendants: number[][];
  readonly blocked: Uint8Array;
  readonly stampI: Int32Array;
  readonly cntS: Int32Array;
  readonly cntI: Int32Array;
  readonly touchedS: Int32Array;
  readonly touchedI: Int32Array;
  /** per frequent item x: the other items in EVERY transaction holding x (PASV -> 227 on FTP data) */
  protected implied: Int32Array[] = [];
  nS = 0;
  nI = 0;
  /** the largest extension count so far in the current counting pass */
  best = 0;
  /** result of the last join: its support */
  joinSup = 0;
  readonly stats: EngineStats = { levels: [] };
  totalFrequent = 0;
  /** the pattern on the DFS path */
  readonly patItems: number[] = [];
  readonly patNew: boolean[] = [];
  readonly buildPattern: () => Pattern;
  /** BackScan (see the engines' backScanPrunable): on only when EngineOptions.pruneNonClosed */
  readonly backScan: boolean;
  /**
   * BackScan with at most 64 items: each transaction's items as a bit set (two words), so "does
   * transaction t hold E_i" is two ANDs instead of a merge of sorted lists (BackScan walks
   * transactions backwards per supporter)
   */
  protected txLo: Int32Array | null = null;
  protected txHi: Int32Array | null = null;
  /** with txLo/txHi: per element of the current pattern its items' bits (elementMasks) */
  protected elLo = new Int32Array(16);
  protected elHi = new Int32Array(16);
  /** with txLo/txHi: each item's bit (-1: occurs in no transaction), and back */
  protected bitOf = new Int32Array(0);
  protected itemOfBit = new Int32Array(0);
  /** patterns skipped with their whole subtree by BackScan */
  backScanPruned = 0;
  /** stopped by the deadline: what was found is incomplete */
  stopped = false;

  constructor(
    db: SeqDb,
    readonly v: VerticalIndex,
    readonly o: EngineOptions,
    readonly sink: PatternSink,
    readonly control?: SearchControl,
  ) {
    const m = (this.m = db.items.length);
    this.T = db.txTime;
    this.txStart = db.txStart;
    this.txItems = db.txItems;
    this.seqStart = db.seqStart;
    this.minCount = o.minCount;
    this.weight = o.weight;
    this.maxLength = o.maxLength;
    this.wantSids = o.wantSids;
    this.freq = new Uint8Array(m);
    this.itemSupport = new Float64Array(m);
    for (let x = 0; x < m; x++) {
      const sx = v.sids[x];
      let sup = 0;
      if (this.weight) for (let k = 0; k < sx.length; k++) sup += this.weight[sx[k]];
      else sup = sx.length;
      this.itemSupport[x] = sup;
      if (sup >= this.minCount) {
        this.freq[x] = 1;
        this.f1.push(x);
      }
    }
    // taxonomy: items that may not join an element (ancestors and descendants of its items)
    this.ancestors = db.ancestors;
    this.taxonomy = db.ancestors.some((a) => a.length > 0);
    const descendants: number[][] = (this.descendants = Array.from({ length: m }, () => []));
    if (this.taxonomy) db.ancestors.forEach((anc, x) => anc.forEach((a) => descendants[a].push(x)));
    this.blocked = new Uint8Array(m);
    this.stampI = new Int32Array(m);
    this.cntS = new Int32Array(m);
    this.cntI = new Int32Array(m);
    this.touchedS = new Int32Array(m);
    this.touchedI = new Int32Array(m);
    this.levelStat(1).candidates = m;
    this.backScan = o.pruneNonClosed === true;
    const patItems = this.patItems;
    const patNew = this.patNew;
    this.buildPattern = (): Pattern => {
      const p: Pattern = [];
      for (let i = 0; i < patItems.length; i++) {
        if (patNew[i]) p.push([patItems[i]]);
        else p[p.length - 1].push(patItems[i]);
      }
      return p;
    };
  }

  levelStat(k: number): { k: number; candidates: number; frequent: number } {
    const levels = this.stats.levels;
    while (levels.length < k) levels.push({ k: levels.length + 1, candidates: 0, frequent: 0 });
    return levels[k - 1];
  }

  /**
   * The bit sets, when at most 64 items occur (dropInfrequent leaves only frequent items in the
   * transactions, but keeps the ids of all: a taxonomy's groups make 76 ids on the samples, ~40 of
   * them frequent): each occurring item gets a bit (bitOf, itemOfBit), in id order.
   */
  protected buildMasks(): void {
    const { txStart, txItems } = this;
    const bitOf = new Int32Array(this.m).fill(-1);
    const itemOfBit: number[] = [];
    for (let k = 0; k < txItems.length; k++) bitOf[txItems[k]] = 0;
    for (let x = 0; x < this.m; x++) if (bitOf[x] === 0) bitOf[x] = itemOfBit.push(x) - 1;
    if (itemOfBit.length > 64) return;
    this.bitOf = bitOf;
    this.itemOfBit = Int32Array.from(itemOfBit);
    const nTx = txStart.length - 1;
    const lo = (this.txLo = new Int32Array(nTx));
    const hi = (this.txHi = new Int32Array(nTx));
    for (let t = 0; t < nTx; t++) {
      for (let k = txStart[t]; k < txStart[t + 1]; k++) {
        const b = bitOf[txItems[k]];
        if (b < 32) lo[t] |= 1 << b;
        else hi[t] |= 1 << (b - 32);
      }
    }
  }

  /** Per element i < n of the current pattern (items patItems[es[i]..es[i + 1])), its items' bits. */
  protected elementMasks(es: Int32Array, n: number): void {
    if (this.txLo === null) return;
    if (this.elLo.length < n) {
      this.elLo = new Int32Array(2 * n);
      this.elHi = new Int32Array(2 * n);
    }
    for (let i = 0; i < n; i++) {
      let ml = 0;
      let mh = 0;
      for (let j = es[i]; j < es[i + 1]; j++) {
        const b = this.bitOf[this.patItems[j]];
        if (b < 32) ml |= 1 << b;
        else mh |= 1 << (b - 32);
      }
      this.elLo[i] = ml;
      this.elHi[i] = mh;
    }
  }

  /** Whether transaction t holds item e. */
  protected itemAt(t: number, e: number): boolean {
    const lo = this.txLo;
    if (lo === null) return hasItem(this.txItems, this.txStart[t], this.txStart[t + 1], e);
    const b = this.bitOf[e];
    if (b < 0) return false; // occurs nowhere
    return b < 32 ? (lo[t] & (1 << b)) !== 0 : (this.txHi![t] & (1 << (b - 32))) !== 0;
  }

  protected buildImplied(): void {
    const { txStart, txItems, v } = this;
    const empty = new Int32Array(0);
    for (let x = 0; x < this.m; x++) {
      const px = v.pos[x];
      if (this.freq[x] === 0 || px.length === 0) {
        this.implied.push(empty);
        continue;
      }
      const c: number[] = [];
      for (let t = txStart[px[0]]; t < txStart[px[0] + 1]; t++) if (txItems[t] !== x) c.push(txItems[t]);
      let n = c.length;
      for (let j = 1; j < px.length && n > 0; j++) {
        const a = txStart[px[j]];
        const b = txStart[px[j] + 1];
        let kept = 0;
        for (let i = 0; i < n; i++) if (hasItem(txItems, a, b, c[i])) c[kept++] = c[i];
        n = kept;
      }
      this.implied.push(Int32Array.from(c.slice(0, n)));
    }
  }

  /**
   * The smallest item outside patItems[from..depth) that every transaction holding one of them
   * holds, or -1. With a taxonomy, not an ancestor of one of them (USER implies its ancestor auth,
   * which adds nothing to an element holding USER). A descendant d may be one: the element with d
   * in place of d's ancestors is a larger pattern (generalised order) with the same embeddings —
   * every item it drops is an ancestor of d, and no item left is related to d (the element was
   * an antichain).
   */
  protected impliedItem(from: number, depth: number): number {
    const patItems = this.patItems;
    let best = -1;
    for (let k = from; k < depth; k++) {
      for (const y of this.implied[patItems[k]]) {
        if (best >= 0 && y >= best) break;
        let own = false;
        for (let i = from; i < depth; i++) if (patItems[i] === y || (this.taxonomy && this.ancestors[patItems[i]].includes(y))) own = true;
        if (!own) best = y;
      }
    }
    return best;
  }

  /**
   * BackScan one level early: an item e outside the last element E_n that EVERY transaction
   * holding an item of E_n also holds (buildImplied: 227 -> PASV on FTP data). Any pattern of
   * this subtree embeds its n-th element (E_n plus later I-items X) at a transaction holding E_n
   * — with a window, in an interval of transactions one of which holds that item of E_n — hence
   * e, so adding e to that element keeps every embedding: same supporters, so the pattern is
   * neither closed nor maximal — unless its n-th element already holds e, which only the
   * I-children with items <= e can reach (I-extensions add larger items). So e < lastItem prunes
   * every child; e > lastItem keeps only the I-children x <= e (the others, S-children included,
   * are what BackScan would prune after joining each of them). The kept I-children move to
   * ext[0..); returns how many, or -1 when there is no such e (nothing pruned).
   */
  protected impliedCut(ext: Int32Array, nS: number, nI: number, lastElemStart: number, depth: number): number {
    const e = this.impliedItem(lastElemStart, depth);
    return e < 0 ? -1 : this.cutFor(e, ext, nS, nI, depth);
  }

  /**
   * Items held, in EVERY supporter, by the transaction at the node's first end position f (pos at
   * the offsets off[0..len)), outside E_n and no ancestor of its items (with a taxonomy a
   * descendant may be one: it replaces its ancestors, see impliedItem). If there is one, e, every
   * pattern X of the node's S-subtree (the S-children and below: E_n stays the n-th element) is
   * neither closed nor maximal, and neither is the node: a supporter of X embeds it with E_n at
   * some g >= f and the rest after g; E_n at f (the prefix embedding that ends there) with the
   * same rest embeds X with e added to E_n — a larger pattern with every supporter of X. The
   * I-children are not covered: their n-th element can only end at later positions, which need
   * not hold e. Bit sets only (else -1); returns nI (every I-child kept, moved to ext[0..)) or -1.
   */
  protected firstImpliedCut(pos: Int32Array, off: Int32Array, len: number, ext: Int32Array, nS: number, nI: number, lastElemStart: number, depth: number): number {
    const lo = this.txLo;
    if (lo === null || len === 0 || nS === 0) return -1;
    const hi = this.txHi!;
    let ml = -1;
    let mh = -1;
    for (let k = 0; k < len && (ml | mh) !== 0; k++) {
      const f = pos[off[k]];
      ml &= lo[f];
      mh &= hi[f];
    }
    return this.cutSChildren(ml, mh, ext, nS, nI, lastElemStart, depth);
  }

  /** firstImpliedCut for the bits (ml, mh) of the items at every supporter's first end. */
  protected cutSChildren(ml: number, mh: number, ext: Int32Array, nS: number, nI: number, lastElemStart: number, depth: number): number {
    if ((ml | mh) === 0) return -1;
    const bitOf = this.bitOf;
    for (let k = lastElemStart; k < depth; k++) {
      const x = this.patItems[k];
      for (let j = -1; j < this.ancestors[x].length; j++) {
        const b = bitOf[j < 0 ? x : this.ancestors[x][j]];
        if (b < 0) continue;
        if (b < 32) ml &= ~(1 << b);
        else mh &= ~(1 << (b - 32));
      }
    }
    if ((ml | mh) === 0) return -1;
    ext.copyWithin(0, nS, nS + nI);
    return nI;
  }

  /** impliedCut for a known implied item e. */
  private cutFor(e: number, ext: Int32Array, nS: number, nI: number, depth: number): number {
    let keep = 0;
    if (this.taxonomy && this.descendants[e].length > 0) {
      // an I-child's later items may be descendants of e, and then e cannot join its
      // element: only the S-children (E_n fixed) go. (Later ancestors of e are no obstacle:
      // e replaces them, as above.)
      keep = nI;
    } else if (e > this.patItems[depth - 1]) while (keep < nI && ext[nS + keep] <= e) keep++;
    ext.copyWithin(0, nS, nS + keep);
    return keep;
  }

  /**
   * The frequent ones of the counted extensions into ext (S items first, then I items, each sorted),
   * their numbers in nS / nI; resets the counters. Returns whether one has the pattern's support.
   */
  protected collect(ext: Int32Array, support: number): boolean {
    const { cntS, cntI, touchedS, touchedI, minCount } = this;
    let hasEqual = false;
    let n = 0;
    for (let i = 0; i < this.nS; i++) {
      const y = touchedS[i];
      if (cntS[y] >= minCount) {
        ext[n++] = y;
        if (cntS[y] === support) hasEqual = true;
      }
      cntS[y] = 0;
    }
    const nS = n;
    for (let i = 0; i < this.nI; i++) {
      const y = touchedI[i];
      if (cntI[y] >= minCount) {
        ext[n++] = y;
        if (cntI[y] === support) hasEqual = true;
      }
      cntI[y] = 0;
    }
    ext.subarray(0, nS).sort();
    ext.subarray(nS, n).sort();
    this.nS = nS;
    this.nI = n - nS;
    return hasEqual;
  }

  protected setBlocked(depth: number, lastElemStart: number, on: number): void {
    for (let i = lastElemStart; i < depth; i++) {
      const x = this.patItems[i];
      for (const a of this.ancestors[x]) this.blocked[a] = on;
      for (const d of this.descendants[x]) this.blocked[d] = on;
    }
  }

}

/**
 * Per sequence, its distinct frequent items by descending last occurrence (lastItem/lastPos from
 * lastStart[s] to lastStart[s + 1]): the S-extensions of a node without max-gap are the items whose
 * last occurrence is after the node's first end position, a prefix of this list.
 */
export function buildLastOccurrences(
  db: Pick<SeqDb, 'n' | 'seqStart' | 'txStart' | 'txItems'>,
  freq: Uint8Array,
): { lastStart: Int32Array; lastItem: Int32Array; lastPos: Int32Array } {
  const { n, seqStart, txStart, txItems } = db;
  const lastStart = new Int32Array(n + 1);
  let li = new Int32Array(1024);
  let lp = new Int32Array(1024);
  let len = 0;
  const seen = new Int32Array(freq.length).fill(-1);
  for (let s = 0; s < n; s++) {
    lastStart[s] = len;
    for (let q = seqStart[s + 1] - 1; q >= seqStart[s]; q--) {
      for (let t = txStart[q + 1] - 1; t >= txStart[q]; t--) {
        const y = txItems[t];
        if (freq[y] === 1 && seen[y] !== s) {
          seen[y] = s;
          if (len === li.length) {
            li = grow(li, len * 2);
            lp = grow(lp, len * 2);
          }
          li[len] = y;
          lp[len] = q;
          len++;
        }
      }
    }
  }
  lastStart[n] = len;
  return { lastStart, lastItem: li.slice(0, len), lastPos: lp.slice(0, len) };
}
export const NO_LAST = { lastStart: new Int32Array(0), lastItem: new Int32Array(0), lastPos: new Int32Array(0) };

/** Whether sorted txItems[a..b) holds x. */
export function hasItem(txItems: Int32Array, a: number, b: number, x: number): boolean {
  for (let k = a; k < b; k++) {
    const y = txItems[k];
    if (y >= x) return y === x;
  }
  return false;
}

export function grow(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}


/**
 * BackScan keys are (2·element + kind)·m + item: the lowest element index the first nCand
 * candidates read — the one before the lowest candidate's element (its period starts there).
 */
export function lowestPeriod(cand: Int32Array, nCand: number, m: number): number {
  const m2 = 2 * m;
  let lo = 0x7fffffff;
  for (let c = 0; c < nCand; c++) {
    const i = Math.floor(cand[c] / m2);
    if (i < lo) lo = i;
  }
  return lo > 0 ? lo - 1 : 0;
}
