import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { FtpIdsError } from '../src/common/errors.js';
import { DatasetReader } from '../src/dataset/read.js';
import type { Session } from '../src/dataset/types.js';
import type { GspConfig } from '../src/gsp/config.js';
import { parseJsonLines, parseSpmf, sessionsToSequences, sniffFormat, type InputFormat } from '../src/gsp/input.js';
import type { GspInput } from '../src/gsp/run.js';
import { flatFromRaw, mergeFlat } from '../src/gsp/db.js';

/**
 * Stream side of ftp-gsp: read one input (exchange CSV, SPMF or JSON lines) into sequences.
 * Mining needs the whole database, so this collects; the CSV is parsed chunk by chunk by the
 * dataset reader (no second CSV reader), the other formats line by line from the text.
 */
export async function readGspInput(
  stream: Readable,
  format: InputFormat | 'auto',
  cfg: Pick<GspConfig, 'items' | 'time'>,
  file?: string,
): Promise<GspInput> {
  let fmt: InputFormat | null = format === 'auto' ? null : format;
  const sessions: Session[] = [];
  let reader: DatasetReader | null = null;
  // bytes in: SPMF is scanned as bytes, JSON lines decoded once, only the CSV is decoded chunk by chunk
  const chunks: Buffer[] = [];
  const decoder = new StringDecoder('utf8');
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (fmt === null) {
      const head = bytes.toString('utf8', 0, Math.min(bytes.length, 1 << 16));
      // a saved model given as input (`ftp-gsp -f text model.json`) would fail as "not JSON lines"
      if (/^\s*\{\s*"format"\s*:\s*"ftp-ids-model"/.test(head)) {
        throw new FtpIdsError('USAGE', `this is a model (ftp-ids-model), not sessions to mine: to read it, run "ftp-ids show ${file ?? 'MODEL'}" (--json for JSON)`, { file });
      }
      fmt = sniffFormat(head);
    }
    if (fmt === 'csv') {
      reader ??= new DatasetReader({ file }, (s) => sessions.push(s));
      reader.push(decoder.write(bytes));
    } else chunks.push(bytes);
  }
  fmt ??= 'csv';
  if (fmt === 'csv') {
    reader ??= new DatasetReader({ file }, (s) => sessions.push(s));
    const rest = decoder.end();
    if (rest) reader.push(rest);
    reader.end();
    return { flat: flatFromRaw(sessionsToSequences(sessions, cfg.items, cfg.time, file)), itemNames: new Map(), format: 'csv', sessions };
  }
  const bytes = Buffer.concat(chunks);
  const parsed = fmt === 'spmf' ? parseSpmf(bytes, file) : parseJsonLines(bytes.toString('utf8'), file);
  return { ...parsed, format: fmt };
}

/** Several inputs into one database (sequences appended in order; item names merged). */
export function mergeInputs(inputs: GspInput[]): GspInput {
  if (inputs.length === 1) return inputs[0];
  const out: GspInput = { flat: mergeFlat(inputs.map((i) => i.flat)), itemNames: new Map(), format: inputs[0]?.format ?? 'csv', sessions: [] };
  for (const i of inputs) {
    for (const [k, v] of i.itemNames) out.itemNames.set(k, v);
    if (i.sessions) out.sessions!.push(...i.sessions);
    else out.sessions = undefined;
  }
  return out;
}
