import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from '../dataset/types.js';
import type { SignatureSet } from '../label/signatures.js';
import { createMatcher, type MatchEvent, type ModelFitNotice, type Verdict } from '../match/matcher.js';
import { parseModelText, type MatchModel } from '../match/model.js';
import { evaluate, type EvalResult } from './eval.js';
import { LabelTable, parseLabels, type SessionKeyed, type SessionLabel } from './labels.js';
import { auc, type ScoredSession } from './roc.js';
import { splitSessions, type Split } from './split.js';
import { trainModelText, type TrainOptions } from './train.js';

/**
 * The experiments `ftp-ids eval`, the demo and the acceptance tests run (docs/ARCHITECTURE.md,
 * "Evaluation"): a corpus is a directory with `benign.pcap`, `attacks.pcap`, `labels.csv` and
 * (samples/ and samples/corpus2/; sessions labelled by the default server signatures, as the README's
 * commands label them, unless `signatures` is given); its benign sessions are split by labels.csv
 * (every 3rd of each scenario and server held back). Within a corpus: train on its training part,
 * judge its held-back benign sessions and its attacks. Joint: train on the training parts of several
 * corpora at once, judge each. Transfer: train on one, judge another — servers the model never saw
 * are reported as not fitting, not judged.
 */
export interface Corpus {
  name: string;
  dir: string;
  sessions: Session[];
  labels: Labels;
  split: Split;
}

/** Anything that labels sessions (one corpus's table, or several corpora's together). */
export interface Labels {
  lookup(s: SessionKeyed): SessionLabel | undefined;
}

/** Several label tables as one (corpora use disjoint addresses; the first that knows a session wins). */
export function joinLabels(tables: readonly Labels[]): Labels {
  return { lookup: (s) => tables.reduce<SessionLabel | undefined>((found, t) => found ?? t.lookup(s), undefined) };
}

export async function loadCorpus(
  dir: string,
  name: string,
  readSessions: (inputs: string[], opts: { signatures?: SignatureSet }) => Promise<Session[]>,
  signatures?: SignatureSet,
): Promise<Corpus> {
  const labels = parseLabels(readFileSync(join(dir, 'labels.csv'), 'utf8'), join(dir, 'labels.csv'));
  const captures = ['benign.pcap', 'attacks.pcap'].map((f) => join(dir, f)).filter((f) => existsSync(f));
  const sessions = await readSessions(captures, { signatures });
  return { name, dir, sessions, labels, split: splitSessions(sessions, labels as LabelTable) };
}

export interface Judged {
  name: string;
  /** ours, then the study's plain matching */
  results: EvalResult[];
  /** per judged session (labelled ones): our score, attack or not, scenario; and the same for the study */
  scored: ScoredSession[];
  studyScored: ScoredSession[];
  auc: number;
  threshold: number;
  notices: ModelFitNotice[];
  verdicts: Verdict[];
  unfit: number;
}

/** Judge sessions with a model, ours and the study's, against labels. */
export function judge(name: string, model: MatchModel, sessions: readonly Session[], labels: Labels, match: Record<string, unknown> = {}): Judged {
  const notices: ModelFitNotice[] = [];
  const run = (mode: 'full' | 'study'): Verdict[] => {
    const verdicts: Verdict[] = [];
    const onEvent = (e: MatchEvent): void => {
      if (e.type === 'model_fit' && mode === 'full') notices.push(e);
    };
    const m = createMatcher(model, { ...match, mode }, (v) => verdicts.push(v), onEvent);
    for (const s of sessions) m.pushSession(s);
    m.end();
    return verdicts;
  };
  const ours = run('full');
  const study = run('study');
  const results = [evaluate('ftp-ids', [...sessions], ours, labels as LabelTable), evaluate('study (plain GSP)', [...sessions], study, labels as LabelTable)];
  const scoredOf = (verdicts: Verdict[]): ScoredSession[] => {
    // a session's score: its own, raised by a later update (an incident that named it)
    const best = new Map<string, number>();
    for (const v of verdicts) best.set(v.flowId, Math.max(best.get(v.flowId) ?? -Infinity, v.verdict === 'suspicious' && v.update ? Infinity : v.score));
    const out: ScoredSession[] = [];
    for (const s of sessions) {
      const l = labels.lookup(s);
      const sc = best.get(s.flowId);
      if (!l || sc === undefined) continue;
      out.push({ score: sc, attack: l.cls === 'attack', scenario: l.scenario });
    }
    return out;
  };
  const scored = scoredOf(ours);
  return {
    name,
    results,
    scored,
    studyScored: scoredOf(study),
    auc: auc(scored),
    threshold: model.detector?.threshold ?? NaN,
    notices,
    verdicts: ours,
    unfit: ours.filter((v) => v.verdict === 'unfit').length,
  };
}

/** The sessions a corpus judges: held-back benign and attacks, in capture order (windows depend on it). */
export function judgedSessions(c: Corpus): Session[] {
  const held = new Set([...c.split.heldBack, ...c.split.attacks]);
  return c.sessions.filter((s) => held.has(s));
}

export function trainOn(corpora: readonly Corpus[], options: TrainOptions = {}): MatchModel {
  // training sessions in capture order, corpus after corpus (each corpus's own clock)
  const train = corpora.flatMap((c) => c.split.train);
  return parseModelText(trainModelText(train, options));
}

export interface ExperimentPlan {
  within: Judged[];
  joint: Judged[];
  /** train on one corpus, judge another: servers the model never saw are `unfit` (the default) */
  transfer: Judged[];
  /** the same, every server judged anyway (--judge-unknown-servers): what the alerts would have been */
  transferJudged: Judged[];
}

/** Every experiment of the acceptance: within each corpus, joint training judged on each, and each transfer. */
export function runExperiments(corpora: readonly Corpus[], options: TrainOptions = {}, match: Record<string, unknown> = {}): ExperimentPlan {
  const models = corpora.map((c) => trainOn([c], options));
  const within = corpora.map((c, i) => judge(`${c.name}: trained on ${c.name}`, models[i]!, judgedSessions(c), c.labels, match));
  const joint: Judged[] = [];
  const transfer: Judged[] = [];
  const transferJudged: Judged[] = [];
  if (corpora.length > 1) {
    const both = trainOn(corpora, options);
    const names = corpora.map((c) => c.name).join(' + ');
    for (const c of corpora) joint.push(judge(`${c.name}: trained on ${names}`, both, judgedSessions(c), c.labels, match));
    corpora.forEach((from, i) => {
      corpora.forEach((to, j) => {
        if (i === j) return;
        transfer.push(judge(`${to.name}: trained on ${from.name}`, models[i]!, judgedSessions(to), to.labels, match));
        transferJudged.push(judge(`${to.name}: trained on ${from.name}, all judged`, models[i]!, judgedSessions(to), to.labels, { ...match, judgeUnknownServers: true }));
      });
    });
  }
  return { within, joint, transfer, transferJudged };
}
