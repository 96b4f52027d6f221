import { FtpIdsError } from './errors.js';

/**
 * Times in records: epoch seconds (the default everywhere, as captures give them) or ISO 8601 UTC
 * (`--time-format iso`), and back. Shared by ftp-extract's CSV, ftp-match's verdicts and incidents,
 * and the dataset reader (which takes either).
 */
export type TimeFormat = 'epoch' | 'iso';
export const TIME_FORMATS: readonly TimeFormat[] = ['epoch', 'iso'];

/**
 * An epoch time (seconds) as ISO 8601 UTC the way Suricata's eve writes it:
 * `2017-04-07T22:24:37.251547+0000` (microseconds, numeric offset). The digits come from the
 * number's shortest decimal text, so a capture's microsecond time survives parseTime exactly.
 */
export function epochToIso(t: number): string {
  if (!Number.isFinite(t) || t < 0) return '';
  const text = String(t);
  let [whole = '0', frac = ''] = (/e/i.test(text) ? t.toFixed(9) : text).split('.');
  if (frac.length > 6) {
    // round to microseconds in decimal, carrying into the seconds
    const us = Math.round(Number(`0.${frac}`) * 1e6);
    whole = String(Number(whole) + (us === 1e6 ? 1 : 0));
    frac = String(us % 1e6).padStart(6, '0');
  }
  const d = new Date(Number(whole) * 1000);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.toISOString().slice(0, 19)}.${frac.padEnd(6, '0')}+0000`;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/** ISO 8601 (as epochToIso writes it, or with `Z` / `+hh:mm`) or epoch seconds → epoch seconds. */
export function parseTime(v: string | number): number {
  if (typeof v === 'number') return v;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  const m = ISO.exec(v);
  if (!m) throw new FtpIdsError('BAD_TIME', `not an epoch or ISO 8601 time: ${JSON.stringify(v)}`);
  let secs = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
  if (m[8] !== 'Z') {
    const off = m[8]!.replace(':', '');
    secs -= (off[0] === '-' ? -1 : 1) * (Number(off.slice(1, 3)) * 3600 + Number(off.slice(3, 5)) * 60);
  }
  return m[7] ? Number(`${secs}.${m[7]}`) : secs;
}

/** A time as a record field: the epoch number (default, as before) or the ISO text; '' when unknown. */
export function timeField(t: number, f: TimeFormat): number | string {
  if (!Number.isFinite(t)) return '';
  return f === 'iso' ? epochToIso(t) : t;
}

/** end − start in seconds (microsecond precision); '' when either is unknown. */
export function durationOf(start: number, end: number): number | '' {
  return Number.isFinite(start) && Number.isFinite(end) ? Math.round((end - start) * 1e6) / 1e6 : '';
}

/** A flow or data record line with its times (first_ts, last_ts, announced_ts, chunks' ts) as ISO 8601. */
export function isoTimesLine(line: string): string {
  const rec = JSON.parse(line) as Record<string, unknown> & { chunks?: { ts: number }[] };
  for (const k of ['first_ts', 'last_ts', 'announced_ts']) if (typeof rec[k] === 'number') rec[k] = epochToIso(rec[k] as number);
  const chunks = rec.chunks?.map((c) => ({ ...c, ts: epochToIso(c.ts) }));
  return JSON.stringify(chunks ? { ...rec, chunks } : rec) + '\n';
}
