import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FtpIdsError } from '../common/errors.js';
import { optEnum } from '../common/options.js';
import type { Session } from '../dataset/types.js';
import { patternText } from '../gsp/run.js';
import { createMatcher, type Reason, type Verdict } from '../match/matcher.js';
import { parseModelText, type MatchModel } from '../match/model.js';
import { runMatch, runSessions, type MatchRunOptions } from '../../stages/match.js';
import { matchCommandOptions, MATCH_OPTION_SPEC, MATCH_USAGE, readModelFile } from './cli-options.js';
import { evaluate, formatEvalTable, type EvalResult } from './eval.js';
import { parseLabels, type LabelTable } from './labels.js';
import { splitSessions } from './split.js';
import { trainModelText, TRAIN_GSP_DEFAULTS } from './train.js';

/**
 * ftp-ids: the whole pipeline in one process (capture → flows → exchanges → sessions, then
 * mining or matching), as subcommands train, detect, eval and demo.
 */
export const IDS_USAGE = `usage: ftp-ids <command> [options] INPUT...
INPUT: captures (pcap/pcapng, .gz), flow NDJSON or the exchange CSV (detected per file).

  ftp-ids train INPUT... -o model.json    mine the normal sessions (GSP, maximal patterns) + count profiles
      -o, --out FILE           model file (default stdout)
      -s, --min-support F      GSP minimum support (default ${String(TRAIN_GSP_DEFAULTS.minSupport)})
      --patterns KIND          maximal (default) | closed | all
      --items SPEC, --time index|seconds, --min-gap N, --max-gap N, --window N, --max-length K   as ftp-gsp
      --window-seconds D       per-client window of the cross-session profiles (default 60s)
      --labels FILE            train only on the sessions this file labels benign
      --split train|held-back  with --labels: only that part of the deterministic demo split
  ftp-ids detect --model model.json INPUT...   verdicts, as ftp-match (same options)
  ftp-ids eval --labels labels.csv --model model.json INPUT...
      precision, recall, false-positive rate per scenario
      --split held-back        judge benign sessions of the held-back part only (training ones left out)
      --baseline study         also the study's plain matching, side by side
      --json                   the results as JSON
  ftp-ids demo [--samples DIR] trains on the benign part of samples/, detects on the rest, prints the
      mined patterns, the alerts and the eval table (what \`npm start\` runs)
`;

type Values = Record<string, string | boolean | undefined>;

const TRAIN_SPEC = {
  out: { type: 'string', short: 'o' },
  'min-support': { type: 'string', short: 's' },
  patterns: { type: 'string' },
  items: { type: 'string' },
  time: { type: 'string' },
  'min-gap': { type: 'string' },
  'max-gap': { type: 'string' },
  window: { type: 'string' },
  'max-length': { type: 'string' },
  'window-seconds': { type: 'string' },
  labels: { type: 'string' },
  split: { type: 'string' },
  signatures: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const EVAL_SPEC = { ...MATCH_OPTION_SPEC, labels: { type: 'string' }, split: { type: 'string' } } as const;

async function readSessions(inputs: string[], opts: MatchRunOptions = {}): Promise<Session[]> {
  const sessions: Session[] = [];
  await runSessions(inputs, opts, (s) => sessions.push(s));
  return sessions;
}

function readLabels(path: unknown): LabelTable {
  if (typeof path !== 'string' || path === '') throw new FtpIdsError('USAGE', 'option --labels FILE is required');
  return parseLabels(readFileSync(path, 'utf8'), path);
}

/** The sessions of one part of the split (benign ones of that part; attacks go with held-back). */
function selectSplit(sessions: Session[], labels: LabelTable, part: 'train' | 'held-back' | 'all'): Session[] {
  if (part === 'all') return sessions;
  const sp = splitSessions(sessions, labels);
  const keep = new Set(part === 'train' ? sp.train : [...sp.heldBack, ...sp.attacks]);
  return sessions.filter((s) => keep.has(s)); // capture order: the cross-session windows depend on it
}

export async function trainCommand(values: Values, inputs: string[], out: (s: string) => void): Promise<number> {
  if (values.help) {
    out(IDS_USAGE);
    return 0;
  }
  if (inputs.length === 0) throw new FtpIdsError('USAGE', 'ftp-ids train: name at least one input (capture, flows or dataset CSV)');
  const signatures = matchCommandOptions({ signatures: values.signatures }).signatures;
  let sessions = await readSessions(inputs, { signatures });
  if (values.labels !== undefined) {
    const labels = readLabels(values.labels);
    const part = optEnum(values, 'split', ['train', 'held-back', 'all'] as const, 'all');
    sessions = selectSplit(sessions, labels, part).filter((s) => labels.lookup(s)?.cls === 'benign');
  } else if (values.split !== undefined) throw new FtpIdsError('USAGE', 'option --split needs --labels');
  if (sessions.length === 0) throw new FtpIdsError('NO_SESSIONS', 'no training sessions in the input');
  const text = trainModelText(sessions, {
    gsp: {
      minSupport: values['min-support'],
      output: values.patterns,
      items: values.items,
      time: values.time,
      minGap: values['min-gap'],
      maxGap: values['max-gap'],
      window: values.window,
      maxLength: values['max-length'],
    },
    profiles: { windowSeconds: values['window-seconds'] },
  });
  if (typeof values.out === 'string' && values.out !== '-') writeFileSync(values.out, text);
  else out(text);
  return 0;
}

/** Both matchers (ours and, optionally, the study's) over the same sessions, then the tables. */
export function evaluateSessions(model: MatchModel, sessions: Session[], labels: LabelTable, match: Record<string, unknown>, baseline: boolean): { results: EvalResult[]; verdicts: Verdict[] } {
  const results: EvalResult[] = [];
  let ours: Verdict[] = [];
  for (const mode of baseline ? (['full', 'study'] as const) : (['full'] as const)) {
    const verdicts: Verdict[] = [];
    const m = createMatcher(model, { ...match, mode }, (v) => verdicts.push(v));
    for (const s of sessions) m.pushSession(s);
    m.end();
    results.push(evaluate(mode === 'full' ? 'ftp-ids' : 'study (plain GSP)', sessions, verdicts, labels));
    if (mode === 'full') ours = verdicts;
  }
  return { results, verdicts: ours };
}

export async function evalCommand(values: Values, inputs: string[], out: (s: string) => void): Promise<number> {
  if (values.help) {
    out(IDS_USAGE);
    return 0;
  }
  const model = readModelFile(values.model);
  const labels = readLabels(values.labels);
  const opts = matchCommandOptions({ ...values, baseline: undefined });
  const baseline = optEnum(values, 'baseline', ['study', 'none'] as const, 'none') === 'study';
  const part = optEnum(values, 'split', ['held-back', 'all'] as const, 'all');
  const sessions = selectSplit(await readSessions(inputs, opts), labels, part);
  const { results } = evaluateSessions(model, sessions, labels, opts.match ?? {}, baseline);
  if (values.json) out(JSON.stringify(results) + '\n');
  else out(formatEvalTable(results));
  return 0;
}

/** samples/ of this package: the first `samples` directory up from this module. */
export function findSamples(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'samples', 'labels.csv'))) return join(dir, 'samples');
    dir = dirname(dir);
  }
  throw new FtpIdsError('NO_SAMPLES', 'cannot find samples/ (with labels.csv); pass --samples DIR');
}

const reasonText = (r: Reason): string => {
  switch (r.kind) {
    case 'repetition':
      return `{${r.item}}×${r.count} (limit ${r.limit})`;
    case 'overlong':
      return `overlong ${r.command} ${r.length} chars (limit ${r.limit})`;
    case 'unseen_item':
    case 'unseen_pair':
      return `${r.kind === 'unseen_item' ? 'unseen' : 'unseen pair'} ${r.items.slice(0, 3).map((x) => JSON.stringify(x).slice(0, 24)).join(' ')}${r.items.length > 3 ? ' …' : ''}`;
    case 'length':
      return `${r.count} exchanges (limit ${r.limit})`;
    case 'duration':
    case 'idle':
      return `${r.kind} ${r.seconds}s (limit ${r.limit}s)`;
    case 'window_sessions':
    case 'window_failed_logins':
    case 'window_short_sessions':
      return `${r.kind.slice(7).replace('_', ' ')} from ${r.client}: ${r.count} in ${r.window}s (limit ${r.limit})`;
    case 'unexplained':
      return `${r.count}/${r.of} unexplained`;
    case 'no_pattern':
      return 'supports no pattern';
    default:
      return `${r.kind} at ${r.exchanges.join(',')}`;
  }
};

export async function demoCommand(values: Values, out: (s: string) => void): Promise<number> {
  const dir = typeof values.samples === 'string' ? resolve(values.samples) : findSamples();
  const labels = parseLabels(readFileSync(join(dir, 'labels.csv'), 'utf8'), join(dir, 'labels.csv'));
  const captures = ['benign.pcap', 'attacks.pcap'].map((f) => join(dir, f)).filter((f) => existsSync(f));
  // the study's 25 signatures know none of today's servers: the samples carry their own, so that
  // each server implementation gets its own model and profiles (the global one stays the fallback)
  const signatureFile = join(dir, 'signatures.csv');
  const signatures = existsSync(signatureFile) ? matchCommandOptions({ signatures: signatureFile }).signatures : undefined;
  out(`ftp-ids demo: reading ${captures.map((c) => c.slice(dir.length + 1)).join(' + ')} (${dir})${signatures ? ', server labels from signatures.csv' : ''}\n`);
  const sessions = await readSessions(captures, { signatures });
  const sp = splitSessions(sessions, labels);
  out(`${sessions.length} sessions: training on ${sp.train.length} benign, detecting on ${sp.heldBack.length} held-back benign + ${sp.attacks.length} attacks (deterministic split by labels.csv: every 3rd benign session of each scenario and server held back)\n\n`);
  const t0 = Date.now();
  const modelText = trainModelText(sp.train);
  const model = parseModelText(modelText);
  const size = (p: { elements: string[][] }): number => p.elements.reduce((n, e) => n + e.length, 0);
  const patterns = [...model.global.patterns].sort((a, b) => size(b) - size(a) || b.support - a.support);
  const perLabel = Object.entries(model.byLabel).map(([label, m]) => `${label} ${m.patterns.length}`);
  out(`mined ${patterns.length} maximal patterns (GSP, min support ${String(TRAIN_GSP_DEFAULTS.minSupport)}) in ${((Date.now() - t0) / 1000).toFixed(1)} s${perLabel.length ? ` (per server label: ${perLabel.join(', ')})` : ''}; the 10 most specific:\n`);
  for (const p of patterns.slice(0, 10)) out(`  ${patternText(p.elements)}  #SUP: ${p.support}\n`);
  out('\n');
  const held = new Set([...sp.heldBack, ...sp.attacks]);
  const test = sessions.filter((s) => held.has(s));
  const { results, verdicts } = evaluateSessions(model, test, labels, {}, true);
  const flagged = verdicts.filter((v) => v.verdict === 'suspicious');
  const limit = 40;
  out(`alerts: ${flagged.length} sessions flagged (first ${Math.min(limit, flagged.length)}; scenario from labels.csv)\n`);
  for (const v of flagged.slice(0, limit)) {
    const l = labels.lookup(v);
    out(`  ${v.flowId} ${v.clientIp}:${v.clientPort} → ${v.serverIp}:${v.serverPort}  [${l ? `${l.cls}/${l.scenario}` : '?'}]  ${v.reasons.slice(0, 3).map(reasonText).join('; ')}${v.reasons.length > 3 ? '; …' : ''}\n`);
  }
  out('\n');
  out(formatEvalTable(results));
  return 0;
}

export async function idsMain(argv: string[], out: (s: string) => void): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'train': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: TRAIN_SPEC });
      return trainCommand(values, positionals, out);
    }
    case 'detect': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: MATCH_OPTION_SPEC });
      if (values.help) {
        out(MATCH_USAGE('ftp-ids detect [options] --model MODEL INPUT...'));
        return 0;
      }
      if (positionals.length === 0) throw new FtpIdsError('USAGE', 'ftp-ids detect: name at least one input');
      const model = readModelFile(values.model);
      const r = await runMatch(positionals, model, process.stdout, matchCommandOptions(values));
      if (values.stats) process.stderr.write(JSON.stringify({ ...r.counters.toJSON(), sessions: r.sessions, flagged: r.flagged }) + '\n');
      return values['fail-on-alert'] && r.flagged > 0 ? 1 : 0;
    }
    case 'eval': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: EVAL_SPEC });
      if (!values.help && positionals.length === 0) throw new FtpIdsError('USAGE', 'ftp-ids eval: name at least one input');
      return evalCommand(values, positionals, out);
    }
    case 'demo': {
      const { values } = parseArgs({ args: rest, allowPositionals: false, options: { samples: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
      if (values.help) {
        out(IDS_USAGE);
        return 0;
      }
      return demoCommand(values, out);
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      if (cmd === undefined) {
        process.stderr.write(IDS_USAGE); // a usage error: the message goes to stderr
        return 2;
      }
      out(IDS_USAGE);
      return 0;
    default:
      throw new FtpIdsError('USAGE', `unknown command "${cmd}" (train, detect, eval, demo)`);
  }
}
