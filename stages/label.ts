/**
 * ftp-label stage: flow records → labelled flow records (format 2), as a highland stage and as the
 * NDJSON run used by bin/ftp-label; `--suggest` collects greetings and prints a signature file.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { labelFlow, type LabelOptions } from '../src/label/label.js';
import { formatSuggestions, SuggestionCollector } from '../src/label/suggest.js';
import type { DataRecord, FlowRecord, LabelledFlowRecord } from '../src/extract/types.js';
import { parseRecordLine, readLines, type InputSource } from './extract.js';
import { isoTimesLine, type TimeFormat } from '../src/common/time.js';

/** flows → labelled flows; data records pass unchanged */
export function labelStage(options: LabelOptions = {}): (s: Highland.Stream<FlowRecord | DataRecord>) => Highland.Stream<LabelledFlowRecord | DataRecord> {
  return (s) => s.map((flow) => (flow.type === 'data' ? flow : labelFlow(flow, options)));
}

export interface LabelRunOptions extends LabelOptions {
  suggest?: boolean;
  /** the records' times: epoch numbers (default) or ISO 8601 text, whichever the input had */
  timeFormat?: TimeFormat;
  maxRecordBytes?: number;
  maxDistinctGreetings?: number;
}

/** NDJSON flows in → NDJSON labelled flows out (or, with `suggest`, a CSV signature file at the end). */
export async function runLabel(inputs: InputSource[], output: Writable, options: LabelRunOptions = {}): Promise<void> {
  const collector = options.suggest ? new SuggestionCollector(options.maxDistinctGreetings) : null;
  const iso = options.timeFormat === 'iso';
  let pending = '';
  const flush = async (): Promise<void> => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    if (!output.write(text)) await once(output, 'drain');
  };
  try {
    for (const input of inputs) {
      for await (const { text, lineNo, chunkEnd } of readLines(input.stream, input.name, options.maxRecordBytes, true)) {
        if (chunkEnd) {
          await flush(); // live: what was read goes on at once (see runExtract)
          continue;
        }
        if (text.trim() === '') continue;
        const rec = parseRecordLine(text, lineNo, input.name);
        if (rec.type === 'data') {
          // data records pass through for ftp-extract (written again only when their times change form)
          if (!collector) pending += iso ? isoTimesLine(text) : text.includes('_ts":"') ? JSON.stringify(rec) + '\n' : text + '\n';
          continue;
        }
        const labelled = labelFlow(rec, options);
        if (collector) collector.add(labelled.greeting);
        else {
          pending += iso ? isoTimesLine(JSON.stringify(labelled)) : JSON.stringify(labelled) + '\n';
          if (pending.length >= 1 << 20) await flush();
        }
      }
    }
    if (collector) pending += formatSuggestions(collector.result());
  } finally {
    await flush();
  }
}
