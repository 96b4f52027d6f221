/**
 * A brute-force sequential pattern miner written from the definitions alone (Srikant & Agrawal
 * 1996, §2 and the constraint definition of gsp-notes.md), for the property tests. Nothing here
 * is shared with src/gsp: it enumerates every sequence up to a length over the alphabet and tests
 * containment by full backtracking over l_i <= u_i < l_{i+1}.
 */
export interface OracleSeq {
  itemsets: number[][];
  times: number[];
}
export interface OracleConstraints {
  minGap: number | null;
  maxGap: number;
  window: number;
}
export type OPattern = number[][];

export const okey = (p: OPattern): string => p.map((e) => [...e].sort((a, b) => a - b).join(',')).join('|');

/** all ancestors of x by the parent map (transitive) */
export function oracleAncestors(parents: Map<number, number[]>, x: number): Set<number> {
  const out = new Set<number>();
  const stack = [...(parents.get(x) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    if (!out.has(p)) {
      out.add(p);
      stack.push(...(parents.get(p) ?? []));
    }
  }
  return out;
}

/** does data sequence d contain pattern p (definition, full backtracking)? */
export function oracleContains(d: OracleSeq, p: OPattern, c: OracleConstraints): boolean {
  const m = d.itemsets.length;
  const t = d.times;
  const rec = (i: number, prevL: number, prevU: number): boolean => {
    if (i === p.length) return true;
    for (let l = prevU + 1; l < m; l++) {
      if (i > 0 && c.minGap !== null && !(t[l] - t[prevU] > c.minGap)) continue;
      for (let u = l; u < m; u++) {
        if (c.window === 0 ? u !== l : t[u] - t[l] > c.window) break;
        if (i > 0 && t[u] - t[prevL] > c.maxGap) break;
        const union = new Set<number>();
        for (let k = l; k <= u; k++) for (const x of d.itemsets[k]) union.add(x);
        if (p[i].every((x) => union.has(x)) && rec(i + 1, l, u)) return true;
      }
    }
    return false;
  };
  return rec(0, -1, -1);
}

/**
 * Every pattern of 1..maxLen items over `alphabet` (elements: non-empty sets, no item together
 * with its ancestor) with support >= minCount, by exhaustive enumeration.
 */
export function oracleMine(
  db: OracleSeq[],
  alphabet: number[],
  minCount: number,
  maxLen: number,
  c: OracleConstraints,
  parents: Map<number, number[]> = new Map(),
): Map<string, { pattern: OPattern; support: number }> {
  const anc = new Map(alphabet.map((x) => [x, oracleAncestors(parents, x)]));
  const ext: OracleSeq[] = db.map((d) => ({
    times: d.times,
    itemsets: d.itemsets.map((is) => {
      const s = new Set<number>();
      for (const x of is) {
        s.add(x);
        for (const a of anc.get(x) ?? oracleAncestors(parents, x)) s.add(a);
      }
      return [...s];
    }),
  }));
  // all allowed elements (non-empty subsets of the alphabet up to maxLen items)
  const elements: number[][] = [];
  const sorted = [...alphabet].sort((a, b) => a - b);
  const sub = (start: number, cur: number[]): void => {
    if (cur.length > 0) elements.push(cur.slice());
    if (cur.length === maxLen) return;
    for (let i = start; i < sorted.length; i++) {
      const x = sorted[i];
      if (cur.some((y) => anc.get(y)!.has(x) || anc.get(x)!.has(y))) continue;
      cur.push(x);
      sub(i + 1, cur);
      cur.pop();
    }
  };
  sub(0, []);
  const out = new Map<string, { pattern: OPattern; support: number }>();
  // relaxed containment (no gaps, any window) is monotone: if p is not even contained that way in
  // minCount sequences, neither p nor any pattern extending it is frequent — a cut that follows
  // from the definition, not from GSP
  const relaxed: OracleConstraints = { minGap: null, maxGap: Infinity, window: Infinity };
  const grow = (p: OPattern, len: number): void => {
    if (p.length > 0) {
      let loose = 0;
      for (const d of ext) if (oracleContains(d, p, relaxed)) loose++;
      if (loose < minCount) return;
      let support = 0;
      for (const d of ext) if (oracleContains(d, p, c)) support++;
      if (support >= minCount) out.set(okey(p), { pattern: p.map((e) => e.slice()), support });
      // no pruning by support here: with max-gap a super-sequence can be more frequent than
      // a non-contiguous subsequence, and the oracle must not rely on any GSP property
    }
    for (const e of elements) {
      if (len + e.length > maxLen) continue;
      p.push(e);
      grow(p, len + e.length);
      p.pop();
    }
  };
  grow([], 0);
  return out;
}

/** a ⊑ b by definition (items of a equal to or ancestors of items of b), full backtracking */
const ancCache = new WeakMap<Map<number, number[]>, Map<number, Set<number>>>();
export function oracleSub(a: OPattern, b: OPattern, parents: Map<number, number[]>): boolean {
  let cache = ancCache.get(parents);
  if (!cache) ancCache.set(parents, (cache = new Map()));
  const ancs = (y: number): Set<number> => {
    let s = cache!.get(y);
    if (!s) cache!.set(y, (s = oracleAncestors(parents, y)));
    return s;
  };
  const covers = (ea: number[], eb: number[]): boolean => ea.every((x) => eb.some((y) => y === x || ancs(y).has(x)));
  const rec = (i: number, j: number): boolean => {
    if (i === a.length) return true;
    for (let k = j; k < b.length; k++) if (covers(a[i], b[k]) && rec(i + 1, k + 1)) return true;
    return false;
  };
  return rec(0, 0);
}

export function oracleFilter(
  all: Map<string, { pattern: OPattern; support: number }>,
  kind: 'maximal' | 'closed',
  parents: Map<number, number[]> = new Map(),
): Map<string, { pattern: OPattern; support: number }> {
  const list = [...all.entries()];
  const out = new Map<string, { pattern: OPattern; support: number }>();
  const size = (p: OPattern): number => p.reduce((n, e) => n + e.length, 0);
  const generalising = parents.size > 0;
  for (const [k, a] of list) {
    const na = size(a.pattern);
    const covered = list.some(
      ([k2, b]) =>
        k2 !== k &&
        (kind === 'maximal' || b.support === a.support) &&
        // without a taxonomy a proper super-pattern has more items (a cheap, exact cut)
        (generalising || size(b.pattern) > na) &&
        oracleSub(a.pattern, b.pattern, parents),
    );
    if (!covered) out.set(k, a);
  }
  return out;
}

/**
 * `count` frequent filler items (numbers from 1000, so they sort after small test items), in
 * count + minCount - 1 extra one-transaction sequences: filler k stands in exactly minCount of
 * them and no two fillers share minCount. With the case's own sequences they make more than 64
 * occurring items (the miners' 64-bit item sets give way to item lists) while adding to the
 * frequent patterns only the singletons <{k}>, each with support minCount, maximal and closed.
 */
export function frequentFillers(count: number, minCount: number): { itemsets: string[][]; patterns: Map<string, number> } {
  const itemsets: string[][] = [];
  for (let j = 0; j < count + minCount - 1; j++) {
    const t: string[] = [];
    for (let k = Math.max(0, j - minCount + 1); k <= Math.min(j, count - 1); k++) t.push(String(1000 + k));
    itemsets.push(t);
  }
  return { itemsets, patterns: new Map(Array.from({ length: count }, (_, k) => [String(1000 + k), minCount])) };
}
