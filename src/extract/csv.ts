/**
 * Serialisation of exchange rows: the documented dataset (format 3) and the study's `--format seed`
 * layout `srcip:sport-dstip:dport,label,command,code`. csv-stringify is the reference (csvRowReference);
 * csvRow writes the same bytes without it (tests compare the two on every corpus capture and sample).
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

/** The fields of a row in column order, as csv-stringify takes them. */
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

/** The reference: csv-stringify's line for the row (the dataset's quoting rules, CSV_OPTIONS). */
export function csvRowReference(r: ExchangeRow): string {
  return stringify([rowArray(r)], CSV_OPTIONS);
}
const NO_DATA_TEXT = ',,,,,,,';

/** A field as csv-stringify writes it (CSV_OPTIONS): quoted, its quotes doubled, when it holds `,` `"` CR or LF. */
function field(s: string | undefined): string {
  if (s === undefined) return ''; // (csv-stringify writes nothing for a field that is absent)
  return s === '' || !NEEDS_QUOTING.test(s) ? s : '"' + s.replace(QUOTES, '""') + '"';
}
const QUOTES = /"/g;

// The first seven columns and flow_end are the same on every row of a flow: their text is made once
// per flow (rows of one flow come together) and reused while the next row's values are the same.
let last: ExchangeRow | null = null;
let prefix = '';
let flowEnd = '';

function samePrefix(a: ExchangeRow, b: ExchangeRow): boolean {
  return a.flow_id === b.flow_id && a.community_id === b.community_id && a.client_ip === b.client_ip && a.client_port === b.client_port &&
    a.server_ip === b.server_ip && a.server_port === b.server_port && a.label === b.label && a.flow_end === b.flow_end;
}

let lastSec = -1;
let lastSecText = '';
const ZEROS = ['', '0', '00', '000', '0000', '00000'];

/**
 * String(t) for a capture time, faster for the times captures have: whole microseconds since 1970
 * between 2001 and 2096 (`t === us / 1e6`). There the text `seconds.micro` with its trailing zeros
 * dropped is what String(t) writes: it reads back as t (t is that decimal correctly rounded), and no
 * shorter decimal does (decimals with fewer places lie 1e-6 or more away, doubles at most 4.8e-7 apart).
 * Anything else (a time given as text by a test, 1.5, NaN): String(t). Tested against String.
 */
export function timeText(t: number): string {
  if (typeof t !== 'number' || !(t >= 1e9 && t < 4e9)) return String(t);
  const us = Math.round(t * 1e6);
  if (us / 1e6 !== t) return String(t);
  const sec = Math.floor(us / 1e6);
  let frac = us - sec * 1e6;
  if (sec !== lastSec) {
    lastSec = sec;
    lastSecText = String(sec);
  }
  if (frac === 0) return lastSecText;
  let places = 6;
  while (frac % 10 === 0) {
    frac /= 10;
    places--;
  }
  const digits = String(frac);
  return lastSecText + '.' + ZEROS[places - digits.length] + digits;
}

/**
 * One CSV line, byte for byte what csv-stringify writes for the row (the reference: tested identical
 * on every corpus capture and sample, and on random fields). Each field is tested for the characters
 * that need quoting on its own: testing one concatenation of them all built and flattened a string
 * per row.
 */
export function csvRow(r: ExchangeRow): string {
  if (last === null || !samePrefix(r, last)) {
    prefix = `${field(r.flow_id)},${field(r.community_id)},${field(r.client_ip)},${r.client_port},${field(r.server_ip)},${r.server_port},${field(r.label)},`;
    flowEnd = field(r.flow_end);
    last = r;
  }
  // (a row without a data connection, nearly all of them, ends in empty fields; one whose transfer found
  // none has its data_flags only, as dataFields)
  const data = r.data_mode
    ? `,${r.data_bytes ?? ''},${field(r.data_direction)},${r.data_duration ?? ''},${field(r.data_mode)},${field(r.data_peer)},${field(r.data_type)},${field(r.data_flags)}`
    : r.data_flags ? `,,,,,,,${field(r.data_flags)}` : NO_DATA_TEXT;
  return `${prefix}${r.index},${timeText(r.ts_request)},${r.ts_reply === null ? '' : timeText(r.ts_reply)},${field(r.command)},${field(r.arg)},${field(r.reply_codes)},${field(r.final_code)},${field(r.flags)},${field(r.tags)},${flowEnd},${field(r.reply_path)}${data}\n`;
}

const isoRow = (r: ExchangeRow): ExchangeRow =>
  // the same row with its two times as text (ISO 8601 has no character that needs quoting)
  ({ ...r, ts_request: epochToIso(r.ts_request), ts_reply: r.ts_reply === null ? null : epochToIso(r.ts_reply) }) as unknown as ExchangeRow;

export function csvRows(rows: ExchangeRow[], time: TimeFormat = 'epoch'): string {
  let out = '';
  if (time === 'iso') for (const r of rows) out += csvRow(isoRow(r));
  else for (const r of rows) out += csvRow(r);
  return out;
}

/**
 * The CSV bytes of rows (csvRows' text, UTF-8): each line is encoded into one Buffer as it is made.
 * Appending a batch's lines to one string and encoding it at the write cost more than making them
 * (issue 12's profile: 0.48 s of string appends on 540k rows).
 */
export function csvRowsBuffer(rows: ExchangeRow[], time: TimeFormat = 'epoch'): Buffer {
  let buf = Buffer.allocUnsafe(rows.length * 160 + 1024);
  let pos = 0;
  for (const r of rows) {
    const line = csvRow(time === 'iso' ? isoRow(r) : r);
    if (pos + line.length * 3 > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + line.length * 3));
      buf.copy(bigger, 0, 0, pos);
      buf = bigger;
    }
    pos += buf.write(line, pos);
  }
  return buf.subarray(0, pos);
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
