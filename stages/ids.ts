import { availableParallelism } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand, versionLine } from '../src/common/argv.js';
import { checkInputsOpen, EXIT_FLAGGED, EXIT_OK, Progress } from '../src/common/cli.js';
import { FtpIdsError } from '../src/common/errors.js';
import { optEnum, optInt } from '../src/common/options.js';
import type { Session } from '../src/dataset/types.js';
import { supportOption } from '../src/gsp/config.js';
import { patternText } from '../src/gsp/run.js';
import type { Reason } from '../src/match/matcher.js';
import { runMatch, runSessions, type MatchRunOptions } from './match.js';
import { matchCommandOptions, MATCH_OPTION_SPEC, MATCH_USAGE, readModelFile } from './cli-options.js';
import { formatEvalTable } from '../src/ids/eval.js';
import { judge, loadCorpus, runExperiments, trainOn, type Corpus, type Judged } from '../src/ids/experiment.js';
import { parseLabels, type LabelTable } from '../src/ids/labels.js';
import { DEFAULT_FPRS, formatRocTable, recallAtFpr, rocCurve } from '../src/ids/roc.js';
import { formatModelSummary, summarizeModel } from '../src/ids/show.js';
import { splitSessions } from '../src/ids/split.js';
import { trainModelText, TRAIN_GSP_DEFAULTS } from '../src/ids/train.js';
import { reportCommand, REPORT_SPEC } from './report.js';

/**
 * ftp-ids: the whole pipeline in one process (capture → flows → exchanges → sessions, then
 * mining or matching), as subcommands train, detect, eval and demo.
 */
export const IDS_USAGE = `usage: ftp-ids <command> [options] [INPUT...]
INPUT: captures (pcap/pcapng, .gz), flow NDJSON or the exchange CSV (detected per file); none: stdin.
Every command: --help, --version; --signatures default|study|FILE names the servers (default: today's).
Reference of every command and option: docs/cli.md.

  ftp-ids train INPUT... -o model.json    mine the normal sessions (GSP, maximal patterns), count profiles,
                                          and calibrate the anomaly score's threshold by cross-validation
      -o, --out FILE           model file (default stdout)
      --target-fpr F           false-positive rate the threshold is calibrated for (default 0.01)
      --folds K                cross-validation folds (default 20)
      -s, --min-support F      GSP minimum support, a fraction (0.3) or percentage (30%) of the sessions
                               (default ${String(TRAIN_GSP_DEFAULTS.minSupport)}, as ftp-gsp); --min-count N: N sessions instead
      --patterns KIND          maximal (default) | closed | all
      --items SPEC, --time index|seconds, --min-gap N, --max-gap N, --window N, --max-length K   as ftp-gsp
                               (items default: command,code,context)
      --window-seconds D       per-client window of the cross-session profiles (default 60s)
      --labels FILE            train only on the sessions this file labels benign
      --split train|held-back  with --labels: only that part of the deterministic demo split
  ftp-ids detect --model model.json INPUT...   verdicts, as ftp-match (same options: --format csv|json|eve,
      --time-format epoch|iso, --all, --fail-on-alert, ...; ftp-ids detect --help)
  ftp-ids eval --labels labels.csv --model model.json INPUT...
      recall per attack scenario and false-positive rate at the calibrated threshold, precision, the ROC
      curve (recall at false-positive rates 0.1 % … 20 %) and its AUC; the study's plain matching beside it
      --split held-back        judge benign sessions of the held-back part only (training ones left out)
      --json                   the results as JSON
  ftp-ids show MODEL [--json] [--top N]    what a model learned: per server label the patterns with their
      supports (as ftp-gsp -f text prints them), the limits of every score feature, the profiles, the
      calibrated threshold and the training data
  ftp-ids report --model model.json [--labels labels.csv] INPUT... -o report.html
      one self-contained HTML page: summary, timeline, alerts with their exchanges, clients, the model,
      the score distribution (and the eval table and ROC curve with --labels); ftp-ids report --help
  ftp-ids demo [--samples DIR] for samples/ and samples/corpus2/: trains on each corpus's benign training
      part, judges its held-back benign sessions and attacks; then both corpora trained together, and each
      model on the other corpus (what \`npm start\` runs)
`;

type Values = Record<string, string | boolean | undefined>;

/** No INPUT reads stdin (as ftp-match does), unless stdin is a terminal: then nothing would ever come. */
function needInput(cmd: string, inputs: string[]): void {
  if (inputs.length === 0 && process.stdin.isTTY) {
    throw new FtpIdsError('USAGE', `${cmd}: name an input (capture, flows or dataset CSV) or pipe one in (see ftp-ids ${cmd} --help)`);
  }
}

const TRAIN_SPEC = {
  out: { type: 'string', short: 'o' },
  'min-support': { type: 'string', short: 's' },
  'min-count': { type: 'string' },
  patterns: { type: 'string' },
  items: { type: 'string' },
  time: { type: 'string' },
  'min-gap': { type: 'string' },
  'max-gap': { type: 'string' },
  window: { type: 'string' },
  'max-length': { type: 'string' },
  'window-seconds': { type: 'string' },
  'target-fpr': { type: 'string' },
  folds: { type: 'string' },
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

export function readLabels(path: unknown): LabelTable {
  if (typeof path !== 'string' || path === '') throw new FtpIdsError('USAGE', 'option --labels FILE is required');
  return parseLabels(readFileSync(path, 'utf8'), path);
}

/** The sessions of one part of the split (benign ones of that part; attacks go with held-back). */
export function selectSplit(sessions: Session[], labels: LabelTable, part: 'train' | 'held-back' | 'all'): Session[] {
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
  needInput('train', inputs);
  const signatures = matchCommandOptions({ signatures: values.signatures }).signatures;
  checkInputsOpen(inputs);
  const progress = new Progress('ftp-ids train');
  let sessions = await readSessions(inputs, { signatures, progress });
  if (values.labels !== undefined) {
    const labels = readLabels(values.labels);
    const part = optEnum(values, 'split', ['train', 'held-back', 'all'] as const, 'all');
    sessions = selectSplit(sessions, labels, part).filter((s) => labels.lookup(s)?.cls === 'benign');
  } else if (values.split !== undefined) throw new FtpIdsError('USAGE', 'option --split needs --labels');
  if (sessions.length === 0) throw new FtpIdsError('NO_SESSIONS', 'no training sessions in the input');
  const text = trainModelText(sessions, {
    // every core, as ftp-gsp: the model is the same for any number of threads
    threads: availableParallelism(),
    gsp: {
      minSupport: supportOption(values['min-support'], values['min-count']),
      output: values.patterns,
      items: values.items,
      time: values.time,
      minGap: values['min-gap'],
      maxGap: values['max-gap'],
      window: values.window,
      maxLength: values['max-length'],
    },
    profiles: { windowSeconds: values['window-seconds'] },
    calibrate: { targetFpr: values['target-fpr'], folds: values.folds },
    onFold: (j, k) => progress.update(() => `calibrating: mining fold ${j + 1} of ${k} (${sessions.length} training sessions)`),
  });
  progress.done(`${sessions.length} training sessions, model written`);
  if (typeof values.out === 'string' && values.out !== '-') writeFileSync(values.out, text);
  else out(text);
  return 0;
}

/** The eval table, then the trade-off: recall at false-positive budgets, the calibrated point, AUC. */
export function formatJudged(j: Judged): string {
  let out = `== ${j.name}\n`;
  out += formatEvalTable(j.results);
  out += '\n' + formatRocTable([
    { name: 'ftp-ids', sessions: j.scored, calibratedThreshold: j.threshold },
    { name: 'study (plain GSP)', sessions: j.studyScored },
  ]);
  if (j.unfit > 0) out += `${j.unfit} sessions not judged: their server was never seen in training (verdict "unfit")\n`;
  for (const n of j.notices) out += `model fit: ${n.message}\n`;
  return out;
}

/** What `eval --json` writes: the tables' numbers and the curve. */
export function judgedJson(j: Judged): Record<string, unknown> {
  const curve = rocCurve(j.scored);
  return {
    name: j.name,
    results: j.results,
    threshold: j.threshold,
    auc: Number.isNaN(j.auc) ? null : j.auc,
    roc: recallAtFpr(curve, DEFAULT_FPRS).map(({ fpr, point }) => ({ maxFpr: fpr, threshold: Number.isFinite(point.threshold) ? point.threshold : String(point.threshold), fpr: point.fpr, recall: point.recall })),
    unfit: j.unfit,
    notices: j.notices,
  };
}

export async function evalCommand(values: Values, inputs: string[], out: (s: string) => void): Promise<number> {
  if (values.help) {
    out(IDS_USAGE);
    return 0;
  }
  const model = readModelFile(values.model, values);
  const labels = readLabels(values.labels);
  const opts = matchCommandOptions({ ...values, baseline: undefined });
  const part = optEnum(values, 'split', ['held-back', 'all'] as const, 'all');
  checkInputsOpen(inputs);
  const sessions = selectSplit(await readSessions(inputs, opts), labels, part);
  const j = judge('ftp-ids eval', model, sessions, labels, opts.match ?? {});
  if (values.json) out(JSON.stringify(judgedJson(j)) + '\n');
  else out(formatJudged(j));
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
      return `unseen ${r.items.slice(0, 3).map((x) => JSON.stringify(x).slice(0, 40)).join(' ')}${r.count > 1 ? `×${r.count}` : ''}`;
    case 'incident':
      return `incident ${r.incident}: ${r.sessions.length} sessions from ${r.client}`;
    case 'length':
      return `${r.count} exchanges (limit ${r.limit})`;
    case 'rare_attribute':
      return `${r.attribute} at exchange ${r.exchanges.slice(0, 4).join(',')} (${r.trainingSessions} training sessions had it)`;
    case 'refused':
      return `${r.count} commands refused (training max ${r.limit})`;
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
      return r satisfies never;
  }
};

export async function demoCommand(values: Values, out: (s: string) => void): Promise<number> {
  const dir = typeof values.samples === 'string' ? resolve(values.samples) : findSamples();
  const dirs = [
    { name: 'corpus 1 (samples/)', dir },
    { name: 'corpus 2 (samples/corpus2/)', dir: join(dir, 'corpus2') },
  ].filter((c) => existsSync(join(c.dir, 'labels.csv')));
  if (dirs.length === 0) throw new FtpIdsError('NO_SAMPLES', `${dir}: no labels.csv there; pass --samples DIR (a directory like samples/)`);
  const corpora: Corpus[] = [];
  for (const c of dirs) {
    const corpus = await loadCorpus(c.dir, c.name, (inputs, o) => readSessions(inputs, o));
    corpora.push(corpus);
    const sp = corpus.split;
    out(`${c.name}: ${corpus.sessions.length} sessions; training on ${sp.train.length} benign, judging ${sp.heldBack.length} held-back benign + ${sp.attacks.length} attacks (every 3rd benign session of each scenario and server held back)\n`);
  }
  out('\n');
  // the first corpus's model, shown as an analyst would look at it
  const t0 = Date.now();
  const first = trainOn([corpora[0]!]);
  const size = (p: { elements: string[][] }): number => p.elements.reduce((n, e) => n + e.length, 0);
  const patterns = [...first.global.patterns].sort((a, b) => size(b) - size(a) || b.support - a.support);
  // the global pattern set and one per server label: the total is their sum (ftp-ids show lists them all)
  const perLabel = Object.entries(first.byLabel).map(([label, m]) => `${label} ${m.patterns.length}`);
  const total = patterns.length + Object.values(first.byLabel).reduce((n, m) => n + m.patterns.length, 0);
  out(`${corpora[0]!.name}: mined ${total} maximal patterns (GSP, min support ${String(TRAIN_GSP_DEFAULTS.minSupport)}, items ${String(TRAIN_GSP_DEFAULTS.items)}): ${patterns.length} over all servers${perLabel.length ? ` + per server label ${perLabel.join(' + ')}` : ''}; calibrated the threshold (${first.detector!.folds}-fold cross-validation, target false-positive rate ${first.detector!.targetFpr}: threshold ${first.detector!.threshold.toFixed(2)}) in ${((Date.now() - t0) / 1000).toFixed(1)} s; the 10 most specific patterns:\n`);
  for (const p of patterns.slice(0, 10)) out(`  ${patternText(p.elements)}  #SUP: ${p.support} (${(p.support / first.global.sessions).toFixed(2)})\n`);
  out('\n');
  const plan = runExperiments(corpora);
  const limit = 25;
  for (const j of plan.within) {
    const corpus = corpora.find((c) => j.name.startsWith(c.name))!;
    const flagged = j.verdicts.filter((v) => v.verdict === 'suspicious');
    out(`${j.name}: ${flagged.length} verdicts suspicious (first ${Math.min(limit, flagged.length)}; scenario from labels.csv)\n`);
    for (const v of flagged.slice(0, limit)) {
      const l = corpus.labels.lookup(v);
      out(`  ${v.flowId} ${v.clientIp}:${v.clientPort} → ${v.serverIp}:${v.serverPort}  [${l ? `${l.cls}/${l.scenario}` : '?'}]  score ${v.score}${v.update ? ' (update)' : ''}  ${v.reasons.slice(0, 3).map(reasonText).join('; ')}${v.reasons.length > 3 ? '; …' : ''}\n`);
    }
    out('\n');
  }
  for (const j of [...plan.within, ...plan.joint]) out(formatJudged(j) + '\n');
  for (const [i, j] of plan.transfer.entries()) {
    const all = plan.transferJudged[i]!;
    const [ours] = all.results;
    out(`== transfer, ${j.name}: ${j.unfit} of ${j.verdicts.length} sessions from servers the model never saw (not judged)\n`);
    for (const n of j.notices) out(`  model fit: ${n.message.slice(0, 160)}…\n`);
    out(`  judged anyway (--judge-unknown-servers): recall ${(ours!.recall * 100).toFixed(1)} %, false-positive rate ${(ours!.falsePositiveRate * 100).toFixed(1)} % (${ours!.falsePositives} of ${ours!.benign} benign), AUC ${Number.isNaN(all.auc) ? 'n/a' : all.auc.toFixed(3)}\n\n`);
  }
  return 0;
}

export async function idsMain(argv: string[], out: (s: string) => void): Promise<number> {
  const [cmd, ...rest] = argv;
  // every subcommand: its own --help, --version, and unknown options pointing at `ftp-ids CMD --help`
  const parse = <O extends Parameters<typeof parseCommand>[1]>(options: O, positionals = true) => parseCommand(`ftp-ids ${cmd}`, options, rest, positionals);
  const version = (values: { version?: boolean }): boolean => {
    if (values.version) out(versionLine('ftp-ids'));
    return values.version === true;
  };
  switch (cmd) {
    case 'train': {
      const { values, positionals } = parse(TRAIN_SPEC);
      if (version(values)) return 0;
      return trainCommand(values, positionals, out);
    }
    case 'detect': {
      const { values, positionals } = parse(MATCH_OPTION_SPEC);
      if (version(values)) return 0;
      if (values.help) {
        out(MATCH_USAGE('ftp-ids detect [options] --model MODEL [INPUT...]'));
        return 0;
      }
      needInput('detect', positionals);
      const model = readModelFile(values.model, values);
      const opts = matchCommandOptions(values);
      checkInputsOpen(positionals);
      const r = await runMatch(positionals, model, process.stdout, { ...opts, progress: new Progress('ftp-ids detect') });
      if (values.stats) process.stderr.write(JSON.stringify({ ...r.counters.toJSON(), sessions: r.sessions, flagged: r.flagged }) + '\n');
      return values['fail-on-alert'] && r.flagged > 0 ? EXIT_FLAGGED : EXIT_OK;
    }
    case 'eval': {
      const { values, positionals } = parse(EVAL_SPEC);
      if (version(values)) return 0;
      if (!values.help) needInput('eval', positionals);
      return evalCommand(values, positionals, out);
    }
    case 'show': {
      const { values, positionals } = parse({ json: { type: 'boolean' }, top: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
      if (version(values)) return 0;
      if (values.help) {
        out(IDS_USAGE);
        return 0;
      }
      if (positionals.length !== 1) throw new FtpIdsError('USAGE', 'show: name one model file (ftp-ids show model.json)');
      const file = positionals[0]!;
      const summary = summarizeModel(readFileSync(file === '-' ? 0 : file, 'utf8'), file === '-' ? 'stdin' : file);
      if (values.json) out(JSON.stringify(summary) + '\n');
      else out(formatModelSummary(summary, values.top === undefined ? Infinity : optInt(values, 'top', 10, 0)));
      return 0;
    }
    case 'report': {
      const { values, positionals } = parse(REPORT_SPEC);
      if (version(values)) return 0;
      return reportCommand(values, positionals, out);
    }
    case 'demo': {
      const { values } = parse({ samples: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, false);
      if (version(values)) return 0;
      if (values.help) {
        out(IDS_USAGE);
        return 0;
      }
      return demoCommand(values, out);
    }
    case '--version':
    case '-V':
      out(versionLine('ftp-ids'));
      return 0;
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
      throw new FtpIdsError('USAGE', `unknown command "${cmd}" (train, detect, eval, show, report, demo; see ftp-ids --help)`);
  }
}
