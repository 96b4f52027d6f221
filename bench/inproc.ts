#!/usr/bin/env node
/**
 * Capture → exchange CSV in ONE process, the library stages chained by callbacks: the project's
 * capture input (gunzip detection as in ftp-flows) → createFlowReader (src/flows) →
 * createExchangeExtractor (src/extract, labelling with the default signatures) → csvRows, written to
 * stdout in batches. No NDJSON between the stages: the flow records go to the extractor as objects
 * (their payload chunks stay Buffers). The bench compares this with `ftp-flows F | ftp-extract`.
 *
 * usage: node dist/bench/inproc.js CAPTURE > out.csv   (counters as JSON on stderr)
 */
import { captureChunks } from '../src/capture/input.js';
import { Counters } from '../src/common/bounds.js';
import { runCli } from '../src/common/cli.js';
import { FtpIdsError } from '../src/common/errors.js';
import { createExchangeExtractor } from '../src/extract/extractor.js';
import { csvHeader, csvRows } from '../src/extract/csv.js';
import type { ExchangeRow, FlowRecord as ExtractFlowRecord } from '../src/extract/types.js';
import { createFlowReader } from '../src/flows/index.js';

runCli('bench-inproc', async () => {
  const file = process.argv[2];
  if (!file) throw new FtpIdsError('USAGE', 'usage: inproc.js CAPTURE');
  const counters = new Counters();
  let batch: ExchangeRow[] = [];
  let pending: string[] = [];
  let flows = 0;
  const extractor = createExchangeExtractor({ counters }, (row) => batch.push(row));
  const reader = createFlowReader({}, (flow) => {
    flows++;
    // the flow reader's chunks carry Buffers; the extractor takes Buffer or base64 `data`
    extractor.pushFlow(flow as unknown as ExtractFlowRecord);
    if (batch.length >= 2048) {
      pending.push(csvRows(batch));
      batch = [];
    }
  });
  const write = async (): Promise<void> => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    if (!process.stdout.write(text)) await new Promise<void>((res) => process.stdout.once('drain', res));
  };
  pending.push(csvHeader());
  reader.startFile(file);
  for await (const chunk of captureChunks(file)) {
    reader.push(chunk);
    await write();
  }
  reader.end();
  extractor.end();
  pending.push(csvRows(batch));
  await write();
  process.stderr.write(JSON.stringify({ flows_extracted: flows, rows: counters.get('extract.rows'), ...reader.stats() }) + '\n');
});
