import { describeValue, FtpIdsError } from '../common/errors.js';
import { parseTime } from '../common/time.js';
import type { DataRecord, FlowChunk, FlowEndpoint, FlowRecord } from './types.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One NDJSON line of ftp-flows: a flow record (format 1 or 2) or a data record (format 1b), checked
 * enough that the extractor and ftp-label can trust its shape. The record is rebuilt from the
 * documented fields only: unknown fields (a newer writer's, or hostile ones nested 10,000 deep) are
 * accepted and dropped, so ftp-label and ftp-extract treat them alike and nothing downstream ever walks
 * them. No message quotes a value whole (describeValue).
 */
export function parseRecordLine(text: string, lineNo: number, file: string): FlowRecord | DataRecord {
  let rec: unknown;
  const where = { file, line: lineNo };
  try {
    rec = JSON.parse(text);
  } catch (e) {
    throw new FtpIdsError('BAD_INPUT', `invalid JSON: ${(e as Error).message}`, where);
  }
  const fail = (msg: string): never => {
    throw new FtpIdsError('BAD_INPUT', msg, where);
  };
  if (isObj(rec) && rec.type === 'data') return checkData(rec, fail);
  return checkFlow(rec, fail);
}

/** One NDJSON flow record (format 1 or 2); a data record is an error (see parseRecordLine). */
export function parseFlowLine(text: string, lineNo: number, file: string): FlowRecord {
  const r = parseRecordLine(text, lineNo, file);
  if (r.type !== 'flow') throw new FtpIdsError('BAD_INPUT', 'not a flow record (type must be "flow")', { file, line: lineNo });
  return r;
}

function checkData(r: Record<string, unknown>, fail: (msg: string) => never): DataRecord {
  if (r.v !== 1) fail(`data record version ${describeValue(r.v)} is not supported (expected 1)`);
  const isEndpoint = (e: unknown): boolean => isObj(e) && typeof e.ip === 'string' && Number.isInteger(e.port);
  const ok =
    typeof r.control === 'string' && (r.mode === 'passive' || r.mode === 'active') && isEndpoint(r.announced) && isEndpoint(r.client) &&
    isEndpoint(r.server) && isObj(r.sniff) && typeof r.sniff.c === 'string' && typeof r.sniff.s === 'string' && typeof r.end === 'string';
  if (!ok) fail('data record lacks control, mode, announced, client, server, end or sniff');
  if (!Array.isArray(r.flags) || !r.flags.every((f) => typeof f === 'string')) fail('flags is not an array of strings');
  const ep = (e: Record<string, unknown>): { ip: string; port: number } => ({ ip: e.ip as string, port: e.port as number });
  const sniff = r.sniff as Record<string, unknown>;
  return {
    type: 'data',
    v: 1,
    community_id: (optString(r, 'community_id', fail) ?? '') as string,
    control: r.control as string,
    mode: r.mode as DataRecord['mode'],
    announced: ep(r.announced as Record<string, unknown>),
    announced_ts: time(r, 'announced_ts', fail),
    client: ep(r.client as Record<string, unknown>),
    server: ep(r.server as Record<string, unknown>),
    first_ts: time(r, 'first_ts', fail),
    last_ts: time(r, 'last_ts', fail),
    packets: pair(r.packets, 'packets', fail),
    bytes: pair(r.bytes, 'bytes', fail),
    missing: pair(r.missing, 'missing', fail),
    end: r.end as DataRecord['end'],
    flags: r.flags as string[],
    sniff: { c: sniff.c as string, s: sniff.s as string },
  };
}

function checkFlow(rec: unknown, fail: (msg: string) => never): FlowRecord {
  if (!isObj(rec) || rec.type !== 'flow') return fail('not a flow record (type must be "flow")');
  if (rec.v !== 1) fail(`flow record version ${describeValue(rec.v)} is not supported (expected 1)`);
  const r = rec;
  if (typeof r.id !== 'string' || !isObj(r.client) || !isObj(r.server) || typeof r.client.ip !== 'string' || typeof r.server.ip !== 'string') {
    fail('flow record lacks id, client or server');
  }
  if (!Array.isArray(r.chunks)) fail('flow record lacks chunks');
  // the documented field order (ftp-label writes the record back); absent fields stay absent
  // (undefined is not written), casts rather than invented values
  let flags: string[] | undefined;
  if (r.flags !== undefined) {
    // a string would be matched as a substring by `includes`, a number would throw there
    if (!Array.isArray(r.flags) || !r.flags.every((f) => typeof f === 'string')) fail('flags is not an array of strings');
    flags = r.flags as string[];
  }
  const out: FlowRecord = {
    type: 'flow',
    v: 1,
    id: r.id as string,
    community_id: optString(r, 'community_id', fail) as string,
    client: endpoint(r.client as Record<string, unknown>, 'client', fail),
    server: endpoint(r.server as Record<string, unknown>, 'server', fail),
    first_ts: time(r, 'first_ts', fail),
    last_ts: time(r, 'last_ts', fail),
    packets: r.packets === undefined ? undefined : pair(r.packets, 'packets', fail),
    bytes: r.bytes === undefined ? undefined : pair(r.bytes, 'bytes', fail),
    end: optString(r, 'end', fail),
    flags,
    chunks: chunks(r.chunks as unknown[], fail),
    label: optString(r, 'label', fail),
    greeting: optString(r, 'greeting', fail),
  };
  return out;
}

function optString(r: Record<string, unknown>, name: string, fail: (msg: string) => never): string | undefined {
  const v = r[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(`${name} is not a string`);
  return v as string;
}

/** A time: a finite number (JSON's 1e400 parses to Infinity), or absent. */
/** A time: a finite number (JSON's 1e400 parses to Infinity) or ISO 8601 text (ftp-flows --time-format iso), or absent. */
function time(r: Record<string, unknown>, name: string, fail: (msg: string) => never): number {
  const v = r[name];
  if (v === undefined) return v as unknown as number;
  const t = timeValue(v);
  if (t === undefined) fail(`${name} is not a finite number or an ISO 8601 time`);
  return t as number;
}

function timeValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || v.length > 40 || !v.includes('T')) return undefined; // ISO text, not a number in quotes
  try {
    const t = parseTime(v);
    return Number.isFinite(t) ? t : undefined;
  } catch {
    return undefined;
  }
}

function endpoint(e: Record<string, unknown>, name: string, fail: (msg: string) => never): FlowEndpoint {
  const port = e.port;
  if (port !== undefined && !(Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65535)) fail(`${name}.port is not a port number`);
  return { ip: e.ip as string, port: port as number };
}

function pair(v: unknown, name: string, fail: (msg: string) => never): { c: number; s: number } {
  if (!isObj(v) || typeof v.c !== 'number' || typeof v.s !== 'number') return fail(`${name} is not {"c":number,"s":number}`);
  return { c: v.c, s: v.s };
}

function chunks(list: unknown[], fail: (msg: string) => never): FlowChunk[] {
  const out: FlowChunk[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    const ok =
      isObj(c) && (c.dir === 'c' || c.dir === 's') && timeValue(c.ts) !== undefined &&
      (typeof c.data === 'string' ? c.gap === undefined : Number.isSafeInteger(c.gap) && (c.gap as number) >= 0 && c.data === undefined);
    if (!ok) fail(`chunk ${i}: expected {"dir":"c"|"s","ts":number} with "data" (base64) or "gap" (bytes)`);
    const k = c as Record<string, unknown>;
    const ts = timeValue(k.ts) as number;
    out[i] = typeof k.data === 'string' ? { dir: k.dir as 'c' | 's', ts, data: k.data } : { dir: k.dir as 'c' | 's', ts, gap: k.gap as number };
  }
  return out;
}

/**
 * One NDJSON line given as bytes (`buf[start, end)`), the same record as parseRecordLine on its text
 * (tested on every corpus capture, the samples, and mutated lines). ftp-flows writes every flow line in
 * one shape — `{"type":"flow",…,"chunks":[{"dir":"s","ts":1.5,"data":"base64"},…]…}` — and the chunks
 * are nearly all of its bytes: they are read here straight from the bytes, payload decoded from
 * base64 into one Buffer per line, and only the rest of the line (the head and tail around `"chunks"`,
 * a few hundred bytes) goes through JSON.parse and the documented checks, unknown fields included.
 * Whatever does not fit that shape exactly (another key order, escapes, a number JSON would read
 * differently, base64 that is not canonical, a second `"chunks"` key) goes through parseRecordLine
 * whole, which gives the record or the error it always gave.
 */
export function parseRecordBytes(buf: Buffer, start: number, end: number, lineNo: number, file: string): FlowRecord | DataRecord {
  const fast = buf[start] === 0x7b ? fastFlow(buf, start, end, lineNo, file) : null;
  return fast ?? parseRecordLine(buf.toString('utf8', start, end), lineNo, file);
}

const CHUNKS_KEY = Buffer.from('"chunks":[');
const DIR_KEY = Buffer.from('{"dir":"');
const TS_KEY = Buffer.from('","ts":');
const DATA_KEY = Buffer.from(',"data":"');
const GAP_KEY = Buffer.from(',"gap":');

function at(buf: Buffer, p: number, key: Buffer): boolean {
  if (p + key.length > buf.length) return false;
  for (let i = 0; i < key.length; i++) if (buf[p + i] !== key[i]) return false;
  return true;
}

/**
 * Where the first top-level `"chunks":[` key starts in `buf[from, end)` (depth counted from `depth`,
 * the key at depth 1, outside strings), or -1.
 */
function chunksKeyAt(buf: Buffer, from: number, end: number, depth: number): number {
  for (let p = from; p < end; p++) {
    const b = buf[p];
    if (b === 0x22) {
      if (depth === 1 && (buf[p - 1] === 0x2c || buf[p - 1] === 0x7b) && at(buf, p, CHUNKS_KEY)) return p;
      // skip the string
      for (p++; p < end && buf[p] !== 0x22; p++) if (buf[p] === 0x5c) p++;
    } else if (b === 0x7b || b === 0x5b) depth++;
    else if (b === 0x7d || b === 0x5d) depth--;
  }
  return -1;
}

function fastFlow(buf: Buffer, start: number, end: number, lineNo: number, file: string): FlowRecord | null {
  const key = chunksKeyAt(buf, start, end, 0);
  if (key < 0) return null;
  const open = key + CHUNKS_KEY.length; // after '['
  const parsed = fastChunks(buf, open, end);
  // a second top-level "chunks" after the first: JSON.parse keeps the last, the whole line decides
  if (!parsed || chunksKeyAt(buf, parsed.close + 1, end, 1) >= 0) return null;
  // the rest of the record, with an empty chunks array in place of the chunks
  const text = buf.toString('utf8', start, key) + '"chunks":[]' + buf.toString('utf8', parsed.close + 1, end);
  let rec: FlowRecord | DataRecord;
  try {
    rec = parseRecordLine(text, lineNo, file);
  } catch {
    return null; // the error is the whole line's (JSON.parse's message quotes the text it read)
  }
  if (rec.type !== 'flow' || rec.chunks.length !== 0) return null;
  rec.chunks = parsed.chunks;
  return rec;
}

/** base64 digit values (-1: not a digit of the standard alphabet) */
const B64 = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

/**
 * The chunks array whose contents start at `p` (after `[`): each `{"dir":"c"|"s","ts":NUMBER,` then
 * `"data":"BASE64"}` or `"gap":DIGITS}`, comma-separated, up to `]`. null when anything differs.
 */
function fastChunks(buf: Buffer, p: number, end: number): { chunks: FlowChunk[]; close: number } | null {
  const chunks: FlowChunk[] = [];
  // payload: at most 3/4 of the line's bytes; one Buffer for the line, chunks are views of it
  let payload: Buffer | null = null;
  let used = 0;
  if (buf[p] === 0x5d) return { chunks, close: p };
  for (;;) {
    if (!at(buf, p, DIR_KEY)) return null;
    p += DIR_KEY.length;
    const d = buf[p];
    if (d !== 0x63 && d !== 0x73) return null; // c, s
    const dir = d === 0x63 ? 'c' : 's';
    p++;
    if (!at(buf, p, TS_KEY)) return null;
    p += TS_KEY.length;
    const numEnd = jsonNumberEnd(buf, p, end);
    if (numEnd < 0) return null;
    const ts = decimalTime(buf, p, numEnd);
    if (!Number.isFinite(ts)) return null;
    p = numEnd;
    if (at(buf, p, DATA_KEY)) {
      p += DATA_KEY.length;
      let q = p;
      while (q < end && buf[q] !== 0x22) q++; // (base64 has no quote or backslash)
      if (q >= end) return null;
      payload ??= Buffer.allocUnsafe(((end - p) >> 2) * 3 + 3);
      const n = decodeBase64(buf, p, q, payload, used);
      if (n < 0) return null;
      // the bytes are payload[used, used + n) (FlowChunk at/len: no view object per chunk)
      chunks.push({ dir, ts, data: payload, at: used, len: n });
      used += n;
      p = q + 1;
    } else if (at(buf, p, GAP_KEY)) {
      p += GAP_KEY.length;
      let q = p;
      while (q < end && buf[q] >= 0x30 && buf[q] <= 0x39) q++;
      if (q === p || q - p > 15 || (buf[p] === 0x30 && q - p > 1)) return null; // safe integers, no leading zero
      chunks.push({ dir, ts, gap: Number(buf.toString('latin1', p, q)) });
      p = q;
    } else return null;
    if (buf[p] !== 0x7d) return null; // }
    p++;
    if (buf[p] === 0x5d) return { chunks, close: p };
    if (buf[p] !== 0x2c) return null;
    p++;
  }
}

/**
 * Number(text) of the JSON number `buf[p, end)`, without the text for the times ftp-flows writes:
 * digits, optionally `.` and up to 6 more, whose digits read as one integer stay below 2^53 (ftp-flows'
 * times have 16). Then the decimal is exactly that integer (exact as a double: every step below 2^53
 * is) over 10^k (exact too), and IEEE division rounds that quotient correctly, as Number does the
 * decimal. Anything else goes through Number.
 */
function decimalTime(buf: Buffer, p: number, end: number): number {
  let v = 0;
  let digits = 0;
  let scale = 1;
  let q = p;
  for (; q < end && buf[q] >= 0x30 && buf[q] <= 0x39; q++, digits++) v = v * 10 + (buf[q] - 0x30);
  if (q < end && buf[q] === 0x2e) {
    for (q++; q < end && buf[q] >= 0x30 && buf[q] <= 0x39 && scale < 1e6; q++, digits++) {
      v = v * 10 + (buf[q] - 0x30);
      scale *= 10;
    }
  }
  if (q !== end || digits === 0 || !(v < 2 ** 53)) return Number(buf.toString('latin1', p, end));
  return v / scale;
}

/** The end of a JSON number at `p` (RFC 8259 grammar), or -1. */
function jsonNumberEnd(buf: Buffer, p: number, end: number): number {
  if (buf[p] === 0x2d) p++; // -
  if (buf[p] === 0x30) p++;
  else if (buf[p] >= 0x31 && buf[p] <= 0x39) p = digitsEnd(buf, p + 1, end);
  else return -1;
  if (buf[p] === 0x2e) {
    const q = digitsEnd(buf, p + 1, end);
    if (q === p + 1) return -1;
    p = q;
  }
  if (buf[p] === 0x65 || buf[p] === 0x45) {
    p++;
    if (buf[p] === 0x2b || buf[p] === 0x2d) p++;
    const q = digitsEnd(buf, p, end);
    if (q === p) return -1;
    p = q;
  }
  return p;
}

/** past the digits from q */
function digitsEnd(buf: Buffer, q: number, end: number): number {
  while (q < end && buf[q] >= 0x30 && buf[q] <= 0x39) q++;
  return q;
}

/**
 * Canonical base64 `buf[from, to)` decoded into `out` at `at`: bytes written, or -1 when the text is
 * not exactly what Buffer#toString('base64') writes (length a multiple of 4, `=` only as the last one or
 * two, unused bits zero), where Node's lenient decoder would be the reference.
 */
function decodeBase64(buf: Buffer, from: number, to: number, out: Buffer, at: number): number {
  const len = to - from;
  if (len % 4 !== 0) return -1;
  if (len === 0) return 0;
  let o = at;
  const full = buf[to - 1] === 0x3d ? to - 4 : to;
  for (let i = from; i < full; i += 4) {
    const a = B64[buf[i]], b = B64[buf[i + 1]], c = B64[buf[i + 2]], d = B64[buf[i + 3]];
    if ((a | b | c | d) < 0) return -1;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (full < to) {
    const a = B64[buf[full]], b = B64[buf[full + 1]];
    if ((a | b) < 0) return -1;
    if (buf[full + 2] === 0x3d) {
      if ((b & 15) !== 0) return -1;
      out[o++] = (a << 2) | (b >> 4);
    } else {
      const c = B64[buf[full + 2]];
      if (c < 0 || (c & 3) !== 0) return -1;
      out[o++] = (a << 2) | (b >> 4);
      out[o++] = ((b & 15) << 4) | (c >> 2);
    }
  }
  return o - at;
}
