/**
 * Records consumed and produced by ftp-extract (docs/ARCHITECTURE.md, formats 1–3).
 * The flow types are structural copies of the contract so that this stage does not depend on
 * the capture code; `ExchangeRow` is the CSV row, field names exactly as the CSV columns.
 */
import { DATASET_COLUMNS } from '../dataset/types.js';
import type { DataRecord } from '../common/ftp-data.js';

export type { DataRecord };

/**
 * One piece of a flow's payload in delivery order: bytes (`data`: base64 on the wire, a Buffer when
 * ftp-flows hands records over in-process) or a hole (`gap`).
 */
export interface FlowChunk {
  dir: 'c' | 's';
  ts: number;
  data?: string | Buffer;
  gap?: number;
  /**
   * with a Buffer `data`: its bytes are data[at, at + len) (a record borrowed from the flow table,
   * EmittedFlow.borrowRecord, whose data is a page of the table's own storage), else the whole Buffer
   */
  at?: number;
  len?: number;
}

export interface FlowEndpoint {
  ip: string;
  port: number;
}

/** Flow record (format 1); `label`/`greeting` present once ftp-label has run (format 2). */
export interface FlowRecord {
  type: 'flow';
  v: number;
  id: string;
  community_id: string;
  client: FlowEndpoint;
  server: FlowEndpoint;
  first_ts: number;
  last_ts: number;
  packets?: { c: number; s: number };
  bytes?: { c: number; s: number };
  end?: string;
  flags?: string[];
  chunks: FlowChunk[];
  label?: string;
  greeting?: string;
}

/** The bytes of a data chunk, whichever form it came in. */
export function chunkBytes(data: string | Buffer): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'base64') : data;
}

/** A data chunk's bytes given to `split.push` (a borrowed chunk's range of its page, without a view of it). */
export function pushChunk(split: { push(buf: Buffer, ts: number, start?: number, end?: number): void }, ch: FlowChunk): void {
  if (ch.at !== undefined && typeof ch.data !== 'string') split.push(ch.data!, ch.ts, ch.at, ch.at + ch.len!);
  else split.push(chunkBytes(ch.data!), ch.ts);
}

export interface LabelledFlowRecord extends FlowRecord {
  label: string;
  greeting: string;
}

/** One exchange (format 3). Field names are the CSV column names. */
export interface ExchangeRow {
  flow_id: string;
  community_id: string;
  client_ip: string;
  client_port: number;
  server_ip: string;
  server_port: number;
  label: string;
  index: number;
  ts_request: number;
  /** null when no reply came (written as an empty CSV field) */
  ts_reply: number | null;
  command: string;
  arg: string;
  /** all reply codes to this command, space-separated, in order */
  reply_codes: string;
  final_code: string;
  /** `;`-separated parse facts */
  flags: string;
  /** `;`-separated argument features (src/extract/tags.ts) */
  tags: string;
  /** how the flow ended (ftp-flows' `end`: fin, rst, idle, evicted, eof), the same on every row of a flow; '' unknown */
  flow_end: string;
  /** the quoted directory of a 257 reply (PWD, XPWD, MKD), `""` unescaped; '' for every other reply */
  reply_path: string;
  // The data connection of a transfer command (RETR STOR STOU APPE LIST NLST MLSD), from ftp-flows'
  // data records; absent (empty columns) on other rows and for Zeek/Suricata input.
  /** bytes the data connection carried, both ways (captured + missing: what the sequence numbers say) */
  data_bytes?: number | null;
  /** `download` (server to client), `upload`, `both`, `none` (no payload) */
  data_direction?: string;
  /** seconds from the data connection's first to last packet */
  data_duration?: number | null;
  /** `passive` (PASV/EPSV) or `active` (PORT/EPRT) */
  data_mode?: string;
  /** address of the data connection's client-side end (the initiator in passive mode, the responder in active mode) */
  data_peer?: string;
  /** sniffed type of the transferred bytes (src/common/ftp-data.ts sniffType) */
  data_type?: string;
  /** `;`-separated: never_opened, third_host, no_data_226, data_gap */
  data_flags?: string;
}

/** CSV column order of the exchange dataset (one list, shared with the dataset reader). */
export const EXCHANGE_COLUMNS: readonly (keyof ExchangeRow)[] = DATASET_COLUMNS;

/** Pseudo-commands (never collide with a command word: FTP verbs are letters only). */
export const GREETING = '<greeting>';
export const UNSOLICITED = '<unsolicited>';
export const GAP = '<gap>';
export const ENCRYPTED = '<encrypted>';
/**
 * A connection that carried no complete line (SYN-only, reset before the greeting, a half line): one row
 * so that the session stays visible downstream. ts_request: its first packet, ts_reply: its last;
 * arg: `no_reply` (the server sent no packet), `no_payload` (handshake, no byte) or `partial_line`;
 * flow_end says how it ended.
 */
export const EMPTY = '<empty>';
