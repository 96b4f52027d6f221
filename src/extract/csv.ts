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

/** A field as csv-stringify writes it (CSV_OPTIONS): quoted, its quotes doubled, when it holds `,` `"` CR or LF. */
function field(s: string | undefined): string {
  if (s === undefined) return ''; // (csv-stringify writes nothing for a field that is absent)
  return s === '' || !NEEDS_QUOTING.test(s) ? s : '"' + s.replace(QUOTES, '""') + '"';
}
const QUOTES = /"/g;

function samePrefix(a: ExchangeRow, b: ExchangeRow): boolean {
  return a.flow_id === b.flow_id && a.community_id === b.community_id && a.client_ip === b.client_ip && a.client_port === b.client_port &&
    a.server_ip === b.server_ip && a.server_port === b.server_port && a.label === b.label && a.flow_end === b.flow_end;
}

/**
 * String(t) for a capture time (CsvWriter's time text: tested against String on the range it takes,
 * its edges and any double).
 */
export function timeText(t: number): string {
  if (typeof t !== 'number') return String(t);
  return timeScratch.toString('latin1', 0, putTime(timeScratch, 0, t, timeSec));
}
const timeScratch = Buffer.alloc(64);

/** the 10 digits of the last whole second written ([10]: the second; every second of 2001–2096 has 10 digits) */
type SecondDigits = Float64Array;
const newSecondDigits = (): SecondDigits => new Float64Array(11).fill(-1);
const timeSec = newSecondDigits();

/** the three digits of 0–999 */
const DIGITS3 = new Uint8Array(3000);
for (let i = 0; i < 1000; i++) {
  DIGITS3[3 * i] = 0x30 + Math.floor(i / 100);
  DIGITS3[3 * i + 1] = 0x30 + (Math.floor(i / 10) % 10);
  DIGITS3[3 * i + 2] = 0x30 + (i % 10);
}

/**
 * String(t) at b[p], faster for the times captures have: whole microseconds since 1970 between 2001
 * and 2096 (`t === us / 1e6`). There the text `seconds.micro` with its trailing zeros dropped is what
 * String(t) writes: it reads back as t (t is that decimal correctly rounded), and no shorter decimal
 * does (decimals with fewer places lie 1e-6 or more away, doubles at most 4.8e-7 apart). Anything
 * else (1.5, NaN): String(t). `sec` keeps the digits of the last second (rows of a flow share it).
 */
function putTime(b: Buffer, p: number, t: number, sec: SecondDigits): number {
  if (!(t >= 1e9 && t < 4e9)) return p + b.write(String(t), p, 'latin1');
  const us = Math.round(t * 1e6);
  if (us / 1e6 !== t) return p + b.write(String(t), p, 'latin1');
  const s = Math.floor(us / 1e6);
  const frac = us - s * 1e6;
  if (s !== sec[10]) {
    sec[10] = s;
    for (let i = 9, x = s; i >= 0; i--, x = Math.floor(x / 10)) sec[i] = 0x30 + (x % 10);
  }
  for (let i = 0; i < 10; i++) b[p + i] = sec[i];
  p += 10;
  if (frac === 0) return p;
  // `.` and the six digits of the microseconds, trailing zeros dropped
  const hi = 3 * Math.floor(frac / 1000);
  const lo = 3 * (frac % 1000);
  b[p] = DOT;
  b[p + 1] = DIGITS3[hi];
  b[p + 2] = DIGITS3[hi + 1];
  b[p + 3] = DIGITS3[hi + 2];
  b[p + 4] = DIGITS3[lo];
  b[p + 5] = DIGITS3[lo + 1];
  b[p + 6] = DIGITS3[lo + 2];
  let end = p + 7;
  while (b[end - 1] === 0x30) end--;
  return end;
}

/**
 * One CSV line, byte for byte what csv-stringify writes for the row (CsvWriter's line, as text).
 */
export function csvRow(r: ExchangeRow): string {
  oneRow.row(r);
  return oneRow.takeText();
}

/** csvRow's text of rows (written by CsvWriter: the fast-check test against csv-stringify covers both) */
export function csvRows(rows: ExchangeRow[], time: TimeFormat = 'epoch'): string {
  return csvRowsBuffer(rows, time).toString('utf8');
}

/** The CSV bytes of rows (csvRows' text, UTF-8). */
export function csvRowsBuffer(rows: ExchangeRow[], time: TimeFormat = 'epoch'): Buffer {
  const w = new CsvWriter(time, rows.length * 160 + 1024);
  for (const r of rows) w.row(r);
  return w.take();
}

const COMMA = 0x2c;
const LF = 0x0a;
const DOT = 0x2e;
/** bytes a row needs besides its string fields at 3 bytes a UTF-16 unit (numbers, separators, times) */
const ROW_FIXED_BOUND = 25 * 2 + 4 * 24 + 2 * 40;

/**
 * CSV lines written straight into a byte buffer, byte for byte csvRow's text (so csv-stringify's):
 * building each line as a string and encoding it into the batch Buffer cost 0.6 µs a row in the
 * encoding call alone (issue 12's second profile: 6 % of capture → CSV), more than writing it. ASCII
 * fields that need no quoting (nearly all) are copied a character at a time; any other field goes
 * through field() and Buffer.write. The first seven columns and flow_end are encoded once per flow.
 * `take()` hands over what was written and starts a new buffer (the old one may still be queued in
 * a stream).
 */
export class CsvWriter {
  private buf: Buffer;
  pos = 0;
  /** the columns the prefix was made from (copied: a row object may be refilled, reuseRows) */
  private last: ExchangeRow | null = null;
  private prefix = Buffer.alloc(0);
  private flowEnd = Buffer.alloc(0);
  private readonly sec = newSecondDigits();

  constructor(private readonly time: TimeFormat = 'epoch', private readonly size = 1 << 18) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** the bytes written since the last take (a buffer of their own) */
  take(): Buffer {
    if (this.pos <= this.size >> 4) {
      // a few rows (live input: the rows of one read): a copy of them, the buffer kept
      const out = Buffer.from(this.buf.subarray(0, this.pos));
      this.pos = 0;
      return out;
    }
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
    return out;
  }

  /** take() as text, the buffer kept (csvRow: one line at a time) */
  takeText(): string {
    const text = this.buf.toString('utf8', 0, this.pos);
    this.pos = 0;
    return text;
  }

  row(r: ExchangeRow): void {
    if (this.last === null || !samePrefix(r, this.last)) {
      this.prefix = Buffer.from(
        `${field(r.flow_id)},${field(r.community_id)},${field(r.client_ip)},${r.client_port},${field(r.server_ip)},${r.server_port},${field(r.label)},`,
      );
      this.flowEnd = Buffer.from(field(r.flow_end));
      const { flow_id, community_id, client_ip, client_port, server_ip, server_port, label, flow_end } = r;
      this.last = { flow_id, community_id, client_ip, client_port, server_ip, server_port, label, flow_end } as ExchangeRow;
    }
    const dataMode = r.data_mode;
    const dataFlags = r.data_flags;
    // (a field may be absent: written as nothing, as csv-stringify does)
    let units = (r.command?.length ?? 0) + (r.arg?.length ?? 0) + (r.reply_codes?.length ?? 0) + (r.final_code?.length ?? 0) + (r.flags?.length ?? 0) +
      (r.tags?.length ?? 0) + (r.reply_path?.length ?? 0);
    if (dataMode) units += dataMode.length + (r.data_direction?.length ?? 0) + (r.data_peer?.length ?? 0) + (r.data_type?.length ?? 0);
    if (dataFlags) units += dataFlags.length;
    this.room(this.prefix.length + this.flowEnd.length + 3 * units + ROW_FIXED_BOUND);
    const b = this.buf;
    let p = this.pos;
    b.set(this.prefix, p);
    p += this.prefix.length;
    p = putInt(b, p, r.index);
    b[p++] = COMMA;
    p = this.putTime(b, p, r.ts_request);
    b[p++] = COMMA;
    if (r.ts_reply !== null) p = this.putTime(b, p, r.ts_reply);
    b[p++] = COMMA;
    p = putField(b, p, r.command);
    b[p++] = COMMA;
    p = putField(b, p, r.arg);
    b[p++] = COMMA;
    p = putField(b, p, r.reply_codes);
    b[p++] = COMMA;
    p = putField(b, p, r.final_code);
    b[p++] = COMMA;
    p = putField(b, p, r.flags);
    b[p++] = COMMA;
    p = putField(b, p, r.tags);
    b[p++] = COMMA;
    b.set(this.flowEnd, p);
    p += this.flowEnd.length;
    b[p++] = COMMA;
    p = putField(b, p, r.reply_path);
    // (a row without a data connection, nearly all of them, ends in empty fields; one whose transfer found
    // none has its data_flags only, as dataFields)
    if (dataMode) {
      b[p++] = COMMA;
      if (r.data_bytes !== undefined && r.data_bytes !== null) p += b.write(String(r.data_bytes), p, 'latin1');
      b[p++] = COMMA;
      p = putField(b, p, r.data_direction);
      b[p++] = COMMA;
      if (r.data_duration !== undefined && r.data_duration !== null) p += b.write(String(r.data_duration), p, 'latin1');
      b[p++] = COMMA;
      p = putField(b, p, dataMode);
      b[p++] = COMMA;
      p = putField(b, p, r.data_peer);
      b[p++] = COMMA;
      p = putField(b, p, r.data_type);
      b[p++] = COMMA;
      p = putField(b, p, dataFlags);
    } else {
      for (let i = 0; i < 7; i++) b[p++] = COMMA;
      if (dataFlags) p = putField(b, p, dataFlags);
    }
    b[p++] = LF;
    this.pos = p;
  }

  /** room for `n` more bytes */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** timeText(t) (or its ISO 8601 text) */
  private putTime(b: Buffer, p: number, t: number): number {
    return this.time === 'iso' ? p + b.write(epochToIso(t), p, 'latin1') : putTime(b, p, t, this.sec);
  }
}

/** csvRow's writer (its buffer reused) */
const oneRow = new CsvWriter('epoch', 1024);

/** a non-negative integer's digits (String(n) for the safe integers; anything else as String) */
function putInt(b: Buffer, p: number, n: number): number {
  if (!(n >= 0 && n <= 0xffffffff) || n !== Math.floor(n)) return p + b.write(String(n), p, 'latin1');
  if (n < 10) {
    b[p] = 0x30 + n;
    return p + 1;
  }
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = p + digits - 1; i >= p; i--, n = Math.floor(n / 10)) b[i] = 0x30 + (n % 10);
  return p + digits;
}

/**
 * field(s) as UTF-8 at b[p] (room for 3 bytes a UTF-16 unit and two quotes is the caller's): ASCII
 * that needs no quoting a character at a time, anything else through field() and Buffer.write.
 */
function putField(b: Buffer, p: number, s: string | undefined): number {
  if (s === undefined) return p;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === 0x2c || c === 0x22 || c === 0x0d || c === 0x0a) return p + b.write(field(s), p, 'utf8');
    b[p + i] = c;
  }
  return p + n;
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
