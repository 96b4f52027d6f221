/**
 * Serialisation of exchange rows with csv-stringify: the documented dataset (format 3) and the
 * study's `--format seed` layout `srcip:sport-dstip:dport,label,command,code`.
 * Rows are stringified in batches (csv-stringify/sync): one call per batch, not per row.
 */
import { stringify } from 'csv-stringify/sync';
import { EXCHANGE_COLUMNS, type ExchangeRow } from './types.js';

export type OutputFormat = 'csv' | 'seed';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['csv', 'seed'];

const CSV_OPTIONS = { columns: EXCHANGE_COLUMNS as string[], record_delimiter: 'unix' as const, cast: { number: (n: number) => String(n) } };

export function csvHeader(): string {
  return EXCHANGE_COLUMNS.join(',') + '\n';
}

export function csvRows(rows: ExchangeRow[]): string {
  return rows.length === 0 ? '' : stringify(rows, CSV_OPTIONS);
}

function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * The study's row for an exchange, or null when its regular expression would have produced none:
 * pseudo-commands (greeting, gaps, …) and commands without a reply code. The code is the FIRST reply
 * code (`{RETR,150}` in the study's figures), the source is the client.
 */
export function seedFields(row: ExchangeRow): string[] | null {
  if (row.command.charCodeAt(0) === 0x3c || row.reply_codes === '') return null;
  const sp = row.reply_codes.indexOf(' ');
  const first = sp < 0 ? row.reply_codes : row.reply_codes.slice(0, sp);
  return [`${endpoint(row.client_ip, row.client_port)}-${endpoint(row.server_ip, row.server_port)}`, row.label, row.command, first];
}

export function seedRows(rows: ExchangeRow[]): string {
  const out: string[][] = [];
  for (const r of rows) {
    const f = seedFields(r);
    if (f) out.push(f);
  }
  return out.length === 0 ? '' : stringify(out, { record_delimiter: 'unix' });
}
