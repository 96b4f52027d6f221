/**
 * Serialisation of exchange rows with csv-stringify: the documented dataset (format 3) and the
 * study's `--format seed` layout `srcip:sport-dstip:dport,label,command,code`.
 * Rows are stringified in batches (csv-stringify/sync): one call per batch, not per row.
 */
import { stringify } from 'csv-stringify/sync';
import { epochToIso, type TimeFormat } from '../common/time.js';
import { EXCHANGE_COLUMNS, type ExchangeRow } from './types.js';

export type OutputFormat = 'csv' | 'seed';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['csv', 'seed'];

// csv-stringify costs ~10 µs a row (measured: more than the whole extraction), most of it on rows that
// need no quoting at all. Rows whose fields hold no `,` `"` CR or LF are joined directly — exactly the
// text csv-stringify writes for them (tested against it); any other row goes through csv-stringify.
// csv-stringify quotes a field holding LF but not one holding a bare CR (a command word can: hostile
// clients send them), and many CSV readers end a record at a bare CR; quoted_match quotes both.
const CSV_OPTIONS = { record_delimiter: 'unix' as const, quoted_match: /[\r\n]/ };
const NEEDS_QUOTING = /[",\r\n]/;

function plainLine(fields: (string | number | null)[]): string | null {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    const v = fields[i];
    const s = v === null ? '' : typeof v === 'number' ? String(v) : v;
    if (typeof v === 'string' && NEEDS_QUOTING.test(s)) return null;
    line += i === 0 ? s : ',' + s;
  }
  return line + '\n';
}

/** CSV text of rows (arrays of fields), csv-stringify's quoting rules. */
export function csvLines(rows: (string | number | null)[][]): string {
  let out = '';
  for (const r of rows) out += plainLine(r) ?? stringify([r], CSV_OPTIONS);
  return out;
}

export function csvHeader(): string {
  return EXCHANGE_COLUMNS.join(',') + '\n';
}

function rowArray(r: ExchangeRow): (string | number | null)[] {
  return [
    r.flow_id, r.community_id, r.client_ip, r.client_port, r.server_ip, r.server_port, r.label, r.index,
    r.ts_request, r.ts_reply, r.command, r.arg, r.reply_codes, r.final_code, r.flags, r.tags, r.flow_end, r.reply_path,
    ...dataFields(r),
  ];
}

/** the data-connection columns (all empty on rows without one) */
function dataFields(r: ExchangeRow): (string | number | null)[] {
  if (r.data_mode === undefined || r.data_mode === '') return r.data_flags ? [null, '', null, '', '', '', r.data_flags] : NO_DATA;
  return [r.data_bytes ?? null, r.data_direction ?? '', r.data_duration ?? null, r.data_mode, r.data_peer ?? '', r.data_type ?? '', r.data_flags ?? ''];
}
const NO_DATA: (string | number | null)[] = [null, '', null, '', '', '', ''];
const NO_DATA_TEXT = ',,,,,,,';

/** One CSV line (csv-stringify for the rare row that needs quoting). */
export function csvRow(r: ExchangeRow): string {
  if (
    NEEDS_QUOTING.test(
      r.flow_id + r.community_id + r.client_ip + r.server_ip + r.label + r.command + r.arg + r.reply_codes + r.final_code + r.flags + r.tags + r.flow_end + r.reply_path +
        (r.data_mode ?? '') + (r.data_peer ?? '') + (r.data_type ?? '') + (r.data_flags ?? ''),
    )
  ) {
    return stringify([rowArray(r)], CSV_OPTIONS);
  }
  // (a row without a data connection, nearly all of them, ends in empty fields)
  const data = r.data_mode || r.data_flags ? ',' + dataFields(r).map((v) => (v === null ? '' : v)).join(',') : NO_DATA_TEXT;
  return `${r.flow_id},${r.community_id},${r.client_ip},${r.client_port},${r.server_ip},${r.server_port},${r.label},${r.index},${r.ts_request},${r.ts_reply === null ? '' : r.ts_reply},${r.command},${r.arg},${r.reply_codes},${r.final_code},${r.flags},${r.tags},${r.flow_end},${r.reply_path}${data}\n`;
}

export function csvRows(rows: ExchangeRow[], time: TimeFormat = 'epoch'): string {
  let out = '';
  if (time === 'iso') {
    // the same row with its two times as text (ISO 8601 has no character that needs quoting)
    for (const r of rows) out += csvRow({ ...r, ts_request: epochToIso(r.ts_request), ts_reply: r.ts_reply === null ? null : epochToIso(r.ts_reply) } as unknown as ExchangeRow);
  } else for (const r of rows) out += csvRow(r);
  return out;
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
  return csvLines(out);
}
