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
