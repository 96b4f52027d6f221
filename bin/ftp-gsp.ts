#!/usr/bin/env node
import { createReadStream, readFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkInputsOpen, Progress, runCli } from '../src/common/cli.js';
import { FtpIdsError } from '../src/common/errors.js';
import { normalizeGspConfig } from '../src/gsp/config.js';
import { modelExtras, normalizeCalibrateOptions } from '../src/match/calibrate.js';
import { runGsp, type OutputFormat } from '../src/gsp/run.js';
import { parseTaxonomy } from '../src/gsp/taxonomy.js';
import { mergeInputs, readGspInput } from '../stages/gsp.js';

const USAGE = `usage: ftp-gsp [options] [file ...]   (stdin when no file)
  -s, --min-support F    fraction (0.1), percentage (5%) or count (12); default 0.1
      --min-gap N        strict minimum gap between elements (default: none, only order)
      --max-gap N        maximum gap start(prev) -> end(cur) (default: none)
      --window N         an element may span transactions within N (default 0)
      --max-length K     most items per pattern
      --output KIND      all | maximal | closed (default maximal)
  -f, --format FMT       model (JSON, default) | text | spmf
      --sids             list the sequences supporting each pattern
      --by label         one model per server label (plus "*" for all)
      --items SPEC       command,code (default) | code-all | code-class | label | tags
      --time T           index (default) | seconds (ts_request)
      --taxonomy T       none | ftp (built in) | FILE (lines "child parent ...")
      --input-format F   auto | csv | spmf | jsonl
      --algorithm A      auto | vertical | levelwise
      --max-candidates N bound on maximal/closed candidates held at once (default 1000000)
      --target-fpr F     false-positive rate the detector's threshold is calibrated for (default 0.01)
      --folds K          cross-validation folds of the calibration (default 5: mining runs K + 1 times)
      --no-profiles      write patterns only: no profiles, no calibrated detector (ftp-match then needs
                         --baseline study)`;

runCli('ftp-gsp', async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'min-support': { type: 'string', short: 's' },
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.by !== undefined && values.by !== 'label') {
    throw new FtpIdsError('INVALID_OPTION', `option by: only "label" is supported, got ${JSON.stringify(values.by)}`);
  }
  const config = normalizeGspConfig({
    minSupport: values['min-support'],
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
  const input = mergeInputs(inputs);
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
  runGsp(input, {
    config,
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
            onFold: (j, k) => progress.update(() => `calibrating: mining fold ${j + 1} of ${k} (${sessions.length} sessions)`),
          });
        }
      : undefined,
    progress: (model, level, candidates, frequent) =>
      progress.update(() => `model ${model}: level ${level}, candidates ${candidates}, frequent ${frequent}`),
  });
  flush();
  progress.done();
});
