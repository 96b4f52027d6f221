#!/usr/bin/env node
import { createReadStream, readFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { checkInputsOpen, Progress, runCli } from '../src/common/cli.js';
import { parseCommand, versionLine } from '../src/common/argv.js';
import { FtpIdsError } from '../src/common/errors.js';
import { DEFAULT_MIN_SUPPORT, normalizeGspConfig, supportOption } from '../src/gsp/config.js';
import { configForSessions, modelExtras, normalizeCalibrateOptions } from '../src/match/calibrate.js';
import { flatFromRaw } from '../src/gsp/db.js';
import { sessionsToSequences } from '../src/gsp/input.js';
import { runGsp, type OutputFormat } from '../src/gsp/run.js';
import { parseTaxonomy } from '../src/gsp/taxonomy.js';
import { mergeInputs, readGspInput } from '../stages/gsp.js';

const USAGE = `usage: ftp-gsp [options] [file ...]   (stdin when no file)
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
const EXIT_INCOMPLETE = 3;

/** "30s", "5m", "1h", "250ms", "90" (seconds) -> ms */
function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  const v = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!Number.isFinite(v) || v <= 0) {
    throw new FtpIdsError('INVALID_OPTION', `option time-budget: expected a duration such as 30s, 5m or 1h, got ${JSON.stringify(text)}`);
  }
  return v;
}

function parseThreads(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new FtpIdsError('INVALID_OPTION', `option threads: expected a whole number from 1 to ${MAX_THREADS}, got ${JSON.stringify(text)}`);
  }
  return n;
}
/** more threads than this only add copies of the miner's per-thread buffers */
const MAX_THREADS = 256;

runCli('ftp-gsp', async () => {
  const { values, positionals } = parseCommand('ftp-gsp', {
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
  });
  if (values.version) {
    process.stdout.write(versionLine('ftp-gsp'));
    return 0;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
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
});
