import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { coverage, type EncodedSession, type TimeConstraints } from '../src/match/embed.js';

/**
 * Oracle written from GSP's definitions alone (Srikant & Agrawal 1996, §2): enumerate every
 * assignment of spans (l_j, u_j) to the elements and keep the valid ones.
 */
function oracle(itemsets: number[][], times: number[], pattern: number[][], c: TimeConstraints) {
  const n = itemsets.length;
  const k = pattern.length;
  const unionHas = (l: number, u: number, el: number[]) => el.every((x) => itemsets.slice(l, u + 1).some((t) => t.includes(x)));
  // window 0 = one transaction (even when two transactions share a timestamp)
  const spanOk = (l: number, u: number, el: number[]) =>
    l <= u && (c.window > 0 || l === u) && times[u]! - times[l]! <= c.window && unionHas(l, u, el);
  // canonical span: the end holds an item of the element and no later start works for that end
  const canonical = (l: number, u: number, el: number[]) => {
    if (c.window <= 0 || el.length === 1) return l === u;
    if (!el.some((x) => itemsets[u]!.includes(x))) return false;
    for (let l2 = l + 1; l2 <= u; l2++) if (spanOk(l2, u, el)) return false;
    return true;
  };
  let supported = false;
  const covered = new Array(n).fill(false);
  const rec = (j: number, spans: [number, number][]) => {
    if (j === k) {
      supported = true;
      if (spans.every(([l, u], i) => canonical(l, u, pattern[i]!))) {
        spans.forEach(([l, u], i) => {
          for (let x = l; x <= u; x++) if (pattern[i]!.some((it) => itemsets[x]!.includes(it))) covered[x] = true;
        });
      }
      return;
    }
    for (let l = 0; l < n; l++)
      for (let u = l; u < n; u++) {
        if (!spanOk(l, u, pattern[j]!)) continue;
        if (j > 0) {
          const [pl, pu] = spans[j - 1]!;
          if (!(pu < l)) continue;
          if (!(times[l]! - times[pu]! > c.minGap)) continue;
          if (!(times[u]! - times[pl]! <= c.maxGap)) continue;
        }
        rec(j + 1, [...spans, [l, u]]);
      }
  };
  rec(0, []);
  return { supported, covered };
}

const enc = (itemsets: number[][], times: number[]): EncodedSession => ({
  itemsets: itemsets.map((t) => Int32Array.from(new Set(t)).sort()),
  times: Float64Array.from(times),
});

describe('coverage (pattern embedding under time constraints)', () => {
  it('hand example: <{1}{2}> in [1][3][2][2] covers 0, 2 and 3 without constraints, only 0 and 2 with max-gap 2', () => {
    const s = enc([[1], [3], [2], [2]], [0, 1, 2, 3]);
    const p = [Int32Array.of(1), Int32Array.of(2)];
    expect([...coverage(s, p, { minGap: 0, maxGap: Infinity, window: 0 }).covered!]).toEqual([1, 0, 1, 1]);
    expect([...coverage(s, p, { minGap: 0, maxGap: 2, window: 0 }).covered!]).toEqual([1, 0, 1, 0]);
    // min-gap 2: only the transaction at t=3 is far enough from t=0
    expect([...coverage(s, p, { minGap: 2, maxGap: Infinity, window: 0 }).covered!]).toEqual([1, 0, 0, 1]);
    expect(coverage(s, p, { minGap: 3, maxGap: Infinity, window: 0 }).supported).toBe(false);
  });
  it('hand example: a window lets {1,2} span transactions 0..1', () => {
    const s = enc([[1], [2], [3]], [0, 1, 5]);
    const p = [Int32Array.of(1, 2), Int32Array.of(3)];
    expect(coverage(s, p, { minGap: 0, maxGap: Infinity, window: 0 }).supported).toBe(false);
    expect([...coverage(s, p, { minGap: 0, maxGap: Infinity, window: 1 }).covered!]).toEqual([1, 1, 1]);
    expect(coverage(s, p, { minGap: 0, maxGap: 4, window: 1 }).supported).toBe(false); // 5 − 0 > 4
  });
  it('equals the brute-force oracle on random sessions, patterns and constraints', () => {
    const item = fc.integer({ min: 0, max: 3 });
    const itemset = fc.uniqueArray(item, { minLength: 0, maxLength: 3 });
    fc.assert(
      fc.property(
        fc.array(itemset, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.uniqueArray(item, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }),
        fc.record({
          minGap: fc.constantFrom(-Infinity, 0, 1, 2),
          maxGap: fc.constantFrom(Infinity, 1, 2, 4),
          window: fc.constantFrom(0, 1, 2),
        }),
        (itemsets, steps, pattern, c) => {
          const times: number[] = [];
          let t = 0;
          for (let i = 0; i < itemsets.length; i++) times.push((t += steps[i]!)); // non-decreasing, with ties
          const o = oracle(itemsets, times, pattern, c);
          const got = coverage(enc(itemsets, times), pattern.map((e) => Int32Array.from(e).sort()), c);
          expect(got.supported).toBe(o.supported);
          if (o.supported) expect([...got.covered!].map(Boolean)).toEqual(o.covered);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
