/**
 * ftp-extract stage: stream wrappers around the extraction core (src/extract/), NDJSON parsing of
 * flow records with line-numbered errors, input-kind detection and CSV serialisation.
 *
 * - `extractStage(options)` — highland: flow records (labelled or not) → ExchangeRow objects, for
 *   chaining stages in one process;
 * - `runExtract(...)` — what `bin/ftp-extract` runs: captures (through ftp-flows' reader, in-process) or
 *   lines from files/stdin → CSV on a Writable, batched (each row written into the batch's bytes by CsvWriter as it comes) and honouring
 *   backpressure. Rows of every complete flow are written before a bad line stops the run with an
 *   error naming that line (for a capture: the byte offset).
 */
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { createRequire } from 'node:module';
import { captureChunks } from '../src/capture/input.js';
import { FtpIdsError, isFtpIdsError } from '../src/common/errors.js';
import { createEmittingFlowReader, type FlowReader } from '../src/flows/index.js';
import { Counters } from '../src/common/bounds.js';
import type { Progress } from '../src/common/cli.js';
import { createExchangeExtractor } from '../src/extract/extractor.js';
import type { TimeFormat } from '../src/common/time.js';
import { csvHeader, CsvWriter, seedRows, type OutputFormat } from '../src/extract/csv.js';
import type { SuricataEveReader, ZeekFtpLogReader } from '../src/extract/sensor-logs.js';
import { parseFlowLine, parseRecordBytes, parseRecordLine } from '../src/extract/flow-line.js';
import type { DataRecord, ExchangeRow, FlowRecord } from '../src/extract/types.js';

export { parseFlowLine, parseRecordLine };
import { labelOf } from '../src/label/label.js';
import { DEFAULT_SIGNATURES, type SignatureSet } from '../src/label/signatures.js';

export interface InputSource {
  name: string;
  stream: Readable;
  /** the file the stream reads (a capture file is then read in blocks into one buffer, the stream closed unread) */
  path?: string;
}

export interface Line {
  /** '' when read as bytes (`buf`) */
  text: string;
  lineNo: number;
  /** the line's bytes, CR LF removed, when read as bytes (valid until the next line is read) */
  buf?: Buffer;
  /** with `chunkEnds`: not a line, the input has no more bytes ready (text '', lineNo 0) */
  chunkEnd?: true;
}

/** what readLines yields, with `chunkEnds`, after the last line of each chunk */
const CHUNK_END: Line = Object.freeze({ text: '', lineNo: 0, chunkEnd: true });

/**
 * Lines of a byte stream (LF, optional CR dropped), 1-based numbers; a line over maxBytes is an error.
 * `chunkEnds`: after the lines of each chunk, a CHUNK_END marker: the input paused (a live pipe) or the
 * next block of a file is to be read — where a stage writes what it holds, so a live pipeline is live.
 */
export async function* readLines(
  stream: AsyncIterable<Buffer | string>, file: string, maxBytes = 512 * 1024 * 1024, chunkEnds = false, bytes = false,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let lineNo = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (;;) {
      const lf = buf.indexOf(10, start);
      if (lf < 0) {
        if (start < buf.length) {
          parts.push(buf.subarray(start));
          partBytes += buf.length - start;
          if (partBytes > maxBytes) throw new FtpIdsError('BAD_INPUT', `line longer than ${maxBytes} bytes (maxRecordBytes)`, { file, line: lineNo + 1 });
        }
        break;
      }
      let line = buf.subarray(start, lf);
      if (partBytes > 0) {
        parts.push(line);
        line = Buffer.concat(parts, partBytes + line.length);
        parts = [];
        partBytes = 0;
      }
      if (line.length > maxBytes) throw new FtpIdsError('BAD_INPUT', `line longer than ${maxBytes} bytes (maxRecordBytes)`, { file, line: lineNo + 1 });
      const end = line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length;
      yield bytes ? { text: '', lineNo: ++lineNo, buf: line.subarray(0, end) } : { text: line.toString('utf8', 0, end), lineNo: ++lineNo };
      start = lf + 1;
    }
    if (chunkEnds) yield CHUNK_END;
  }
  if (partBytes > 0) {
    const line = Buffer.concat(parts, partBytes);
    const end = line[line.length - 1] === 13 ? line.length - 1 : line.length;
    yield bytes ? { text: '', lineNo: ++lineNo, buf: line.subarray(0, end) } : { text: line.toString('utf8', 0, end), lineNo: ++lineNo };
  }
}


export type InputKind = 'flows' | 'zeek' | 'eve';

/** What a file holds, from its first non-empty line. */
export function detectInputKind(firstLine: string): InputKind {
  const t = firstLine.trimStart();
  if (t.startsWith('#')) return 'zeek';
  if (t.startsWith('{')) {
    if (/"type"\s*:\s*"(flow|data)"/.test(t)) return 'flows';
    if (/"event_type"\s*:/.test(t)) return 'eve';
    if (/"uid"\s*:/.test(t) && /"command"\s*:/.test(t)) return 'zeek';
    return 'flows'; // let the flow parser name what is wrong
  }
  return 'flows';
}

export interface ExtractRunOptions {
  format?: OutputFormat;
  signatures?: SignatureSet;
  counters?: Counters;
  /** extractor options (maxLineBytes, …, showPasswords, noArgs) */
  extract?: Record<string, unknown>;
  maxRecordBytes?: number;
  /** Zeek/Suricata inputs: rows held to keep each session's rows together */
  maxBufferedRows?: number;
  /** rows per write (besides: what is held is written whenever the input has no more bytes ready) */
  batchRows?: number;
  /** ts_request / ts_reply as epoch seconds (default) or ISO 8601 UTC (the dataset reader takes both) */
  timeFormat?: TimeFormat;
  /** progress line on stderr (bin/ftp-extract passes one; it prints only on a terminal) */
  progress?: Progress;
  /** capture input: ftp-flows' options (its defaults when absent) */
  flows?: Record<string, unknown>;
  /** capture input: the flow reader's warnings (a truncated capture, …), one line each */
  warn?: (message: string) => void;
}

/**
 * highland stage: flows → exchange rows (labels flows that carry none with `signatures`); data
 * records are held until their control flow comes and fill its transfer rows' data columns.
 */
export function extractStage(options: ExtractRunOptions = {}): (s: Highland.Stream<FlowRecord | DataRecord>) => Highland.Stream<ExchangeRow> {
  // highland loaded here, not by every run of bin/ftp-extract (a tenth of its start-up)
  const _ = createRequire(import.meta.url)('highland') as typeof import('highland');
  return (s) => {
    let rows: ExchangeRow[] = [];
    const ex = createExchangeExtractor(
      { ...options.extract, labelOf: labelOf(options.signatures ?? DEFAULT_SIGNATURES), counters: options.counters },
      (row) => rows.push(row),
    );
    return s.flatMap((flow) => {
      if (flow.type === 'data') {
        ex.pushData(flow);
        return _<ExchangeRow>([]);
      }
      ex.pushFlow(flow);
      const out = rows;
      rows = [];
      return _(out);
    });
  };
}

/** A classic pcap (µs or ns, either byte order) or pcapng section header: the first four bytes. */
export function isCaptureHead(head: Buffer): boolean {
  if (head.length < 4) return false;
  const m = head.readUInt32LE(0);
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1 || m === 0x0a0d0d0a;
}

/** read size of capture files (one buffer, reused: the flow reader copies what it keeps) */
const CAPTURE_BLOCK = 1 << 18;

/**
 * A regular capture file that is not gzipped, open for reading in blocks into one buffer (as ftp-flows
 * reads files: a stream's fresh 1 MiB buffer per read cost 0.5 s of CPU per 100 MB here), else -1.
 */
function openPlainCapture(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return -1; // the stream reports the error as before
  }
  const head = Buffer.alloc(4);
  if (!fstatSync(fd).isFile() || readSync(fd, head, 0, 4, 0) !== 4 || !isCaptureHead(head)) {
    closeSync(fd);
    return -1;
  }
  return fd;
}

function* fileBlocks(fd: number): Generator<Buffer> {
  const buf = Buffer.allocUnsafe(CAPTURE_BLOCK);
  for (let n; (n = readSync(fd, buf, 0, CAPTURE_BLOCK, null)) > 0; ) yield n === CAPTURE_BLOCK ? buf : buf.subarray(0, n);
}

/** The chunks of `it` with `first` before them. */
async function* prepend(first: Buffer, it: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
}

/**
 * Files/stdin → CSV (or seed rows) on `output`. Throws (after writing what was complete) on bad input.
 * Each input's kind is detected from its first bytes (gzip removed first): a capture (pcap/pcapng) is
 * read by ftp-flows' reader in this process — several captures are one capture, as for ftp-flows —
 * and each flow's rows are written once the chunk that closed it has been read; else flow NDJSON,
 * Zeek ftp.log or Suricata eve lines.
 */
export async function runExtract(inputs: InputSource[], output: Writable, options: ExtractRunOptions = {}): Promise<void> {
  const format = options.format ?? 'csv';
  const counters = options.counters ?? new Counters();
  const signatures = options.signatures ?? DEFAULT_SIGNATURES;
  const batchRows = options.batchRows ?? 2048;
  // CSV: each row is written into the batch's bytes as it comes (no row kept: they die young); seed: rows kept
  const csv = format === 'seed' ? null : new CsvWriter(options.timeFormat);
  let batch: ExchangeRow[] = [];
  let held = 0;
  const onRow = csv
    ? (row: ExchangeRow): void => {
      csv.row(row);
      held++;
    }
    : (row: ExchangeRow): void => {
      batch.push(row);
      held++;
    };
  const write = async (text: string | Buffer): Promise<void> => {
    if (text.length !== 0 && !output.write(text)) await once(output, 'drain');
  };
  const flush = async (): Promise<void> => {
    if (held === 0) return;
    held = 0;
    if (csv) return write(csv.take());
    const rows = batch;
    batch = [];
    await write(seedRows(rows));
  };
  const extractor = createExchangeExtractor(
    // CSV: each row is written as it comes, so one row object serves them all
    { ...options.extract, labelOf: labelOf(signatures), counters, reuseRows: csv !== null },
    onRow,
  );
  const sensorOptions = {
    showPasswords: options.extract?.showPasswords === true,
    noArgs: options.extract?.noArgs === true,
    signatures,
    counters,
    maxBufferedRows: options.maxBufferedRows,
  };
  /** a flow's rows are written whole or not at all */
  const pushFlow = (flow: FlowRecord, file: string, lineNo?: number): void => {
    const before = batch.length;
    const beforeHeld = held;
    const beforePos = csv ? csv.pos : 0;
    try {
      extractor.pushFlow(flow);
    } catch (e) {
      batch.length = before;
      held = beforeHeld;
      if (csv) csv.pos = beforePos;
      if (isFtpIdsError(e)) throw new FtpIdsError(e.code, e.message, lineNo === undefined ? { file } : { file, line: lineNo });
      throw e;
    }
  };
  // captures: one flow reader for all of them (flows continue across files, as in ftp-flows)
  let reader = null as FlowReader | null; // (assigned in readCapture)
  let captureFile = '';
  let warned = 0;
  const warnings = (): void => {
    for (; reader && warned < reader.warnings.length; warned++) {
      const w = reader.warnings[warned];
      options.warn?.(`${w.file ? w.file + ': ' : ''}byte offset ${w.offset}: ${w.message}`);
    }
  };
  if (format === 'csv') await write(csvHeader());
  try {
    const readCapture = async (name: string, blocks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void> => {
      // each flow borrowed from the flow table (its payload not copied: the extractor is done with it on return)
      reader ??= createEmittingFlowReader(
        options.flows ?? {},
        (e) => (e.kind === 'flow' ? pushFlow(e.borrowRecord() as unknown as FlowRecord, captureFile) : extractor.pushData(e.toDataRecord())),
        { withData: true },
      );
      captureFile = name;
      reader.startFile(name);
      let bytes = 0;
      for await (const block of blocks) {
        reader.push(block);
        bytes += block.length;
        // live: a flow's rows go on once the chunk that closed it was read (a file: once per block)
        await flush();
        options.progress?.update(() => `${name}: ${(bytes / 1e6).toFixed(0)} MB, ${counters.get('extract.rows')} rows`);
      }
      warnings();
    };
    for (const input of inputs) {
      const fd = input.path === undefined ? -1 : openPlainCapture(input.path);
      if (fd >= 0) {
        input.stream.destroy();
        try {
          await readCapture(input.name, fileBlocks(fd));
        } finally {
          closeSync(fd);
        }
        continue;
      }
      let capture = false;
      const chunks = captureChunks(input.stream, {
        name: input.name,
        onTruncated: (m, o) => {
          if (capture) reader!.inputTruncated(m, o);
          else throw new FtpIdsError('TRUNCATED', m, { file: input.name, offset: o }); // a text's last line is damaged
        },
      })[Symbol.asyncIterator]();
      const first = await chunks.next();
      if (first.done) continue;
      capture = isCaptureHead(typeof first.value === 'string' ? Buffer.from(first.value) : first.value);
      if (capture) {
        await readCapture(input.name, prepend(first.value, chunks));
        continue;
      }
      let kind: InputKind | null = null;
      let sensor: ZeekFtpLogReader | SuricataEveReader | null = null;
      for await (const line of readLines(prepend(first.value, chunks), input.name, options.maxRecordBytes, true, true)) {
        const { lineNo, chunkEnd, buf } = line;
        if (chunkEnd) {
          // live: tcpdump | ftp-flows | ftp-extract | ftp-match — each flow's rows go on as soon as its
          // line has been read, not when 2,048 rows have gathered (a file: one write per block read)
          await flush();
          continue;
        }
        let text: string | null = null;
        if (kind === null) {
          text = buf!.toString('utf8');
          if (text.trim() === '') continue;
          kind = detectInputKind(text);
          // (the sensor-log readers are loaded when one is met, not by every run)
          if (kind === 'zeek') sensor = new (await import('../src/extract/sensor-logs.js')).ZeekFtpLogReader({ ...sensorOptions, file: input.name }, onRow);
          else if (kind === 'eve') sensor = new (await import('../src/extract/sensor-logs.js')).SuricataEveReader({ ...sensorOptions, file: input.name }, onRow);
        }
        if (sensor) sensor.line(text ?? buf!.toString('utf8'), lineNo);
        else if (buf![0] === 0x7b || (text ?? buf!.toString('utf8')).trim() !== '') {
          // flow NDJSON, read as bytes: its known shape without JSON.parse of the chunks (parseRecordBytes)
          const flow = parseRecordBytes(buf!, 0, buf!.length, lineNo, input.name);
          if (flow.type === 'data') {
            extractor.pushData(flow);
            continue;
          }
          pushFlow(flow, input.name, lineNo);
        }
        if (held >= batchRows) {
          await flush();
          options.progress?.update(() => `${input.name}: line ${lineNo}, ${counters.get('extract.rows')} rows`);
        }
      }
      sensor?.end();
      await flush();
    }
    // the capture's connections still open at its end
    reader?.end();
    warnings();
    extractor.end();
  } catch (e) {
    if (reader && isFtpIdsError(e)) {
      // what is complete of the capture's open connections is written before the error
      try {
        reader.flushOpen();
      } catch {
        // the error being reported is the first one
      }
      warnings();
    }
    throw e;
  } finally {
    await flush();
    if (reader) for (const [k, v] of Object.entries(reader.stats())) counters.add(`flows.${k}`, v);
    options.progress?.done(`${counters.get('extract.flows')} flows, ${counters.get('extract.rows')} rows`);
  }
}
