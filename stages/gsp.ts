import type { Readable } from 'node:stream';
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
  const texts: string[] = [];
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    if (fmt === null) fmt = sniffFormat(chunk);
    if (fmt === 'csv') {
      reader ??= new DatasetReader({ file }, (s) => sessions.push(s));
      reader.push(chunk);
    } else texts.push(chunk);
  }
  fmt ??= 'csv';
  if (fmt === 'csv') {
    reader ??= new DatasetReader({ file }, (s) => sessions.push(s));
    reader.end();
    return { flat: flatFromRaw(sessionsToSequences(sessions, cfg.items, cfg.time, file)), itemNames: new Map(), format: 'csv', sessions };
  }
  const text = texts.join('');
  const parsed = fmt === 'spmf' ? parseSpmf(text, file) : parseJsonLines(text, file);
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
