import type { SeqDb, VerticalIndex } from './db.js';

/**
 * The steps of GSP (Srikant & Agrawal, EDBT 1996) as pure functions over integer patterns, each
 * tested on its own (test/gsp-steps.test.ts). A pattern is a list of elements; an element is a
 * sorted list of distinct item ids. |pattern| counts ITEMS.
 */
export type Pattern = number[][];

export interface TimeConstraints {
  /** strict min-gap; null = off (elements only have to be in order) */
  readonly minGap: number | null;
  readonly maxGap: number;
  /** 0 = element inside one transaction */
  readonly window: number;
}

export const NO_CONSTRAINTS: TimeConstraints = Object.freeze({ minGap: null, maxGap: Infinity, window: 0 });

/** Two items that may not share an element (an item and its ancestor, taxonomies only). */
export type Related = (x: number, y: number) => boolean;
export const UNRELATED: Related = () => false;

export function relatedFromAncestors(ancestors: readonly Int32Array[]): Related {
  const has = (arr: Int32Array, v: number): boolean => {
    let lo = 0;
    let hi = arr.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid] === v) return true;
      if (arr[mid] < v) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  };
  if (ancestors.every((a) => a.length === 0)) return UNRELATED;
  return (x, y) => has(ancestors[x], y) || has(ancestors[y], x);
}

export const patternLength = (p: Pattern): number => p.reduce((n, e) => n + e.length, 0);
export const patternKey = (p: Pattern): string => p.map((e) => e.join(',')).join('|');

/** L1: the items held by at least minCount sequences (ascending ids). */
export function frequentItems(v: VerticalIndex, minCount: number, weight: Int32Array | null = null): number[] {
  const out: number[] = [];
  for (let x = 0; x < v.sids.length; x++) {
    const sx = v.sids[x];
    let sup = sx.length;
    if (weight) {
      sup = 0;
      for (let k = 0; k < sx.length; k++) sup += weight[sx[k]];
    }
    if (sup >= minCount) out.push(x);
  }
  return out;
}

/**
 * C2, the special case of the join: <{x}{y}> for every ordered pair (x = y included) and
 * <{x,y}> for x < y (not when one is an ancestor of the other). |C2| = n² + n(n-1)/2 without
 * a taxonomy. `parents` gets the two generating 1-sequences of each candidate.
 */
export function generateC2(l1: readonly number[], related: Related = UNRELATED): Pattern[] {
  const out: Pattern[] = [];
  for (const x of l1) for (const y of l1) out.push([[x], [y]]);
  for (let i = 0; i < l1.length; i++) {
    for (let j = i + 1; j < l1.length; j++) if (!related(l1[i], l1[j])) out.push([[l1[i], l1[j]]]);
  }
  return out;
}

/** s minus its first item (first item of the first element). */
export function dropFirst(s: Pattern): Pattern {
  const out = s.map((e) => e.slice());
  if (out[0].length === 1) out.shift();
  else out[0].shift();
  return out;
}

/** s minus its last item (last item of the last element). */
export function dropLast(s: Pattern): Pattern {
  const out = s.map((e) => e.slice());
  const last = out[out.length - 1];
  if (last.length === 1) out.pop();
  else last.pop();
  return out;
}

/**
 * The join for k >= 3: s1 joins s2 iff dropFirst(s1) == dropLast(s2); the candidate is s1 plus
 * the last item of s2 — as a new element when that item was alone in the last element of s2,
 * otherwise added to the last element of s1. Returns candidates with the indices of (s1, s2).
 */
export function join(lk: readonly Pattern[], related: Related = UNRELATED): { cand: Pattern; a: number; b: number }[] {
  const byDropLast = new Map<string, number[]>();
  lk.forEach((s, i) => {
    const key = patternKey(dropLast(s));
    const list = byDropLast.get(key);
    if (list) list.push(i);
    else byDropLast.set(key, [i]);
  });
  const out: { cand: Pattern; a: number; b: number }[] = [];
  lk.forEach((s1, a) => {
    for (const b of byDropLast.get(patternKey(dropFirst(s1))) ?? []) {
      const s2 = lk[b];
      const lastEl = s2[s2.length - 1];
      const y = lastEl[lastEl.length - 1];
      const cand = s1.map((e) => e.slice());
      if (lastEl.length === 1) {
        cand.push([y]);
      } else {
        const ce = cand[cand.length - 1];
        // items are sorted, so y is greater than every item of s1's last element; still refuse
        // an element holding an item together with its ancestor
        if (ce.some((x) => related(x, y))) continue;
        ce.push(y);
      }
      out.push({ cand, a, b });
    }
  });
  return out;
}

/**
 * The (k-1)-subsequences used by the prune: all of them (drop any one item), or only the
 * contiguous ones (drop an item from the first or last element, or from an element with >= 2
 * items) — the latter when a max-gap is set, where only contiguous subsequences are guaranteed
 * to be at least as frequent.
 */
export function subsequencesForPrune(s: Pattern, contiguousOnly: boolean): Pattern[] {
  const out: Pattern[] = [];
  for (let i = 0; i < s.length; i++) {
    const el = s[i];
    if (contiguousOnly && el.length === 1 && i !== 0 && i !== s.length - 1) continue;
    for (let j = 0; j < el.length; j++) {
      const sub = s.map((e) => e.slice());
      if (el.length === 1) sub.splice(i, 1);
      else sub[i].splice(j, 1);
      out.push(sub);
    }
  }
  return out;
}

/** Prune: keep a candidate only if each of its (contiguous) (k-1)-subsequences is frequent. */
export function prune<T extends { cand: Pattern }>(cands: readonly T[], lk: ReadonlySet<string>, contiguousOnly: boolean): T[] {
  return cands.filter((c) => subsequencesForPrune(c.cand, contiguousOnly).every((sub) => lk.has(patternKey(sub))));
}

/**
 * Containment of `p` in sequence `sid` under the time constraints, with the paper's
 * forward/backward search (§4.1.2): find elements forward, each after end(prev) + min-gap; when
 * end(s_i) - start(s_{i-1}) > max-gap, pull s_{i-1} (and if needed s_{i-2}, …) up to start at or
 * after end(s_i) - max-gap, then go forward again. Never a greedy-only match.
 * `scratchL`/`scratchU` must hold p.length entries.
 */
export function contains(
  db: SeqDb,
  v: VerticalIndex,
  sid: number,
  p: Pattern,
  c: TimeConstraints,
  scratchL: Int32Array = new Int32Array(p.length),
  scratchU: Int32Array = new Int32Array(p.length),
): boolean {
  const T = db.txTime;
  const n = p.length;
  const l = scratchL;
  const u = scratchU;
  const seqFirst = db.seqStart[sid];
  const minGap = c.minGap === null ? -Infinity : c.minGap;
  let i = 0;
  while (i < n) {
    const P = i === 0 ? seqFirst : u[i - 1] + 1;
    const X = i === 0 ? -Infinity : T[u[i - 1]] + minGap;
    if (!findElement(db, v, sid, p[i], P, X, -Infinity, c.window, l, u, i)) return false;
    if (i > 0 && T[u[i]] - T[l[i - 1]] > c.maxGap) {
      // backward phase
      let j = i - 1;
      let tEnd = T[u[i]];
      for (;;) {
        const Pj = j === 0 ? seqFirst : u[j - 1] + 1;
        const Xj = j === 0 ? -Infinity : T[u[j - 1]] + minGap;
        if (!findElement(db, v, sid, p[j], Pj, Xj, tEnd - c.maxGap, c.window, l, u, j)) return false;
        if (j === 0 || T[u[j]] - T[l[j - 1]] <= c.maxGap) break;
        tEnd = T[u[j]];
        j--;
      }
      i = j + 1;
      continue;
    }
    i++;
  }
  return true;
}

/**
 * First occurrence of element `el` in sequence `sid` with every transaction at position >= P,
 * time > X and time >= Y, spanning at most `window` (window 0: one transaction). Writes the
 * start/end positions to l[at]/u[at]. The match found has the earliest possible end.
 */
export function findElement(
  db: SeqDb,
  v: VerticalIndex,
  sid: number,
  el: readonly number[],
  P: number,
  X: number,
  Y: number,
  window: number,
  l: Int32Array,
  u: Int32Array,
  at: number,
): boolean {
  const T = db.txTime;
  if (window === 0) {
    let cand = P;
    for (;;) {
      let maxPos = -1;
      let allSame = true;
      for (let k = 0; k < el.length; k++) {
        const q = firstOcc(db, v, el[k], sid, cand, X, Y);
        if (q < 0) return false;
        if (k > 0 && q !== maxPos) allSame = false;
        if (q > maxPos) maxPos = q;
      }
      if (allSame) {
        l[at] = maxPos;
        u[at] = maxPos;
        return true;
      }
      cand = maxPos;
    }
  }
  let Xw = X;
  let Yw = Y;
  for (;;) {
    let minPos = Infinity;
    let maxPos = -1;
    for (let k = 0; k < el.length; k++) {
      const q = firstOcc(db, v, el[k], sid, P, Xw, Yw);
      if (q < 0) return false;
      if (q < minPos) minPos = q;
      if (q > maxPos) maxPos = q;
    }
    if (T[maxPos] - T[minPos] <= window) {
      l[at] = minPos;
      u[at] = maxPos;
      return true;
    }
    // every match ends at or after T[maxPos], so it starts at or after T[maxPos] - window, which is
    // later than T[minPos]. Yw alone can stall: T[maxPos] - window may round down to T[minPos] when
    // times are large (beyond 2^53) or Infinity; "later than T[minPos]" always moves forward
    Yw = T[maxPos] - window;
    Xw = T[minPos];
  }
}

/** Global position of the first occurrence of item x in sid at position >= P, time > X, time >= Y; -1 if none. */
export function firstOcc(db: SeqDb, v: VerticalIndex, x: number, sid: number, P: number, X: number, Y: number): number {
  const sids = v.sids[x];
  let lo = 0;
  let hi = sids.length - 1;
  let j = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = sids[mid];
    if (s === sid) {
      j = mid;
      break;
    }
    if (s < sid) lo = mid + 1;
    else hi = mid - 1;
  }
  if (j < 0) return -1;
  const pos = v.pos[x];
  const T = db.txTime;
  let a = v.off[x][j];
  let b = v.off[x][j + 1];
  // predicate is monotone along the sorted positions (times never decrease inside a sequence)
  while (a < b) {
    const mid = (a + b) >> 1;
    const q = pos[mid];
    if (q >= P && T[q] > X && T[q] >= Y) b = mid;
    else a = mid + 1;
  }
  return a < v.off[x][j + 1] ? pos[a] : -1;
}
