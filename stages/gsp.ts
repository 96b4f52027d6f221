import { createReadStream, readFileSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { FtpIdsError } from '../src/common/errors.js';
import { DatasetReader } from '../src/dataset/read.js';
import type { Session } from '../src/dataset/types.js';
import { checkInputsOpen, Progress } from '../src/common/cli.js';
import { parseCommand, versionLine } from '../src/common/argv.js';
import { DEFAULT_MIN_SUPPORT, normalizeGspConfig, parseDuration, parseThreads, supportOption, type GspConfig } from '../src/gsp/config.js';
import { configForSessions, modelExtras, normalizeCalibrateOptions } from '../src/match/calibrate.js';
import { parseTaxonomy } from '../src/gsp/taxonomy.js';
import { parseJsonLines, parseSpmf, sessionsToSequences, sniffFormat, type InputFormat } from '../src/gsp/input.js';
import { runGsp, type GspInput, type OutputFormat } from '../src/gsp/run.js';
import { flatFromRaw, mergeFlat } from '../src/gsp/db.js';

/**
 * Stream side of ftp-gsp: read one input (exchange CSV, SPMF or JSON lines) into sequences.
 * Mining needs the whole database, so this collects; the CSV is parsed chunk by chunk by the
 * dataset reader (no second CSV reader), the other formats line by line from the text.
 */
export async function readGspInput(
  stream: Readable,
  format: InputFormat | 'auto',
  cfg: Pick<GspConfig, 'items' | 'time'>,
  file?: string,
): Promise<GspInput> {
  let fmt: InputFormat | null = format === 'auto' ? null : format;
  const sessions: Session[] = [];
  let reader: DatasetReader | null = null;
  // bytes in: SPMF is scanned as bytes, JSON lines decoded once, only the CSV is decoded chunk by chunk
  const chunks: Buffer[] = [];
  const decoder = new StringDecoder('utf8');
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (fmt === null) {
      const head = bytes.toString('utf8', 0, Math.min(bytes.length, 1 << 16));
      // a saved model given as input (`ftp-gsp -f text model.json`) would fail as "not JSON lines"
      if (/^\s*\{\s*"format"\s*:\s*"ftp-ids-model"/.test(head)) {
        throw new FtpIdsError('USAGE', `this is a model (ftp-ids-model), not sessions to mine: to read it, run "ftp-ids show ${file ?? 'MODEL'}" (--json for JSON)`, { file });
      }
      fmt = sniffFormat(head);
    }
    if (fmt === 'csv') {
      reader ??= new DatasetReader({ file }, (s) => sessions.push(s));
      reader.push(decoder.write(bytes));
    } else chunks.push(bytes);
  }
  fmt ??= 'csv';
  if (fmt === 'csv') {
    reader ??= new DatasetReader({ file }, (s) => sessions.push(s));
    const rest = decoder.end();
    if (rest) reader.push(rest);
    reader.end();
    return { flat: flatFromRaw(sessionsToSequences(sessions, cfg.items, cfg.time, file)), itemNames: new Map(), format: 'csv', sessions };
  }
  const bytes = Buffer.concat(chunks);
  const parsed = fmt === 'spmf' ? parseSpmf(bytes, file) : parseJsonLines(bytes.toString('utf8'), file);
  return { ...parsed, format: fmt };
}

/** Several inputs into one database (sequences appended in order; item names merged). */
export function mergeInputs(inputs: GspInput[]): GspInput {
  if (inputs.length === 1) return inputs[0];
  const out: GspInput = { flat: mergeFlat(inputs.map((i) => i.flat)), itemNames: new Map(), format: inputs[0]?.format ?? 'csv', sessions: [] };
  for (const i of inputs) {
    for (const [k, v] of i.itemNames) out.itemNames.set(k, v);
    if (i.sessions) out.sessions!.push(...i.sessions);
    else out.sessions = undefined;
  }
  return out;
}

export const GSP_USAGE = `usage: ftp-gsp [options] [file ...]   (stdin when no file)
  -s, --min-support F    minimum support: a fraction (0.3) or percentage (30%) of the sessions; default
                         ${DEFAULT_MIN_SUPPORT} (see README, "Choosing the support"); a bare integer is refused
      --min-count N      minimum support as a number of sessions instead
      --min-gap N        strict minimum gap between elements (default: none, only order)
      --max-gap N        maximum gap start(prev) -> end(cur) (default: none)
      --window N         an element may span transactions within N (default 0)
      --max-length K     most items per pattern
      --output KIND      all | maximal | closed (default maximal)
  -f, --format FMT       model (JSON, default) | text | spmf
      --sids             list the sequences supporting each pattern
      --by label         one model per server label (plus "*" for all)
      --items SPEC       command,code (default) | code-all | code-class | label | tags
                         (and login, cwd, end, pace, context; data: size=K of each transfer, classes
                         learned from the input and kept in the model, data=third_host|never_opened|no_data_226)
      --time T           index (default) | seconds (ts_request)
      --taxonomy T       none | ftp (built in) | FILE (lines "child parent ...")
      --input-format F   auto | csv | spmf | jsonl
      --algorithm A      auto | vertical | levelwise
      --max-candidates N bound on maximal/closed candidates held at once (default 1000000)
      --target-fpr F     false-positive rate the detector's threshold is calibrated for (default 0.01)
      --folds K          cross-validation folds of the calibration (default 20: mining runs K + 1 times)
      --no-profiles      write patterns only: no profiles, no calibrated detector (ftp-match then needs
                         --baseline study)
      --threads N        mining threads for maximal/closed output (default: the cores available; a run
                         shorter than 0.2 s stays on one); the output does not depend on N
      --time-budget D    stop mining after D (30s, 5m, 1h; a bare number is seconds): the patterns found
                         so far are written, marked incomplete ("incomplete": true in the model, a
                         "# incomplete" line in text/spmf), no profiles, and the exit code is 3
      --version          the version (a model file is read with "ftp-ids show MODEL", not ftp-gsp)

exit codes: 0 done, 2 error, 3 stopped at --time-budget (output incomplete)`;

/** exit code of a run stopped at --time-budget (0 done, 2 error) */
export const EXIT_INCOMPLETE = 3;

const GSP_OPTION_SPEC = {
  'min-support': { type: 'string', short: 's' },
  'min-count': { type: 'string' },
  'min-gap': { type: 'string' },
  'max-gap': { type: 'string' },
  window: { type: 'string' },
  'max-length': { type: 'string' },
  output: { type: 'string' },
  format: { type: 'string', short: 'f' },
  sids: { type: 'boolean' },
  by: { type: 'string' },
  items: { type: 'string' },
  time: { type: 'string' },
  taxonomy: { type: 'string' },
  'input-format': { type: 'string' },
  algorithm: { type: 'string' },
  'no-profiles': { type: 'boolean' },
  'target-fpr': { type: 'string' },
  folds: { type: 'string' },
  'max-candidates': { type: 'string' },
  threads: { type: 'string' },
  'time-budget': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The ftp-gsp command: options in, the mined model or patterns to stdout (fd 1), the exit code out. */
export async function gspMain(argv: string[]): Promise<number | undefined> {
  const { values, positionals } = parseCommand('ftp-gsp', GSP_OPTION_SPEC, argv);
  if (values.version) {
    process.stdout.write(versionLine('ftp-gsp'));
    return 0;
  }
  if (values.help) {
    process.stdout.write(GSP_USAGE + '\n');
    return 0;
  }
  if (values.by !== undefined && values.by !== 'label') {
    throw new FtpIdsError('INVALID_OPTION', `option by: only "label" is supported, got ${JSON.stringify(values.by)}`);
  }
  let config = normalizeGspConfig({
    minSupport: supportOption(values['min-support'], values['min-count']),
    minGap: values['min-gap'],
    maxGap: values['max-gap'],
    window: values.window,
    maxLength: values['max-length'],
    output: values.output,
    sids: values.sids,
    by: values.by,
    items: values.items,
    time: values.time,
    taxonomy: values.taxonomy,
    algorithm: values.algorithm,
    maxCandidates: values['max-candidates'],
  });
  const threads = parseThreads(values.threads);
  const timeBudgetMs = values['time-budget'] === undefined ? undefined : parseDuration(values['time-budget']);
  const format = (values.format ?? 'model') as OutputFormat;
  if (!['model', 'text', 'spmf'].includes(format)) {
    throw new FtpIdsError('INVALID_OPTION', `option format: expected model, text or spmf, got ${JSON.stringify(values.format)}`);
  }
  const inputFormat = values['input-format'] ?? 'auto';
  if (!['auto', 'csv', 'spmf', 'jsonl'].includes(inputFormat)) {
    throw new FtpIdsError('INVALID_OPTION', `option input-format: expected auto, csv, spmf or jsonl, got ${JSON.stringify(inputFormat)}`);
  }
  const taxonomyFile =
    config.taxonomy !== 'none' && config.taxonomy !== 'ftp' ? parseTaxonomy(readFileSync(config.taxonomy, 'utf8'), config.taxonomy) : undefined;
  const files = positionals.length ? positionals : ['-'];
  checkInputsOpen(files);
  const inputs = [];
  for (const f of files) {
    const stream = f === '-' ? process.stdin : createReadStream(f);
    inputs.push(await readGspInput(stream, inputFormat as 'auto', config, f === '-' ? undefined : f));
  }
  let input = mergeInputs(inputs);
  if (config.items.data && input.sessions) {
    // data items: size classes learned from these sessions, the sequences built again with them
    config = configForSessions(config, input.sessions);
    input = { ...input, flat: flatFromRaw(sessionsToSequences(input.sessions, config.items, config.time)) };
  }
  if (config.byLabel && input.flat.labels.every((l) => l === '')) {
    throw new FtpIdsError('INVALID_OPTION', 'option by label: the input has no labels');
  }
  // the matcher's profiles and calibrated detector are learned from the same sessions — CSV input,
  // model output, no taxonomy (the matcher cannot derive ancestor items); SPMF and
  // JSON-lines runs have no sessions to learn them from
  const calibrateOptions = normalizeCalibrateOptions({ targetFpr: values['target-fpr'], folds: values.folds });
  const withDetector = !values['no-profiles'] && !!input.sessions && format === 'model' && config.taxonomy === 'none';
  const progress = new Progress('ftp-gsp');
  const chunks: string[] = [];
  let size = 0;
  // mining is synchronous: write with writeSync so a slow reader applies back-pressure instead of
  // the output piling up in memory (EAGAIN on a non-blocking pipe: retry; EPIPE: runCli exits 0)
  const flush = (): void => {
    if (!chunks.length) return;
    const buf = Buffer.from(chunks.join(''));
    chunks.length = 0;
    size = 0;
    for (let off = 0; off < buf.length; ) {
      try {
        off += writeSync(1, buf, off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
    }
  };
  const t0 = Date.now();
  const summary = runGsp(input, {
    config,
    threads,
    timeBudgetMs,
    output: format,
    taxonomyFile,
    write: (s) => {
      chunks.push(s);
      size += s.length;
      if (size > 1 << 16) flush();
    },
    extraModelFields: withDetector
      ? (sessions) => {
          return modelExtras(sessions, config, {
            calibrate: { ...calibrateOptions },
            // the k + 1 calibration mines: on every thread too (same output for any number)
            threads,
            onFold: (j, k) => progress.update(() => `calibrating: mining fold ${j + 1} of ${k} (${sessions.length} sessions)`),
          });
        }
      : undefined,
    progress: (model, level, _candidates, frequent) =>
      progress.update(() => {
        const s = (Date.now() - t0) / 1000;
        return `model ${model}: ${frequent} patterns visited (${Math.round(frequent / Math.max(s, 0.001))}/s), depth ${level}, ${s.toFixed(0)} s`;
      }),
  });
  flush();
  progress.done();
  if (summary.incomplete) {
    process.stderr.write(`ftp-gsp: time budget reached: the output holds the patterns found so far (marked incomplete)\n`);
    return EXIT_INCOMPLETE;
  }
  return 0;
}
