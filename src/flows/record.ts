import { FtpIdsError } from '../common/errors.js';

/**
 * The flow record (docs/ARCHITECTURE.md §1). In-process the payload is a Buffer; on the wire
 * (NDJSON) it is base64. `flowToJsonLine` / `parseFlowRecord` convert between the two.
 */
export type FlowEnd = 'fin' | 'rst' | 'idle' | 'evicted' | 'eof';
export type FlowFlag = 'no_syn' | 'gap' | 'truncated_c' | 'truncated_s' | 'evicted' | 'overlap_conflict';

export interface FlowChunk {
  dir: 'c' | 's';
  /** capture time (seconds, µs precision) of the packet that completed this chunk */
  ts: number;
  /** payload bytes (absent for a gap) */
  data?: Buffer;
  /** number of missing bytes (a hole that never filled) */
  gap?: number;
}

export interface Endpoint {
  ip: string;
  port: number;
}

export interface FlowRecord {
  type: 'flow';
  v: 1;
  id: string;
  community_id: string;
  client: Endpoint;
  server: Endpoint;
  first_ts: number;
  last_ts: number;
  packets: { c: number; s: number };
  bytes: { c: number; s: number };
  end: FlowEnd;
  flags: FlowFlag[];
  chunks: FlowChunk[];
}

/** One NDJSON line (with trailing "\n"); the same text as JSON.stringify with base64 payloads, built by hand. */
export function flowToJsonLine(f: FlowRecord): string {
  const head = JSON.stringify({ ...f, chunks: undefined });
  let out = head.slice(0, -1) + ',"chunks":[';
  const chunks = f.chunks;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    if (i) out += ',';
    // numbers print as in JSON.stringify (String(n)); base64 needs no escaping
    out +=
      c.data !== undefined
        ? `{"dir":"${c.dir}","ts":${c.ts},"data":"${c.data.toString('base64')}"}`
        : `{"dir":"${c.dir}","ts":${c.ts},"gap":${c.gap}}`;
  }
  return out + ']}\n';
}

const ENDS = new Set(['fin', 'rst', 'idle', 'evicted', 'eof']);

/** Parse one NDJSON line (or parsed JSON) back into a FlowRecord with Buffer payloads. */
export function parseFlowRecord(input: string | unknown, line?: number): FlowRecord {
  let o: unknown = input;
  if (typeof input === 'string') {
    try {
      o = JSON.parse(input);
    } catch (e) {
      throw new FtpIdsError('BAD_RECORD', `not JSON: ${(e as Error).message}`, { line });
    }
  }
  const r = o as Record<string, unknown>;
  if (!r || typeof r !== 'object' || r.type !== 'flow') throw new FtpIdsError('BAD_RECORD', 'not a flow record', { line });
  if (r.v !== 1) throw new FtpIdsError('BAD_RECORD', `unsupported flow record version ${JSON.stringify(r.v)}`, { line });
  if (!Array.isArray(r.chunks) || typeof r.end !== 'string' || !ENDS.has(r.end)) {
    throw new FtpIdsError('BAD_RECORD', 'flow record without chunks or end', { line });
  }
  const chunks: FlowChunk[] = (r.chunks as Record<string, unknown>[]).map((c) => {
    if (c.dir !== 'c' && c.dir !== 's') throw new FtpIdsError('BAD_RECORD', `chunk dir ${JSON.stringify(c.dir)}`, { line });
    if (typeof c.data === 'string') return { dir: c.dir, ts: Number(c.ts), data: Buffer.from(c.data, 'base64') };
    return { dir: c.dir, ts: Number(c.ts), gap: Number(c.gap) };
  });
  return { ...(r as unknown as FlowRecord), chunks };
}

/** Concatenation of one direction's payload (gaps left out) — what `tshark -z follow,tcp,raw` shows. */
export function directionBytes(f: FlowRecord, dir: 'c' | 's'): Buffer {
  return Buffer.concat(f.chunks.filter((c) => c.dir === dir && c.data).map((c) => c.data as Buffer));
}

/**
 * Bytes of `flowToJsonLine(f)` for a record as the flow table builds it (keys in the order of
 * FlowRecord, no other keys), written straight into `out` at `pos`: no JSON.stringify, no joined
 * line string, no UTF-8 encoding pass. Returns the new position; `out` must hold `flowLineMaxBytes(f)` bytes from `pos`.
 * Strings in a table record (addresses, ids, flags) need no JSON escaping.
 */
export function writeTableFlowLine(f: FlowRecord, out: Buffer, pos: number): number {
  pos += writeLatin1(out, 
    `{"type":"flow","v":1,"id":"${f.id}","community_id":"${f.community_id}",` +
      `"client":{"ip":"${f.client.ip}","port":${f.client.port}},"server":{"ip":"${f.server.ip}","port":${f.server.port}},` +
      `"first_ts":${f.first_ts},"last_ts":${f.last_ts},"packets":{"c":${f.packets.c},"s":${f.packets.s}},` +
      `"bytes":{"c":${f.bytes.c},"s":${f.bytes.s}},"end":"${f.end}","flags":${flagsJson(f.flags)},"chunks":[`,
    pos,
  );
  const chunks = f.chunks;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    const data = c.data;
    if (data !== undefined) {
      // one native base64 string per chunk, copied as latin1 (no UTF-8 encoding pass)
      pos += writeLatin1(out, `${i ? ',' : ''}{"dir":"${c.dir}","ts":${c.ts},"data":"${data.toString('base64')}"}`, pos);
    } else pos += writeLatin1(out, `${i ? ',' : ''}{"dir":"${c.dir}","ts":${c.ts},"gap":${c.gap}}`, pos);
  }
  out[pos++] = 0x5d; // ]
  out[pos++] = 0x7d; // }
  out[pos++] = 0x0a; // \n
  return pos;
}

/** An upper bound of the bytes `writeTableFlowLine` writes for `f`. */
export function flowLineMaxBytes(f: FlowRecord): number {
  // head: fixed text (< 250), two IPv6 addresses (<= 39 each), numbers (<= 24 each), flags
  let n = 1024;
  const chunks = f.chunks;
  for (let i = 0; i < chunks.length; i++) {
    const d = chunks[i].data;
    // per chunk: {"dir":"c","ts":<24>,"data":""} or a gap, plus the comma
    n += 64 + (d !== undefined ? Math.ceil(d.length / 3) * 4 : 0);
  }
  return n;
}

function flagsJson(flags: FlowFlag[]): string {
  if (flags.length === 0) return '[]';
  return `["${flags.join('","')}"]`;
}

/** Buffer#latin1Write (Node's fast path behind write(s, pos, 'latin1'), present since Node 0.x but untyped) */
const writeLatin1 = (out: Buffer, s: string, pos: number): number =>
  (out as Buffer & { latin1Write(s: string, pos: number): number }).latin1Write(s, pos);
