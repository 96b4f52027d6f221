/**
 * Exchange rows from other sensors' logs, for users without captures:
 * - Zeek `ftp.log`, TSV (`#separator`/`#fields` header) or JSON lines;
 * - Suricata `eve.json` records with `event_type: "ftp"` (other event types are skipped).
 *
 * What these inputs lack (documented in docs/ARCHITECTURE.md): Zeek logs only FTP::logged_commands
 * (default APPE DELE RETR STOR STOU ACCT PORT PASV EPRT EPSV), no greeting (label `other`), no reply
 * time, only the final reply code, RETR/STOR arguments rewritten as URLs, passwords hidden.
 * Suricata has every command and all reply codes and the banner, but no per-reply time and no
 * line-level facts (overlong, invalid reply, gaps).
 *
 * Sessions interleave in both logs while the dataset needs each flow's rows together: rows are held
 * per session and written in first-seen order at the end, or when `maxBufferedRows` is reached.
 */
import { FtpIdsError } from '../common/errors.js';
import { Counters } from '../common/bounds.js';
import { argumentTags } from './tags.js';
import { GREETING, type ExchangeRow } from './types.js';
import { DEFAULT_SIGNATURES, type SignatureSet } from '../label/signatures.js';

export interface SensorLogOptions {
  maxBufferedRows?: number;
  showPasswords?: boolean;
  noArgs?: boolean;
  signatures?: SignatureSet;
  counters?: Counters;
  file?: string;
}

interface Session {
  rows: ExchangeRow[];
  greeting: string | null;
  /** index of the next command row (kept across flushes) */
  next: number;
}

abstract class SessionBuffer {
  protected readonly sessions = new Map<string, Session>();
  private buffered = 0;
  protected readonly maxBufferedRows: number;
  protected readonly counters: Counters;
  protected readonly file: string;

  constructor(protected readonly o: SensorLogOptions, private readonly onRow: (row: ExchangeRow) => void) {
    this.maxBufferedRows = o.maxBufferedRows ?? 1_000_000;
    this.counters = o.counters ?? new Counters();
    this.file = o.file ?? '-';
  }

  protected session(key: string): Session {
    let s = this.sessions.get(key);
    if (!s) {
      s = { rows: [], greeting: null, next: 1 };
      this.sessions.set(key, s);
    }
    return s;
  }

  protected add(s: Session, row: ExchangeRow): void {
    if (!this.o.showPasswords && row.command === 'PASS' && row.arg !== '') row.arg = '****';
    if (this.o.noArgs && row.command.charCodeAt(0) !== 0x3c) row.arg = '';
    s.rows.push(row);
    if (++this.buffered >= this.maxBufferedRows) {
      this.counters.add('sensor_log.buffer_flushes');
      this.flush();
    }
  }

  protected flush(): void {
    const sigs = this.o.signatures ?? DEFAULT_SIGNATURES;
    for (const s of this.sessions.values()) {
      const label = s.greeting === null ? 'other' : sigs.match(s.greeting);
      for (const r of s.rows) {
        r.label = label;
        this.onRow(r);
      }
      s.rows.length = 0;
    }
    // sessions are remembered (row numbering, greeting) across flushes, at most maxBufferedRows of them
    for (const key of this.sessions.keys()) {
      if (this.sessions.size <= this.maxBufferedRows) break;
      this.sessions.delete(key);
      this.counters.add('sensor_log.sessions_forgotten');
    }
    this.buffered = 0;
  }

  end(): void {
    this.flush();
  }

  abstract line(text: string, lineNo: number): void;
}

const ZEEK_FIELDS = ['uid', 'command', 'reply_code', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'arg', 'community_id', 'ts'];
const EVE_FIELDS = ['src_ip', 'src_port', 'dest_ip', 'dest_port', 'flow_id', 'timestamp'];

/**
 * Fields read with String() or Number() must be strings, numbers, booleans or null: String() of an
 * array nested 10,000 deep (a hostile log line) overflows the stack in Array#join.
 */
function checkScalars(rec: Record<string, unknown>, keys: readonly string[], file: string, line: number, prefix = ''): void {
  for (const k of keys) {
    const v = rec[k];
    if (typeof v === 'object' && v !== null) {
      throw new FtpIdsError('BAD_INPUT', `${prefix ? `${prefix}[${k}]` : k} is not a string or a number`, { file, line });
    }
  }
}

function unsetToEmpty(v: unknown, unset = '-', empty = '(empty)'): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return s === unset || s === empty ? '' : s;
}

/** Zeek ftp.log, TSV or JSON lines (detected per line: a `{` starts a JSON record). */
export class ZeekFtpLogReader extends SessionBuffer {
  private fields: string[] | null = null;
  private separator = '\t';
  private unset = '-';
  private empty = '(empty)';

  line(text: string, lineNo: number): void {
    if (text === '') return;
    if (text.charCodeAt(0) === 0x23) {
      this.header(text, lineNo);
      return;
    }
    let rec: Record<string, unknown>;
    if (text.charCodeAt(0) === 0x7b) {
      try {
        rec = JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        throw new FtpIdsError('BAD_INPUT', `invalid JSON: ${(e as Error).message}`, { file: this.file, line: lineNo });
      }
    } else {
      if (!this.fields) throw new FtpIdsError('BAD_INPUT', 'Zeek TSV record before its #fields header', { file: this.file, line: lineNo });
      const values = text.split(this.separator);
      if (values.length !== this.fields.length) {
        throw new FtpIdsError('BAD_INPUT', `expected ${this.fields.length} fields, got ${values.length}`, { file: this.file, line: lineNo });
      }
      rec = {};
      for (let i = 0; i < values.length; i++) rec[this.fields[i]] = values[i];
    }
    this.record(rec, lineNo);
  }

  private header(text: string, lineNo: number): void {
    const sp = text.search(/[\s]/);
    const key = sp < 0 ? text : text.slice(0, sp);
    const value = sp < 0 ? '' : text.slice(sp + 1);
    if (key === '#separator') {
      this.separator = value.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    } else if (key === '#fields') {
      this.fields = value.split(this.separator);
      for (const f of ['uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'command']) {
        if (!this.fields.includes(f)) throw new FtpIdsError('BAD_INPUT', `Zeek ftp.log #fields lacks ${f}`, { file: this.file, line: lineNo });
      }
    } else if (key === '#unset_field') this.unset = value;
    else if (key === '#empty_field') this.empty = value;
  }

  private record(rec: Record<string, unknown>, lineNo: number): void {
    checkScalars(rec, ZEEK_FIELDS, this.file, lineNo);
    const uid = unsetToEmpty(rec.uid, this.unset, this.empty);
    const command = unsetToEmpty(rec.command, this.unset, this.empty);
    if (!uid || !command) throw new FtpIdsError('BAD_INPUT', 'Zeek ftp.log record without uid or command', { file: this.file, line: lineNo });
    const s = this.session(uid);
    const code = unsetToEmpty(rec.reply_code, this.unset, this.empty);
    const clientIp = unsetToEmpty(rec['id.orig_h'], this.unset, this.empty);
    const arg = unsetToEmpty(rec.arg, this.unset, this.empty);
    const tags = argumentTags(command, arg, clientIp);
    this.add(s, {
      flow_id: uid,
      community_id: unsetToEmpty(rec.community_id, this.unset, this.empty),
      client_ip: clientIp,
      client_port: Number(unsetToEmpty(rec['id.orig_p'], this.unset, this.empty)),
      server_ip: unsetToEmpty(rec['id.resp_h'], this.unset, this.empty),
      server_port: Number(unsetToEmpty(rec['id.resp_p'], this.unset, this.empty)),
      label: 'other',
      index: s.next++,
      ts_request: Number(unsetToEmpty(rec.ts, this.unset, this.empty)) || 0,
      ts_reply: null,
      command,
      arg,
      reply_codes: code,
      final_code: code,
      flags: code === '' ? 'unanswered' : '',
      tags: tags.join(';'),
      flow_end: '',
      reply_path: '',
    });
  }
}

/** `2019-10-10T11:06:06.373524+0000` → seconds since the epoch. */
export function parseEveTimestamp(ts: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(ts);
  if (!m) return NaN;
  const zone = !m[3] || m[3] === 'Z' ? 'Z' : `${m[3].slice(0, 3)}:${m[3].slice(-2)}`;
  const whole = Date.parse(`${m[1]}${zone}`) / 1000;
  return m[2] ? whole + Number(`0${m[2]}`) : whole;
}

/** Suricata eve.json: `event_type: "ftp"` transactions (one per command; the banner is its own). */
export class SuricataEveReader extends SessionBuffer {
  line(text: string, lineNo: number): void {
    if (text === '') return;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new FtpIdsError('BAD_INPUT', `invalid JSON: ${(e as Error).message}`, { file: this.file, line: lineNo });
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new FtpIdsError('BAD_INPUT', 'not a JSON object', { file: this.file, line: lineNo });
    if (rec.event_type !== 'ftp') {
      this.counters.add('eve.skipped_events');
      return;
    }
    const ftp = rec.ftp as Record<string, unknown> | undefined;
    if (!ftp || typeof ftp !== 'object') throw new FtpIdsError('BAD_INPUT', 'ftp event without an "ftp" object', { file: this.file, line: lineNo });
    checkScalars(rec, EVE_FIELDS, this.file, lineNo);
    for (const k of ['completion_code', 'reply']) if (Array.isArray(ftp[k])) checkScalars(ftp[k] as unknown as Record<string, unknown>, Object.keys(ftp[k] as object), this.file, lineNo, `ftp.${k}`);
    // ftp transactions are logged in the to-server direction; swap if the server port is the source
    let cIp = String(rec.src_ip ?? '');
    let cPort = Number(rec.src_port);
    let sIp = String(rec.dest_ip ?? '');
    let sPort = Number(rec.dest_port);
    if ((cPort === 21 || cPort === 2811) && sPort !== 21 && sPort !== 2811) {
      [cIp, cPort, sIp, sPort] = [sIp, sPort, cIp, cPort];
    }
    const key = String(rec.flow_id ?? `${cIp}:${cPort}-${sIp}:${sPort}`);
    const s = this.session(key);
    const codes = Array.isArray(ftp.completion_code) ? ftp.completion_code.map(String) : [];
    const replies = Array.isArray(ftp.reply) ? ftp.reply.map(String) : [];
    const command = typeof ftp.command === 'string' ? ftp.command.toUpperCase() : '';
    const arg = typeof ftp.command_data === 'string' ? ftp.command_data : '';
    if (!command && s.greeting === null && codes.length > 0) {
      s.greeting = replies.map((t, i) => `${codes[0]}${i < replies.length - 1 ? '-' : ' '}${t}\r\n`).join('') || `${codes[0]} \r\n`;
    }
    const ts = parseEveTimestamp(String(rec.timestamp ?? ''));
    const tags = command ? argumentTags(command, arg, cIp) : [];
    this.add(s, {
      flow_id: key,
      community_id: typeof rec.community_id === 'string' ? rec.community_id : '',
      client_ip: cIp,
      client_port: cPort,
      server_ip: sIp,
      server_port: sPort,
      label: 'other',
      index: command ? s.next++ : 0,
      ts_request: Number.isFinite(ts) ? ts : 0,
      ts_reply: null,
      command: command || GREETING,
      arg,
      reply_codes: codes.join(' '),
      final_code: codes.length ? codes[codes.length - 1] : '',
      flags: ftp.reply_received === 'no' || codes.length === 0 ? (command ? 'unanswered' : '') : replies.length > codes.length ? 'multiline' : '',
      tags: tags.join(';'),
      flow_end: '',
      reply_path: '',
    });
  }
}
