import type { SeqDb, VerticalIndex } from './db.js';
import type { EngineOptions, EngineStats, PatternSink } from './mine-types.js';
import {
  contains,
  frequentItems,
  generateC2,
  join,
  patternKey,
  prune,
  relatedFromAncestors,
  type Pattern,
} from './steps.js';

/**
 * The level-wise GSP loop of the paper: L1, C2, then join + prune + one counting pass per level.
 * Counting: a candidate is only tested (forward/backward `contains`) against the sequences that
 * hold BOTH sequences it was joined from (the intersection of their sequence-id lists; both are
 * contiguous subsequences, so every supporter of the candidate is in it). This replaces the
 * paper's hash tree; see docs/ARCHITECTURE.md "ftp-gsp" for the measurements. Used for
 * window > 0 and as the reference engine (`--algorithm levelwise`).
 */
export function mineLevelwise(db: SeqDb, v: VerticalIndex, o: EngineOptions, sink: PatternSink): EngineStats {
  const related = relatedFromAncestors(db.ancestors);
  const stats: EngineStats = { levels: [] };
  const w = o.weight;
  const support = (sids: Int32Array): number => {
    if (!w) return sids.length;
    let s = 0;
    for (let i = 0; i < sids.length; i++) s += w[sids[i]];
    return s;
  };
  const l1 = frequentItems(v, o.minCount, w);
  let level: { p: Pattern; sids: Int32Array }[] = l1.map((x) => ({ p: [[x]], sids: v.sids[x] }));
  stats.levels.push({ k: 1, candidates: v.sids.length, frequent: level.length });
  for (const f of level) sink.pattern(() => f.p, support(f.sids), o.wantSids ? f.sids : null, false, false);
  let total = level.length;
  const scratchL = new Int32Array(64);
  const scratchU = new Int32Array(64);
  let sl = scratchL;
  let su = scratchU;
  for (let k = 2; level.length > 0 && k <= o.maxLength; k++) {
    let cands: { cand: Pattern; a: number; b: number }[];
    if (k === 2) {
      const idx = new Map<number, number>();
      l1.forEach((x, i) => idx.set(x, i));
      cands = generateC2(l1, related).map((cand) => {
        const items = cand.flat();
        return { cand, a: idx.get(items[0])!, b: idx.get(items[1])! };
      });
    } else {
      const lk = level.map((f) => f.p);
      const keys = new Set(lk.map(patternKey));
      cands = prune(join(lk, related), keys, o.constraints.maxGap !== Infinity);
    }
    o.progress?.(k, cands.length, total);
    const next: { p: Pattern; sids: Int32Array }[] = [];
    const found = new Int32Array(db.n);
    const deadline = o.deadline ?? Infinity;
    let counted = 0;
    for (const { cand, a, b } of cands) {
      if ((counted++ & 63) === 0 && Date.now() >= deadline) {
        stats.incomplete = true; // the frequent ones among the candidates counted so far still go out
        break;
      }
      if (cand.length > sl.length) {
        sl = new Int32Array(cand.length * 2);
        su = new Int32Array(cand.length * 2);
      }
      const A = level[a].sids;
      const B = level[b].sids;
      if (!w && Math.min(A.length, B.length) < o.minCount) continue;
      let n = 0;
      let i = 0;
      let j = 0;
      while (i < A.length && j < B.length) {
        if (A[i] < B[j]) i++;
        else if (A[i] > B[j]) j++;
        else {
          if (contains(db, v, A[i], cand, o.constraints, sl, su)) found[n++] = A[i];
          i++;
          j++;
        }
      }
      const f = found.slice(0, n);
      if (support(f) >= o.minCount) next.push({ p: cand, sids: f });
    }
    stats.levels.push({ k, candidates: cands.length, frequent: next.length });
    for (const f of next) sink.pattern(() => f.p, support(f.sids), o.wantSids ? f.sids : null, false, false);
    total += next.length;
    o.progress?.(k, cands.length, total);
    level = next;
    if (stats.incomplete) break;
  }
  return stats;
}
