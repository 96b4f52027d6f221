import { gallop, type SeqDb, type VerticalIndex } from './db.js';
import type { EngineOptions, EngineStats, PatternSink } from './mine-types.js';
import type { Pattern } from './steps.js';

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
 */
export function mineVertical(db: SeqDb, v: VerticalIndex, o: EngineOptions, sink: PatternSink): EngineStats {
  const m = db.items.length;
  const T = db.txTime;
  const txStart = db.txStart;
  const txItems = db.txItems;
  const seqStart = db.seqStart;
  const hasMinGap = o.constraints.minGap !== null;
  const minGap = o.constraints.minGap ?? 0;
  const maxGap = o.constraints.maxGap;
  const minCount = o.minCount;
  const weight = o.weight;
  const freq = new Uint8Array(m);
  const f1: number[] = [];
  const itemSupport = new Float64Array(m);
  for (let x = 0; x < m; x++) {
    const sx = v.sids[x];
    let sup = 0;
    if (weight) for (let k = 0; k < sx.length; k++) sup += weight[sx[k]];
    else sup = sx.length;
    itemSupport[x] = sup;
    if (sup >= minCount) {
      freq[x] = 1;
      f1.push(x);
    }
  }
  // taxonomy: items that may not join an element (ancestors and descendants of its items)
  const taxonomy = db.ancestors.some((a) => a.length > 0);
  const descendants: number[][] = Array.from({ length: m }, () => []);
  if (taxonomy) db.ancestors.forEach((anc, x) => anc.forEach((a) => descendants[a].push(x)));
  const blocked = new Uint8Array(m);

  // per sequence: its distinct items by descending last occurrence (S-extension counting)
  const lastStart = new Int32Array(db.n + 1);
  let lastItem_ = new Int32Array(0);
  let lastPos = new Int32Array(0);
  {
    const li: number[] = [];
    const lp: number[] = [];
    const seen = new Int32Array(m).fill(-1);
    for (let s = 0; s < db.n; s++) {
      lastStart[s] = li.length;
      for (let q = seqStart[s + 1] - 1; q >= seqStart[s]; q--) {
        for (let t = txStart[q + 1] - 1; t >= txStart[q]; t--) {
          const y = txItems[t];
          if (freq[y] === 1 && seen[y] !== s) {
            seen[y] = s;
            li.push(y);
            lp.push(q);
          }
        }
      }
    }
    lastStart[db.n] = li.length;
    lastItem_ = Int32Array.from(li);
    lastPos = Int32Array.from(lp);
  }
  // with one item per transaction there are no I-extensions to count
  const itemsets: boolean = hasItemsets(db);
  // items that some frequent, larger item shares a transaction with: only a pattern ending in one
  // of them can have an I-extension (with {command, code} itemsets a pattern ending in a reply
  // code never has one, and its I-pass is skipped)
  const iExtendable = new Uint8Array(m);
  for (let t = 0; t < db.txStart.length - 1; t++) {
    let maxFreq = -1;
    for (let k = db.txStart[t + 1] - 1; k >= db.txStart[t]; k--) {
      const x = txItems[k];
      if (maxFreq > x) iExtendable[x] = 1;
      if (freq[x] === 1 && x > maxFreq) maxFreq = x;
    }
  }
  const stampS = new Int32Array(m);
  const stampI = new Int32Array(m);
  const cntS = new Int32Array(m);
  const cntI = new Int32Array(m);
  const touchedS = new Int32Array(m);
  const touchedI = new Int32Array(m);
  let visit = 0;

  const stats: EngineStats = { levels: [] };
  const levelStat = (k: number): { k: number; candidates: number; frequent: number } => {
    while (stats.levels.length < k) stats.levels.push({ k: stats.levels.length + 1, candidates: 0, frequent: 0 });
    return stats.levels[k - 1];
  };
  levelStat(1).candidates = m;
  let totalFrequent = 0;

  // the pattern on the DFS path
  const patItems: number[] = [];
  const patNew: boolean[] = [];
  // per-depth buffers: the state of the node at that depth
  const bufSids: Int32Array[] = [];
  const bufOff: Int32Array[] = [];
  const bufPos: Int32Array[] = [];

  const buildPattern = (): Pattern => {
    const p: Pattern = [];
    for (let i = 0; i < patItems.length; i++) {
      if (patNew[i]) p.push([patItems[i]]);
      else p[p.length - 1].push(patItems[i]);
    }
    return p;
  };

  const ensure = (d: number, nSids: number, nPos: number): void => {
    while (bufSids.length <= d) {
      bufSids.push(new Int32Array(0));
      bufOff.push(new Int32Array(1));
      bufPos.push(new Int32Array(0));
    }
    if (bufSids[d].length < nSids) {
      bufSids[d] = new Int32Array(Math.max(nSids, bufSids[d].length * 2));
      bufOff[d] = new Int32Array(bufSids[d].length + 1);
    }
    if (bufPos[d].length < nPos) {
      const nb = new Int32Array(Math.max(nPos, bufPos[d].length * 2));
      nb.set(bufPos[d]);
      bufPos[d] = nb;
    }
  };

  const visitNode = (sids: Int32Array, off: Int32Array, pos: Int32Array, len: number, support: number, depth: number): void => {
    totalFrequent++;
    levelStat(depth).frequent++;
    const lastItem = patItems[depth - 1];
    let nS = 0;
    let nI = 0;
    const sItems: number[] = [];
    const iItems: number[] = [];
    let hasEqual = false;
    if (depth < o.maxLength) {
      let lastElemStart = depth - 1;
      while (!patNew[lastElemStart]) lastElemStart--;
      if (taxonomy) {
        for (let i = lastElemStart; i < depth; i++) {
          const x = patItems[i];
          for (const a of db.ancestors[x]) blocked[a] = 1;
          for (const d of descendants[x]) blocked[d] = 1;
        }
      }
      for (let k = 0; k < len; k++) {
        const s = sids[k];
        const a = off[k];
        const b = off[k + 1];
        const end = seqStart[s + 1];
        const w = weight ? weight[s] : 1;
        if (++visit === 0x7fffffff) {
          stampS.fill(0);
          stampI.fill(0);
          visit = 1;
        }
        // S-extensions: items of transactions reachable from some end position
        if (maxGap === Infinity) {
          // reachable = occurs after the first end position p0 (and after the min-gap): walk the
          // sequence's items by descending last occurrence — each distinct item once, no stamps
          const p0 = pos[a];
          const je = lastStart[s + 1];
          let j = lastStart[s];
          if (hasMinGap) {
            const lim = T[p0] + minGap;
            for (; j < je; j++) {
              const q = lastPos[j];
              if (q <= p0 || T[q] <= lim) break;
              const y = lastItem_[j];
              if (cntS[y] === 0) touchedS[nS++] = y;
              cntS[y] += w;
            }
          } else {
            for (; j < je && lastPos[j] > p0; j++) {
              const y = lastItem_[j];
              if (cntS[y] === 0) touchedS[nS++] = y;
              cntS[y] += w;
            }
          }
        } else {
          let pa = a;
          for (let q = pos[a] + 1; q < end; q++) {
            const lo = T[q] - maxGap;
            while (pa < b && T[pos[pa]] < lo) pa++;
            if (pa === b) break;
            const p = pos[pa];
            if (p >= q) continue;
            if (hasMinGap && T[q] - T[p] <= minGap) continue;
            for (let t = txStart[q], te = txStart[q + 1]; t < te; t++) {
              const y = txItems[t];
              if (freq[y] === 1 && stampS[y] !== visit) {
                stampS[y] = visit;
                if (cntS[y] === 0) touchedS[nS++] = y;
              cntS[y] += w;
              }
            }
          }
        }
        // I-extensions: items after the last item in the transactions where the pattern ends
        const iFrom: number = itemsets && iExtendable[lastItem] === 1 ? a : b;
        for (let j = iFrom; j < b; j++) {
          const p = pos[j];
          for (let t = txStart[p + 1] - 1, ts = txStart[p]; t >= ts; t--) {
            const y = txItems[t];
            if (y <= lastItem) break;
            if (freq[y] === 1 && stampI[y] !== visit && blocked[y] === 0) {
              stampI[y] = visit;
              if (cntI[y] === 0) touchedI[nI++] = y;
              cntI[y] += w;
            }
          }
        }
      }
      if (taxonomy) blocked.fill(0);
      const ls = levelStat(depth + 1);
      ls.candidates += nS + nI;
      for (let i = 0; i < nS; i++) {
        const y = touchedS[i];
        if (cntS[y] >= minCount) {
          sItems.push(y);
          if (cntS[y] === support) hasEqual = true;
        }
        cntS[y] = 0;
      }
      for (let i = 0; i < nI; i++) {
        const y = touchedI[i];
        if (cntI[y] >= minCount) {
          iItems.push(y);
          if (cntI[y] === support) hasEqual = true;
        }
        cntI[y] = 0;
      }
      iItems.sort((x, y) => x - y);
      sItems.sort((x, y) => x - y);
    }
    sink.pattern(
      buildPattern,
      support,
      o.wantSids ? sids.slice(0, len) : null,
      sItems.length + iItems.length > 0,
      hasEqual,
    );
    if (o.progress && (totalFrequent & 1023) === 0) o.progress(depth, levelStat(depth + 1).candidates, totalFrequent);

    const d = depth; // child buffers live at index depth
    for (const y of sItems) {
      const ys = v.sids[y];
      const yo = v.off[y];
      const yp = v.pos[y];
      ensure(d, len, 0);
      let outS = bufSids[d];
      let outO = bufOff[d];
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
        ensure(d, len, np + (yb - ya));
        const outP = bufPos[d];
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
          // positions are sorted: everything from here on qualifies
          for (; t < yb; t++) outP[np++] = yp[t];
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
      patItems.push(y);
      patNew.push(true);
      visitNode(outS, outO, bufPos[d], n, sup, depth + 1);
      patItems.pop();
      patNew.pop();
      outS = bufSids[d];
      outO = bufOff[d];
    }
    for (const y of iItems) {
      const ys = v.sids[y];
      const yo = v.off[y];
      const yp = v.pos[y];
      ensure(d, len, off[len] - off[0]);
      const outS = bufSids[d];
      const outO = bufOff[d];
      const outP = bufPos[d];
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
      patItems.push(y);
      patNew.push(false);
      visitNode(outS, outO, outP, n, sup, depth + 1);
      patItems.pop();
      patNew.pop();
    }
  };

  for (const x of f1) {
    patItems.push(x);
    patNew.push(true);
    visitNode(v.sids[x], v.off[x], v.pos[x], v.sids[x].length, itemSupport[x], 1);
    patItems.pop();
    patNew.pop();
  }
  return stats;
}

function hasItemsets(db: SeqDb): boolean {
  for (let t = 0; t < db.txStart.length - 1; t++) if (db.txStart[t + 1] - db.txStart[t] > 1) return true;
  return false;
}
