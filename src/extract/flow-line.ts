import { FtpIdsError } from '../common/errors.js';
import type { FlowRecord } from './types.js';

/** One NDJSON flow record (format 1 or 2), checked enough that the extractor can trust its shape. */
export function parseFlowLine(text: string, lineNo: number, file: string): FlowRecord {
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch (e) {
    throw new FtpIdsError('BAD_INPUT', `invalid JSON: ${(e as Error).message}`, { file, line: lineNo });
  }
  const r = rec as Partial<FlowRecord> | null;
  const where = { file, line: lineNo };
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
