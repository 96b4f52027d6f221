import { describeValue, FtpIdsError } from '../common/errors.js';
import type { SessionContext } from '../dataset/context.js';
import type { Exchange, Session } from '../dataset/types.js';

/**
 * The anomaly score: one number per session, from what training learned, and the threshold that
 * turns it into a verdict (docs/ARCHITECTURE.md, "ftp-match: the score").
 *
 * A session is described by a few features, each "higher = stranger": the exchanges no supported
 * GSP pattern of its server's model covers (`unexplained`, and as a share of its transactions), the two rarest exchange keys with their
 * count (`rarest`: a key is the command, its final code and its context — login state,
 * working directory, argument tags — so an unseen key and a key repeated far beyond training are the
 * same kind of evidence) and the summed surprisal of the keys training never saw (`novel`), the rarest context attribute —
 * an argument tag or a working-directory class, whatever command carries it (`attr`) —, how many of its commands the
 * server refused (`refused`: a 4xx or 5xx final reply, RFC 959's negative completions), its length, duration and longest silence, its longest argument against
 * training, and the per-client window counts (sessions, failed logins, short sessions).
 *
 * Each feature value x becomes a surprisal −ln p, p = P(X ≥ x) among the training sessions' values
 * of that feature as cross-validation saw them (each value computed by a model mined WITHOUT that
 * session). Inside the observed range p is the empirical tail (#values ≥ x + 1)/(n + 1); beyond the
 * largest observed value the tail goes on exponentially, p = 1/(n + 1) · exp(−(x − max)/β), β being
 * the mean excess over the 90th percentile of the observed values (peaks over threshold with an
 * exponential tail; β at least one unit of the feature: an exchange, a second, a nat). So a value
 * far beyond anything benign keeps counting, instead of stopping at ln(n + 1).
 *
 * The score sums the surprisals (Fisher's way of combining evidence), one per group of features that
 * measure the same thing (FEATURE_GROUPS: the largest of the group). The threshold is
 * calibrated at training time for a target false-positive rate: the training sessions' own
 * cross-validated scores, and the score that at most target·n of them exceed. `--sensitivity X`
 * moves along the same curve (target·X).
 */

export const DETECTOR_FORMAT = 'ftp-ids-detector';
export const DETECTOR_VERSION = 1;

export const FEATURES = [
  'unexplained',
  'unexplained_share',
  'rarest',
  'novel',
  'attr',
  'refused',
  'length',
  'duration',
  'idle',
  'arglen',
  'win_sessions',
  'win_failed',
  'win_short',
] as const;
export type Feature = (typeof FEATURES)[number];

/**
 * Features that measure one thing several ways count once: the score takes the largest surprisal of
 * each group and sums over groups (a long, slow, idle session is one strange shape, not three
 * pieces of evidence; three windows of one client one burst).
 */
export const FEATURE_GROUPS: readonly (readonly Feature[])[] = [
  ['unexplained', 'unexplained_share'],
  ['rarest'],
  ['novel'],
  ['attr'],
  ['refused'],
  ['length', 'duration', 'idle'],
  ['arglen'],
  ['win_sessions', 'win_failed', 'win_short'],
];
export type FeatureValues = Record<Feature, number>;

/**
 * A one-sided empirical distribution, bounded: at most `maxPoints` (value, #observations ≥ value)
 * pairs, values ascending, plus the exponential tail's scale β.
 */
export interface Tail {
  n: number;
  v: number[];
  ge: number[];
  beta: number;
}

/** Bound on the points a Tail keeps (the model's size does not grow with the training set). */
export const TAIL_POINTS = 64;

export function buildTail(values: readonly number[], maxPoints = TAIL_POINTS): Tail {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = xs.length;
  if (n === 0) return { n: 0, v: [], ge: [], beta: 1 };
  // distinct values with the count of observations ≥ each
  const v: number[] = [];
  const ge: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || xs[i] !== xs[i - 1]) {
      v.push(xs[i]!);
      ge.push(n - i);
    }
  }
  let keepV = v;
  let keepGe = ge;
  if (v.length > maxPoints) {
    // evenly by rank, always the largest: a value between two kept points reads the next kept
    // one's count, which under-counts (a smaller p: conservative for the benign side)
    keepV = [];
    keepGe = [];
    for (let j = 0; j < maxPoints; j++) {
      const i = Math.round((j * (v.length - 1)) / (maxPoints - 1));
      if (keepV.length && keepV[keepV.length - 1] === v[i]) continue;
      keepV.push(v[i]!);
      keepGe.push(ge[i]!);
    }
  }
  const u = xs[Math.min(n - 1, Math.ceil(0.9 * n) - 1)]!;
  let excess = 0;
  let over = 0;
  for (const x of xs) {
    if (x > u) {
      excess += x - u;
      over++;
    }
  }
  const beta = Math.max(1, over > 0 ? excess / over : 0);
  return { n, v: keepV, ge: keepGe, beta };
}

/** −ln P(X ≥ x) under a Tail (header: empirical inside the range, exponential beyond it); log space, so no underflow. */
export function surprisal(t: Tail, x: number): number {
  if (t.n === 0 || t.v.length === 0) return x > 0 ? x : 0;
  if (x <= t.v[0]!) return 0;
  const max = t.v[t.v.length - 1]!;
  if (x > max) return Math.log(t.n + 1) + (x - max) / t.beta;
  // first kept value ≥ x
  let lo = 0;
  let hi = t.v.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t.v[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return -Math.log((t.ge[lo]! + 1) / (t.n + 1));
}

// ---------------------------------------------------------------- exchange keys

/** The plain key of an exchange: `STOR,226`, or `STOR` when unanswered (profiles.ts exchangeKey). */
export const plainKey = (ex: Exchange): string => (ex.finalCode === '' ? ex.command : `${ex.command},${ex.finalCode}`);

/** The key of an exchange in its context: `STOR,226@anon`, `CWD,550@user#cwd=above`, `PORT,200@user#tag=port_foreign`. */
export function contextKey(ex: Exchange, ctx: { login: string; cwd: string }): string {
  let k = `${plainKey(ex)}@${ctx.login}`;
  if (ctx.cwd !== '') k += `#cwd=${ctx.cwd}`;
  for (const t of ex.tags) k += `#tag=${t}`;
  return k;
}

/** Bound on the length of a key (a hostile command word can be long; the rest of the key is short). */
export const MAX_KEY_CHARS = 200;

/** The context attributes of a session's exchanges: `tag=port_foreign`, `cwd=above`, … with the exchanges carrying each. */
export function sessionAttributes(s: Session, ctx: SessionContext): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const add = (a: string, i: number): void => {
    const list = out.get(a);
    if (list) list.push(i);
    else out.set(a, [i]);
  };
  s.exchanges.forEach((ex, i) => {
    const c = ctx.exchanges[i]!;
    if (c.cwd !== '') add(`cwd=${c.cwd}`, ex.index);
    for (const t of ex.tags) add(`tag=${t.slice(0, MAX_KEY_CHARS)}`, ex.index);
  });
  return out;
}

/**
 * −ln P(a session carries the attribute) over the training sessions: (df + 0.5)/(N + 1). The coarsest
 * back-off of a key: a PORT to a foreign address is news when no training session had one, whatever
 * its reply code and login state.
 */
export function attributeSurprisal(table: KeyTable, attr: string): number {
  return -Math.log(((own(table.attrs, attr) ?? 0) + 0.5) / (table.sessions + 1));
}

export interface SessionKey {
  /** the plain key (command, code) this context key refines */
  plain: string;
  /** the exchanges (index) that carry it; empty for the end */
  at: number[];
}

/** The keys of a session with the exchanges (indexes) that carry each; the end as a key `end=…`. */
export function sessionKeys(s: Session, ctx: SessionContext): Map<string, SessionKey> {
  const out = new Map<string, SessionKey>();
  s.exchanges.forEach((ex, i) => {
    const k = contextKey(ex, ctx.exchanges[i]!).slice(0, MAX_KEY_CHARS);
    const e = out.get(k);
    if (e) e.at.push(ex.index);
    else out.set(k, { plain: plainKey(ex).slice(0, MAX_KEY_CHARS), at: [ex.index] });
  });
  if (ctx.end !== '') out.set(`end=${ctx.end}`, { plain: 'end', at: [] });
  return out;
}

/** How often a key occurs: in how many training sessions, and its count in those. */
export interface KeyStat {
  df: number;
  counts: Tail;
}

/** The keys of a group of training sessions (all, or one server label). */
export interface KeyTable {
  sessions: number;
  keys: Record<string, KeyStat>;
  /** per plain key: in how many sessions, and in how many distinct contexts (for the back-off) */
  plain: Record<string, { df: number; contexts: number }>;
  /** per context attribute (`tag=…`, `cwd=…`): in how many sessions */
  attrs: Record<string, number>;
}

/** `RETR,226` → true: the final code of a plain key is a positive completion or intermediate reply (1xx, 2xx, 3xx). */
export function positiveCompletion(plain: string): boolean {
  const comma = plain.lastIndexOf(',');
  const c = comma < 0 ? '' : plain.charAt(comma + 1);
  return c === '1' || c === '2' || c === '3';
}

const own = <T>(o: Record<string, T>, k: string): T | undefined => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/**
 * −ln P(count of key ≥ c) over the training sessions (a session without the key counts 0): the
 * share of sessions that have it, (df + 0.5)/(N + 1), times its count tail among those.
 * An unseen key backs off to its plain key (command, code), as language models back off to a
 * shorter context: if the plain key was seen, P = P(plain) · P(a context not seen with it), the
 * latter by Witten–Bell, T/(df + T) for a plain key seen in df sessions in T distinct contexts (a
 * `STOR,226` seen in 60 sessions, always logged in as a user, makes `STOR,226@anon` surprising; a
 * `FEAT,211` seen in 10 sessions under two login states much less). A plain key never seen:
 * 0.5/(N + 1). Either way one more nat for each further occurrence.
 */
export function keySurprisal(table: KeyTable, key: string, plain: string, count: number): number {
  const st = own(table.keys, key);
  if (st) {
    // a positive completion (1xx–3xx) repeated is workload (files fetched, directories listed): beyond
    // the most training saw, each further `max` costs one nat; a refusal repeated is an attempt: one
    // nat per further occurrence (RFC 959's reply classes, as `refused` uses them)
    const counts = positiveCompletion(plain) ? { ...st.counts, beta: Math.max(st.counts.beta, st.counts.v[st.counts.v.length - 1] ?? 1) } : st.counts;
    return -Math.log((st.df + 0.5) / (table.sessions + 1)) + surprisal(counts, count);
  }
  const extra = Math.max(0, count - 1);
  const p = own(table.plain, plain);
  if (!p) return Math.log((table.sessions + 1) / 0.5) + extra;
  return -Math.log((p.df + 0.5) / (table.sessions + 1)) - Math.log(p.contexts / (p.df + p.contexts)) + extra;
}

export function learnKeys(
  keysPerSession: readonly Map<string, SessionKey>[],
  attrsPerSession: readonly Map<string, number[]>[],
  maxKeys: number,
  truncated: { keys: number },
): KeyTable {
  const counts = new Map<string, number[]>();
  const plainOf = new Map<string, string>();
  for (const keys of keysPerSession) {
    for (const [k, { plain, at }] of keys) {
      plainOf.set(k, plain);
      let list = counts.get(k);
      if (!list) {
        if (counts.size >= maxKeys) {
          truncated.keys++;
          continue;
        }
        list = [];
        counts.set(k, list);
      }
      list.push(Math.max(1, at.length));
    }
  }
  const keys: Record<string, KeyStat> = {};
  for (const k of [...counts.keys()].sort()) {
    const list = counts.get(k)!;
    keys[k] = { df: list.length, counts: buildTail(list, 16) };
  }
  // plain keys: sessions with any of their contexts, and how many contexts (bounded with the keys)
  const plainDf = new Map<string, number>();
  const contexts = new Map<string, number>();
  for (const k of counts.keys()) contexts.set(plainOf.get(k)!, (contexts.get(plainOf.get(k)!) ?? 0) + 1);
  for (const keysOfSession of keysPerSession) {
    const seen = new Set<string>();
    for (const [k, { plain }] of keysOfSession) if (counts.has(k)) seen.add(plain);
    for (const p of seen) plainDf.set(p, (plainDf.get(p) ?? 0) + 1);
  }
  const plain: KeyTable['plain'] = {};
  for (const p of [...plainDf.keys()].sort()) plain[p] = { df: plainDf.get(p)!, contexts: contexts.get(p)! };
  const attrDf = new Map<string, number>();
  for (const attrs of attrsPerSession) {
    for (const a of attrs.keys()) {
      if (!attrDf.has(a) && attrDf.size >= maxKeys) {
        truncated.keys++;
        continue;
      }
      attrDf.set(a, (attrDf.get(a) ?? 0) + 1);
    }
  }
  const attrs: Record<string, number> = {};
  for (const a of [...attrDf.keys()].sort()) attrs[a] = attrDf.get(a)!;
  return { sessions: keysPerSession.length, keys, plain, attrs };
}

// ---------------------------------------------------------------- the stored detector

export interface Detector {
  format: typeof DETECTOR_FORMAT;
  version: typeof DETECTOR_VERSION;
  /** cross-validation folds the references and scores come from */
  folds: number;
  /** the false-positive rate the threshold was calibrated for */
  targetFpr: number;
  threshold: number;
  /** per feature: its cross-validated values over the training sessions */
  references: Record<Feature, Tail>;
  /** per server label with enough training sessions: its own references */
  referencesByLabel: Record<string, Record<Feature, Tail>>;
  /** the training sessions' cross-validated scores, ascending (bounded: at most MAX_CV_SCORES, by rank) */
  cvScores: number[];
  /** training sessions in all */
  sessions: number;
  /** exchange keys of all training sessions, and per server label (labels with their own model) */
  keys: { global: KeyTable; byLabel: Record<string, KeyTable> };
  /** server labels seen in training, with their session counts (a label not here is a server the model never saw) */
  labels: Record<string, number>;
  truncated: { keys: number };
}

export const MAX_CV_SCORES = 10_000;

/**
 * Score parts (each feature's surprisal) and the score: per group the largest part, summed. `parts`
 * of a feature that is not its group's largest are kept (for reasons) but do not count.
 */
export function scoreOf(values: FeatureValues, refs: Record<Feature, Tail>): { score: number; parts: FeatureValues; counted: Feature[] } {
  const parts = {} as FeatureValues;
  for (const f of FEATURES) parts[f] = surprisal(refs[f], values[f]);
  let score = 0;
  const counted: Feature[] = [];
  for (const g of FEATURE_GROUPS) {
    let best = g[0]!;
    for (const f of g) if (parts[f] > parts[best]) best = f;
    score += parts[best];
    counted.push(best);
  }
  return { score, parts, counted };
}

/**
 * The threshold for a false-positive rate on ascending held-out scores; flag when score > threshold.
 * Split-conformal rule (Vovk et al. 2005; Lei et al. 2018): the ⌈(n+1)(1−fpr)⌉-th smallest score, so a
 * new benign session exchangeable with the n calibration sessions exceeds it with probability at
 * most fpr. The plain empirical quantile (floor(fpr·n) scores above it) promises only
 * (floor(fpr·n)+1)/(n+1): 1.3 % for the 1 % target at n = 303, the size of the samples' training set.
 * When n is too small for the target (⌈(n+1)(1−fpr)⌉ > n) the largest score is the threshold, the
 * best n scores can promise: 1/(n+1). −Infinity (flag everything) when fpr ≥ 1.
 */
export function thresholdAt(sortedScores: readonly number[], fpr: number): number {
  const n = sortedScores.length;
  if (n === 0) throw new FtpIdsError('NO_SESSIONS', 'no cross-validated scores to calibrate on');
  if (fpr >= 1) return -Infinity;
  const rank = Math.ceil((n + 1) * (1 - fpr) - 1e-9);
  if (rank <= 0) return -Infinity;
  return sortedScores[Math.min(rank, n) - 1]!;
}

/** Bounded copy of ascending scores (by rank, the largest always kept). */
export function boundScores(sorted: readonly number[], max = MAX_CV_SCORES): number[] {
  if (sorted.length <= max) return [...sorted];
  const out: number[] = [];
  for (let j = 0; j < max; j++) out.push(sorted[Math.round((j * (sorted.length - 1)) / (max - 1))]!);
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkTail(v: unknown, where: string): void {
  if (
    !isObj(v) ||
    typeof v.n !== 'number' ||
    typeof v.beta !== 'number' ||
    !(v.beta > 0) ||
    !Array.isArray(v.v) ||
    !Array.isArray(v.ge) ||
    v.v.length !== v.ge.length ||
    v.v.some((x) => typeof x !== 'number') ||
    v.ge.some((x) => typeof x !== 'number')
  ) {
    throw new FtpIdsError('MODEL_DAMAGED', `detector: ${where} is not a tail summary`);
  }
}

function checkKeyTable(v: unknown, where: string): void {
  if (!isObj(v) || typeof v.sessions !== 'number' || !isObj(v.keys) || !isObj(v.plain) || !isObj(v.attrs) || Object.values(v.attrs).some((x) => typeof x !== 'number')) throw new FtpIdsError('MODEL_DAMAGED', `detector: ${where} is not a key table`);
  for (const [k, p] of Object.entries(v.plain)) {
    if (!isObj(p) || typeof p.df !== 'number' || typeof p.contexts !== 'number' || !(p.contexts > 0)) {
      throw new FtpIdsError('MODEL_DAMAGED', `detector: ${where}.plain[${JSON.stringify(k.slice(0, 40))}] is damaged`);
    }
  }
  for (const [k, st] of Object.entries(v.keys)) {
    if (!isObj(st) || typeof st.df !== 'number') throw new FtpIdsError('MODEL_DAMAGED', `detector: ${where}.keys[${JSON.stringify(k.slice(0, 40))}] is damaged`);
    checkTail(st.counts, `${where}.keys[…].counts`);
  }
}

/** Validate a detector read from a model file (MODEL_VERSION / MODEL_DAMAGED). */
export function checkDetector(v: unknown): Detector {
  if (!isObj(v) || v.format !== DETECTOR_FORMAT) throw new FtpIdsError('MODEL_DAMAGED', `detector: format is not "${DETECTOR_FORMAT}"`);
  if (v.version !== DETECTOR_VERSION) {
    throw new FtpIdsError('MODEL_VERSION', `detector: version ${describeValue(v.version)} is not supported (this ftp-match reads version ${DETECTOR_VERSION}); train the model again`);
  }
  for (const f of ['folds', 'targetFpr', 'threshold', 'sessions'] as const) {
    if (typeof v[f] !== 'number' || Number.isNaN(v[f])) throw new FtpIdsError('MODEL_DAMAGED', `detector: ${f} is not a number`);
  }
  if (!isObj(v.references)) throw new FtpIdsError('MODEL_DAMAGED', 'detector: references missing');
  for (const f of FEATURES) checkTail(v.references[f], `references.${f}`);
  if (!isObj(v.referencesByLabel)) throw new FtpIdsError('MODEL_DAMAGED', 'detector: referencesByLabel missing');
  for (const [l, refs] of Object.entries(v.referencesByLabel)) {
    if (!isObj(refs)) throw new FtpIdsError('MODEL_DAMAGED', `detector: referencesByLabel[${JSON.stringify(l)}] is not an object`);
    for (const f of FEATURES) checkTail(refs[f], `referencesByLabel[${JSON.stringify(l)}].${f}`);
  }
  if (!Array.isArray(v.cvScores) || v.cvScores.length === 0 || v.cvScores.some((x) => typeof x !== 'number')) {
    throw new FtpIdsError('MODEL_DAMAGED', 'detector: cvScores damaged');
  }
  if (!isObj(v.keys) || !isObj(v.keys.byLabel)) throw new FtpIdsError('MODEL_DAMAGED', 'detector: keys missing');
  checkKeyTable(v.keys.global, 'keys.global');
  for (const [l, t] of Object.entries(v.keys.byLabel)) checkKeyTable(t, `keys.byLabel[${JSON.stringify(l)}]`);
  if (!isObj(v.labels) || Object.values(v.labels).some((x) => typeof x !== 'number')) throw new FtpIdsError('MODEL_DAMAGED', 'detector: labels damaged');
  return v as unknown as Detector;
}
