import { availableParallelism } from 'node:os';
import { FtpIdsError } from '../common/errors.js';
import { optBool, optEnum, optInt, optNumber } from '../common/options.js';
import { DEFAULT_ITEMS, parseItemsSpec, itemsSpecToString, type ItemsConfig } from '../dataset/items.js';

/**
 * Minimum support as the user wrote it. A fraction is kept as an exact decimal ratio so that
 * ceil(f·N) is computed in integers (0.07·100 is 7, not 7.000000000000001 → 8).
 */
export type MinSupport =
  | { readonly kind: 'fraction'; readonly num: bigint; readonly den: bigint; readonly text: string }
  | { readonly kind: 'count'; readonly count: number; readonly text: string };

export type OutputKind = 'all' | 'maximal' | 'closed';
export type Algorithm = 'auto' | 'vertical' | 'levelwise';

/** The miner's parameters, validated and frozen (normalizeGspConfig). */
export interface GspConfig {
  readonly minSupport: MinSupport;
  /** strict: t(l_i) - t(u_{i-1}) > minGap; null = no min-gap (elements only in order) */
  readonly minGap: number | null;
  /** t(u_i) - t(l_{i-1}) <= maxGap; Infinity = none */
  readonly maxGap: number;
  /** t(u_i) - t(l_i) <= window; 0 = an element lies inside one transaction */
  readonly window: number;
  /** most items in a pattern; Infinity = no limit */
  readonly maxLength: number;
  readonly output: OutputKind;
  readonly sids: boolean;
  readonly algorithm: Algorithm;
  readonly time: 'index' | 'seconds';
  readonly items: ItemsConfig;
  /** 'none', 'ftp' (built in) or a path to an is-a file */
  readonly taxonomy: string;
  readonly byLabel: boolean;
  /**
   * Bound on the maximal/closed candidate set (the only table of the miner that grows with the
   * patterns rather than the data): more is an error (BOUND_MAX_CANDIDATES), never silent truncation.
   */
  readonly maxCandidates: number;
}

const FRACTION = /^(\d*)\.(\d+)$|^(\d+)$/;

/**
 * The one default minimum support of ftp-gsp and `ftp-ids train`: 30 % of the sessions. On the 444
 * benign sample sessions maximal mining takes 0.85 s of CPU at 0.3 against 16 s at the study's 0.1
 * (and 1.5 MB of patterns), and the calibration mines k + 1 times more; the detector's acceptance
 * figures (docs/ARCHITECTURE.md, "Evaluation") were measured at 0.3. Lower it for servers whose normal
 * sessions are few or varied (a rarer dialogue then still gets patterns), at that cost.
 */
export const DEFAULT_MIN_SUPPORT = '0.3';

/**
 * The support as given on a command line: `-s F` with F a fraction in (0,1] (0.3, 1.0) or a percentage
 * (30%), or `--min-count N` sessions. A bare integer (`-s 2`) is refused: it reads as 2 % to some and
 * as 2 sessions to others (a 10-minute run at 2 sessions), so the error names both spellings.
 * Returns what normalizeGspConfig takes as minSupport (undefined: the default).
 */
export function supportOption(minSupport: unknown, minCount: unknown): string | number | undefined {
  if (minSupport !== undefined && minCount !== undefined) {
    throw new FtpIdsError('INVALID_OPTION', 'give either -s/--min-support (a fraction or percentage) or --min-count (sessions), not both');
  }
  if (minCount !== undefined) {
    const text = String(minCount).trim();
    if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
      throw new FtpIdsError('INVALID_OPTION', `option --min-count: expected a whole number of sessions ≥ 1, got ${JSON.stringify(minCount)}`);
    }
    return Number(text);
  }
  if (minSupport === undefined) return undefined;
  const text = String(minSupport).trim();
  if (/^\d+$/.test(text)) {
    const also = text === '1' ? ' or 1.0 for every session' : '';
    throw new FtpIdsError('INVALID_OPTION', `option -s/--min-support: "${text}" is ambiguous: write ${text}% for a percentage of the sessions${also}, or --min-count ${text} for ${text} session${text === '1' ? '' : 's'}`);
  }
  return text;
}

/** "0.4" -> 4/10, "5%" -> 5/100, "12" -> count 12, 0.25 -> 1/4, 7 -> count 7 */
export function parseMinSupport(v: unknown): MinSupport {
  const bad = (): never => {
    throw new FtpIdsError(
      'INVALID_OPTION',
      `option minSupport: expected a fraction in (0,1] (0.3), a percentage (30%) or a count of sequences (--min-count 12), got ${JSON.stringify(v)}`,
    );
  };
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) bad();
    if (Number.isInteger(v) && v >= 1) return Object.freeze({ kind: 'count', count: v, text: String(v) });
    v = String(v);
  }
  if (typeof v !== 'string') return bad();
  const text = v.trim();
  let pct = false;
  let body = text;
  if (body.endsWith('%')) {
    pct = true;
    body = body.slice(0, -1).trim();
  }
  const m = FRACTION.exec(body);
  if (!m) return bad();
  if (m[3] !== undefined && !pct) {
    const count = Number(m[3]);
    if (!Number.isSafeInteger(count) || count < 1) bad();
    return Object.freeze({ kind: 'count', count, text });
  }
  const intPart = m[3] ?? m[1] ?? '';
  const fracPart = m[2] ?? '';
  let num = BigInt((intPart || '0') + fracPart);
  let den = 10n ** BigInt(fracPart.length);
  if (pct) den *= 100n;
  if (num <= 0n || num > den) bad();
  const g = gcd(num, den);
  num /= g;
  den /= g;
  return Object.freeze({ kind: 'fraction', num, den, text });
}
function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The absolute threshold for a database of n sequences: ceil(f·n) (at least 1), or the count. */
export function minSupportCount(ms: MinSupport, n: number): number {
  if (ms.kind === 'count') return ms.count;
  const c = (ms.num * BigInt(n) + ms.den - 1n) / ms.den;
  return Math.max(1, Number(c));
}

export function normalizeGspConfig(raw: Record<string, unknown> = {}): GspConfig {
  const minSupport = parseMinSupport(raw.minSupport ?? DEFAULT_MIN_SUPPORT);
  const minGapRaw = raw.minGap;
  const minGap =
    minGapRaw === undefined || minGapRaw === null || minGapRaw === '' ? null : optNumber(raw, 'minGap', 0, 0);
  const maxGap = optNumber(raw, 'maxGap', Infinity, 0);
  const window = optNumber(raw, 'window', 0, 0);
  if (minGap !== null && maxGap !== Infinity && maxGap <= minGap) {
    throw new FtpIdsError('INVALID_OPTION', `option maxGap (${maxGap}) must be greater than minGap (${minGap})`);
  }
  const maxLenRaw = raw.maxLength;
  const maxLength =
    maxLenRaw === undefined || maxLenRaw === null || maxLenRaw === '' || maxLenRaw === Infinity
      ? Infinity
      : optInt(raw, 'maxLength', 0, 1);
  let items: ItemsConfig = DEFAULT_ITEMS;
  if (typeof raw.items === 'string') items = Object.freeze(parseItemsSpec(raw.items));
  else if (raw.items && typeof raw.items === 'object') items = Object.freeze({ ...DEFAULT_ITEMS, ...(raw.items as object) });
  const taxonomy = raw.taxonomy === undefined || raw.taxonomy === null || raw.taxonomy === '' ? 'none' : raw.taxonomy;
  if (typeof taxonomy !== 'string') {
    throw new FtpIdsError('INVALID_OPTION', `option taxonomy: expected none, ftp or a file path, got ${JSON.stringify(taxonomy)}`);
  }
  const byRaw = raw.byLabel ?? raw.by;
  let byLabel = false;
  if (byRaw === 'label') byLabel = true;
  else if (byRaw !== undefined && byRaw !== 'none' && byRaw !== '') byLabel = optBool({ byLabel: byRaw }, 'byLabel', false);
  return Object.freeze({
    minSupport,
    minGap,
    maxGap,
    window,
    maxLength,
    output: optEnum(raw, 'output', ['all', 'maximal', 'closed'] as const, 'maximal'),
    sids: optBool(raw, 'sids', false),
    algorithm: optEnum(raw, 'algorithm', ['auto', 'vertical', 'levelwise'] as const, 'auto'),
    time: optEnum(raw, 'time', ['index', 'seconds'] as const, 'index'),
    items,
    taxonomy,
    byLabel,
    maxCandidates: optInt(raw, 'maxCandidates', 1_000_000, 1),
  });
}

/** The parameters as written into the model (JSON-safe: Infinity -> null). */
export function configParams(c: GspConfig): Record<string, unknown> {
  return {
    minSupport: c.minSupport.text,
    minGap: c.minGap,
    maxGap: c.maxGap === Infinity ? null : c.maxGap,
    window: c.window,
    maxLength: c.maxLength === Infinity ? null : c.maxLength,
    output: c.output,
    time: c.time,
    items: itemsSpecToString(c.items),
    // data items' size classes, learned from the training sessions (src/dataset/items.ts learnSizeEdges)
    ...(c.items.data && c.items.sizeEdges ? { sizeEdges: c.items.sizeEdges } : {}),
    taxonomy: c.taxonomy,
    byLabel: c.byLabel,
    algorithm: c.algorithm,
    maxCandidates: c.maxCandidates,
  };
}

/** "30s", "5m", "1h", "250ms", "90" (seconds) -> ms */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  const v = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!Number.isFinite(v) || v <= 0) {
    throw new FtpIdsError('INVALID_OPTION', `option time-budget: expected a duration such as 30s, 5m or 1h, got ${JSON.stringify(text)}`);
  }
  return v;
}

/** --threads: 1..MAX_THREADS; none = the cores available */
export function parseThreads(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new FtpIdsError('INVALID_OPTION', `option threads: expected a whole number from 1 to ${MAX_THREADS}, got ${JSON.stringify(text)}`);
  }
  return n;
}
/** more threads than this only add copies of the miner's per-thread buffers */
export const MAX_THREADS = 256;
