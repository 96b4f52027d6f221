import { Counters } from '../common/bounds.js';
import { FtpIdsError, isFtpIdsError } from '../common/errors.js';
import { DatasetReader } from '../dataset/read.js';
import type { Session } from '../dataset/types.js';
import { createExchangeExtractor, type ExchangeExtractor } from '../extract/extractor.js';
import type { FlowRecord as ExtractFlowRecord } from '../extract/types.js';
import { createFlowReader, type FlowReader } from '../flows/reader.js';
import type { FlowRecord } from '../flows/record.js';
import { labelOf } from '../label/label.js';
import { DEFAULT_SIGNATURES, type SignatureSet } from '../label/signatures.js';
import { RowSessionizer } from '../match/sessions.js';
import { parseRecordLine } from '../extract/flow-line.js';

/**
 * Everything ftp-match and ftp-ids read, turned into sessions in one process, without writing
 * any intermediate format: captures (pcap/pcapng) → flow reader → extractor → sessions; flow
 * NDJSON (ftp-flows / ftp-label output) → extractor → sessions; the exchange dataset CSV →
 * DatasetReader → sessions. State machine: startFile(name, kind) / push(bytes) / endFile() / end().
 * A session is emitted as soon as its flow's rows are complete (for CSV: when flow_id changes).
 */
export type InputKind = 'pcap' | 'flows' | 'csv';

/** What an input holds, from its first bytes: capture magic numbers, `{` for NDJSON, else CSV. */
export function detectKind(head: Buffer): InputKind {
  if (head.length >= 4) {
    const m = head.readUInt32LE(0);
    // pcap (µs and ns, both byte orders), pcapng section header block
    if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1 || m === 0x0a0d0d0a) return 'pcap';
  }
  const text = head.toString('utf8', 0, Math.min(head.length, 64)).replace(/^\uFEFF/, '').trimStart();
  return text.startsWith('{') ? 'flows' : 'csv';
}

export interface SessionSourceOptions {
  /** ftp-flows options (raw or normalised) */
  flows?: Record<string, unknown>;
  /** ftp-extract options (maxLineBytes, …) */
  extract?: Record<string, unknown>;
  signatures?: SignatureSet;
  /** DatasetReader options */
  dataset?: Record<string, unknown>;
  counters?: Counters;
}

export class SessionSource {
  readonly counters: Counters;
  private readonly extractor: ExchangeExtractor;
  private readonly sessionizer: RowSessionizer;
  private flowReader: FlowReader | null = null;
  private dataset: DatasetReader | null = null;
  private kind: InputKind | null = null;
  private file = '';
  // NDJSON line assembly for flow input
  private partial = '';
  private lineNo = 0;

  constructor(private readonly opts: SessionSourceOptions, private readonly onSession: (s: Session) => void) {
    this.counters = opts.counters ?? new Counters();
    this.sessionizer = new RowSessionizer(onSession, Number(opts.dataset?.maxExchangesPerSession ?? 1_000_000));
    this.extractor = createExchangeExtractor(
      { ...opts.extract, labelOf: labelOf(opts.signatures ?? DEFAULT_SIGNATURES), counters: this.counters },
      (row) => this.sessionizer.push(row),
    );
  }

  /** Extract one flow and emit its session at once (the extractor emits a flow's rows before returning). */
  private flow(flow: ExtractFlowRecord): void {
    this.extractor.pushFlow(flow);
    this.sessionizer.flush();
  }

  startFile(name: string, kind: InputKind): void {
    this.kind = kind;
    this.file = name;
    this.partial = '';
    this.lineNo = 0;
    if (kind === 'pcap') {
      if (!this.flowReader) {
        // The flow reader's records carry Buffer payloads; the extractor decodes `data` with
        // Buffer.from(data, 'base64'), which copies a Buffer as it is — no base64 round trip.
        this.flowReader = createFlowReader(
          this.opts.flows ?? {},
          (f: FlowRecord) => this.flow(f as unknown as ExtractFlowRecord),
          (d) => this.extractor.pushData(d),
        );
      }
      this.flowReader.startFile(name);
    } else if (kind === 'csv') {
      this.dataset = new DatasetReader({ ...this.opts.dataset, file: name }, this.onSession);
    }
  }

  push(buf: Buffer): void {
    if (this.kind === 'pcap') this.flowReader!.push(buf);
    else if (this.kind === 'csv') this.dataset!.push(buf);
    else if (this.kind === 'flows') this.flowText(buf.toString('utf8'));
    else throw new FtpIdsError('USAGE', 'SessionSource.push before startFile');
  }

  private flowText(text: string): void {
    let start = 0;
    const s = this.partial + text;
    this.partial = '';
    for (;;) {
      const lf = s.indexOf('\n', start);
      if (lf < 0) break;
      this.flowLine(s.slice(start, lf));
      start = lf + 1;
    }
    this.partial = s.slice(start);
  }

  private flowLine(raw: string): void {
    this.lineNo++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    const flow = parseRecordLine(text, this.lineNo, this.file);
    if (flow.type === 'data') {
      this.extractor.pushData(flow);
      return;
    }
    try {
      this.flow(flow);
    } catch (e) {
      if (isFtpIdsError(e)) throw new FtpIdsError(e.code, e.message, { file: this.file, line: this.lineNo });
      throw e;
    }
  }

  /** The current file ended (for pcap, flows stay open: several files are one capture). */
  endFile(): void {
    if (this.kind === 'flows') {
      if (this.partial !== '') this.flowLine(this.partial);
      this.partial = '';
    } else if (this.kind === 'csv') {
      this.dataset!.end();
      this.dataset = null;
    }
  }

  /** End of all input: open flows of the capture are emitted. */
  end(): void {
    this.flowReader?.end();
    this.extractor.end();
    this.sessionizer.end();
  }

  /** After an error: emit what is complete (open flows of a capture) without checking the input's tail. */
  flushAfterError(): void {
    try {
      this.flowReader?.flushOpen();
      this.sessionizer.end();
    } catch {
      // the original error is the one to report
    }
  }

  /** Warnings of the capture reader (truncated last record, …). */
  get warnings(): { file?: string; offset: number; message: string }[] {
    return this.flowReader?.warnings ?? [];
  }
}
