import { FtpIdsError } from '../common/errors.js';
import { minSupportCount, type GspConfig } from './config.js';
import { buildVertical, dropInfrequent, mergeIdentical, type SeqDb } from './db.js';
import { comparePreorder, FilterSink, type FoundPattern } from './filter.js';
import { mineLevelwise } from './levelwise.js';
import type { EngineOptions, EngineStats, PatternSink } from './mine-types.js';
import type { TimeConstraints } from './steps.js';
import { mineInWorkers } from './parallel.js';
import { mineVertical, type SearchControl, type TaskPath } from './vertical.js';
import { mineWindowed } from './window.js';

export interface MineResult {
  readonly sequences: number;
  readonly minSupportCount: number;
  readonly engine: 'vertical' | 'levelwise';
  readonly stats: EngineStats;
  /** patterns handed out */
  readonly patterns: number;
  /** frequent patterns visited (= patterns for output all; maximal/closed without constraints skip non-closed subtrees) */
  readonly frequent: number;
  /** most candidates the maximal/closed filter held at once (per thread) */
  readonly filterPeak: number;
  /** stopped by the time budget: the patterns are those found so far (maximal/closed among them) */
  readonly incomplete: boolean;
  /** threads the search ran on (1 when it ended before parallelAfterMs) */
  readonly threads: number;
}

/** How a run uses the machine; not mining parameters, so the model does not record them. */
export interface MineRunOptions {
  /** mining threads (maximal/closed with the depth-first engine); default 1 */
  readonly threads?: number;
  /** stop after this many ms and hand out what was found, marked incomplete */
  readonly timeBudgetMs?: number;
  /** with threads > 1: mine on the calling thread for this long before starting workers (default PARALLEL_AFTER_MS) */
  readonly parallelAfterMs?: number;
  /** tests: start the workers at the n-th node visited instead (a deterministic split point) */
  readonly parallelAfterNodes?: number;
}

/**
 * A run still searching after this long starts the worker threads. Starting them costs about 40 ms
 * of CPU each (a V8 isolate, the miner's modules, the copy of the id-lists into shared memory), so
 * runs shorter than this stay on one thread.
 */
export const PARALLEL_AFTER_MS = 200;

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
  run: MineRunOptions = {},
): MineResult {
  const minCount = minSupportCount(cfg.minSupport, db.n);
  const constraints: TimeConstraints = { minGap: cfg.minGap, maxGap: cfg.maxGap, window: cfg.window };
  // a window with min-gap or max-gap stays with the level-wise engine (the depth-first window
  // engine, window.ts, keeps one earliest prefix end per sequence, which only order constraints allow)
  const gaps = cfg.minGap !== null || cfg.maxGap !== Infinity;
  let engine: 'vertical' | 'levelwise' = cfg.algorithm === 'levelwise' || (cfg.window > 0 && gaps) ? 'levelwise' : 'vertical';
  if (cfg.algorithm === 'vertical' && cfg.window > 0 && gaps) {
    throw new FtpIdsError('INVALID_OPTION', 'option algorithm: the vertical engine takes a window only without min-gap and max-gap (use auto or levelwise)');
  }
  if (cfg.algorithm === 'vertical') engine = 'vertical';
  const windowed = engine === 'vertical' && cfg.window > 0;
  let cdb = dropInfrequent(db, minCount);
  const merged = mergeIdentical(cdb);
  if (merged) cdb = merged.db;
  const v = buildVertical(cdb);
  // BackScan pruning (vertical.ts) is proven for plain subsequence containment: no min-gap, no
  // max-gap, one transaction per element and no max-length; a taxonomy keeps the proof (the
  // inserted item is never an ancestor or descendant of its element's items: notInsertable).
  // Why not with min-gap: inserting an element {e} between two elements splits their gap, which
  // min-gap can forbid — {<(a)(b)(c)>} at times 0,1,2 with min-gap 1: b lies between a and c in
  // the only supporter, yet <(a)(b)(c)> is not supported and <(a)(c)> is maximal. Why not with
  // max-gap: the insertion is placed by the latest embedding of the prefix, which may lie too far
  // from the suffix's — {<(e)(b)(b)(c)>} at seconds 0,1,10,11, max-gap 1: e lies before the first
  // b in the only supporter of <(b)>, yet <(e)(b)(c)> is not supported and <(b)(c)> is maximal
  // (both counterexamples are tests, test/gsp-backscan.test.ts). Why not with
  // max-length L: BackScan skips a node P together with its whole subtree because every pattern X
  // there has a super-pattern X' (one item inserted) with the same supporters. Under a limit, X' only
  // counts when |X'| = |X| + 1 <= L, so every X of the subtree with |X| = L may be maximal (and
  // closed) within the limit although BackScan would skip it. Counterexample: the database
  // {<(a)(b)>}, min-support 1, L = 1: BackScan skips <(b)> (a lies before b in every supporter), yet
  // <(b)> is maximal among the patterns of length <= 1 ({<(a)>, <(b)>}). Since every subtree
  // reaches length L wherever it is deep enough, the pruning holds for no node in general; what
  // stays true (P itself is not maximal when |P| < L) saves no search. So it is off with max-length.
  // A window keeps the proof when the insertion is placed by intervals (window.ts, backScanPrunable);
  // the level-wise engine has no pruning.
  const pruneNonClosed = cfg.output !== 'all' && !gaps && cfg.maxLength === Infinity && (cfg.window === 0 || windowed);
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
  const deadline = run.timeBudgetMs !== undefined ? Date.now() + run.timeBudgetMs : Infinity;
  let frequent = 0;
  let patterns = 0;
  let filterPeak = 0;
  let incomplete = false;
  let stats: EngineStats;
  let threadsUsed = 1;
  if (cfg.output === 'all') {
    // streamed in the order found, so one thread (threads would have to buffer every pattern)
    const sink: PatternSink = {
      pattern(p, support, sids) {
        frequent++;
        patterns++;
        onPattern({ pattern: p(), support, sids: expand(sids) });
      },
    };
    const control = deadline < Infinity ? { deadline } : undefined;
    if (windowed) {
      const miner = mineWindowed(cdb, v, eo, sink, control);
      stats = miner.stats;
      incomplete = miner.stopped;
    } else if (engine === 'vertical') {
      const miner = mineVertical(cdb, v, eo, sink, control);
      stats = miner.stats;
      incomplete = miner.stopped;
    } else {
      stats = mineLevelwise(cdb, v, { ...eo, deadline }, sink);
      incomplete = stats.incomplete === true;
    }
  } else {
    const kind = cfg.output;
    const bound = cfg.maxCandidates ?? 1_000_000;
    const threads = Math.max(1, Math.floor(run.threads ?? 1));
    // sequence indices stay those of the merged database until the answers are known
    const fsink = new FilterSink(kind, db.ancestors, bound);
    let found: FoundPattern[];
    if (windowed) {
      // one thread: the window engine has no hand-off (TaskPath states are vertical.ts's)
      const miner = mineWindowed(cdb, v, eo, fsink, deadline < Infinity ? { deadline } : undefined);
      stats = miner.stats;
      incomplete = miner.stopped;
      found = [...fsink.filter.results()];
      frequent = fsink.frequent;
      filterPeak = fsink.peak;
    } else if (engine === 'vertical') {
      // start on this thread; a search still running after parallelAfterMs hands every open
      // subtree to the workers (small runs never pay for starting threads)
      const handOff: TaskPath[] = [];
      const parallel = threads > 1 && cdb.n > 0;
      const control: SearchControl | undefined =
        parallel || deadline < Infinity
          ? {
              deadline,
              handOffAt: parallel && run.parallelAfterNodes === undefined ? Date.now() + (run.parallelAfterMs ?? PARALLEL_AFTER_MS) : undefined,
              handOffAfterNodes: parallel ? run.parallelAfterNodes : undefined,
              donate: (paths) => {
                for (const p of paths) handOff.push(p);
              },
            }
          : undefined;
      const miner = mineVertical(cdb, v, eo, fsink, control);
      stats = miner.stats;
      incomplete = miner.stopped;
      found = [...fsink.filter.results()];
      frequent = fsink.frequent;
      filterPeak = fsink.peak;
      if (miner.handedOff && handOff.length > 0) {
        threadsUsed = threads;
        const par = mineInWorkers({
          db: cdb,
          v,
          o: eo,
          kind,
          bound,
          threads,
          deadline,
          tasks: handOff,
          progress: progress ? (visited, depth) => progress(depth, 0, frequent + visited) : undefined,
        });
        frequent += par.frequent;
        filterPeak = Math.max(filterPeak, par.peak);
        incomplete ||= par.incomplete;
        par.levels.forEach((l, k) => {
          const s = miner.levelStat(k + 1);
          if (k > 0) s.candidates += l.candidates; // level 1: every worker counted the items, as this thread did
          s.frequent += l.frequent;
        });
        // the workers' survivors and this thread's, through one more filter (exact: see parallel.ts)
        const merged = new FilterSink(kind, db.ancestors, bound);
        for (const f of found) merged.offer(f.pattern, f.support, f.sids);
        for (const f of par.found) merged.offer(f.pattern, f.support, f.sids);
        found = [...merged.filter.results()];
      }
    } else {
      stats = mineLevelwise(cdb, v, { ...eo, deadline }, fsink);
      incomplete = stats.incomplete === true;
      found = [...fsink.filter.results()];
      frequent = fsink.frequent;
      filterPeak = fsink.peak;
    }
    found.sort((a, b) => comparePreorder(a.pattern, b.pattern));
    for (const fp of found) {
      patterns++;
      onPattern({ pattern: fp.pattern, support: fp.support, sids: expand(fp.sids) });
    }
  }
  return { sequences: db.n, minSupportCount: minCount, engine, stats, patterns, frequent, filterPeak, incomplete, threads: threadsUsed };
}
