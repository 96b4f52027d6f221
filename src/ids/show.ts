import { readModel, type FtpIdsModel } from '../gsp/model.js';
import { patternText } from '../gsp/run.js';
import { FEATURES, type Feature, type Tail } from '../match/detector.js';
import { toMatchModel, type MatchModel } from '../match/model.js';
import type { Quantiles, SessionProfile } from '../match/profiles.js';
import { FtpIdsError } from '../common/errors.js';

/**
 * `ftp-ids show model.json`: what a model learned, for a person (text) or a script (`--json`).
 * Patterns print as `ftp-gsp -f text` prints them (same item order, `#SUP: n (fraction)`), in the
 * model's order; limits are the largest cross-validated value of each score feature over the training
 * sessions (a session beyond one is scored as surprising, docs/ARCHITECTURE.md "ftp-match"), overall
 * and per server label; profiles are the quantiles the limits and windows come from.
 */
export interface ModelSummary {
  file: string;
  generator: string;
  params: Record<string, unknown>;
  training: { sessions: number; labels: Record<string, number> };
  detector: { threshold: number; targetFpr: number; folds: number; cvScores: Record<string, number> } | null;
  patterns: { total: number; models: { name: string; sequences: number; minSupportCount: number; patterns: { pattern: string; support: number; fraction: number }[] }[] };
  limits: Record<string, Record<Feature, number>> | null;
  profiles: {
    quantiles: number[];
    bySet: Record<string, { sessions: number; length: number[]; duration: number[]; maxGap: number[] }>;
    window: { seconds: number; sessions: number[]; failedLogins: number[]; shortSessions: number[] };
    maxArgLength: Record<string, number>;
    seenKeys: number;
    seenItems: number;
    truncated: Record<string, number>;
  } | null;
}

/** What each score feature measures, for the limits table. */
export const FEATURE_TEXT: Record<Feature, string> = {
  unexplained: 'exchanges no pattern explains',
  unexplained_share: 'share of exchanges no pattern explains',
  rarest: 'surprisal of the rarest exchange key (nats)',
  novel: 'summed surprisal of keys never seen (nats)',
  attr: 'surprisal of the rarest context attribute (nats)',
  refused: 'commands refused (4xx/5xx)',
  length: 'exchanges per session',
  duration: 'session duration (s)',
  idle: 'longest silence (s)',
  arglen: 'longest argument over its command\'s (doublings)',
  win_sessions: 'sessions of one client per window',
  win_failed: 'failed logins of one client per window',
  win_short: 'short sessions of one client per window',
};

const tailMax = (t: Tail | undefined): number => (t && t.v.length ? t.v[t.v.length - 1]! : 0);
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
const qs = (q: Quantiles): number[] => q.q.map((x) => round(x));

/** The quantile of a sorted list at p (nearest rank). */
function at(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function summarizeModel(text: string, file = 'model'): ModelSummary {
  if (/^\s*<\{/.test(text) || /^\s*[A-Za-z0-9_<].*#SUP:/.test(text)) {
    throw new FtpIdsError('USAGE', 'this is ftp-gsp text or SPMF output, not a model file: write the model with ftp-gsp (default -f model) or ftp-ids train', { file });
  }
  if (/^flow_id,/.test(text) || /^\{"type":"flow"/.test(text)) {
    throw new FtpIdsError('USAGE', 'this is a dataset (exchange CSV or flow NDJSON), not a model: mine one with "ftp-ids train" or ftp-gsp', { file });
  }
  const raw: FtpIdsModel = readModel(text, file);
  let m: MatchModel;
  try {
    m = toMatchModel(raw);
  } catch (e) {
    if (e instanceof FtpIdsError && !e.where.file) throw new FtpIdsError(e.code, e.message, { file });
    throw e;
  }
  const names = Object.keys(raw.models).sort((a, b) => (a === '*' ? -1 : b === '*' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const models = names.map((name) => {
    const pm = raw.models[name]!;
    return {
      name: name === '*' ? 'global' : name,
      sequences: pm.sequences,
      minSupportCount: pm.minSupportCount,
      patterns: pm.patterns.map((p) => ({ pattern: patternText(p.pattern), support: p.support, fraction: p.fraction })),
    };
  });
  const d = m.detector;
  const limits: ModelSummary['limits'] = d
    ? Object.fromEntries([
        ['global', Object.fromEntries(FEATURES.map((f) => [f, round(tailMax(d.references[f]))])) as Record<Feature, number>],
        ...Object.entries(d.referencesByLabel).map(([l, refs]) => [l, Object.fromEntries(FEATURES.map((f) => [f, round(tailMax(refs[f]))])) as Record<Feature, number>]),
      ])
    : null;
  const p = m.profiles;
  const set = (s: SessionProfile) => ({ sessions: s.sessions, length: qs(s.length), duration: qs(s.duration), maxGap: qs(s.maxGap) });
  const cv = d ? [...d.cvScores].sort((a, b) => a - b) : [];
  return {
    file,
    generator: raw.generator,
    params: raw.params,
    training: { sessions: d?.sessions ?? raw.dataset.sequences, labels: d?.labels ?? {} },
    detector: d
      ? { threshold: round(d.threshold, 4), targetFpr: d.targetFpr, folds: d.folds, cvScores: { median: round(at(cv, 0.5)), p90: round(at(cv, 0.9)), p99: round(at(cv, 0.99)), max: round(at(cv, 1)) } }
      : null,
    patterns: { total: models.reduce((n, x) => n + x.patterns.length, 0), models },
    limits,
    profiles: p
      ? {
          quantiles: p.quantileProbs,
          bySet: Object.fromEntries([['global', set(p.global)], ...Object.entries(p.byLabel).map(([l, s]) => [l, set(s)])]),
          window: { seconds: p.window.windowSeconds, sessions: qs(p.window.sessions), failedLogins: qs(p.window.failedLogins), shortSessions: qs(p.window.shortSessions) },
          maxArgLength: p.maxArgLength,
          seenKeys: p.seenKeys.length,
          seenItems: p.seenItems.length,
          truncated: p.truncated,
        }
      : null,
  };
}

const pct = (p: number): string => `${round(p * 100, 1)} %`;

/** A table with left-aligned first column and right-aligned others. */
function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd() + '\n').join('');
}

export function formatModelSummary(s: ModelSummary, top = Infinity): string {
  const pr = s.params;
  let out = `${s.file}: ftp-ids model (${s.generator})\n`;
  const labels = Object.entries(s.training.labels);
  out += `training: ${s.training.sessions} sessions${labels.length ? `; server labels: ${labels.map(([l, n]) => `${l} ${n}`).join(', ')}` : ''}\n`;
  out += `mining: ${String(pr.output)} patterns, min support ${String(pr.minSupport)}, items ${String(pr.items)}, time ${String(pr.time)}` +
    `${pr.minGap !== null && pr.minGap !== undefined ? `, min gap ${String(pr.minGap)}` : ''}${pr.maxGap !== null && pr.maxGap !== undefined ? `, max gap ${String(pr.maxGap)}` : ''}` +
    `${pr.window ? `, window ${String(pr.window)}` : ''}${pr.maxLength !== null && pr.maxLength !== undefined ? `, max length ${String(pr.maxLength)}` : ''}\n`;
  if (s.detector) {
    const d = s.detector;
    out += `detector: threshold ${d.threshold} (calibrated for a false-positive rate of ${pct(d.targetFpr)} by ${d.folds}-fold cross-validation; ` +
      `training sessions' cross-validated scores: median ${d.cvScores.median}, 90 % ${d.cvScores.p90}, 99 % ${d.cvScores.p99}, max ${d.cvScores.max})\n`;
  } else out += 'detector: none (mined with --no-profiles: ftp-match needs --baseline study)\n';
  out += `\n== patterns: ${s.patterns.total} in all (${s.patterns.models.map((m) => `${m.name} ${m.patterns.length}`).join(' + ')})\n`;
  for (const m of s.patterns.models) {
    out += `-- ${m.name}: ${m.patterns.length} patterns from ${m.sequences} sessions (min support count ${m.minSupportCount})\n`;
    for (const p of m.patterns.slice(0, top)) out += `${p.pattern}  #SUP: ${p.support} (${p.fraction.toFixed(2)})\n`;
    if (m.patterns.length > top) out += `… ${m.patterns.length - top} more (--top N)\n`;
  }
  if (s.limits) {
    const sets = Object.keys(s.limits);
    out += `\n== limits: the largest cross-validated value of each score feature over the training sessions\n`;
    out += table([['feature', ...sets], ...FEATURES.map((f) => [FEATURE_TEXT[f], ...sets.map((l) => String(s.limits![l]![f]))])]);
  }
  if (s.profiles) {
    const p = s.profiles;
    const head = ['profile', ...p.quantiles.map((q) => (q === 1 ? 'max' : pct(q)))];
    out += `\n== profiles: quantiles over the training sessions\n`;
    const rows = [head];
    for (const [name, set] of Object.entries(p.bySet)) {
      rows.push([`${name}: exchanges (${set.sessions} sessions)`, ...set.length.map(String)]);
      rows.push([`${name}: duration (s)`, ...set.duration.map(String)]);
      rows.push([`${name}: longest silence (s)`, ...set.maxGap.map(String)]);
    }
    rows.push([`window ${p.window.seconds} s: sessions per client`, ...p.window.sessions.map(String)]);
    rows.push([`window ${p.window.seconds} s: failed logins per client`, ...p.window.failedLogins.map(String)]);
    rows.push([`window ${p.window.seconds} s: short sessions per client`, ...p.window.shortSessions.map(String)]);
    out += table(rows);
    const args = Object.entries(p.maxArgLength).filter(([c]) => !c.startsWith('<'));
    out += `longest argument per command: ${args.map(([c, n]) => `${c} ${n}`).join(', ')}\n`;
    out += `seen in training: ${p.seenKeys} exchange keys, ${p.seenItems} items${Object.values(p.truncated).some((n) => n > 0) ? `; truncated by bounds: ${JSON.stringify(p.truncated)}` : ''}\n`;
  }
  return out;
}
