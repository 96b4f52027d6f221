import { describeValue, FtpIdsError } from '../common/errors.js';
import { ViewCache } from '../common/views.js';

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

/** A flow record without its chunks (what the table builds once per emitted flow). */
export type FlowHead = Omit<FlowRecord, 'chunks'>;

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
  if (r.v !== 1) throw new FtpIdsError('BAD_RECORD', `unsupported flow record version ${describeValue(r.v)}`, { line });
  if (!Array.isArray(r.chunks) || typeof r.end !== 'string' || !ENDS.has(r.end)) {
    throw new FtpIdsError('BAD_RECORD', 'flow record without chunks or end', { line });
  }
  if (r.flags !== undefined && !(Array.isArray(r.flags) && r.flags.every((f) => typeof f === 'string'))) {
    throw new FtpIdsError('BAD_RECORD', 'flags is not an array of strings', { line });
  }
  const chunks: FlowChunk[] = (r.chunks as Record<string, unknown>[]).map((c) => {
    if (!c || typeof c !== 'object' || (c.dir !== 'c' && c.dir !== 's')) throw new FtpIdsError('BAD_RECORD', `chunk dir ${describeValue(c?.dir)}`, { line });
    if (typeof c.data === 'string') return { dir: c.dir, ts: Number(c.ts), data: Buffer.from(c.data, 'base64') };
    return { dir: c.dir, ts: Number(c.ts), gap: Number(c.gap) };
  });
  return { ...(r as unknown as FlowRecord), chunks };
}

/** Concatenation of one direction's payload (gaps left out) — what `tshark -z follow,tcp,raw` shows. */
export function directionBytes(f: FlowRecord, dir: 'c' | 's'): Buffer {
  return Buffer.concat(f.chunks.filter((c) => c.dir === dir && c.data).map((c) => c.data as Buffer));
}
/** The record's text up to and including `"chunks":[` (strings of a table record need no escaping). */
export function flowHeadJson(f: FlowHead): string {
  return (
    `{"type":"flow","v":1,"id":"${f.id}","community_id":"${f.community_id}",` +
    `"client":{"ip":"${f.client.ip}","port":${f.client.port}},"server":{"ip":"${f.server.ip}","port":${f.server.port}},` +
    `"first_ts":${f.first_ts},"last_ts":${f.last_ts},"packets":{"c":${f.packets.c},"s":${f.packets.s}},` +
    `"bytes":{"c":${f.bytes.c},"s":${f.bytes.s}},"end":"${f.end}","flags":${flagsJson(f.flags)},"chunks":[`
  );
}

/** `,"data":"<base64 of src[start, end)>"}`; `srcView` is a DataView over `src` when the caller has one */
export function putData(out: Buffer, pos: number, src: Buffer, start: number, end: number, srcView?: DataView): number {
  pos = putDataOpen(b64Out.of(out), pos);
  pos = putBase64(out, pos, src, start, end, srcView ?? b64In.of(src));
  out[pos++] = 0x22; // "
  out[pos++] = 0x7d; // }
  return pos;
}

/** `,"gap":<n>}` */
export function putGap(out: Buffer, pos: number, n: number): number {
  pos = putBytes(out, pos, GAP);
  pos = putString(out, pos, String(n));
  out[pos++] = 0x7d; // }
  return pos;
}

/** `]}` and the newline; checks the bound the caller sized `out` with */
export function putLineEnd(out: Buffer, pos: number): number {
  out[pos++] = 0x5d; // ]
  out[pos++] = 0x7d; // }
  out[pos++] = 0x0a; // \n
  if (pos > out.length) throw new FtpIdsError('INTERNAL', 'flow line longer than its bound');
  return pos;
}

/** The bound for a record of `chunks` chunks carrying at most `payloadBytes` (bytes.c + bytes.s). */
export function flowLineBound(payloadBytes: number, chunks: number): number {
  // head: fixed text (< 250), two IPv6 addresses (<= 39 each), numbers (<= 24 each), flags;
  // per chunk: {"dir":"c","ts":<24>,"data":""}, comma, base64 padding
  return 1024 + 64 * chunks + Math.ceil(payloadBytes / 3) * 4;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
export const CHUNK_C = ascii('{"dir":"c","ts":');
export const CHUNK_S = ascii('{"dir":"s","ts":');
const DATA = ascii(',"data":"');
const GAP = ascii(',"gap":');
/** the prefix of a chunk object: its "c" at DIR_AT, then the seconds of headSec (headLen bytes in all) */
const headText = Buffer.alloc(48);
const headView = new DataView(headText.buffer, headText.byteOffset, headText.length);
headText.set(CHUNK_C);
const DIR_AT = CHUNK_C.indexOf(0x63);
let headSec = -1;
let headLen = 0;
const DATA_WORDS = Buffer.alloc(12);
DATA_WORDS.set(DATA);
const DATA_W0 = DATA_WORDS.readUInt32LE(0);
const DATA_W1 = DATA_WORDS.readUInt32LE(4);
const DATA_W2 = DATA_WORDS.readUInt32LE(8);
const B64 = ascii('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
/** from this size on, Node's native encoder (one string + copy) beats the byte loop */
const NATIVE_BASE64 = 512;

export function putBytes(out: Buffer, pos: number, b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) out[pos + i] = b[i];
  return pos + b.length;
}

/** ASCII text only (numbers, the record's head) */
export function putString(out: Buffer, pos: number, s: string): number {
  if (s.length > 64) return pos + writeLatin1(out, s, pos);
  for (let i = 0; i < s.length; i++) out[pos + i] = s.charCodeAt(i);
  return pos + s.length;
}

/** String(n) for a JSON number: digit by digit for a safe non-negative integer (counts, ports) */
export function putNumber(out: Buffer, pos: number, n: number): number {
  if (!(Number.isSafeInteger(n) && n >= 0)) return putString(out, pos, String(n));
  if (n < 0x80000000) {
    // int32 arithmetic (most numbers: ports, counts, octets)
    let digits = 1;
    for (let t = n; t >= 10; t = (t / 10) | 0) digits++;
    for (let k = pos + digits - 1, t = n | 0; k >= pos; k--) {
      const q = (t / 10) | 0;
      out[k] = 0x30 + t - q * 10;
      t = q;
    }
    return pos + digits;
  }
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  for (let k = pos + digits - 1, t = n; k >= pos; k--, t = Math.floor(t / 10)) out[k] = 0x30 + (t % 10);
  return pos + digits;
}

/** the digits of the seconds last written by putSecFrac (neighbouring times mostly share them) */
let lastSec = 0;
const lastSecDigits = Buffer.alloc(16, 0x30);
let lastSecLen = 1;

/**
 * putTs(out, pos, us / 1e6) for a whole number of microseconds (the table's times), without the
 * division. Like putTs, it may overwrite up to five bytes past the returned position (putFrac).
 */
export function putTsUs(out: Buffer, pos: number, us: number): number {
  if (!(us >= 0 && us < 8589934592e6 && Number.isInteger(us))) return putTs(out, pos, us / 1e6);
  const sec = Math.floor(us / 1e6);
  return putSecFrac(out, pos, sec, us - sec * 1e6);
}

/**
 * String(ts) for a time that is a whole number of microseconds divided by 1e6 (every table time),
 * without the generic double-to-shortest-string conversion: below 2^33 s a double's spacing is
 * under 1e-6, so no other string of at most 6 decimals reads back as the same double and the
 * microsecond decimal, trailing zeros cut, is the shortest one — the one JavaScript prints.
 * Anything else goes through String(). Up to five bytes past the returned position may be
 * overwritten (putFrac).
 */
export function putTs(out: Buffer, pos: number, ts: number): number {
  const us = Math.round(ts * 1e6);
  if (!(ts >= 0 && ts < 8589934592 && us / 1e6 === ts)) return putString(out, pos, String(ts));
  let sec = Math.floor(us / 1e6);
  let frac = us - sec * 1e6;
  if (frac < 0) {
    sec--;
    frac += 1e6;
  } else if (frac >= 1e6) {
    sec++;
    frac -= 1e6;
  }
  return putSecFrac(out, pos, sec, frac);
}

/** `sec` and, when `frac` (µs) is not 0, a dot and its digits without trailing zeros */
function putSecFrac(out: Buffer, pos: number, sec: number, frac: number): number {
  // times of neighbouring records mostly share their second: its digits are kept as bytes (no String per change)
  if (sec !== lastSec) {
    if (sec >= 0x80000000) return putFrac(out, putString(out, pos, String(sec)), frac);
    lastSec = sec;
    lastSecLen = putNumber(lastSecDigits, 0, sec);
  }
  for (let i = 0; i < lastSecLen; i++) out[pos + i] = lastSecDigits[i];
  return putFrac(out, pos + lastSecLen, frac);
}

/**
 * When `frac` (µs, < 1e6) is not 0, a dot and its digits without trailing zeros: six digits are
 * written as three pairs and the zeros cut, so up to five bytes past the returned position are
 * overwritten (callers write on from there; a write past the end of `out` is dropped).
 */
function putFrac(out: Buffer, pos: number, frac: number): number {
  if (frac === 0) return pos;
  out[pos++] = 0x2e; // .
  // frac < 1e6: three digit pairs, then the trailing zeros cut (one digit at least is not 0)
  const f = frac | 0;
  const hi = (f / 10000) | 0;
  const rest = f - hi * 10000;
  const mid = (rest / 100) | 0;
  out[pos] = DIGIT_PAIRS[2 * hi];
  out[pos + 1] = DIGIT_PAIRS[2 * hi + 1];
  out[pos + 2] = DIGIT_PAIRS[2 * mid];
  out[pos + 3] = DIGIT_PAIRS[2 * mid + 1];
  const lo = rest - mid * 100;
  out[pos + 4] = DIGIT_PAIRS[2 * lo];
  out[pos + 5] = DIGIT_PAIRS[2 * lo + 1];
  let width = 6;
  while (out[pos + width - 1] === 0x30) width--;
  return pos + width;
}

/** "00" … "99" */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 0x30 + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10));

/**
 * `{"dir":"c","ts":` (or "s") and the time `us` / 1e6, as putBytes + putTsUs write them. The
 * text up to the seconds' last digit is kept for the second last written (neighbouring chunks
 * share it) and copied four bytes at a time: byte by byte, these constants were the largest item
 * of the output's profile. `ov` is a DataView over `out`; up to five bytes past the returned
 * position may be overwritten (the caller writes on from there; see putFrac).
 */
export function putChunkHead(out: Buffer, ov: DataView, pos: number, client: boolean, us: number): number {
  if (!(us >= 0 && us < 8589934592e6 && Number.isInteger(us))) return putTsUs(out, putBytes(out, pos, client ? CHUNK_C : CHUNK_S), us);
  const sec = Math.floor(us / 1e6);
  if (sec !== headSec) {
    // chunks of one flow span seconds, and flows interleave: the seconds change often (digits, no string)
    headSec = sec;
    let digits = 1;
    for (let t = sec; t >= 10; t = Math.floor(t / 10)) digits++;
    for (let k = CHUNK_C.length + digits - 1, t = sec; k >= CHUNK_C.length; k--, t = Math.floor(t / 10)) headText[k] = 0x30 + (t % 10);
    headLen = CHUNK_C.length + digits;
  }
  for (let i = 0; i < headLen; i += 4) ov.setUint32(pos + i, headView.getUint32(i, true), true);
  if (!client) out[pos + DIR_AT] = 0x73; // s
  return putFrac(out, pos + headLen, us - sec * 1e6);
}

/** `,"data":"` (9 bytes) as three words, the last one padded */
export function putDataOpen(ov: DataView, pos: number): number {
  ov.setUint32(pos, DATA_W0, true);
  ov.setUint32(pos + 4, DATA_W1, true);
  ov.setUint32(pos + 8, DATA_W2, true);
  return pos + DATA.length;
}

/** two base64 characters (little-endian 16 bits) per 12 bits of input */
const B64_PAIRS = new Uint16Array(4096);
for (let i = 0; i < 4096; i++) B64_PAIRS[i] = B64[i >> 6] | (B64[i & 63] << 8);
const b64In = new ViewCache();
const b64Out = new ViewCache();

/** base64 of src[start, end): 6 input bytes -> 8 characters per step, two table look-ups per 3 bytes */
function putBase64(out: Buffer, pos: number, src: Buffer, start: number, end: number, sv: DataView): number {
  if (end - start >= NATIVE_BASE64) return pos + writeLatin1(out, src.toString('base64', start, end), pos);
  const ov = b64Out.of(out);
  let i = start;
  for (; i + 5 < end; i += 6) {
    const a = sv.getUint32(i);
    const n1 = a >>> 8;
    const n2 = ((a & 255) << 16) | sv.getUint16(i + 4);
    ov.setUint32(pos, B64_PAIRS[n1 >>> 12] | (B64_PAIRS[n1 & 4095] << 16), true);
    ov.setUint32(pos + 4, B64_PAIRS[n2 >>> 12] | (B64_PAIRS[n2 & 4095] << 16), true);
    pos += 8;
  }
  for (; i + 2 < end; i += 3) {
    const n = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];
    ov.setUint32(pos, B64_PAIRS[n >>> 12] | (B64_PAIRS[n & 4095] << 16), true);
    pos += 4;
  }
  if (i < end) {
    const two = i + 1 < end;
    const n = (src[i] << 16) | (two ? src[i + 1] << 8 : 0);
    out[pos] = B64[n >>> 18];
    out[pos + 1] = B64[(n >>> 12) & 63];
    out[pos + 2] = two ? B64[(n >>> 6) & 63] : 0x3d; // =
    out[pos + 3] = 0x3d;
    pos += 4;
  }
  return pos;
}

function flagsJson(flags: FlowFlag[]): string {
  if (flags.length === 0) return '[]';
  return `["${flags.join('","')}"]`;
}

/** Buffer#latin1Write (the fast path behind write(s, pos, 'latin1'); untyped in @types/node) */
const writeLatin1 = (out: Buffer, s: string, pos: number): number =>
  (out as Buffer & { latin1Write(s: string, pos: number): number }).latin1Write(s, pos);
