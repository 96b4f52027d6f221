import { Counters } from '../common/bounds.js';
import { FtpIdsError, isFtpIdsError } from '../common/errors.js';
import { DatasetReader } from '../dataset/read.js';
import type { Session } from '../dataset/types.js';
import { createExchangeExtractor, type ExchangeExtractor } from '../extract/extractor.js';
import type { FlowRecord as ExtractFlowRecord } from '../extract/types.js';
import { normalizeFlowOptions } from '../flows/options.js';
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

/**
 * What a run leaves for the next one (`--state`): the capture's connections still open at the end of
 * its input, as flow records (payload base64, as ftp-flows writes them). The next run joins each to
 * the continuation of the same connection (same endpoints) that its capture picks up mid-stream, so a
 * session cut by a file rotation is judged once, whole, as a single run over both files would.
 */
export interface SourceState {
  flows: ExtractFlowRecord[];
  /** the flow reader's servers seen talking FTP (opaque keys): a silent connection to one is FTP too */
  servers?: (number | string)[];
  /** ftp-extract's label of each server (for its empty connections) */
  labels?: [string, string][];
  /** exchange-CSV input: the session of the last rows, which the next file's rows may continue */
  session?: Session | null;
  /** flow-NDJSON input: a last line without its end (a file cut mid-line) */
  partialLine?: string;
}

const endpointsKey = (f: { client: { ip: string; port: number }; server: { ip: string; port: number } }): string =>
  `${f.client.ip}|${f.client.port}|${f.server.ip}|${f.server.port}`;

/** A flow record that outlives the reader's storage: payload copied, as base64 (the NDJSON form). */
function detachFlow(f: ExtractFlowRecord): ExtractFlowRecord {
  return {
    ...f,
    flags: [...(f.flags ?? [])],
    chunks: f.chunks.map((c) => (c.data === undefined ? { ...c } : { dir: c.dir, ts: c.ts, data: typeof c.data === 'string' ? c.data : c.data.toString('base64') })),
  };
}

/** The record with client and server exchanged (its chunks' directions and counts too). */
function swapSides(f: ExtractFlowRecord): ExtractFlowRecord {
  const flip = (x?: { c: number; s: number }) => x && { c: x.s, s: x.c };
  return { ...f, client: f.server, server: f.client, packets: flip(f.packets), bytes: flip(f.bytes), chunks: f.chunks.map((c) => ({ ...c, dir: c.dir === 'c' ? 's' : 'c' })) };
}

const swappedKey = (f: { client: { ip: string; port: number }; server: { ip: string; port: number } }): string =>
  `${f.server.ip}|${f.server.port}|${f.client.ip}|${f.client.port}`;

/** A connection's record from an earlier run and its continuation in this one, as one record. */
function joinFlows(a: ExtractFlowRecord, b: ExtractFlowRecord): ExtractFlowRecord {
  const flags = new Set([...(a.flags ?? []), ...(b.flags ?? [])]);
  // the continuation was picked up mid-stream; the connection's start was in the earlier part
  if (!(a.flags ?? []).includes('no_syn')) flags.delete('no_syn');
  const sum = (x?: { c: number; s: number }, y?: { c: number; s: number }) => ({ c: (x?.c ?? 0) + (y?.c ?? 0), s: (x?.s ?? 0) + (y?.s ?? 0) });
  return { ...b, id: a.id, community_id: a.community_id, first_ts: a.first_ts, packets: sum(a.packets, b.packets), bytes: sum(a.bytes, b.bytes), flags: [...flags], chunks: [...a.chunks, ...b.chunks] };
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
  // --state: connections open at the end of the last run, by endpoints, waiting for their continuation
  private readonly earlier = new Map<string, ExtractFlowRecord>();
  /** while true, flows the reader emits are kept for the next run instead of judged */
  private holding = false;
  private held: ExtractFlowRecord[] = [];
  /** latest packet time of any flow seen (for the idle timeout of connections that never continue) */
  private latestTs = -Infinity;
  private earlierServers: (number | string)[] = [];
  private earlierSession: Session | null = null;
  private earlierPartial = '';
  private heldSession: Session | null = null;
  private heldPartial = '';

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
    if (!this.holding && flow.last_ts > this.latestTs) this.latestTs = flow.last_ts;
    if (this.earlier.size > 0) {
      let key = endpointsKey(flow);
      let before = this.earlier.get(key);
      if (!before) {
        // picked up mid-stream, the reader may have taken the server for the client
        const swapped = swapSides(flow);
        key = endpointsKey(swapped);
        before = this.earlier.get(key);
        if (before) flow = swapped;
      }
      if (before) {
        this.earlier.delete(key);
        this.counters.add('state.flows_joined');
        flow = joinFlows(before, flow);
      }
    }
    if (this.holding) {
      this.held.push(detachFlow(flow));
      return;
    }
    this.extractor.pushFlow(flow);
    this.sessionizer.flush();
  }

  /** Connections left open by the previous run (`--state`): joined to their continuations. */
  importState(st: SourceState): void {
    // bounded as the flow table that wrote them (its maxFlows); more is not a state we wrote
    for (const f of st.flows.slice(-normalizeFlowOptions(this.opts.flows ?? {}).maxFlows)) this.earlier.set(endpointsKey(f), f);
    this.earlierServers = Array.isArray(st.servers) ? st.servers : [];
    if (Array.isArray(st.labels)) this.extractor.serverLabels = st.labels;
    if (st.session && Array.isArray(st.session.exchanges)) {
      // JSON has no NaN: times that were NaN come back as null
      const t = (x: unknown): number => (typeof x === 'number' ? x : NaN);
      this.earlierSession = { ...st.session, exchanges: st.session.exchanges.map((e) => ({ ...e, tsRequest: t(e.tsRequest), tsReply: t(e.tsReply) })) };
    }
    if (typeof st.partialLine === 'string') this.earlierPartial = st.partialLine;
    this.awaitEarlier();
  }

  /** A flow-NDJSON line the last run left without its end: the next input begins inside it (no `{` to detect). */
  get continuesKind(): InputKind | null {
    return this.earlierPartial !== '' ? 'flows' : null;
  }

  /** The flow reader emits the continuations of earlier connections even when too short to be recognised. */
  private awaitEarlier(): void {
    if (!this.flowReader || this.earlier.size === 0) return;
    this.flowReader.awaited = (h) => this.earlier.size > 0 && (this.earlier.has(endpointsKey(h)) || this.earlier.has(swappedKey(h)));
  }

  /**
   * End of all input, keeping what is unfinished for the next run instead of judging it: the capture's
   * open connections, and those of the previous run that did not continue — unless this run's capture
   * time passed their idle timeout, as a single run's flow table would have closed them (end "idle").
   */
  endKeepingState(): SourceState {
    if (this.flowReader) {
      this.holding = true;
      try {
        this.flowReader.end();
      } finally {
        this.holding = false;
      }
    }
    const idle = normalizeFlowOptions(this.opts.flows ?? {}).idleTimeout;
    for (const [key, f] of this.earlier) {
      if (f.last_ts + idle < this.latestTs) {
        this.earlier.delete(key);
        this.extractor.pushFlow({ ...f, end: 'idle' });
        this.sessionizer.flush();
      }
    }
    const flows = [...this.earlier.values(), ...this.held];
    this.earlier.clear();
    this.held = [];
    this.sessionizer.end();
    const session = this.heldSession ?? this.earlierSession; // no input at all: what the last run left
    const partialLine = this.heldPartial || this.earlierPartial;
    this.heldSession = this.earlierSession = null;
    this.heldPartial = this.earlierPartial = '';
    return { flows, servers: this.flowReader?.knownServers ?? this.earlierServers, labels: this.extractor.serverLabels, session, partialLine };
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
        this.flowReader.knownServers = this.earlierServers;
      }
      this.flowReader.startFile(name);
      this.awaitEarlier();
    } else if (kind === 'csv') {
      this.dataset = new DatasetReader({ ...this.opts.dataset, file: name }, this.onSession);
    }
    // what the previous run left unfinished: continued by this input when it is of the same kind
    const s = this.earlierSession;
    this.earlierSession = null;
    if (s && kind === 'csv') this.dataset!.resume(s);
    else if (s) this.onSession(s);
    if (this.earlierPartial !== '') {
      if (kind === 'flows') this.partial = this.earlierPartial;
      else this.counters.add('state.partial_line_dropped');
      this.earlierPartial = '';
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

  /**
   * The input paused: the CSV reader hands on the session it holds (it otherwise waits for the next
   * flow_id); captures and flow NDJSON already hand on each session when its flow ends.
   */
  idle(): void {
    if (this.kind === 'csv') this.dataset?.idle();
  }

  /**
   * The current file ended (for pcap, flows stay open: several files are one capture). `keep` (the last
   * file of a `--state` run): the CSV's last session and a line without its end wait for the next run.
   */
  endFile(keep = false): void {
    if (this.kind === 'flows') {
      if (keep) this.heldPartial = this.partial;
      else if (this.partial !== '') this.flowLine(this.partial);
      this.partial = '';
    } else if (this.kind === 'csv') {
      if (keep) this.heldSession = this.dataset!.endKeeping();
      else this.dataset!.end();
      this.dataset = null;
    }
  }

  /** End of all input: open flows of the capture (and any left by an earlier run) are emitted. */
  end(): void {
    this.flowReader?.end();
    const left = [...this.earlier.values()];
    this.earlier.clear();
    for (const f of left) this.flow(f);
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

  /**
   * The current file's gzip stream was cut short: for a capture, a warning as for a truncated
   * capture (an error under strict); a text input cut short is an error (its last line is damaged).
   */
  inputTruncated(message: string, offset: number): void {
    if (this.kind === 'pcap') this.flowReader!.inputTruncated(message, offset);
    else throw new FtpIdsError('TRUNCATED', message, { file: this.file, offset });
  }

  /** Warnings of the capture reader (truncated last record, …). */
  get warnings(): { file?: string; offset: number; message: string }[] {
    return this.flowReader?.warnings ?? [];
  }
}
