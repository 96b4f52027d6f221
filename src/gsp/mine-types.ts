import type { Pattern, TimeConstraints } from './steps.js';

/** What an engine needs besides the data. */
export interface EngineOptions {
  readonly minCount: number;
  readonly constraints: TimeConstraints;
  readonly maxLength: number;
  /** hand the supporting sequence indices to the sink */
  readonly wantSids: boolean;
  /** multiplicity of each sequence (identical sequences merged); null = every sequence counts 1 */
  readonly weight: Int32Array | null;
  /**
   * skip every pattern that cannot be closed together with all its extensions (BackScan, see
   * vertical.ts); only sound for maximal/closed output without time constraints, taxonomy or
   * max-length — the caller decides
   */
  readonly pruneNonClosed?: boolean;
  /** Date.now() after which the level-wise engine stops (the vertical one reads SearchControl); default never */
  readonly deadline?: number;
  /** called now and then: level (pattern length), candidates counted, frequent found so far */
  readonly progress?: (level: number, candidates: number, frequent: number) => void;
}

/**
 * Receives every frequent pattern once (built on demand: most are dropped by the maximal/closed filter). `hasFrequentExtension` / `hasEqualExtension` are hints
 * (true = the engine saw an extension of this pattern that is frequent / has the same support);
 * false means "not known", never "known not to exist".
 */
export interface PatternSink {
  pattern(p: () => Pattern, support: number, sids: Int32Array | null, hasFrequentExtension: boolean, hasEqualExtension: boolean): void;
}

export interface EngineStats {
  /** per pattern length: candidates counted, frequent */
  levels: { k: number; candidates: number; frequent: number }[];
  /** stopped by the deadline before the search ended */
  incomplete?: boolean;
}
