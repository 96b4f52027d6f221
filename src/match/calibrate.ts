import { FtpIdsError } from '../common/errors.js';
import { fnv1a } from '../common/hash.js';
import { optInt, optNumber } from '../common/options.js';
import { sessionContext } from '../dataset/context.js';
import type { Session } from '../dataset/types.js';
import { withSizeEdges } from '../dataset/items.js';
import type { GspConfig } from '../gsp/config.js';
import { flatFromRaw } from '../gsp/db.js';
import { sessionsToSequences } from '../gsp/input.js';
import { runGsp } from '../gsp/run.js';
import {
  boundScores,
  buildTail,
  DETECTOR_FORMAT,
  DETECTOR_VERSION,
  FEATURES,
  learnKeys,
  scoreOf,
  sessionAttributes,
  sessionKeys,
  thresholdAt,
  type Detector,
  type Feature,
  type FeatureValues,
  type KeyTable,
  type Tail,
} from './detector.js';
import { Matcher } from './matcher.js';
import { parseModelText } from './model.js';
import { learnProfiles, sessionSpan, windowCounts, type Profiles } from './profiles.js';

/**
 * Calibration at training time (docs/ARCHITECTURE.md, "ftp-match: the score"): k-fold
 * cross-validation over the training sessions. Each fold's sessions are described by a model mined
 * (GSP, the same configuration) and profiled on the other k − 1 folds only, so their feature values
 * are what an unseen benign session looks like to a model — not the optimistic values a session gets
 * from a model that learned it. Those values are the references of the score; their scores give the
 * threshold for the target false-positive rate. The window features need no model: they are counted
 * over the whole training stream, as detection counts them.
 *
 * Folds: by a hash of the flow id (deterministic, independent of capture order). The score of a
 * training session is computed with references that include its own value: one rank optimistic at the
 * top, against the CV models' pessimism (each saw 95 % of the others); measured, the two nearly cancel
 * (docs/ARCHITECTURE.md, "Calibration").
 */
export interface CalibrateOptions {
  folds: number;
  targetFpr: number;
  maxKeys: number;
  /** training sessions a server label needs for references of its own */
  minLabelReference: number;
}

export function normalizeCalibrateOptions(raw: Record<string, unknown> = {}): CalibrateOptions {
  return Object.freeze({
    folds: optInt(raw, 'folds', 20, 2, 100),
    targetFpr: optNumber(raw, 'targetFpr', 0.01, 0, 1),
    maxKeys: optInt(raw, 'maxKeys', 8192, 1),
    minLabelReference: optInt(raw, 'minLabelReference', 50, 1),
  });
}

/** The keys of a set of sessions: all of them, and per label for the labels that get a model of their own. */
export function learnKeyTables(sessions: readonly Session[], labels: readonly string[], maxKeys: number, truncated: { keys: number }): { global: KeyTable; byLabel: Record<string, KeyTable> } {
  const contexts = sessions.map((s) => sessionContext(s));
  const perSession = sessions.map((s, i) => sessionKeys(s, contexts[i]!));
  const attrs = sessions.map((s, i) => sessionAttributes(s, contexts[i]!));
  const global = learnKeys(perSession, attrs, maxKeys, truncated);
  const byLabel: Record<string, KeyTable> = {};
  for (const label of [...labels].sort()) {
    const mine = (_: unknown, i: number): boolean => sessions[i]!.label === label;
    byLabel[label] = learnKeys(perSession.filter(mine), attrs.filter(mine), maxKeys, truncated);
  }
  return { global, byLabel };
}

/**
 * The config for mining `sessions`: with data items, the size classes' bounds learned from them (the
 * training sessions; carried in the model's params, so ftp-match and ftp-ids apply the same classes).
 */
export function configForSessions(config: GspConfig, sessions: readonly Session[]): GspConfig {
  const items = withSizeEdges(config.items, sessions);
  return items === config.items ? config : { ...config, items };
}

/**
 * Mine a model text for sessions with ftp-gsp's core (what ftp-gsp and ftp-ids train write).
 * `threads`: mining threads (the output is the same for any number, test/gsp-threads.test.ts).
 */
export function mineModelText(sessions: readonly Session[], config: GspConfig, extra: (ss: Session[]) => Record<string, unknown> = () => ({}), threads = 1): string {
  const flat = flatFromRaw(sessionsToSequences(sessions, config.items, config.time));
  const parts: string[] = [];
  runGsp({ flat, itemNames: new Map(), format: 'csv', sessions: [...sessions] }, { config, output: 'model', write: (s) => parts.push(s), extraModelFields: extra, threads });
  return parts.join('');
}

/** Labels that get a pattern set of their own: every label of the sessions, when ftp-gsp mines by label. */
export function labelsWithModel(sessions: readonly Session[], config: GspConfig): string[] {
  return config.byLabel ? [...new Set(sessions.map((s) => s.label))].sort() : [];
}

export interface Calibration {
  detector: Detector;
  /** per training session (input order): its cross-validated feature values and score */
  sessions: { flowId: string; values: FeatureValues; score: number }[];
}

/**
 * Calibrate the detector for `sessions` (the benign training sessions) mined with `config`;
 * `profiles` are the final model's (their window and short-session definitions are used).
 */
export function calibrate(
  sessions: readonly Session[],
  config: GspConfig,
  profiles: Profiles,
  options: Record<string, unknown> = {},
  profileOptions: Record<string, unknown> = {},
  onFold: (fold: number, folds: number) => void = () => {},
  threads = 1,
): Calibration {
  const o = normalizeCalibrateOptions(options);
  if (sessions.length < 2) throw new FtpIdsError('NO_SESSIONS', `calibration needs at least 2 training sessions, got ${sessions.length}`);
  const k = Math.min(o.folds, sessions.length);
  const fold = sessions.map((s) => fnv1a(s.flowId) % k);
  const values: FeatureValues[] = sessions.map(() => Object.fromEntries(FEATURES.map((f) => [f, 0])) as FeatureValues);
  const truncated = { keys: 0 };
  for (let j = 0; j < k; j++) {
    onFold(j, k);
    const train = sessions.filter((_, i) => fold[i] !== j);
    const held = sessions.map((s, i) => ({ s, i })).filter(({ i }) => fold[i] === j);
    if (held.length === 0 || train.length === 0) continue;
    const text = mineModelText(train, config, (ss) => ({ profiles: learnProfiles(ss, profileOptions) }), threads);
    const model = parseModelText(text);
    model.keys = learnKeyTables(train, labelsWithModel(train, config), o.maxKeys, { keys: 0 });
    const m = new Matcher(model, { mode: 'full' }, () => {});
    for (const { s, i } of held) {
      const d = m.describe(s);
      for (const f of FEATURES) values[i]![f] = d.values[f];
    }
  }
  // the window features over the whole training stream (they need no model)
  const w = windowCounts([...sessions], profiles.window.windowSeconds, profiles.shortSessionCommands);
  const at = new Map(sessions.map((s, i) => [s, i]));
  for (const x of w) {
    const i = at.get(x.session)!;
    values[i]!.win_sessions = x.sessions;
    values[i]!.win_failed = x.failedLogins;
    values[i]!.win_short = x.shortSessions;
  }
  const refsOf = (idx: number[]): Record<Feature, Tail> => Object.fromEntries(FEATURES.map((f) => [f, buildTail(idx.map((i) => values[i]![f]))])) as Record<Feature, Tail>;
  const references = refsOf(sessions.map((_, i) => i));
  // a server label with enough training sessions is compared with its own sessions (what is normal
  // for one server is not for another); the others with all
  const referencesByLabel: Record<string, Record<Feature, Tail>> = {};
  for (const label of labelsWithModel(sessions, config)) {
    const idx = sessions.flatMap((s, i) => (s.label === label ? [i] : []));
    if (idx.length >= o.minLabelReference) referencesByLabel[label] = refsOf(idx);
  }
  const scored = values.map((v, i) => scoreOf(v, referencesByLabel[sessions[i]!.label] ?? references).score);
  // the threshold is calibrated for what the matcher flags: a session's own alert, or an alert of a
  // session of its client that names it (clientAlertScores)
  const sorted = clientAlertScores(sessions, scored, profiles.window.windowSeconds).sort((a, b) => a - b);
  const labels: Record<string, number> = {};
  for (const s of sessions) labels[s.label] = (labels[s.label] ?? 0) + 1;
  const detector: Detector = {
    format: DETECTOR_FORMAT,
    version: DETECTOR_VERSION,
    folds: k,
    targetFpr: o.targetFpr,
    threshold: thresholdAt(sorted, o.targetFpr),
    references,
    referencesByLabel,
    cvScores: boundScores(sorted),
    sessions: sessions.length,
    keys: learnKeyTables(sessions, labelsWithModel(sessions, config), o.maxKeys, truncated),
    labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))),
    truncated,
  };
  return { detector, sessions: sessions.map((s, i) => ({ flowId: s.flowId, values: values[i]!, score: scored[i]! })) };
}

/**
 * What the matcher flags a session by, as a score: the largest of its own score and the scores of the
 * alerts that name it. An alert names the sessions of its client's window judged before it (started
 * after its start − W) and the client's sessions judged after it that start within W of its end (an
 * incident, as Snort's `tag:host` follows an alerting host). So a session is flagged at threshold t
 * exactly when this score is above t, and calibrating t on these scores keeps the false-positive rate
 * of the whole rule at the target: an alert spreads to a benign client's other sessions as often as
 * the training clients' own bursts make it. Sessions in input order (the order they are judged).
 * Per client, sessions sorted by start and scanned between start − W − the client's longest session
 * and start + W: linear in the client's sessions times its window.
 */
export function clientAlertScores(sessions: readonly Session[], scores: readonly number[], windowSeconds: number): number[] {
  const out = [...scores];
  const byClient = new Map<string, { i: number; start: number; end: number }[]>();
  sessions.forEach((s, i) => {
    const { start, end } = sessionSpan(s);
    if (!Number.isFinite(start)) return;
    const list = byClient.get(s.clientIp);
    const e = { i, start, end };
    if (list) list.push(e);
    else byClient.set(s.clientIp, [e]);
  });
  for (const list of byClient.values()) {
    list.sort((a, b) => a.start - b.start);
    const maxDuration = list.reduce((m, e) => Math.max(m, e.end - e.start), 0);
    let lo = 0;
    for (let x = 0; x < list.length; x++) {
      const a = list[x]!;
      while (list[lo]!.start < a.start - windowSeconds - maxDuration) lo++;
      for (let y = lo; y < list.length && list[y]!.start < a.start + windowSeconds; y++) {
        const b = list[y]!; // does an alert of b name a?
        if (b === a) continue;
        const names = b.i > a.i ? a.start > b.start - windowSeconds : a.start <= b.end + windowSeconds;
        if (names && scores[b.i]! > out[a.i]!) out[a.i] = scores[b.i]!;
      }
    }
  }
  return out;
}

/** The extra model fields ftp-gsp and ftp-ids train write for CSV input: the profiles and the calibrated detector. */
export function modelExtras(
  sessions: Session[],
  config: GspConfig,
  options: { profiles?: Record<string, unknown>; calibrate?: Record<string, unknown>; onFold?: (fold: number, folds: number) => void; threads?: number } = {},
): Record<string, unknown> {
  const profiles = learnProfiles(sessions, options.profiles);
  const { detector } = calibrate(sessions, config, profiles, options.calibrate, options.profiles, options.onFold, options.threads);
  return { profiles, detector };
}


