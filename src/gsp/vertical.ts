import { gallop, type SeqDb, type VerticalIndex } from './db.js';
import { buildLastOccurrences, DepthFirstSearch, grow, hasItem, lowestPeriod, NO_LAST } from './dfs.js';
import type { EngineOptions, PatternSink } from './mine-types.js';

/**
 * The vertical engine (window = 0): GSP's pattern set and supports, enumerated depth first.
 *
 * Why depth first is complete: a frequent k-pattern minus its last item is a contiguous
 * subsequence (drop an item of the last element), hence frequent with or without max-gap, so
 * every frequent pattern is reached from its (k-1)-prefix by appending one item — as a new
 * element (S-extension) or into the last element (I-extension, item greater than the last).
 *
 * State of a pattern, per supporting sequence: the sorted set of transactions where its last
 * element can END in a match satisfying all constraints (SPADE's id-list). With window 0 an
 * element is one transaction, and min-gap / max-gap only relate consecutive elements, so
 * this set decides every extension exactly:
 *   I-extension by y: positions of the set whose transaction holds y;
 *   S-extension by y: positions q of y such that some p of the set has
 *                     q > p, t(q) - t(p) > min-gap and t(q) - t(p) <= max-gap.
 * Support = number of sequences with a non-empty set (each sequence counted once).
 *
 * Per pattern: one counting pass over the supporting sequences finds which items extend it
 * frequently (counted once per sequence with stamps); only those are then built, by a temporal
 * join of the state with the item's id-list (galloping over sequence ids). Memory: the states on
 * the current DFS path, in per-depth typed buffers reused by siblings.
 *
 * Code shape: the hot loops are small methods of one class, not one large closure. V8's
 * optimising compiler took ~170 ms (CPU, on a background thread that competes for the core)
 * to compile the former single ~250-line recursive closure, more than the whole SIGN run once
 * optimised; small methods compile in a few ms each and are optimised after fewer calls.
 */
export function mineVertical(db: SeqDb, v: VerticalIndex, o: EngineOptions, sink: PatternSink, control?: SearchControl): VerticalMiner {
  const miner = new VerticalMiner(db, v, o, sink, control);
  miner.mineAll();
  return miner;
}

/**
 * A subtree of the search, named by the path from the root: items[j] was appended as a new element
 * (isNew[j], an S-extension) or into the last element (an I-extension); isNew[0] is always true.
 */
export interface TaskPath {
  readonly items: number[];
  readonly isNew: boolean[];
}

/**
 * How a search is shared out and stopped (parallel.ts, --time-budget). The miner polls it every
 * few nodes: the cost is a clock read and two shared-memory loads per POLL_EVERY nodes.
 */
export interface SearchControl {
  /** Date.now() after which the search stops, marked incomplete (Infinity: never) */
  readonly deadline: number;
  /** shared flag: non-zero = stop now (the coordinator's deadline) */
  readonly stop?: Int32Array;
  /**
   * shared counter: > 0 = idle workers want work. The miner that claims it (compare-and-swap to
   * 0) hands the not-yet-started children of its shallowest open node to `donate`.
   */
  readonly hungry?: Int32Array;
  /** Date.now() after which EVERY open subtree is handed to `donate` and this miner stops (not incomplete) */
  readonly handOffAt?: number;
  /** tests: hand off (as handOffAt) at the n-th node visited instead, to split the search at a chosen point */
  readonly handOffAfterNodes?: number;
  donate?(paths: TaskPath[]): void;
  /** told at each poll: frequent patterns visited so far, current depth (progress of a worker) */
  onPoll?(visited: number, depth: number): void;
}
const POLL_EVERY = 8;

export class VerticalMiner extends DepthFirstSearch {
  readonly hasMinGap: boolean;
  readonly minGap: number;
  readonly maxGap: number;
  /** per sequence: its distinct frequent items by descending last occurrence (S-extension counting) */
  readonly lastStart: Int32Array;
  readonly lastItem: Int32Array;
  readonly lastPos: Int32Array;
  /** with one item per transaction there are no I-extensions to count */
  readonly itemsets: boolean;
  /**
   * items that some frequent, larger item shares a transaction with: only a pattern ending in one
   * of them can have an I-extension (with {command, code} itemsets a pattern ending in a reply
   * code never has one, and its I-pass is skipped)
   */
  readonly iExtendable: Uint8Array;
  readonly stampS: Int32Array;
  visit = 0;
  /** per-depth buffers: the state of the node at that depth, and its frequent extension items */
  readonly bufSids: Int32Array[] = [];
  readonly bufOff: Int32Array[] = [];
  readonly bufPos: Int32Array[] = [];
  readonly bufExt: Int32Array[] = [];
  /** BackScan scratch: element starts in patItems, and the latest embedding l_i ending at f */
  private elemStart = new Int32Array(16);
  private lastIn = new Int32Array(16);
  /** BackScan candidates (keys (2·element + kind)·m + item) and their per-sequence marks */
  private cand = new Int32Array(64);
  private mark = new Int32Array(0);
  private markTag = 0;
  /** per depth d: the node's children are ext[0..frameEnd[d]) (S items first, frameNS[d] of them); frameI[d] = the one being visited */
  private readonly frameEnd: number[] = [];
  private readonly frameNS: number[] = [];
  private readonly frameI: number[] = [];
  /** depth of the subtree being mined (its open frames are rootDepth..): donations never go above it */
  private rootDepth = 1;
  private pollIn = 1;
  private polled = 0;
  /** stopped after handing every open subtree off (control.handOffAt) */
  handedOff = false;

  constructor(db: SeqDb, v: VerticalIndex, o: EngineOptions, sink: PatternSink, control?: SearchControl) {
    super(db, v, o, sink, control);
    const m = this.m;
    this.hasMinGap = o.constraints.minGap !== null;
    this.minGap = o.constraints.minGap ?? 0;
    this.maxGap = o.constraints.maxGap;
    // only the S count without max-gap (countSFree) reads the last occurrences
    const last = this.maxGap === Infinity ? buildLastOccurrences(db, this.freq) : NO_LAST;
    this.lastStart = last.lastStart;
    this.lastItem = last.lastItem;
    this.lastPos = last.lastPos;
    this.itemsets = hasItemsets(db);
    this.iExtendable = new Uint8Array(m);
    this.markExtendable();
    this.stampS = new Int32Array(m);
    if (this.backScan) this.buildImplied();
    if (this.backScan) this.buildMasks();
  }

  /** Whether transaction t holds element i of the pattern (items patItems[a..b)). */
  private elemAt(t: number, i: number, a: number, b: number): boolean {
    const lo = this.txLo;
    if (lo === null) return holds(this.txStart, this.txItems, t, this.patItems, a, b);
    const ml = this.elLo[i];
    const mh = this.elHi[i];
    return (lo[t] & ml) === ml && (this.txHi![t] & mh) === mh;
  }

  private markExtendable(): void {
    const { txStart, txItems, freq, iExtendable } = this;
    for (let t = 0; t < txStart.length - 1; t++) {
      let maxFreq = -1;
      for (let k = txStart[t + 1] - 1; k >= txStart[t]; k--) {
        const x = txItems[k];
        if (maxFreq > x) iExtendable[x] = 1;
        if (freq[x] === 1 && x > maxFreq) maxFreq = x;
      }
    }
  }

  /** The whole search: one subtree per frequent item, in item order. */
  mineAll(): void {
    for (const x of this.f1) {
      if (this.stopped || this.handedOff) {
        // handed off: the first items not started yet go too
        if (this.handedOff) this.control!.donate!([{ items: [x], isNew: [true] }]);
        continue;
      }
      this.mineTask({ items: [x], isNew: [true] });
    }
  }

  /**
   * One subtree: rebuild the state of the path's last node by joining along the path (as the
   * search did to reach it: the same joins give the same state), then search it.
   */
  mineTask(t: TaskPath): void {
    const k = t.items.length;
    const x = t.items[0];
    const v = this.v;
    let sids = v.sids[x];
    let off = v.off[x];
    let pos = v.pos[x];
    let len = sids.length;
    let support = this.itemSupport[x];
    for (let j = 1; j < k; j++) {
      len = t.isNew[j] ? this.joinS(t.items[j], sids, off, pos, len, j) : this.joinI(t.items[j], sids, off, pos, len, j);
      sids = this.bufSids[j];
      off = this.bufOff[j];
      pos = this.bufPos[j];
      support = this.joinSup;
    }
    this.patItems.length = 0;
    this.patNew.length = 0;
    this.patItems.push(...t.items);
    this.patNew.push(...t.isNew);
    this.rootDepth = k;
    this.visitNode(sids, off, pos, len, support, k);
    this.patItems.length = 0;
    this.patNew.length = 0;
  }

  /** Deadline, stop flag, requests for work (see SearchControl). */
  private poll(depth: number): void {
    const c = this.control!;
    this.pollIn = c.handOffAfterNodes === undefined ? POLL_EVERY : 1;
    this.polled++;
    c.onPoll?.(this.totalFrequent, depth);
    const now = Date.now();
    if (now >= c.deadline || (c.stop && Atomics.load(c.stop, 0) !== 0)) {
      this.stopped = true;
      return;
    }
    if (((c.handOffAt !== undefined && now >= c.handOffAt) || this.polled > (c.handOffAfterNodes ?? Infinity)) && c.donate) {
      // this node and every not-yet-started child of the open nodes above it
      const paths: TaskPath[] = [{ items: this.patItems.slice(0, depth), isNew: this.patNew.slice(0, depth) }];
      for (let d = this.rootDepth; d < depth; d++) this.takeRest(d, paths);
      c.donate(paths);
      this.handedOff = true;
      return;
    }
    const h = c.hungry ? Atomics.load(c.hungry, 0) : 0;
    if (h <= 0 || !c.donate) return;
    for (let d = this.rootDepth; d < depth; d++) {
      if (this.frameI[d] + 1 >= this.frameEnd[d]) continue;
      if (Atomics.compareExchange(c.hungry!, 0, h, 0) !== h) return; // another miner answered
      const paths: TaskPath[] = [];
      this.takeRest(d, paths);
      c.donate(paths);
      return;
    }
  }

  /** Moves the children of the open node at depth d not started yet into paths (the node's loop then ends). */
  private takeRest(d: number, paths: TaskPath[]): void {
    const ext = this.bufExt[d];
    const prefix = this.patItems.slice(0, d);
    const prefixNew = this.patNew.slice(0, d);
    for (let i = this.frameI[d] + 1; i < this.frameEnd[d]; i++) {
      paths.push({ items: [...prefix, ext[i]], isNew: [...prefixNew, i < this.frameNS[d]] });
    }
    this.frameEnd[d] = Math.min(this.frameEnd[d], this.frameI[d] + 1);
  }

  private ensure(d: number, nSids: number, nPos: number): void {
    const { bufSids, bufOff, bufPos } = this;
    while (bufSids.length <= d) {
      bufSids.push(new Int32Array(0));
      bufOff.push(new Int32Array(1));
      bufPos.push(new Int32Array(0));
      this.bufExt.push(new Int32Array(0));
    }
    if (bufSids[d].length < nSids) {
      bufSids[d] = new Int32Array(Math.max(nSids, bufSids[d].length * 2));
      bufOff[d] = new Int32Array(bufSids[d].length + 1);
    }
    if (bufPos[d].length < nPos) bufPos[d] = grow(bufPos[d], Math.max(nPos, bufPos[d].length * 2));
  }

  /** Bumps the per-sequence stamp (wrapping safely). */
  private nextVisit(): number {
    if (++this.visit === 0x7fffffff) {
      this.stampS.fill(0);
      this.stampI.fill(0);
      this.visit = 1;
    }
    return this.visit;
  }

  /** S-extension counts without max-gap: items occurring after the first end position (and the min-gap). */
  private countSFree(s: number, p0: number, w: number): void {
    const { lastItem, lastPos, cntS, touchedS } = this;
    const je = this.lastStart[s + 1];
    let j = this.lastStart[s];
    let nS = this.nS;
    let best = this.best;
    // the sequence's items by descending last occurrence — each distinct item once, no stamps
    if (this.hasMinGap) {
      const T = this.T;
      const lim = T[p0] + this.minGap;
      for (; j < je; j++) {
        const q = lastPos[j];
        if (q <= p0 || T[q] <= lim) break;
        const y = lastItem[j];
        if (cntS[y] === 0) touchedS[nS++] = y;
        const c = (cntS[y] += w);
        if (c > best) best = c;
      }
    } else {
      for (; j < je && lastPos[j] > p0; j++) {
        const y = lastItem[j];
        if (cntS[y] === 0) touchedS[nS++] = y;
        const c = (cntS[y] += w);
        if (c > best) best = c;
      }
    }
    this.nS = nS;
    this.best = best;
  }

  /** S-extension counts with max-gap: items of transactions reachable from some end position. */
  private countSGap(pos: Int32Array, a: number, b: number, end: number, w: number, visit: number): void {
    const { T, txStart, txItems, freq, stampS, cntS, touchedS, maxGap, hasMinGap, minGap } = this;
    let nS = this.nS;
    let best = this.best;
    // the transactions reachable from end position p form the range of q > p with
    // minGap < T[q] - T[p] <= maxGap (T non-decreasing); the ranges of successive p only move
    // forward, so each transaction is scanned once: from the end of the previous range on
    let next = 0;
    for (let i = a; i < b; i++) {
      const p = pos[i];
      const tp = T[p];
      let q = p + 1 > next ? p + 1 : next;
      if (hasMinGap) {
        const lim = tp + minGap;
        while (q < end && T[q] <= lim) q++;
      }
      const hi = tp + maxGap;
      for (; q < end && T[q] <= hi; q++) {
        for (let t = txStart[q], te = txStart[q + 1]; t < te; t++) {
          const y = txItems[t];
          if (freq[y] === 1 && stampS[y] !== visit) {
            stampS[y] = visit;
            if (cntS[y] === 0) touchedS[nS++] = y;
            const c = (cntS[y] += w);
            if (c > best) best = c;
          }
        }
      }
      next = q;
      if (q >= end) break;
    }
    this.nS = nS;
    this.best = best;
  }

  /** I-extension counts: items after the last item in the transactions where the pattern ends. */
  private countI(pos: Int32Array, a: number, b: number, lastItem: number, w: number, visit: number): void {
    const { txStart, txItems, freq, stampI, cntI, touchedI, blocked } = this;
    let nI = this.nI;
    let best = this.best;
    for (let j = a; j < b; j++) {
      const p = pos[j];
      for (let t = txStart[p + 1] - 1, ts = txStart[p]; t >= ts; t--) {
        const y = txItems[t];
        if (y <= lastItem) break;
        if (freq[y] === 1 && stampI[y] !== visit && blocked[y] === 0) {
          stampI[y] = visit;
          if (cntI[y] === 0) touchedI[nI++] = y;
          const c = (cntI[y] += w);
          if (c > best) best = c;
        }
      }
    }
    this.nI = nI;
    this.best = best;
  }

  /** Whether a pattern ending in item x can have an I-extension (else its I-pass is skipped). */
  private iPassFor(x: number): boolean {
    return this.itemsets && this.iExtendable[x] === 1;
  }

  /** One counting pass over the supporting sequences: fills touchedS/cntS and touchedI/cntI. */
  private countExtensions(sids: Int32Array, off: Int32Array, pos: Int32Array, len: number, lastItem: number, support: number): void {
    const weight = this.weight;
    const free = this.maxGap === Infinity;
    const iPass = this.iPassFor(lastItem);
    const minCount = this.minCount;
    this.nS = 0;
    this.nI = 0;
    this.best = 0;
    // weight of the sequences not counted yet: once even the best count plus all of it stays below
    // min-support, no extension can be frequent (a leaf: more than half the nodes) — stop early;
    // collect() then finds nothing frequent and resets the partial counts
    let rest = support;
    for (let k = 0; k < len; k++) {
      const s = sids[k];
      const a = off[k];
      const b = off[k + 1];
      const w = weight ? weight[s] : 1;
      const visit = free && !iPass ? 0 : this.nextVisit();
      if (free) this.countSFree(s, pos[a], w);
      else this.countSGap(pos, a, b, this.seqStart[s + 1], w, visit);
      if (iPass) this.countI(pos, a, b, lastItem, w, visit);
      rest -= w;
      if (this.best + rest < minCount) break;
    }
  }

  /** Temporal join for the S-extension by y into the buffers of depth d; returns the number of sequences. */
  private joinS(y: number, sids: Int32Array, off: Int32Array, pos: Int32Array, len: number, d: number): number {
    const ys = this.v.sids[y];
    const yo = this.v.off[y];
    const yp = this.v.pos[y];
    const { T, weight, hasMinGap, minGap, maxGap } = this;
    const onlyFirst = !this.iPassFor(y);
    this.ensure(d, len, 0);
    const outS = this.bufSids[d];
    const outO = this.bufOff[d];
    let outP = this.bufPos[d];
    let n = 0;
    let np = 0;
    let j = 0;
    let sup = 0;
    for (let k = 0; k < len; k++) {
      const s = sids[k];
      j = gallop(ys, j, s);
      if (j >= ys.length) break;
      if (ys[j] !== s) continue;
      const ya = yo[j];
      const yb = yo[j + 1];
      if (outP.length < np + (yb - ya)) {
        this.ensure(d, len, np + (yb - ya));
        outP = this.bufPos[d];
      }
      const start = np;
      const a = off[k];
      const b = off[k + 1];
      if (maxGap === Infinity) {
        const p0 = pos[a];
        let t = ya;
        while (t < yb && yp[t] <= p0) t++;
        if (hasMinGap) {
          const lim = T[p0] + minGap;
          while (t < yb && T[yp[t]] <= lim) t++;
        }
        // positions are sorted: everything from here on qualifies; a node that will never be
        // I-extended needs only its first end position (S-extensions read pos[a] alone here)
        if (t < yb && onlyFirst) outP[np++] = yp[t];
        else for (; t < yb; t++) outP[np++] = yp[t];
      } else {
        let pa = a;
        for (let t = ya; t < yb; t++) {
          const q = yp[t];
          const lo = T[q] - maxGap;
          while (pa < b && T[pos[pa]] < lo) pa++;
          if (pa === b) break;
          const p = pos[pa];
          if (p >= q) continue;
          if (hasMinGap && T[q] - T[p] <= minGap) continue;
          outP[np++] = q;
        }
      }
      if (np > start) {
        outS[n] = s;
        outO[n] = start;
        n++;
        sup += weight ? weight[s] : 1;
      }
      j++;
    }
    outO[n] = np;
    this.joinSup = sup;
    return n;
  }

  /** Join for the I-extension by y (positions holding both) into the buffers of depth d. */
  private joinI(y: number, sids: Int32Array, off: Int32Array, pos: Int32Array, len: number, d: number): number {
    const ys = this.v.sids[y];
    const yo = this.v.off[y];
    const yp = this.v.pos[y];
    const weight = this.weight;
    // without max-gap, a node that will never be I-extended needs only its first end position
    const onlyFirst = this.maxGap === Infinity && !this.iPassFor(y);
    this.ensure(d, len, off[len] - off[0]);
    const outS = this.bufSids[d];
    const outO = this.bufOff[d];
    const outP = this.bufPos[d];
    let n = 0;
    let np = 0;
    let j = 0;
    let sup = 0;
    for (let k = 0; k < len; k++) {
      const s = sids[k];
      j = gallop(ys, j, s);
      if (j >= ys.length) break;
      if (ys[j] !== s) continue;
      let t = yo[j];
      const yb = yo[j + 1];
      const start = np;
      for (let i = off[k], b = off[k + 1]; i < b && t < yb; ) {
        const p = pos[i];
        const q = yp[t];
        if (p < q) i++;
        else if (p > q) t++;
        else {
          outP[np++] = p;
          if (onlyFirst) break;
          i++;
          t++;
        }
      }
      if (np > start) {
        outS[n] = s;
        outO[n] = start;
        n++;
        sup += weight ? weight[s] : 1;
      }
      j++;
    }
    outO[n] = np;
    this.joinSup = sup;
    return n;
  }

  /** Adds the keys keyBase + item of transaction p as candidates (once each: marked with tag). */
  private markKeys(p: number, keyBase: number, tag: number, nCand: number): number {
    const { txStart, txItems, mark } = this;
    for (let t = txStart[p], te = txStart[p + 1]; t < te; t++) {
      const key = keyBase + txItems[t];
      if (mark[key] === tag) continue;
      mark[key] = tag;
      if (nCand === this.cand.length) this.cand = grow(this.cand, 2 * nCand);
      this.cand[nCand++] = key;
    }
    return nCand;
  }

  /**
   * BackScan (after BIDE, Wang & Han 2004), for itemset sequences, plain containment only (no
   * gaps, window 0, no taxonomy, no max-length). Pattern P = E_1 … E_n (E_n may still grow by
   * I-extensions). In a supporting sequence let f be the first transaction where an embedding of
   * P can end (the first position of the node's state), l_n = f and, backwards, l_i = the last
   * transaction before l_{i+1} holding E_i (so l_1 < … < l_n embed P). If one item e, in EVERY
   * supporting sequence, lies
   *   (S) in a transaction strictly between l_{i-1} and l_i (i = 1..n; l_0 = before the start), or
   *   (I) in a transaction of (l_{i-1}, l_i] that also holds E_i, e ∉ E_i (i = 1..n-1),
   * then no pattern P·Q of this subtree is closed or maximal. Proof: a supporter of P·Q embeds
   * it with E_n ∪ (Q's first items) at some g, and g ≥ f because that embedding restricted to P
   * ends at g. So l_1..l_{i-1}, the transaction of e, l_i..l_{n-1}, g and Q's rest embed P·Q with
   * e inserted (as a new element {e} before E_i, or into E_i). That super-pattern thus has
   * exactly P·Q's supporters: equal support, frequent, so P·Q is neither closed nor maximal.
   * The last element gets no (I) case because Q may add items to it that e's transaction lacks.
   * (BIDE's semi-maximum period starts at the end of the first instance of E_1..E_{i-1}, which
   * prunes a little more but costs a forward pass per sequence: measured slower on FTP data.)
   */
  private backScanPrunable(sids: Int32Array, off: Int32Array, pos: Int32Array, len: number, depth: number): boolean {
    const { patItems, patNew, txStart, txItems, seqStart, m } = this;
    if (this.elemStart.length <= depth + 1) {
      this.elemStart = new Int32Array(2 * depth + 2);
      this.lastIn = new Int32Array(2 * depth + 2);
    }
    const es = this.elemStart;
    const l = this.lastIn;
    let n = 0;
    for (let i = 0; i < depth; i++) if (patNew[i]) es[n++] = i;
    es[n] = depth;
    this.elementMasks(es, n);
    const keys = 2 * n * m;
    if (this.mark.length < keys) {
      this.mark = new Int32Array(Math.max(keys, 2 * this.mark.length));
      this.markTag = 0;
    }
    const mark = this.mark;
    // first sequence: every key found in its periods becomes a candidate
    const s0 = sids[0];
    this.latestEmbedding(s0, n, pos[off[0]], 0);
    if (++this.markTag === 0x7fffffff) {
      mark.fill(0);
      this.markTag = 1;
    }
    const tag = this.markTag;
    let nCand = 0;
    for (let i = 0; i < n; i++) {
      const lo = i === 0 ? seqStart[s0] : l[i - 1] + 1;
      const keyS = 2 * i * m;
      for (let p = lo; p < l[i]; p++) nCand = this.markKeys(p, keyS, tag, nCand);
      if (i === n - 1) break;
      const keyI = keyS + m;
      for (let p = lo; p <= l[i]; p++) {
        if (holds(txStart, txItems, p, patItems, es[i], es[i + 1])) nCand = this.markKeys(p, keyI, tag, nCand);
      }
    }
    // an I key of an item already in E_i is no insertion
    let kept = 0;
    const cand = this.cand;
    for (let c = 0; c < nCand; c++) if (!this.notInsertable(cand[c], es)) cand[kept++] = cand[c];
    nCand = kept;
    // later sequences: test each surviving candidate through its item's positions; the latest
    // embedding is computed back only to the earliest element a surviving candidate reads
    let downTo = lowestPeriod(this.cand, nCand, this.m);
    for (let k = 1; k < len && nCand > 0; k++) {
      const s = sids[k];
      this.latestEmbedding(s, n, pos[off[k]], downTo);
      kept = 0;
      for (let c = 0; c < nCand; c++) {
        if (this.candidateIn(cand[c], s)) cand[kept++] = cand[c];
      }
      if (kept < nCand) downTo = lowestPeriod(this.cand, kept, this.m);
      nCand = kept;
    }
    return nCand > 0;
  }

  /**
   * Whether an (I) key names an item already in its element E_i or, with a taxonomy, an ancestor
   * of one (it adds nothing to E_i). A descendant d of items of E_i is insertable in the
   * generalised sense: E_i with d in place of its ancestors is a larger pattern with the same
   * embeddings (see impliedItem). (S) keys are always insertable: {e} alone is an element.
   */
  private notInsertable(key: number, es: Int32Array): boolean {
    const m = this.m;
    if (isOwnItem(key, m, this.patItems, es)) return true;
    const slot = Math.floor(key / m);
    if (!this.taxonomy || (slot & 1) === 0) return false;
    const i = slot >> 1;
    const e = key - slot * m;
    for (let j = es[i]; j < es[i + 1]; j++) if (this.ancestors[this.patItems[j]].includes(e)) return true;
    return false;
  }

  /**
   * l_1..l_n of the current pattern in sequence s (l_n = f, the first end position), backwards
   * down to index downTo (0-based): the last transaction before l_{i+1} holding E_i. The gaps are
   * mostly a few transactions, so they are walked directly; a long one is found through the
   * positions of the element's first item (binary searches).
   */
  private latestEmbedding(s: number, n: number, f: number, downTo: number): void {
    const { patItems, v } = this;
    const es = this.elemStart;
    const l = this.lastIn;
    const first = this.seqStart[s];
    l[n - 1] = f;
    for (let i = n - 2; i >= downTo; i--) {
      const a = es[i];
      const b = es[i + 1];
      let t = l[i + 1] - 1;
      const stop = Math.max(first, t - SHORT_GAP);
      while (t >= stop && !this.elemAt(t, i, a, b)) t--;
      if (t < stop) {
        const x = patItems[a];
        const xs = v.sids[x];
        const j = firstAtLeast(xs, 0, xs.length, s);
        const yp = v.pos[x];
        t = firstAtLeast(yp, v.off[x][j], v.off[x][j + 1], stop) - 1;
        while (!this.elemAt(yp[t], i, a, b)) t--;
        t = yp[t];
      }
      l[i] = t;
    }
  }

  /** Whether BackScan candidate key (element i, kind, item e) also holds in sequence s (l set). */
  private candidateIn(key: number, s: number): boolean {
    const m = this.m;
    const slot = Math.floor(key / m);
    const i = slot >> 1;
    const e = key - slot * m;
    const lo = i === 0 ? this.seqStart[s] : this.lastIn[i - 1] + 1;
    const insert = (slot & 1) === 0;
    // (S) e in a transaction of [lo, hi); (I) e in a transaction of [lo, hi] that holds E_i
    const hi = insert ? this.lastIn[i] : this.lastIn[i] + 1;
    const es = this.elemStart;
    if (hi - lo <= SHORT_GAP) {
      for (let t = lo; t < hi; t++) {
        if (this.itemAt(t, e) && (insert || this.elemAt(t, i, es[i], es[i + 1]))) return true;
      }
      return false;
    }
    const ys = this.v.sids[e];
    const j = firstAtLeast(ys, 0, ys.length, s);
    if (j >= ys.length || ys[j] !== s) return false;
    const yp = this.v.pos[e];
    const yb = this.v.off[e][j + 1];
    for (let t = firstAtLeast(yp, this.v.off[e][j], yb, lo); t < yb && yp[t] < hi; t++) {
      if (insert || this.elemAt(yp[t], i, es[i], es[i + 1])) return true;
    }
    return false;
  }

  visitNode(sids: Int32Array, off: Int32Array, pos: Int32Array, len: number, support: number, depth: number): void {
    if (this.control && --this.pollIn <= 0) this.poll(depth);
    if (this.stopped || this.handedOff) return;
    if (this.backScan && this.backScanPrunable(sids, off, pos, len, depth)) {
      this.backScanPruned++;
      return;
    }
    this.totalFrequent++;
    this.levelStat(depth).frequent++;
    const patItems = this.patItems;
    const patNew = this.patNew;
    const lastItem = patItems[depth - 1];
    let nS = 0;
    let nI = 0;
    let hasEqual = false;
    let hasFreqExt = false;
    const d = depth; // child buffers live at index depth
    this.ensure(d, 0, 0);
    let ext = this.bufExt[d];
    if (depth < this.maxLength) {
      if (ext.length < 2 * this.m) ext = this.bufExt[d] = new Int32Array(2 * this.m); // S and I items
      let lastElemStart = depth - 1;
      while (!patNew[lastElemStart]) lastElemStart--;
      if (this.taxonomy) this.setBlocked(depth, lastElemStart, 1);
      this.countExtensions(sids, off, pos, len, lastItem, support);
      if (this.taxonomy) this.blocked.fill(0);
      this.levelStat(depth + 1).candidates += this.nS + this.nI;
      hasEqual = this.collect(ext, support);
      nS = this.nS;
      nI = this.nI;
      if (this.backScan) {
        let keep = this.impliedCut(ext, nS, nI, lastElemStart, depth);
        if (keep < 0) keep = this.firstImpliedCut(pos, off, len, ext, nS, nI, lastElemStart, depth);
        if (keep >= 0) {
          hasEqual = true; // P with the implied item added to E_n: same support, frequent
          hasFreqExt = true;
          this.backScanPruned += nS + nI - keep;
          nS = 0;
          nI = keep;
        }
      }
    }
    if (nS + nI > 0) hasFreqExt = true;
    this.sink.pattern(this.buildPattern, support, this.wantSids ? sids.slice(0, len) : null, hasFreqExt, hasEqual);
    if (this.o.progress && (this.totalFrequent & 63) === 0) this.o.progress(depth, this.levelStat(depth + 1).candidates, this.totalFrequent);

    const frameEnd = this.frameEnd;
    frameEnd[d] = nS + nI;
    this.frameNS[d] = nS;
    for (let i = 0; i < frameEnd[d]; i++) {
      this.frameI[d] = i;
      const y = ext[i];
      const isS = i < nS;
      const n = isS ? this.joinS(y, sids, off, pos, len, d) : this.joinI(y, sids, off, pos, len, d);
      patItems.push(y);
      patNew.push(isS);
      this.visitNode(this.bufSids[d], this.bufOff[d], this.bufPos[d], n, this.joinSup, depth + 1);
      patItems.pop();
      patNew.pop();
      if (this.stopped || this.handedOff) break;
    }
  }
}

/** BackScan walks gaps up to this many transactions directly, longer ones through id-lists. */
const SHORT_GAP = 24;

/** Whether an (I) BackScan key names an item already in its element. */
function isOwnItem(key: number, m: number, items: number[], es: Int32Array): boolean {
  const slot = Math.floor(key / m);
  if ((slot & 1) === 0) return false;
  const i = slot >> 1;
  const y = key - slot * m;
  for (let j = es[i]; j < es[i + 1]; j++) if (items[j] === y) return true;
  return false;
}

/** First index t in [a, b) with arr[t] >= x (b when none); arr sorted ascending. */
function firstAtLeast(arr: Int32Array, a: number, b: number, x: number): number {
  let lo = a;
  let hi = b;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether transaction q holds every item of patItems[a..b) (both sorted ascending). */
function holds(txStart: Int32Array, txItems: Int32Array, q: number, items: number[], a: number, b: number): boolean {
  let t = txStart[q];
  const te = txStart[q + 1];
  for (let i = a; i < b; i++) {
    const x = items[i];
    while (t < te && txItems[t] < x) t++;
    if (t === te || txItems[t] !== x) return false;
    t++;
  }
  return true;
}

function hasItemsets(db: SeqDb): boolean {
  for (let t = 0; t < db.txStart.length - 1; t++) if (db.txStart[t + 1] - db.txStart[t] > 1) return true;
  return false;
}
