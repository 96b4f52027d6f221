/**
 * Which transactions of a session a sequential pattern covers, under GSP's time constraints
 * (Srikant & Agrawal 1996, §2): an element may span transactions within `window`, consecutive
 * elements are separated by more than `minGap` and the span of two consecutive elements is at
 * most `maxGap`. Definitions in docs/ARCHITECTURE.md, section "ftp-match".
 *
 * Per element j, the candidate spans are, for every end transaction u, the LATEST start l such
 * that the union of the itemsets l..u contains the element and t[u] − t[l] ≤ window. A later
 * start dominates an earlier one for the same end (every constraint that involves l_j —
 * u_{j−1} < l_j, t[l_j] − t[u_{j−1}] > minGap, t[u_{j+1}] − t[l_j] ≤ maxGap — is only easier),
 * so these spans suffice to decide support. The spans of one element, in order of u, have
 * non-decreasing l, so the spans of element j−1 compatible with a span of element j form one
 * contiguous run: prefix sums answer "is any of them feasible" in O(log n).
 *
 * Forward pass: F[j][s] — elements 1..j embed with element j at span s. Backward pass:
 * B[j][s] — elements j..k embed with element j at span s. A span s of element j lies on a valid
 * embedding iff F[j][s] ∧ B[j][s]; the transactions it covers are those in l..u that hold at
 * least one item of element j. Cost O(k·n·log n) per pattern and session.
 */

export interface TimeConstraints {
  /** strict lower bound on t[l_j] − t[u_{j−1}]; −Infinity = none (elements just in order) */
  minGap: number;
  /** upper bound on t[u_j] − t[l_{j−1}]; Infinity = none */
  maxGap: number;
  /** an element may span transactions with t[u] − t[l] ≤ window; 0 = one transaction */
  window: number;
}

export const NO_CONSTRAINTS: TimeConstraints = Object.freeze({ minGap: -Infinity, maxGap: Infinity, window: 0 });

/** A session as the embedder sees it: itemsets of integer item ids (sorted), times non-decreasing. */
export interface EncodedSession {
  itemsets: Int32Array[];
  times: Float64Array;
}

/** A pattern: elements of sorted integer item ids. */
export type EncodedPattern = Int32Array[];

interface Spans {
  l: Int32Array;
  u: Int32Array;
  n: number;
}

function containsAll(set: Int32Array, el: Int32Array): boolean {
  // both sorted ascending
  let i = 0;
  for (let j = 0; j < el.length; j++) {
    const x = el[j]!;
    while (i < set.length && set[i]! < x) i++;
    if (i >= set.length || set[i] !== x) return false;
    i++;
  }
  return true;
}

function hasAny(set: Int32Array, el: Int32Array): boolean {
  let i = 0;
  let j = 0;
  while (i < set.length && j < el.length) {
    const a = set[i]!;
    const b = el[j]!;
    if (a === b) return true;
    if (a < b) i++;
    else j++;
  }
  return false;
}

/** Candidate spans of an element within one transaction: every transaction that contains it. */
function singleSpans(s: EncodedSession, el: Int32Array): Spans {
  const n = s.itemsets.length;
  const l = new Int32Array(n);
  const u = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (containsAll(s.itemsets[i]!, el)) {
      l[m] = i;
      u[m] = i;
      m++;
    }
  }
  return { l, u, n: m };
}

/** Window > 0, element of ≥ 2 items: walk back from each end until the union covers the element. */
function windowSpans(s: EncodedSession, el: Int32Array, window: number): Spans {
  const n = s.itemsets.length;
  const l = new Int32Array(n);
  const u = new Int32Array(n);
  let m = 0;
  const need = new Set<number>();
  for (let end = 0; end < n; end++) {
    if (!hasAny(s.itemsets[end]!, el)) continue; // the latest-start span must use its end transaction
    need.clear();
    for (const x of el) need.add(x);
    for (let start = end; start >= 0 && s.times[end]! - s.times[start]! <= window; start--) {
      for (const x of s.itemsets[start]!) need.delete(x);
      if (need.size === 0) {
        l[m] = start;
        u[m] = end;
        m++;
        break;
      }
    }
  }
  return { l, u, n: m };
}

function spansOf(s: EncodedSession, el: Int32Array, c: TimeConstraints): Spans {
  // an element of one item never needs more than one transaction
  return c.window > 0 && el.length > 1 ? windowSpans(s, el, c.window) : singleSpans(s, el);
}

/** First index i in [0, n) with arr[i] >= x (arr non-decreasing over the first n entries). */
function lowerBound(arr: ArrayLike<number>, n: number, x: number, key: (i: number) => number = (i) => arr[i]!): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(mid) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Coverage {
  /** the session supports the pattern */
  supported: boolean;
  /** transactions covered by some valid embedding (only when supported) */
  covered: Uint8Array | null;
}

/**
 * Whether the session supports the pattern and which transactions some valid embedding covers.
 * Spans of consecutive elements are compared by position AND time: prev.u < cur.l,
 * t[cur.l] − t[prev.u] > minGap, t[cur.u] − t[prev.l] ≤ maxGap.
 */
export function coverage(s: EncodedSession, p: EncodedPattern, c: TimeConstraints, wantCovered = true): Coverage {
  const k = p.length;
  const n = s.itemsets.length;
  if (k === 0 || n === 0) return { supported: false, covered: null };
  const spans: Spans[] = [];
  for (const el of p) {
    const sp = spansOf(s, el, c);
    if (sp.n === 0) return { supported: false, covered: null };
    spans.push(sp);
  }
  const t = s.times;
  // forward
  const F: Uint8Array[] = [];
  F.push(new Uint8Array(spans[0]!.n).fill(1));
  for (let j = 1; j < k; j++) {
    const prev = spans[j - 1]!;
    const cur = spans[j]!;
    const fPrev = F[j - 1]!;
    const pre = new Int32Array(prev.n + 1); // prefix sums of feasible previous spans
    for (let i = 0; i < prev.n; i++) pre[i + 1] = pre[i]! + fPrev[i]!;
    const f = new Uint8Array(cur.n);
    let any = false;
    for (let i = 0; i < cur.n; i++) {
      const cl = cur.l[i]!;
      const cu = cur.u[i]!;
      // previous spans with u < cl and t[u] < t[cl] − minGap: a prefix (u increasing, t non-decreasing)
      const hi = lowerBound(prev.u, prev.n, 0, (x) => (prev.u[x]! < cl && t[prev.u[x]!]! < t[cl]! - c.minGap ? -1 : 1));
      // previous spans with t[l] ≥ t[cu] − maxGap: a suffix (l non-decreasing)
      const lo = c.maxGap === Infinity ? 0 : lowerBound(prev.l, prev.n, t[cu]! - c.maxGap, (x) => t[prev.l[x]!]!);
      if (hi > lo && pre[hi]! - pre[lo]! > 0) {
        f[i] = 1;
        any = true;
      }
    }
    if (!any) return { supported: false, covered: null };
    F.push(f);
  }
  if (!wantCovered) return { supported: true, covered: null };
  // backward
  const B: Uint8Array[] = new Array(k);
  B[k - 1] = new Uint8Array(spans[k - 1]!.n).fill(1);
  for (let j = k - 2; j >= 0; j--) {
    const next = spans[j + 1]!;
    const cur = spans[j]!;
    const bNext = B[j + 1]!;
    const pre = new Int32Array(next.n + 1);
    for (let i = 0; i < next.n; i++) pre[i + 1] = pre[i]! + bNext[i]!;
    const b = new Uint8Array(cur.n);
    for (let i = 0; i < cur.n; i++) {
      const cl = cur.l[i]!;
      const cu = cur.u[i]!;
      // next spans with l > cu and t[l] > t[cu] + minGap: a suffix (l non-decreasing)
      const lo = lowerBound(next.l, next.n, 0, (x) => (next.l[x]! > cu && t[next.l[x]!]! > t[cu]! + c.minGap ? 1 : -1));
      // next spans with t[u] ≤ t[cl] + maxGap: a prefix
      const hi = c.maxGap === Infinity ? next.n : lowerBound(next.u, next.n, 0, (x) => (t[next.u[x]!]! <= t[cl]! + c.maxGap ? -1 : 1));
      if (hi > lo && pre[hi]! - pre[lo]! > 0) b[i] = 1;
    }
    B[j] = b;
  }
  const covered = new Uint8Array(n);
  for (let j = 0; j < k; j++) {
    const sp = spans[j]!;
    const el = p[j]!;
    for (let i = 0; i < sp.n; i++) {
      if (!F[j]![i] || !B[j]![i]) continue;
      for (let x = sp.l[i]!; x <= sp.u[i]!; x++) if (hasAny(s.itemsets[x]!, el)) covered[x] = 1;
    }
  }
  return { supported: true, covered };
}
