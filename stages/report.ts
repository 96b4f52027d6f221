import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { captureChunks } from '../src/capture/input.js';
import { Progress } from '../src/common/cli.js';
import { FtpIdsError } from '../src/common/errors.js';
import { optEnum } from '../src/common/options.js';
import type { Session } from '../src/dataset/types.js';
import { judge } from '../src/ids/experiment.js';
import { detectKind, SessionSource } from '../src/ids/source.js';
import { createMatcher } from '../src/match/matcher.js';
import { ReportBuilder, type ReportData } from '../src/report/data.js';
import { renderReport, type PageAssets } from '../src/report/page.js';
import { looksLikeVerdicts, VerdictStreamReader } from '../src/report/verdicts.js';
import { matchCommandOptions, MATCH_OPTION_SPEC, readModelFile } from './cli-options.js';
import { readLabels, selectSplit } from './ids.js';

/**
 * `ftp-ids report`: one self-contained HTML page (src/report/) from captures, flow NDJSON or the
 * exchange CSV (matched here, sessions and verdicts together), or from a verdict stream
 * (`ftp-match --json`, detected from its first line; verdicts only, no dialogues).
 */
export const REPORT_USAGE = `usage: ftp-ids report --model model.json [--labels labels.csv] [INPUT...] -o report.html
INPUT: captures, flow NDJSON, the exchange CSV, or a verdict stream (ftp-match --json; --all for every
session); none or "-": stdin. Writes one HTML file that opens from disk (no server, no network).
  -o, --out FILE            the page (default stdout)
  --labels FILE             add the eval table and ROC curve (as ftp-ids eval; captures only)
  --split held-back         with --labels: judge only the held-back benign sessions and the attacks
  --max-alerts N            alerts kept in detail in the page (2000; more are counted)
  --max-sample N            other sessions kept in detail, a uniform sample (1000)
  and ftp-match's options (--sensitivity, --signatures, --judge-unknown-servers, …)
`;

export const REPORT_SPEC = {
  ...MATCH_OPTION_SPEC,
  out: { type: 'string', short: 'o' },
  labels: { type: 'string' },
  split: { type: 'string' },
  'max-alerts': { type: 'string' },
  'max-sample': { type: 'string' },
} as const;

type Values = Record<string, string | boolean | undefined>;

/** uPlot's browser build and stylesheet, from node_modules, to be inlined in the page. */
export function chartAssets(): PageAssets {
  const require = createRequire(import.meta.url);
  const dir = require.resolve('uplot/package.json').replace(/package\.json$/, '');
  return { chartJs: readFileSync(`${dir}dist/uPlot.iife.min.js`, 'utf8'), chartCss: readFileSync(`${dir}dist/uPlot.min.css`, 'utf8') };
}

/**
 * Read every input: sessions go to `onSession`, a verdict stream's records to the builder. On bad
 * input the sessions read so far are flushed first (the page is still written), then it throws.
 */
async function readInputs(inputs: string[], values: Values, builder: ReportBuilder, onSession: (s: Session) => void): Promise<'sessions' | 'verdicts'> {
  const opts = matchCommandOptions(values);
  const source = new SessionSource({ signatures: opts.signatures }, onSession);
  let mode: 'sessions' | 'verdicts' | null = null;
  let warned = 0;
  const warnings = (): void => {
    for (; warned < source.warnings.length; warned++) {
      const w = source.warnings[warned]!;
      process.stderr.write(`warning: ${w.file ? w.file + ': ' : ''}byte offset ${w.offset}: ${w.message}\n`);
    }
  };
  const progress = new Progress('ftp-ids report');
  try {
    for (const name of inputs.length ? inputs : ['-']) {
      const display = name === '-' ? 'stdin' : name;
      let reader: VerdictStreamReader | null = null;
      let started = false;
      for await (const chunk of captureChunks(name)) {
        if (!started) {
          started = true;
          const kind = looksLikeVerdicts(chunk) ? 'verdicts' : 'sessions';
          if (mode !== null && mode !== kind) throw new FtpIdsError('USAGE', `${display}: a verdict stream and captures/datasets cannot be mixed in one report`);
          mode = kind;
          if (kind === 'verdicts') reader = new VerdictStreamReader(display, (v) => builder.verdict(v), (e) => builder.event(e));
          else source.startFile(display, opts.kind ?? detectKind(chunk));
        }
        if (reader) reader.push(chunk);
        else source.push(chunk);
        progress.update(() => `${display}: ${builder.counts().sessions} sessions`);
      }
      if (reader) reader.end();
      else {
        if (!started) source.startFile(display, opts.kind ?? 'csv');
        source.endFile();
      }
      warnings();
    }
    source.end();
  } catch (e) {
    if (e instanceof FtpIdsError) source.flushAfterError();
    warnings();
    throw e;
  } finally {
    progress.done(`${builder.counts().sessions} sessions read`);
  }
  return mode ?? 'sessions';
}

/** Write the page (to a file or stdout). */
function writePage(data: ReportData, values: Values, out: (s: string) => void): void {
  const html = renderReport(data, chartAssets());
  if (typeof values.out === 'string' && values.out !== '-') writeFileSync(values.out, html);
  else out(html);
}

export async function reportCommand(values: Values, inputs: string[], out: (s: string) => void): Promise<number> {
  if (values.help) {
    out(REPORT_USAGE);
    return 0;
  }
  const model = readModelFile(values.model);
  const labels = values.labels !== undefined ? readLabels(values.labels) : null;
  if (values.split !== undefined && !labels) throw new FtpIdsError('USAGE', 'option --split needs --labels');
  const part = optEnum(values, 'split', ['held-back', 'all'] as const, 'all');
  const reportOpts = { maxAlerts: values['max-alerts'], maxSample: values['max-sample'] };
  let data: ReportData;
  if (labels) {
    // as ftp-ids eval: every session in memory, the split chosen, then judged (ours and the study's);
    // the page's verdicts come from the same matcher over the same sessions in the same order
    const all: Session[] = [];
    const reading = new ReportBuilder(model, { source: 'sessions', inputs }, { maxAlerts: 0, maxSample: 0, recentSessions: 0 });
    const mode = await readInputs(inputs, values, reading, (s) => all.push(s));
    if (mode === 'verdicts') throw new FtpIdsError('USAGE', '--labels needs captures or a dataset (the eval judges the sessions), not a verdict stream');
    const sessions = selectSplit(all, labels, part);
    const opts = matchCommandOptions({ ...values, baseline: undefined });
    const j = judge('ftp-ids report', model, sessions, labels, opts.match ?? {});
    const builder = new ReportBuilder(model, { source: 'sessions', inputs }, reportOpts);
    const matcher = createMatcher(model, opts.match ?? {}, (v) => builder.verdict(v), (e) => builder.event(e));
    for (const s of sessions) {
      builder.session(s);
      matcher.pushSession(s);
    }
    matcher.end();
    data = builder.result({ results: j.results, scored: j.scored, auc: j.auc, threshold: j.threshold, unfit: j.unfit });
  } else {
    const builder = new ReportBuilder(model, { source: 'sessions', inputs }, reportOpts);
    const opts = matchCommandOptions(values);
    const matcher = createMatcher(model, opts.match ?? {}, (v) => builder.verdict(v), (e) => builder.event(e));
    let mode: 'sessions' | 'verdicts' = 'sessions';
    try {
      mode = await readInputs(inputs, values, builder, (s) => {
        builder.session(s);
        matcher.pushSession(s);
      });
    } catch (e) {
      // bad input: the page of what was read is still written, then the one-line error
      if (e instanceof FtpIdsError && e.code !== 'USAGE') {
        const partial = builder.result();
        partial.inputs = [...inputs, `(stopped: ${e.describe()})`];
        writePage(partial, values, out);
      }
      throw e;
    }
    matcher.end();
    data = builder.result();
    data.source = mode;
  }
  writePage(data, values, out);
  return values['fail-on-alert'] && data.summary.alerts > 0 ? 1 : 0;
}
