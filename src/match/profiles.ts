import { describeValue, FtpIdsError } from '../common/errors.js';
import { optDuration, optInt } from '../common/options.js';
import type { Exchange, Session } from '../dataset/types.js';

/**
 * Count-aware profiles of normal sessions, learned from the training sessions and stored in
 * the model JSON (`model.profiles`, written by ftp-gsp, read by ftp-match).
 *
 * GSP keeps each item once per pattern, so 500 failed logins look like one. These profiles
 * keep what the patterns cannot: how often things repeat inside a session, how long sessions
 * are, what happens across sessions of one client address in a time window, how long
 * arguments get. Only summaries (quantiles at fixed probabilities), never raw lists, and every
 * table has a bound, so the model's size does not grow with the training set.
 */

export const PROFILES_FORMAT = 'ftp-ids-profiles';
export const PROFILES_VERSION = 1;

/** The probabilities at which every distribution is summarised (the last one is the maximum). */
export const QUANTILE_PROBS = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1] as const;

/**
 * A distribution summary: `n` observations, `q[i]` the value at QUANTILE_PROBS[i]
 * (nearest-rank: the smallest observed value v with at least ceil(p·n) observations ≤ v).
 * Empty distribution: n = 0, every q is 0.
 */
export interface Quantiles {
  n: number;
  q: number[];
}

/** Repetition profile of one exchange key (`PASS,530`) across the training sessions. */
export interface RepetitionProfile {
  /** training sessions in which the key occurs at least once */
  sessions: number;
  /** per-session count, over the sessions where it occurs (conditional on ≥ 1) */
  count: Quantiles;
}

/** Session-level profile of one group of sessions (all, or one server label). */
export interface SessionProfile {
  sessions: number;
  /** exchanges per session (greeting included) */
  length: Quantiles;
  /** seconds from the first to the last timestamp of the session */
  duration: Quantiles;
  /** longest silence between two consecutive exchanges of a session, seconds */
  maxGap: Quantiles;
  /** per exchange key (`COMMAND,CODE`, or `COMMAND` when unanswered): its repetition profile */
  repetition: Record<string, RepetitionProfile>;
}

/** Across sessions of one client address, in a sliding window of `windowSeconds`. */
export interface WindowProfile {
  windowSeconds: number;
  /** sessions of the client that started in (start − window, start], at each session start */
  sessions: Quantiles;
  /** failed logins (USER/PASS answered 530) in sessions of the client started in the window */
  failedLogins: Quantiles;
  /** short sessions (≤ shortSessionCommands client commands) of the client started in the window */
  shortSessions: Quantiles;
}

export interface Profiles {
  format: typeof PROFILES_FORMAT;
  version: typeof PROFILES_VERSION;
  quantileProbs: number[];
  /** a session with at most this many client commands (exchanges after the greeting) is short */
  shortSessionCommands: number;
  global: SessionProfile;
  /** per server label, for labels with at least `minLabelSessions` training sessions */
  byLabel: Record<string, SessionProfile>;
  window: WindowProfile;
  /** per command: the longest argument (characters) seen in training */
  maxArgLength: Record<string, number>;
  /** every exchange key seen in training (`PASS,530`), bounded by maxItems */
  seenKeys: string[];
  /** every single item seen in training: command words, final codes, `tag=…` */
  seenItems: string[];
  /** what hit a bound while learning (so a user can see the profile is partial) */
  truncated: { keys: number; items: number; commands: number; labels: number };
}

export interface ProfileOptions {
  windowSeconds: number;
  shortSessionCommands: number;
  maxKeys: number;
  maxItems: number;
  maxCommands: number;
  maxLabels: number;
  minLabelSessions: number;
}

export function normalizeProfileOptions(raw: Record<string, unknown> = {}): ProfileOptions {
  return Object.freeze({
    windowSeconds: optDuration(raw, 'windowSeconds', 60),
    shortSessionCommands: optInt(raw, 'shortSessionCommands', 2, 0, 1000),
    maxKeys: optInt(raw, 'maxKeys', 4096, 1),
    maxItems: optInt(raw, 'maxItems', 4096, 1),
    maxCommands: optInt(raw, 'maxCommands', 1024, 1),
    maxLabels: optInt(raw, 'maxLabels', 256, 0),
    minLabelSessions: optInt(raw, 'minLabelSessions', 20, 1),
  });
}

/** The exchange key used by repetition profiles and reasons: `PASS,530`, or `PASS` when unanswered. */
export function exchangeKey(ex: Exchange): string {
  return ex.finalCode === '' ? ex.command : `${ex.command},${ex.finalCode}`;
}

/** A failed login: USER or PASS answered 530 (RFC 959 "Not logged in"). */
export function isFailedLogin(ex: Exchange): boolean {
  return ex.finalCode === '530' && (ex.command === 'PASS' || ex.command === 'USER');
}

/** Client commands of a session: exchanges that are not pseudo-commands (`<greeting>`, `<gap>`, …). */
export function clientCommandCount(s: Session): number {
  let n = 0;
  for (const ex of s.exchanges) if (!ex.command.startsWith('<')) n++;
  return n;
}

/** First and last finite timestamp of a session (NaN when none). */
export function sessionSpan(s: Session): { start: number; end: number } {
  let start = NaN;
  let end = NaN;
  for (const ex of s.exchanges) {
    for (const t of [ex.tsRequest, ex.tsReply]) {
      if (!Number.isFinite(t)) continue;
      if (!(t >= start)) start = Number.isNaN(start) ? t : Math.min(start, t);
      if (!(t <= end)) end = Number.isNaN(end) ? t : Math.max(end, t);
    }
  }
  return { start, end };
}

/** Longest silence between consecutive exchanges (request time of the next vs. last time of the previous). */
export function sessionMaxGap(s: Session): number {
  let gap = 0;
  let prev = NaN;
  for (const ex of s.exchanges) {
    const t0 = Number.isFinite(ex.tsRequest) ? ex.tsRequest : ex.tsReply;
    if (Number.isFinite(prev) && Number.isFinite(t0)) gap = Math.max(gap, t0 - prev);
    const t1 = Number.isFinite(ex.tsReply) ? ex.tsReply : t0;
    if (Number.isFinite(t1)) prev = Number.isFinite(prev) ? Math.max(prev, t1) : t1;
  }
  return gap;
}

/** Nearest-rank quantiles of a list of numbers (the list is sorted in place). */
export function quantiles(values: number[]): Quantiles {
  const n = values.length;
  if (n === 0) return { n: 0, q: QUANTILE_PROBS.map(() => 0) };
  values.sort((a, b) => a - b);
  return { n, q: QUANTILE_PROBS.map((p) => values[Math.max(0, Math.ceil(p * n) - 1)]!) };
}

/** The value of a summary at probability p (one of QUANTILE_PROBS; otherwise the next higher one). */
export function quantileAt(qs: Quantiles, p: number): number {
  for (let i = 0; i < QUANTILE_PROBS.length; i++) if (QUANTILE_PROBS[i]! >= p - 1e-12) return qs.q[i] ?? 0;
  return qs.q[qs.q.length - 1] ?? 0;
}

function sessionProfile(sessions: Session[], opts: ProfileOptions, truncated: Profiles['truncated']): SessionProfile {
  const lengths: number[] = [];
  const durations: number[] = [];
  const gaps: number[] = [];
  const counts = new Map<string, number[]>();
  const perSession = new Map<string, number>();
  for (const s of sessions) {
    lengths.push(s.exchanges.length);
    const { start, end } = sessionSpan(s);
    durations.push(Number.isFinite(start) ? end - start : 0);
    gaps.push(sessionMaxGap(s));
    perSession.clear();
    for (const ex of s.exchanges) {
      const k = exchangeKey(ex);
      perSession.set(k, (perSession.get(k) ?? 0) + 1);
    }
    for (const [k, c] of perSession) {
      let list = counts.get(k);
      if (!list) {
        if (counts.size >= opts.maxKeys) {
          truncated.keys++;
          continue;
        }
        list = [];
        counts.set(k, list);
      }
      list.push(c);
    }
  }
  const repetition: Record<string, RepetitionProfile> = {};
  for (const k of [...counts.keys()].sort()) {
    const list = counts.get(k)!;
    repetition[k] = { sessions: list.length, count: quantiles(list) };
  }
  return {
    sessions: sessions.length,
    length: quantiles(lengths),
    duration: quantiles(durations),
    maxGap: quantiles(gaps),
    repetition,
  };
}

/**
 * Per session, the counts over the same client's sessions that came before it in the input (or are
 * it) and started after its start − W: sessions, failed logins, short sessions. Sessions come in the
 * order they ended (ftp-flows writes a session when it closes), so this is what a streaming matcher
 * knows when it judges a session — including the sessions that started after it and ended first, as
 * a scanner's probes do beside a longer session (with the window anchored at the start alone, a
 * session that started a few ms before a burst never saw the burst). Sessions without a timestamp are
 * skipped. O(n log n) per client: a Fenwick tree over the ranks of the starts. Exported so the
 * matcher's streaming windows can be tested against it.
 */
export function windowCounts(
  sessions: Session[],
  windowSeconds: number,
  shortSessionCommands: number,
): { session: Session; sessions: number; failedLogins: number; shortSessions: number }[] {
  const byClient = new Map<string, { t: number; s: Session; failed: number; short: number }[]>();
  for (const s of sessions) {
    const { start } = sessionSpan(s);
    if (!Number.isFinite(start)) continue;
    let failed = 0;
    for (const ex of s.exchanges) if (isFailedLogin(ex)) failed++;
    const entry = { t: start, s, failed, short: clientCommandCount(s) <= shortSessionCommands ? 1 : 0 };
    const list = byClient.get(s.clientIp);
    if (list) list.push(entry);
    else byClient.set(s.clientIp, [entry]);
  }
  const out: { session: Session; sessions: number; failedLogins: number; shortSessions: number }[] = [];
  for (const list of byClient.values()) {
    // rank of each start; three Fenwick trees (sessions, failed, short) over the ranks
    const starts = [...new Set(list.map((e) => e.t))].sort((x, y) => x - y);
    const n = starts.length;
    const trees = [new Float64Array(n + 1), new Float64Array(n + 1), new Float64Array(n + 1)] as const;
    const add = (i: number, v: readonly number[]): void => {
      for (let k = i + 1; k <= n; k += k & -k) for (let j = 0; j < 3; j++) trees[j]![k]! += v[j]!;
    };
    const prefix = (i: number): number[] => {
      const r = [0, 0, 0];
      for (let k = i; k > 0; k -= k & -k) for (let j = 0; j < 3; j++) r[j]! += trees[j]![k]!;
      return r;
    };
    /** number of starts ≤ x */
    const upto = (x: number): number => {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid]! <= x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const total = [0, 0, 0];
    for (const e of list) {
      const v = [1, e.failed, e.short];
      add(upto(e.t) - 1, v);
      for (let j = 0; j < 3; j++) total[j]! += v[j]!;
      const before = prefix(upto(e.t - windowSeconds));
      out.push({ session: e.s, sessions: total[0]! - before[0]!, failedLogins: total[1]! - before[1]!, shortSessions: total[2]! - before[2]! });
    }
  }
  return out;
}

/** Learn the count-aware profiles of normal sessions. Deterministic: same sessions, same JSON. */
export function learnProfiles(sessions: Session[], options: Record<string, unknown> = {}): Profiles {
  const opts = normalizeProfileOptions(options);
  const truncated = { keys: 0, items: 0, commands: 0, labels: 0 };
  const global = sessionProfile(sessions, opts, truncated);

  const groups = new Map<string, Session[]>();
  for (const s of sessions) {
    const g = groups.get(s.label);
    if (g) g.push(s);
    else groups.set(s.label, [s]);
  }
  const byLabel: Record<string, SessionProfile> = {};
  const labels = [...groups.keys()].filter((l) => groups.get(l)!.length >= opts.minLabelSessions).sort();
  for (const label of labels) {
    if (Object.keys(byLabel).length >= opts.maxLabels) {
      truncated.labels++;
      continue;
    }
    byLabel[label] = sessionProfile(groups.get(label)!, opts, truncated);
  }

  const w = windowCounts(sessions, opts.windowSeconds, opts.shortSessionCommands);
  const window: WindowProfile = {
    windowSeconds: opts.windowSeconds,
    sessions: quantiles(w.map((x) => x.sessions)),
    failedLogins: quantiles(w.map((x) => x.failedLogins)),
    shortSessions: quantiles(w.map((x) => x.shortSessions)),
  };

  const maxArg = new Map<string, number>();
  const keys = new Set<string>();
  const items = new Set<string>();
  const addBounded = (set: Set<string>, v: string, bound: number, what: 'keys' | 'items'): void => {
    if (set.has(v)) return;
    if (set.size >= bound) truncated[what]++;
    else set.add(v);
  };
  for (const s of sessions) {
    for (const ex of s.exchanges) {
      addBounded(keys, exchangeKey(ex), opts.maxKeys, 'keys');
      addBounded(items, ex.command, opts.maxItems, 'items');
      if (ex.finalCode) addBounded(items, ex.finalCode, opts.maxItems, 'items');
      for (const t of ex.tags) addBounded(items, `tag=${t}`, opts.maxItems, 'items');
      const prev = maxArg.get(ex.command);
      if (prev === undefined && maxArg.size >= opts.maxCommands) {
        truncated.commands++;
        continue;
      }
      if (prev === undefined || ex.arg.length > prev) maxArg.set(ex.command, ex.arg.length);
    }
  }
  return {
    format: PROFILES_FORMAT,
    version: PROFILES_VERSION,
    quantileProbs: [...QUANTILE_PROBS],
    shortSessionCommands: opts.shortSessionCommands,
    global,
    byLabel,
    window,
    maxArgLength: Object.fromEntries([...maxArg.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    seenKeys: [...keys].sort(),
    seenItems: [...items].sort(),
    truncated,
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkQuantiles(v: unknown, where: string): void {
  if (!isObj(v) || typeof v.n !== 'number' || !Array.isArray(v.q) || v.q.length !== QUANTILE_PROBS.length || v.q.some((x) => typeof x !== 'number')) {
    throw new FtpIdsError('MODEL_DAMAGED', `profiles: ${where} is not a quantile summary of ${QUANTILE_PROBS.length} numbers`);
  }
}

function checkSessionProfile(v: unknown, where: string): void {
  if (!isObj(v) || typeof v.sessions !== 'number' || !isObj(v.repetition)) {
    throw new FtpIdsError('MODEL_DAMAGED', `profiles: ${where} is not a session profile`);
  }
  checkQuantiles(v.length, `${where}.length`);
  checkQuantiles(v.duration, `${where}.duration`);
  checkQuantiles(v.maxGap, `${where}.maxGap`);
  for (const [k, r] of Object.entries(v.repetition)) {
    if (!isObj(r) || typeof r.sessions !== 'number') throw new FtpIdsError('MODEL_DAMAGED', `profiles: ${where}.repetition["${k}"] is damaged`);
    checkQuantiles(r.count, `${where}.repetition["${k}"].count`);
  }
}

/** Validate profiles read from a model file; throws FtpIdsError MODEL_VERSION / MODEL_DAMAGED. */
export function checkProfiles(v: unknown): Profiles {
  if (!isObj(v)) throw new FtpIdsError('MODEL_DAMAGED', 'profiles: not an object');
  if (v.format !== PROFILES_FORMAT) {
    throw new FtpIdsError('MODEL_DAMAGED', `profiles: format is ${describeValue(v.format)}, expected "${PROFILES_FORMAT}"`);
  }
  if (v.version !== PROFILES_VERSION) {
    throw new FtpIdsError('MODEL_VERSION', `profiles: version ${describeValue(v.version)} is not supported (this ftp-match reads version ${PROFILES_VERSION}); retrain the model`);
  }
  if (!Array.isArray(v.quantileProbs) || v.quantileProbs.join() !== QUANTILE_PROBS.join()) {
    throw new FtpIdsError('MODEL_DAMAGED', `profiles: quantileProbs differ from ${QUANTILE_PROBS.join(',')}`);
  }
  if (typeof v.shortSessionCommands !== 'number') throw new FtpIdsError('MODEL_DAMAGED', 'profiles: shortSessionCommands missing');
  checkSessionProfile(v.global, 'global');
  if (!isObj(v.byLabel)) throw new FtpIdsError('MODEL_DAMAGED', 'profiles: byLabel missing');
  for (const [l, p] of Object.entries(v.byLabel)) checkSessionProfile(p, `byLabel["${l}"]`);
  const w = v.window;
  if (!isObj(w) || typeof w.windowSeconds !== 'number') throw new FtpIdsError('MODEL_DAMAGED', 'profiles: window missing');
  checkQuantiles(w.sessions, 'window.sessions');
  checkQuantiles(w.failedLogins, 'window.failedLogins');
  checkQuantiles(w.shortSessions, 'window.shortSessions');
  if (!isObj(v.maxArgLength) || Object.values(v.maxArgLength).some((x) => typeof x !== 'number')) {
    throw new FtpIdsError('MODEL_DAMAGED', 'profiles: maxArgLength damaged');
  }
  for (const f of ['seenKeys', 'seenItems'] as const) {
    const a = v[f];
    if (!Array.isArray(a) || a.some((x) => typeof x !== 'string')) throw new FtpIdsError('MODEL_DAMAGED', `profiles: ${f} damaged`);
  }
  return v as unknown as Profiles;
}
