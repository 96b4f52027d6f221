import { CaptureReader, type CapturedPacket } from '../capture/reader.js';
import { FtpIdsError } from '../common/errors.js';
import { PacketDecoder, TUNNEL_COUNTERS } from '../decode/packet.js';
import { normalizeFlowOptions, type FlowOptions } from './options.js';
import type { FlowHead, FlowRecord } from './record.js';
import type { DataRecord } from '../common/ftp-data.js';
import { FlowTable, type EmittedFlow } from './table.js';

export interface FlowReaderWarning {
  file?: string;
  offset: number;
  message: string;
}

export interface FlowReader {
  /** feed capture bytes (any chunking) */
  push(buf: Buffer): void;
  /** a new capture file starts (several files = one capture, flows continue across them) */
  startFile(name?: string): void;
  /** end of all input: checks the last file for truncation, emits every open flow */
  end(): void;
  /** after an error: emit every open flow (end "eof") without checking the input's tail */
  flushOpen(): void;
  /**
   * the current file's bytes ended early outside the capture format (a .pcap.gz cut short): a
   * warning as for a truncated capture, an error under `strict`
   */
  inputTruncated(message: string, offset: number): void;
  /** counters for --stats */
  stats(): Record<string, number>;
  /** flows to emit although not judged FTP (FlowTable.awaited: continuations of an earlier run's connections) */
  awaited?: ((head: FlowHead) => boolean) | null;
  /** servers seen talking FTP (their silent connections are emitted as FTP): carried between runs */
  knownServers?: (number | string)[];
  readonly warnings: FlowReaderWarning[];
}

/**
 * capture bytes -> flow records. `options` is normalised with normalizeFlowOptions (raw values
 * or an already normalised object). Errors are FtpIdsError carrying file and byte offset; every
 * flow completed before the error has already been passed to onFlow.
 */
export function createFlowReader(
  options: Record<string, unknown> | FlowOptions,
  onFlow: (flow: FlowRecord) => void,
  /** data records of announced data connections (docs/ARCHITECTURE.md §1b); without it they are not built */
  onData?: (data: DataRecord) => void,
): FlowReader {
  return createEmittingFlowReader(
    options,
    (e) => {
      if (e.kind === 'flow') onFlow(e.toRecord());
      else onData?.(e.toDataRecord());
    },
    { withData: onData !== undefined },
  );
}

/**
 * As createFlowReader, but each flow comes as the table's EmittedFlow (valid during the callback
 * only), which can write its NDJSON line straight from the table's storage (ftp-flows does) or
 * build the FlowRecord.
 */
export function createEmittingFlowReader(
  options: Record<string, unknown> | FlowOptions,
  onFlow: (flow: EmittedFlow) => void,
  /** internal: the flow table's LRU move batch (tests compare 1, moves made at once, with the default) */
  tuning: { touchLog?: number; withData?: boolean } = {},
): FlowReader {
  const opts = normalizeFlowOptions(options as Record<string, unknown>);
  const decoder = new PacketDecoder({
    maxDatagrams: opts.maxFragmentDatagrams,
    maxBytes: opts.maxFragmentBytes,
    timeoutUs: Math.round(opts.fragmentTimeout * 1e6),
  });
  // data records go to onFlow only when asked for (callers that know only flow records get none)
  const table = new FlowTable(opts, tuning.withData ? onFlow : (e) => e.kind === 'flow' && onFlow(e), tuning.touchLog);
  const warnings: FlowReaderWarning[] = [];
  let file: string | undefined;
  let files = 0;
  let bytesDone = 0;
  let packetsDone = 0;
  const onPacket = (pkt: CapturedPacket): void => {
    if (decoder.decode(pkt)) table.segment(decoder.view);
  };
  const newReader = (): CaptureReader =>
    new CaptureReader({
      maxRecordBytes: opts.maxRecordBytes,
      strict: opts.strict,
      onPacket,
      onWarning: (message, offset) => warnings.push({ file, offset, message }),
    });
  let reader = newReader();
  let started = false;
  const withWhere = (fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      if (e instanceof FtpIdsError && file !== undefined && e.where.file === undefined) e.where.file = file;
      throw e;
    }
  };
  const closeReader = (): void => {
    withWhere(() => reader.end());
    bytesDone += reader.bytes;
    packetsDone += reader.packets;
    reader = newReader();
  };
  return {
    warnings,
    push(buf: Buffer): void {
      started = true;
      withWhere(() => reader.push(buf));
    },
    startFile(name?: string): void {
      if (started) closeReader();
      started = true;
      files++;
      file = name;
    },
    end(): void {
      closeReader();
      table.end();
    },
    flushOpen(): void {
      table.end();
    },
    inputTruncated(message: string, offset: number): void {
      if (opts.strict) throw new FtpIdsError('TRUNCATED', message, { file, offset });
      warnings.push({ file, offset, message });
    },
    set awaited(f: ((head: FlowHead) => boolean) | null) {
      table.awaited = f;
    },
    get knownServers(): (number | string)[] {
      return table.servers;
    },
    set knownServers(list: (number | string)[]) {
      table.servers = list;
    },
    stats(): Record<string, number> {
      const d = decoder.snapshot();
      const out: Record<string, number> = {
        files,
        packets: packetsDone + reader.packets,
        captured_bytes: bytesDone + reader.bytes,
        tcp_segments: d.tcp,
        skipped_linktype: d.skipped_linktype,
        skipped_non_ip: d.skipped_non_ip,
        skipped_non_tcp: d.skipped_non_tcp,
        skipped_malformed: d.skipped_malformed,
        ip_options: d.ip_options,
        ipv6_ext_headers: d.ipv6_ext_headers,
        vlan_tagged: d.vlan_tagged,
      };
      for (const k of TUNNEL_COUNTERS) out[k] = d[k];
      for (const [lt, n] of Object.entries(d.linkTypes)) out[`linktype_${lt}`] = n;
      for (const [k, n] of Object.entries(decoder.fragments.counters)) out[`ip_${k}`] = n;
      for (const [k, n] of Object.entries(table.counters)) out[k] = n;
      out.evicted_ftp_forgotten = table.evictedFtpForgotten;
      out.emitted_forgotten = table.emittedForgotten;
      out.flows_open = table.size;
      out.buffered_bytes = table.buffered;
      out.buffered_bytes_peak = table.bufferedPeak;
      out.payload_arena_bytes = table.arenaBytes;
      out.payload_pages_peak = table.arenaPagesPeak;
      out.flow_slots = table.capacity;
      out.data_expected_open = table.expectedData;
      out.ip_fragments_pending = decoder.fragments.pending;
      out.warnings = warnings.length;
      return out;
    },
  };
}
