import { gallop, type SeqDb, type VerticalIndex } from './db.js';
import type { EngineOptions, PatternSink } from './mine-types.js';
import { buildLastOccurrences, DepthFirstSearch, grow, lowestPeriod } from './dfs.js';
import type { SearchControl } from './vertical.js';

/**
 * The depth-first engine for a sliding window (window > 0, no min-gap, no max-gap): GSP's
 * pattern set and supports, as the vertical engine enumerates them (a pattern, then its
 * S-extensions, then its I-extensions), with a different state per supporting sequence.
 *
 * With a window an element E matches an interval of transactions [l, u] with
 * T[u] − T[l] <= window whose union holds E; without gaps elements only need to be in order
 * (u_{i−1} < l_i). State of a pattern P = P'·E_n in a supporter:
 *   F     = the earliest transaction where an embedding of P' can end (before the sequence: P' empty),
 *   L/U   = the minimal intervals [l, u] (no other inside) holding E_n with l > F, sorted (l and u
 *           both increase).
 * This decides every extension exactly: an extension's embedding needs one of P' that ends before
 * E_n's interval, and the earliest end F allows every interval that any other end allows.
 *   S-extension by y: F := min u (the first interval's u), intervals [q, q] for y's positions q > F.
 *   I-extension by z: every interval holding E_n ∪ {z} holds a minimal one of E_n and a position q
 *     of z, so the candidates [min(l, q), max(u, q)] within the window (l > F) include every
 *     minimal one; the others are dropped.
 * Support = the weight of the sequences with an interval. Memory: per-depth buffers (as vertical.ts).
 *
 * BackScan (maximal/closed output, no max-length) is extended to windows: see backScanPrunable.
 * Single-threaded; the time budget is polled as in vertical.ts.
 */
export function mineWindowed(db: SeqDb, v: VerticalIndex, o: EngineOptions, sink: PatternSink, control?: SearchControl): WindowMiner {
  const miner = new WindowMiner(db, v, o, sink, control);
  miner.mineAll();
  return miner;
}

const POLL_EVERY = 8;

export class WindowMiner extends DepthFirstSearch {
  readonly window: number;
  readonly last: { lastStart: Int32Array; lastItem: Int32Array; lastPos: Int32Array };
  /** per depth: the node's supporters, their F, interval offsets (n + 1), intervals, extension items */
  private readonly bSid: Int32Array[] = [];
  private readonly bF: Int32Array[] = [];
  private readonly bOff: Int32Array[] = [];
  private bL: Int32Array[] = [];
  private bU: Int32Array[] = [];
  private readonly bExt: Int32Array[] = [];
  private readonly bN: number[] = [];
  /** I-join scratch: candidate intervals of one supporter */
  private cl = new Int32Array(64);
  private cu = new Int32Array(64);
  private visit = 0;
  /** BackScan scratch: element starts in patItems, the embedding's intervals, candidate keys and marks */
  private es = new Int32Array(16);
  private el = new Int32Array(16);
  private eu = new Int32Array(16);
  private cand = new Int32Array(64);
  private mark = new Int32Array(0);
  private markTag = 0;
  private pollIn = 1;
  /** per transaction q: the first transaction of its sequence within the window before it, and the union of its window */
  private winFrom = new Int32Array(0);
  private winLo = new Int32Array(0);
  private winHi = new Int32Array(0);

  constructor(db: SeqDb, v: VerticalIndex, o: EngineOptions, sink: PatternSink, control?: SearchControl) {
    super(db, v, o, sink, control);
    this.window = o.constraints.window;
    this.last = buildLastOccurrences(db, this.freq);
    if (this.backScan) this.buildImplied();
    // bit sets (up to 64 items): BackScan's element tests and the I-extension count
    this.buildMasks();
    if (this.txLo !== null) this.buildWindows(db);
  }

  /**
   * Per transaction q, the union (bit sets) of the transactions q' of its sequence with
   * |T[q'] − T[q]| <= window: what an I-extension of a one-transaction interval [q, q] can reach
   * (the I-count reads it instead of walking the window, when the whole window lies after F).
   */
  private buildWindows(db: SeqDb): void {
    const { T, window } = this;
    const lo = this.txLo!;
    const hi = this.txHi!;
    const nTx = lo.length;
    const from = (this.winFrom = new Int32Array(nTx));
    const wl = (this.winLo = new Int32Array(nTx));
    const wh = (this.winHi = new Int32Array(nTx));
    for (let s = 0; s < db.n; s++) {
      const a = db.seqStart[s];
      const b = db.seqStart[s + 1];
      let first = a;
      for (let q = a; q < b; q++) {
        while (T[first] < T[q] - window) first++;
        from[q] = first;
        let ul = 0;
        let uh = 0;
        for (let t = first; t < b && T[t] <= T[q] + window; t++) {
          ul |= lo[t];
          uh |= hi[t];
        }
        wl[q] = ul;
        wh[q] = uh;
      }
    }
  }

  mineAll(): void {
    const v = this.v;
    for (const x of this.f1) {
      if (this.stopped) break;
      // the item's state: F before the sequence, intervals [q, q]
      const sx = v.sids[x];
      const n = sx.length;
      const np = v.off[x][n] - v.off[x][0];
      this.ensure(1, n, np);
      const sid = this.bSid[1];
      const f = this.bF[1];
      const off = this.bOff[1];
      const L = this.bL[1];
      const U = this.bU[1];
      const o0 = v.off[x][0];
      for (let k = 0; k < n; k++) {
        sid[k] = sx[k];
        f[k] = this.seqStart[sx[k]] - 1;
        off[k] = v.off[x][k] - o0;
      }
      off[n] = np;
      for (let k = 0; k < np; k++) L[k] = U[k] = v.pos[x][o0 + k];
      this.bN[1] = n;
      this.patItems.push(x);
      this.patNew.push(true);
      this.visitNode(1, this.itemSupport[x]);
      this.patItems.pop();
      this.patNew.pop();
    }
  }

  private ensure(d: number, nSeq: number, nIv: number): void {
    while (this.bSid.length <= d) {
      this.bSid.push(new Int32Array(0));
      this.bF.push(new Int32Array(0));
      this.bOff.push(new Int32Array(1));
      this.bL.push(new Int32Array(0));
      this.bU.push(new Int32Array(0));
      this.bExt.push(new Int32Array(0));
      this.bN.push(0);
    }
    if (this.bSid[d].length < nSeq) {
      const n = Math.max(nSeq, 2 * this.bSid[d].length);
      this.bSid[d] = new Int32Array(n);
      this.bF[d] = new Int32Array(n);
      this.bOff[d] = new Int32Array(n + 1);
    }
    if (this.bL[d].length < nIv) {
      const n = Math.max(nIv, 2 * this.bL[d].length);
      this.bL[d] = grow(this.bL[d], n);
      this.bU[d] = grow(this.bU[d], n);
    }
  }

  private nextVisit(): number {
    if (++this.visit === 0x7fffffff) {
      this.stampI.fill(0);
      this.visit = 1;
    }
    return this.visit;
  }

  /** One counting pass: S items after the earliest end, I items within the window of an interval. */
  private countExtensions(d: number, lastItem: number, support: number): void {
    const { T, txStart, txItems, freq, stampI, cntS, cntI, touchedS, touchedI, blocked, window } = this;
    const { lastStart, lastItem: li, lastPos } = this.last;
    const sid = this.bSid[d];
    const F = this.bF[d];
    const off = this.bOff[d];
    const L = this.bL[d];
    const U = this.bU[d];
    const n = this.bN[d];
    const weight = this.weight;
    this.nS = 0;
    this.nI = 0;
    this.best = 0;
    let nS = 0;
    let nI = 0;
    let best = 0;
    let rest = support;
    // with bit sets: the items an I-extension may add (frequent, above the last item, not blocked)
    const { txLo, txHi, itemOfBit, winFrom, winLo, winHi } = this;
    let aboveLo = 0;
    let aboveHi = 0;
    if (txLo !== null) {
      for (let y = lastItem + 1; y < this.m; y++) {
        const bit = this.bitOf[y];
        if (freq[y] === 0 || blocked[y] !== 0 || bit < 0) continue;
        if (bit < 32) aboveLo |= 1 << bit;
        else aboveHi |= 1 << (bit - 32);
      }
    }
    for (let k = 0; k < n; k++) {
      const s = sid[k];
      const w = weight ? weight[s] : 1;
      const a = off[k];
      const b = off[k + 1];
      // S: every item occurring after the earliest end (the sequence's items by last occurrence)
      const p0 = U[a];
      for (let j = lastStart[s], je = lastStart[s + 1]; j < je && lastPos[j] > p0; j++) {
        const y = li[j];
        if (cntS[y] === 0) touchedS[nS++] = y;
        const c = (cntS[y] += w);
        if (c > best) best = c;
      }
      // I: transactions q > F with T[max(u, q)] − T[min(l, q)] <= window for some interval; the
      // ranges of successive intervals move forward, so each transaction is read once
      const end = this.seqStart[s + 1];
      let next = F[k] + 1;
      if (txLo !== null) {
        // up to 64 items: the union of the transactions in reach as a bit set, then its items
        let ul = 0;
        let uh = 0;
        const f = F[k];
        for (let i = a; i < b; i++) {
          const l = L[i];
          if (l === U[i] && winFrom[l] > f) {
            // one transaction, its whole window after F: the precomputed union
            ul |= winLo[l];
            uh |= winHi[l];
          } else {
            const lo = T[U[i]] - window;
            const hi = T[l] + window;
            let q = next;
            while (q < end && T[q] < lo) q++;
            for (; q < end && T[q] <= hi; q++) {
              ul |= txLo[q];
              uh |= txHi![q];
            }
            next = q;
          }
          if ((ul & aboveLo) === aboveLo && (uh & aboveHi) === aboveHi) break; // every item seen
        }
        for (let word = 0; word < 2; word++) {
          let bits = word === 0 ? ul & aboveLo : uh & aboveHi;
          while (bits !== 0) {
            const y = itemOfBit[32 * word + 31 - Math.clz32(bits & -bits)];
            bits &= bits - 1;
            if (cntI[y] === 0) touchedI[nI++] = y;
            const c = (cntI[y] += w);
            if (c > best) best = c;
          }
        }
        rest -= w;
        if (best + rest < this.minCount) break;
        continue;
      }
      const visit = this.nextVisit();
      for (let i = a; i < b; i++) {
        const lo = T[U[i]] - window;
        const hi = T[L[i]] + window;
        let q = next;
        while (q < end && T[q] < lo) q++;
        for (; q < end && T[q] <= hi; q++) {
          for (let t = txStart[q + 1] - 1, ts = txStart[q]; t >= ts; t--) {
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
        next = q;
      }
      rest -= w;
      if (best + rest < this.minCount) break;
    }
    this.nS = nS;
    this.nI = nI;
    this.best = best;
  }

  /** S-extension by y of the node at depth d into depth d + 1. */
  private joinS(y: number, d: number): void {
    const ys = this.v.sids[y];
    const yo = this.v.off[y];
    const yp = this.v.pos[y];
    const n = this.bN[d];
    const sid = this.bSid[d];
    const off = this.bOff[d];
    const U = this.bU[d];
    this.ensure(d + 1, n, 0);
    const oS = this.bSid[d + 1];
    const oF = this.bF[d + 1];
    const oO = this.bOff[d + 1];
    let oL = this.bL[d + 1];
    let oU = this.bU[d + 1];
    const weight = this.weight;
    let cnt = 0;
    let np = 0;
    let j = 0;
    let sup = 0;
    for (let k = 0; k < n; k++) {
      const s = sid[k];
      j = gallop(ys, j, s);
      if (j >= ys.length) break;
      if (ys[j] !== s) continue;
      const p0 = U[off[k]];
      let t = yo[j];
      const yb = yo[j + 1];
      while (t < yb && yp[t] <= p0) t++;
      if (t < yb) {
        if (oL.length < np + (yb - t)) {
          this.ensure(d + 1, n, np + (yb - t));
          oL = this.bL[d + 1];
          oU = this.bU[d + 1];
        }
        oS[cnt] = s;
        oF[cnt] = p0;
        oO[cnt] = np;
        for (; t < yb; t++) oL[np] = oU[np++] = yp[t];
        cnt++;
        sup += weight ? weight[s] : 1;
      }
      j++;
    }
    oO[cnt] = np;
    this.bN[d + 1] = cnt;
    this.joinSup = sup;
  }

  /** I-extension by y of the node at depth d into depth d + 1 (minimal intervals only). */
  private joinI(y: number, d: number): void {
    const ys = this.v.sids[y];
    const yo = this.v.off[y];
    const yp = this.v.pos[y];
    const { T, window } = this;
    const n = this.bN[d];
    const sid = this.bSid[d];
    const F = this.bF[d];
    const off = this.bOff[d];
    const L = this.bL[d];
    const U = this.bU[d];
    this.ensure(d + 1, n, 0);
    const oS = this.bSid[d + 1];
    const oF = this.bF[d + 1];
    const oO = this.bOff[d + 1];
    const weight = this.weight;
    let cnt = 0;
    let np = 0;
    let j = 0;
    let sup = 0;
    for (let k = 0; k < n; k++) {
      const s = sid[k];
      j = gallop(ys, j, s);
      if (j >= ys.length) break;
      if (ys[j] !== s) continue;
      const f = F[k];
      const ya = yo[j];
      const yb = yo[j + 1];
      // candidates [min(l, q), max(u, q)] within the window, l > F holds for both ends
      let nc = 0;
      let t0 = ya;
      for (let i = off[k]; i < off[k + 1]; i++) {
        const l = L[i];
        const u = U[i];
        const lo = T[u] - window;
        const hi = T[l] + window;
        while (t0 < yb && (yp[t0] <= f || T[yp[t0]] < lo)) t0++;
        for (let t = t0; t < yb; t++) {
          const q = yp[t];
          if (T[q] > hi) break;
          const nl = q < l ? q : l;
          const nu = q > u ? q : u;
          if (T[nu] - T[nl] > window) continue;
          if (nc === this.cl.length) {
            this.cl = grow(this.cl, 2 * nc);
            this.cu = grow(this.cu, 2 * nc);
          }
          this.cl[nc] = nl;
          this.cu[nc] = nu;
          nc++;
        }
      }
      if (nc === 0) {
        j++;
        continue;
      }
      const kept = minimalIntervals(this.cl, this.cu, nc);
      if (this.bL[d + 1].length < np + kept) this.ensure(d + 1, n, np + kept);
      const oL = this.bL[d + 1];
      const oU = this.bU[d + 1];
      oS[cnt] = s;
      oF[cnt] = f;
      oO[cnt] = np;
      for (let i = 0; i < kept; i++) {
        oL[np] = this.cl[i];
        oU[np++] = this.cu[i];
      }
      cnt++;
      sup += weight ? weight[s] : 1;
      j++;
    }
    oO[cnt] = np;
    this.bN[d + 1] = cnt;
    this.joinSup = sup;
  }

  private poll(depth: number): void {
    const c = this.control!;
    this.pollIn = POLL_EVERY;
    c.onPoll?.(this.totalFrequent, depth);
    if (Date.now() >= c.deadline || (c.stop && Atomics.load(c.stop, 0) !== 0)) this.stopped = true;
  }

  private visitNode(depth: number, support: number): void {
    if (this.control && --this.pollIn <= 0) this.poll(depth);
    if (this.stopped) return;
    if (this.backScan && this.backScanPrunable(depth)) {
      this.backScanPruned++;
      return;
    }
    this.totalFrequent++;
    this.levelStat(depth).frequent++;
    const patItems = this.patItems;
    const patNew = this.patNew;
    let nS = 0;
    let nI = 0;
    let hasEqual = false;
    let hasFreq = false;
    this.ensure(depth + 1, 0, 0);
    let ext = this.bExt[depth];
    if (depth < this.maxLength) {
      if (ext.length < 2 * this.m) ext = this.bExt[depth] = new Int32Array(2 * this.m);
      let lastElemStart = depth - 1;
      while (!patNew[lastElemStart]) lastElemStart--;
      if (this.taxonomy) this.setBlocked(depth, lastElemStart, 1);
      this.countExtensions(depth, patItems[depth - 1], support);
      if (this.taxonomy) this.blocked.fill(0);
      this.levelStat(depth + 1).candidates += this.nS + this.nI;
      hasEqual = this.collect(ext, support);
      nS = this.nS;
      nI = this.nI;
      if (this.backScan) {
        let keep = this.impliedCut(ext, nS, nI, lastElemStart, depth);
        if (keep < 0) keep = this.firstIntervalCut(depth, ext, nS, nI, lastElemStart);
        if (keep >= 0) {
          hasEqual = true;
          hasFreq = true;
          this.backScanPruned += nS + nI - keep;
          nS = 0;
          nI = keep;
        }
      }
    }
    const sids = this.o.wantSids ? this.bSid[depth].slice(0, this.bN[depth]) : null;
    this.sink.pattern(this.buildPattern, support, sids, hasFreq || nS + nI > 0, hasEqual);
    if (this.o.progress && (this.totalFrequent & 63) === 0) this.o.progress(depth, this.levelStat(depth + 1).candidates, this.totalFrequent);
    for (let i = 0; i < nS + nI; i++) {
      const y = ext[i];
      const isS = i < nS;
      if (isS) this.joinS(y, depth);
      else this.joinI(y, depth);
      patItems.push(y);
      patNew.push(isS);
      this.visitNode(depth + 1, this.joinSup);
      patItems.pop();
      patNew.pop();
      if (this.stopped) break;
    }
  }

  /**
   * firstImpliedCut (dfs.ts) with intervals: the items in the union of every supporter's first
   * minimal interval [l0, u0] (the earliest end). A pattern X of the S-subtree embeds E_n in some
   * interval ending at u' >= u0 and its rest after u'; E_n ∪ {e} in [l0, u0] (after F, within the
   * window) with the same rest embeds X with e added to E_n.
   */
  private firstIntervalCut(depth: number, ext: Int32Array, nS: number, nI: number, lastElemStart: number): number {
    const lo = this.txLo;
    const n = this.bN[depth];
    if (lo === null || n === 0 || nS === 0) return -1;
    const hi = this.txHi!;
    const off = this.bOff[depth];
    const L = this.bL[depth];
    const U = this.bU[depth];
    let ml = -1;
    let mh = -1;
    for (let k = 0; k < n && (ml | mh) !== 0; k++) {
      let ul = 0;
      let uh = 0;
      for (let t = L[off[k]]; t <= U[off[k]]; t++) {
        ul |= lo[t];
        uh |= hi[t];
      }
      ml &= ul;
      mh &= uh;
    }
    return this.cutSChildren(ml, mh, ext, nS, nI, lastElemStart, depth);
  }

  /** Whether transaction t holds item x. */
  private has(t: number, x: number): boolean {
    return this.itemAt(t, x);
  }

  /** Whether the union of transactions a..b holds element i (patItems[es[i]..es[i + 1])). */
  private unionHolds(a: number, b: number, i: number): boolean {
    const lo = this.txLo;
    if (lo !== null) {
      const hi = this.txHi!;
      const ml = this.elLo[i];
      const mh = this.elHi[i];
      let ul = 0;
      let uh = 0;
      for (let t = a; t <= b; t++) {
        ul |= lo[t];
        uh |= hi[t];
      }
      return (ul & ml) === ml && (uh & mh) === mh;
    }
    for (let j = this.es[i]; j < this.es[i + 1]; j++) {
      const x = this.patItems[j];
      let found = false;
      for (let t = a; t <= b && !found; t++) found = this.has(t, x);
      if (!found) return false;
    }
    return true;
  }

  /**
   * The latest embedding of E_1..E_{n−1} ending before R (el/eu, element i at [el[i], eu[i]]):
   * backwards, element i starts as late as possible (its end before the next element's start) and
   * ends as early as possible from there. Exists whenever P has an embedding whose last element
   * starts at R (that one's prefix ends before R), and the latest start leaves the most room for
   * the elements before it. Only elements n−2 down to downTo (the candidates left read no earlier
   * one). Returns false if there is none (cannot happen; defensive).
   */
  private latestEmbedding(s: number, n: number, R: number, downTo: number): boolean {
    const { T, window } = this;
    const first = this.seqStart[s];
    let bound = R;
    for (let i = n - 2; i >= downTo; i--) {
      let found = -1;
      let uMax = bound - 1;
      for (let l = bound - 1; l >= first; l--) {
        while (T[uMax] - T[l] > window) uMax--;
        if (this.unionHolds(l, uMax, i)) {
          found = l;
          break;
        }
      }
      if (found < 0) return false;
      let u = found;
      while (!this.unionHolds(found, u, i)) u++;
      this.el[i] = found;
      this.eu[i] = u;
      bound = found;
    }
    this.el[n - 1] = R;
    return true;
  }

  /**
   * BackScan for windows (maximal/closed output; no gaps, no max-length). Pattern P = E_1 … E_n.
   * In a supporter let R be the earliest transaction where an interval holding E_n — and any
   * items Q adds to it — can start (earliestStart: the window reaches back from E_n's earliest
   * end; NOT the start of E_n's first minimal interval: an I-extension can widen the interval to
   * the left, e.g. {PASS} → {PASS,USER} over the USER and PASS exchanges with window 1), and
   * [l_i, u_i] (i < n) the latest embedding of E_1..E_{n−1} ending before R (latestEmbedding);
   * l_n = R, u_0 = before the sequence. If one item e, in EVERY supporter,
   *   (S) lies in a transaction q with u_{i−1} < q < l_i (i = 1..n), or
   *   (I) lies in a transaction q with u_{i−1} < q < l_{i+1} and T[max(u_i, q)] − T[min(l_i, q)] <=
   *       window, e ∉ E_i and no ancestor of an item of E_i (i = 1..n−1),
   * then no pattern P·Q of this subtree is closed or maximal. Proof: a supporter of X = P·Q embeds
   * it with E_n ∪ (Q's first items) in an interval [l', u'] after an embedding of E_1..E_{n−1},
   * so l' > F, and [l', u'] holds E_n, so l' >= R (earliestStart). The intervals [l_1, u_1] … [l_{n−1}, u_{n−1}]
   * end before R, hence before l', and with Q's rest they embed X; adding e as the element [q, q]
   * (S) or into E_i's interval (I: the joined interval stays within the window and between its
   * neighbours) embeds X with e inserted — a larger pattern (with a taxonomy, e a descendant of an
   * item g of E_i replaces g's place: E_i − ancestors(e) + e is an antichain, as in vertical.ts).
   * So that pattern has every supporter of X: equal support, and X is neither closed nor maximal.
   * E_n gets no (I) case: Q may add items to it that e's interval lacks.
   */
  private backScanPrunable(depth: number): boolean {
    const { patItems, patNew, m } = this;
    if (this.es.length <= depth + 1) {
      this.es = new Int32Array(2 * depth + 2);
      this.el = new Int32Array(2 * depth + 2);
      this.eu = new Int32Array(2 * depth + 2);
    }
    const es = this.es;
    let n = 0;
    for (let i = 0; i < depth; i++) if (patNew[i]) es[n++] = i;
    es[n] = depth;
    const keys = 2 * n * m;
    if (this.mark.length < keys) {
      this.mark = new Int32Array(Math.max(keys, 2 * this.mark.length));
      this.markTag = 0;
    }
    if (++this.markTag === 0x7fffffff) {
      this.mark.fill(0);
      this.markTag = 1;
    }
    const tag = this.markTag;
    const sid = this.bSid[depth];
    const off = this.bOff[depth];
    const F = this.bF[depth];
    const U = this.bU[depth];
    const cnt = this.bN[depth];
    // first supporter: every insertable key becomes a candidate
    const s0 = sid[0];
    this.elementMasks(es, n);
    if (!this.latestEmbedding(s0, n, this.earliestStart(s0, F[0], U[off[0]]), 0)) return false;
    let nCand = 0;
    for (let i = 0; i < n; i++) {
      const [a, b] = this.periodS(s0, i);
      for (let q = a; q < b; q++) nCand = this.markKeys(q, 2 * i * m, tag, nCand);
      if (i === n - 1) continue;
      const [c, e] = this.periodI(s0, i);
      for (let q = c; q < e; q++) if (this.joinable(q, i)) nCand = this.markKeys(q, (2 * i + 1) * m, tag, nCand);
    }
    let kept = 0;
    for (let c = 0; c < nCand; c++) if (this.insertable(this.cand[c], es)) this.cand[kept++] = this.cand[c];
    nCand = kept;
    let downTo = lowestPeriod(this.cand, nCand, this.m);
    for (let k = 1; k < cnt && nCand > 0; k++) {
      const s = sid[k];
      if (!this.latestEmbedding(s, n, this.earliestStart(s, F[k], U[off[k]]), downTo)) return false;
      kept = 0;
      for (let c = 0; c < nCand; c++) if (this.candidateIn(this.cand[c], s)) this.cand[kept++] = this.cand[c];
      if (kept < nCand) downTo = lowestPeriod(this.cand, kept, this.m);
      nCand = kept;
    }
    return nCand > 0;
  }

  /**
   * R: the earliest transaction where an interval holding E_n (and maybe more items) can start in
   * sequence s: after F, and within the window of the end u0 of E_n's first minimal interval. Any
   * interval [l', u'] holding E_n (after F) holds a minimal one [a, b], so T[l'] >= T[u'] − window
   * >= T[b] − window >= T[u0] − window (the ends of the minimal intervals increase).
   */
  private earliestStart(s: number, f: number, u0: number): number {
    const lo = this.T[u0] - this.window;
    let q = f + 1;
    while (q < u0 && this.T[q] < lo) q++;
    return q;
  }

  /** (S) period of element i (0-based): transactions [a, b) strictly between u_{i−1} and l_i. */
  private periodS(s: number, i: number): [number, number] {
    return [i === 0 ? this.seqStart[s] : this.eu[i - 1] + 1, this.el[i]];
  }

  /** (I) range of element i < n − 1: transactions [a, b) strictly between u_{i−1} and l_{i+1}. */
  private periodI(s: number, i: number): [number, number] {
    // only transactions within the window of E_i's interval can join it: the period cut to those
    const { T, window } = this;
    let a = i === 0 ? this.seqStart[s] : this.eu[i - 1] + 1;
    let b = this.el[i + 1];
    let q = this.el[i];
    while (q > a && T[q - 1] >= T[this.eu[i]] - window) q--;
    if (q > a) a = q;
    q = this.eu[i] + 1;
    while (q < b && T[q] <= T[this.el[i]] + window) q++;
    if (q < b) b = q;
    return [a, b];
  }

  /** Whether q joined to element i's interval stays within the window. */
  private joinable(q: number, i: number): boolean {
    const l = this.el[i];
    const u = this.eu[i];
    const nl = q < l ? q : l;
    const nu = q > u ? q : u;
    return this.T[nu] - this.T[nl] <= this.window;
  }

  private markKeys(q: number, keyBase: number, tag: number, nCand: number): number {
    const { txStart, txItems, mark } = this;
    for (let t = txStart[q], te = txStart[q + 1]; t < te; t++) {
      const key = keyBase + txItems[t];
      if (mark[key] === tag) continue;
      mark[key] = tag;
      if (nCand === this.cand.length) this.cand = grow(this.cand, 2 * nCand);
      this.cand[nCand++] = key;
    }
    return nCand;
  }

  /** (S) keys always; (I) keys unless e is in E_i or an ancestor of one of its items. */
  private insertable(key: number, es: Int32Array): boolean {
    const m = this.m;
    const slot = Math.floor(key / m);
    if ((slot & 1) === 0) return true;
    const i = slot >> 1;
    const e = key - slot * m;
    for (let j = es[i]; j < es[i + 1]; j++) {
      const x = this.patItems[j];
      if (x === e || (this.taxonomy && this.ancestors[x].includes(e))) return false;
    }
    return true;
  }

  /** Whether candidate key holds in supporter s (its embedding in el/eu). */
  private candidateIn(key: number, s: number): boolean {
    const m = this.m;
    const slot = Math.floor(key / m);
    const i = slot >> 1;
    const e = key - slot * m;
    if ((slot & 1) === 0) {
      const [a, b] = this.periodS(s, i);
      for (let q = a; q < b; q++) if (this.has(q, e)) return true;
      return false;
    }
    const [a, b] = this.periodI(s, i);
    for (let q = a; q < b; q++) if (this.has(q, e) && this.joinable(q, i)) return true;
    return false;
  }
}

/**
 * Keeps the minimal intervals (no other candidate inside) of cl/cu[0..n), sorted by start (the
 * ends then increase too); returns how many.
 */
export function minimalIntervals(cl: Int32Array, cu: Int32Array, n: number): number {
  // mostly they come sorted with both ends increasing: then all are minimal
  let i = 1;
  while (i < n && cl[i] > cl[i - 1] && cu[i] > cu[i - 1]) i++;
  if (i === n) return n;
  // insertion sort by (l, u): a handful of candidates per sequence
  for (let i = 1; i < n; i++) {
    const l = cl[i];
    const u = cu[i];
    let j = i;
    while (j > 0 && (cl[j - 1] > l || (cl[j - 1] === l && cu[j - 1] > u))) {
      cl[j] = cl[j - 1];
      cu[j] = cu[j - 1];
      j--;
    }
    cl[j] = l;
    cu[j] = u;
  }
  // from the latest start back: keep the first (smallest u) of each start when it ends before
  // every later-starting one
  let minU = 0x7fffffff;
  let w = n;
  for (let i = n - 1; i >= 0; i--) {
    if (i > 0 && cl[i - 1] === cl[i]) continue;
    if (cu[i] < minU) {
      w--;
      cl[w] = cl[i];
      cu[w] = cu[i];
      minU = cu[i];
    }
  }
  const kept = n - w;
  cl.copyWithin(0, w, n);
  cu.copyWithin(0, w, n);
  return kept;
}
