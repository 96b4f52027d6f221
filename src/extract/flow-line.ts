import { FtpIdsError } from '../common/errors.js';
import type { DataRecord, FlowRecord } from './types.js';

/**
 * One NDJSON line of ftp-flows: a flow record (format 1 or 2) or a data record (format 1b), checked
 * enough that the extractor can trust its shape.
 */
export function parseRecordLine(text: string, lineNo: number, file: string): FlowRecord | DataRecord {
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch (e) {
    throw new FtpIdsError('BAD_INPUT', `invalid JSON: ${(e as Error).message}`, { file, line: lineNo });
  }
  if (rec && typeof rec === 'object' && (rec as { type?: unknown }).type === 'data') return checkData(rec as Partial<DataRecord>, { file, line: lineNo });
  return checkFlow(rec as Partial<FlowRecord> | null, { file, line: lineNo });
}

/** One NDJSON flow record (format 1 or 2); a data record is an error (see parseRecordLine). */
export function parseFlowLine(text: string, lineNo: number, file: string): FlowRecord {
  const r = parseRecordLine(text, lineNo, file);
  if (r.type !== 'flow') throw new FtpIdsError('BAD_INPUT', 'not a flow record (type must be "flow")', { file, line: lineNo });
  return r;
}

const isEndpoint = (e: unknown): boolean =>
  !!e && typeof (e as { ip?: unknown }).ip === 'string' && typeof (e as { port?: unknown }).port === 'number';
const isPair = (p: unknown): boolean =>
  !!p && typeof (p as { c?: unknown }).c === 'number' && typeof (p as { s?: unknown }).s === 'number';

function checkData(r: Partial<DataRecord>, where: { file: string; line: number }): DataRecord {
  if (r.v !== 1) throw new FtpIdsError('BAD_INPUT', `data record version ${JSON.stringify(r.v)} is not supported (expected 1)`, where);
  const ok =
    typeof r.control === 'string' && (r.mode === 'passive' || r.mode === 'active') && isEndpoint(r.announced) &&
    isEndpoint(r.client) && isEndpoint(r.server) && typeof r.first_ts === 'number' && typeof r.last_ts === 'number' &&
    isPair(r.bytes) && isPair(r.missing) && !!r.sniff && typeof r.sniff.c === 'string' && typeof r.sniff.s === 'string';
  if (!ok) throw new FtpIdsError('BAD_INPUT', 'data record lacks control, mode, announced, client, server, times, bytes, missing or sniff', where);
  return r as DataRecord;
}

function checkFlow(r: Partial<FlowRecord> | null, where: { file: string; line: number }): FlowRecord {
  if (!r || typeof r !== 'object' || r.type !== 'flow') throw new FtpIdsError('BAD_INPUT', 'not a flow record (type must be "flow")', where);
  if (r.v !== 1) throw new FtpIdsError('BAD_INPUT', `flow record version ${JSON.stringify(r.v)} is not supported (expected 1)`, where);
  if (typeof r.id !== 'string' || !r.client || !r.server || typeof r.client.ip !== 'string' || typeof r.server.ip !== 'string') {
    throw new FtpIdsError('BAD_INPUT', 'flow record lacks id, client or server', where);
  }
  if (!Array.isArray(r.chunks)) throw new FtpIdsError('BAD_INPUT', 'flow record lacks chunks', where);
  for (let i = 0; i < r.chunks.length; i++) {
    const c = r.chunks[i] as unknown as Record<string, unknown>;
    const ok =
      !!c && (c.dir === 'c' || c.dir === 's') && typeof c.ts === 'number' &&
      (typeof c.data === 'string' ? c.gap === undefined : Number.isInteger(c.gap) && (c.gap as number) >= 0 && c.data === undefined);
    if (!ok) throw new FtpIdsError('BAD_INPUT', `chunk ${i}: expected {"dir":"c"|"s","ts":number} with "data" (base64) or "gap" (bytes)`, where);
  }
  return r as FlowRecord;
}
