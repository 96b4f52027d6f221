import { FtpIdsError } from '../common/errors.js';
import { minSupportCount, type GspConfig } from './config.js';
import { buildVertical, dropInfrequent, mergeIdentical, type SeqDb } from './db.js';
import { PatternFilter, type FoundPattern } from './filter.js';
import { mineLevelwise } from './levelwise.js';
import type { EngineOptions, EngineStats, PatternSink } from './mine-types.js';
import type { TimeConstraints } from './steps.js';
import { mineVertical } from './vertical.js';

export interface MineResult {
  readonly sequences: number;
  readonly minSupportCount: number;
  readonly engine: 'vertical' | 'levelwise';
  readonly stats: EngineStats;
  /** patterns handed out */
  readonly patterns: number;
  /** frequent patterns visited (= patterns for output all; maximal/closed without constraints skip non-closed subtrees) */
  readonly frequent: number;
  /** most candidates the maximal/closed filter held at once */
  readonly filterPeak: number;
}

export type MineConfig = Pick<GspConfig, 'minSupport' | 'minGap' | 'maxGap' | 'window' | 'maxLength' | 'output' | 'sids' | 'algorithm'> &
  Partial<Pick<GspConfig, 'maxCandidates'>>;

/**
 * Mine one database: every frequent pattern (output all, streamed as found) or only the maximal
 * or closed ones (handed out at the end; memory = the current candidates, see filter.ts).
 */
export function minePatterns(
  db: SeqDb,
  cfg: MineConfig,
  onPattern: (fp: FoundPattern) => void,
  progress?: (level: number, candidates: number, frequent: number) => void,
): MineResult {
  const minCount = minSupportCount(cfg.minSupport, db.n);
  const constraints: TimeConstraints = { minGap: cfg.minGap, maxGap: cfg.maxGap, window: cfg.window };
  let engine: 'vertical' | 'levelwise' = cfg.algorithm === 'levelwise' || cfg.window > 0 ? 'levelwise' : 'vertical';
  if (cfg.algorithm === 'vertical' && cfg.window > 0) {
    throw new FtpIdsError('INVALID_OPTION', 'option algorithm: the vertical engine needs window 0 (use auto or levelwise)');
  }
  if (cfg.algorithm === 'vertical') engine = 'vertical';
  let cdb = dropInfrequent(db, minCount);
  const merged = mergeIdentical(cdb);
  if (merged) cdb = merged.db;
  const v = buildVertical(cdb);
  // BackScan pruning (vertical.ts) is proven only for plain subsequence containment: no min-gap,
  // no max-gap, one transaction per element, no taxonomy, and no max-length. Why not with
  // max-length L: BackScan skips a node P together with its whole subtree because every pattern X
  // there has a super-pattern X' (one item inserted) with the same supporters. Under a limit, X' only
  // counts when |X'| = |X| + 1 <= L, so every X of the subtree with |X| = L may be maximal (and
  // closed) within the limit although BackScan would skip it. Counterexample: the database
  // {<(a)(b)>}, min-support 1, L = 1: BackScan skips <(b)> (a lies before b in every supporter), yet
  // <(b)> is maximal among the patterns of length <= 1 ({<(a)>, <(b)>}). Since every subtree
  // reaches length L wherever it is deep enough, the pruning holds for no node in general; what
  // stays true (P itself is not maximal when |P| < L) saves no search. So it is off with max-length.
  const pruneNonClosed =
    cfg.output !== 'all' &&
    cfg.minGap === null &&
    cfg.maxGap === Infinity &&
    cfg.window === 0 &&
    cfg.maxLength === Infinity &&
    !db.ancestors.some((a) => a.length > 0);
  const eo: EngineOptions = {
    minCount,
    constraints,
    maxLength: cfg.maxLength,
    wantSids: cfg.sids,
    progress,
    weight: merged?.weight ?? null,
    pruneNonClosed,
  };
  // sequence indices of the merged database back to the caller's
  const expand = (sids: Int32Array | null): Int32Array | null => {
    if (!sids || !merged) return sids;
    const out: number[] = [];
    for (const g of sids) for (let k = merged.memberStart[g]; k < merged.memberStart[g + 1]; k++) out.push(merged.members[k]);
    return Int32Array.from(out).sort();
  };
  let frequent = 0;
  let patterns = 0;
  let filterPeak = 0;
  let sink: PatternSink;
  let filter: PatternFilter | null = null;
  if (cfg.output === 'all') {
    sink = {
      pattern(p, support, sids) {
        frequent++;
        patterns++;
        onPattern({ pattern: p(), support, sids: expand(sids) });
      },
    };
  } else {
    const f = new PatternFilter(cfg.output, db.ancestors);
    filter = f;
    const bound = cfg.maxCandidates ?? 1_000_000;
    sink = {
      pattern(p, support, sids, hasFreqExt, hasEqExt) {
        frequent++;
        if (cfg.output === 'maximal' ? hasFreqExt : hasEqExt) return; // cannot be maximal / closed
        f.offer(p(), support, sids && expand(sids), hasFreqExt, hasEqExt);
        if (f.size > filterPeak) {
          filterPeak = f.size;
          if (filterPeak > bound) {
            throw new FtpIdsError(
              'BOUND_MAX_CANDIDATES',
              `more than ${bound} ${cfg.output} pattern candidates held at once (option maxCandidates / --max-candidates); raise min-support or the bound`,
            );
          }
        }
      },
    };
  }
  const stats = engine === 'vertical' ? mineVertical(cdb, v, eo, sink) : mineLevelwise(cdb, v, eo, sink);
  if (filter) {
    for (const fp of filter.results()) {
      patterns++;
      onPattern(fp);
    }
  }
  return { sequences: db.n, minSupportCount: minCount, engine, stats, patterns, frequent, filterPeak };
}
