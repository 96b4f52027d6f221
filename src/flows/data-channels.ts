import {
  ipv6Bytes, parseEprtArg, parseEpsvReply, parsePasvReply, parsePortArg, SNIFF_BYTES, sniffType,
  type Announcement, type DataMode,
} from '../common/ftp-data.js';

/**
 * Data channels of FTP control connections (Zeek's expected-connection idea): ftp-flows reads the
 * 227/229 replies and PORT/EPRT commands of each control stream as its bytes are delivered and
 * expects a connection to the announced endpoint; a new connection to an expected endpoint is that
 * control session's data connection and gets a data record instead of being dropped.
 *
 * Keys are an endpoint (address, port): for IPv4 a number (address * 65536 + port, no string per
 * connection), for IPv6 the 16 address bytes as latin1 and the port — the flow table's endpointKey.
 */
export type EndpointKey = number | string;

export function endpointKeyOf(ip: string, port: number): EndpointKey | null {
  if (ip.includes(':')) {
    const b = ipv6Bytes(ip);
    return b ? `${b.toString('latin1')}:${port}` : null;
  }
  // dotted quad, by hand (once per announcement: a regular expression cost more than the rest)
  let v = 0;
  let part = -1;
  let parts = 0;
  for (let i = 0; i <= ip.length; i++) {
    const c = i < ip.length ? ip.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (part < 0 || part > 255) return null;
      v = v * 256 + part;
      part = -1;
      parts++;
    } else if (c >= 0x30 && c <= 0x39) part = (part < 0 ? 0 : part * 10) + c - 0x30;
    else return null;
  }
  return parts === 4 ? v * 65536 + port : null;
}

/** An announced data connection, waiting for its SYN. */
export interface Expected {
  /** the control flow's id, and its slot and generation in the flow table (its open-data count) */
  control: string;
  ctlSlot: number;
  ctlGen: number;
  mode: DataMode;
  ip: string;
  port: number;
  tsUs: number;
  keys: EndpointKey[];
  /** the address expected to connect: the control client (passive) or server (active) */
  from: string;
  /** in the table (false once taken, replaced, expired or evicted) */
  live: boolean;
}

export interface DataCounters {
  data_announced: number;
  data_matched: number;
  data_expected_expired: number;
  data_expected_evicted: number;
  data_expected_replaced: number;
  data_expected_peak: number;
  data_records: number;
  data_reordered_bytes: number;
}

/**
 * The expected-connection table: bounded by `max` (the oldest announcement goes, counted), entries
 * older than `expireUs` of capture time go (counted). Announcements wait in a queue in announcement
 * order, taken ones marked dead and skipped at the front (a Map or Set used as a queue walks every
 * deleted entry at its front on each look: 11 µs an announcement on the bench capture).
 */
export class ExpectTable {
  /** announcements waiting at each endpoint (two sessions may announce the same one: a bounce target) */
  private readonly byKey = new Map<EndpointKey, Expected[]>();
  private queue: Expected[] = [];
  private head = 0;
  private live = 0;
  constructor(private readonly max: number, private readonly expireUs: number, private readonly c: DataCounters) {}

  get size(): number {
    return this.live;
  }

  add(e: Expected, nowUs: number): void {
    this.expire(nowUs);
    this.c.data_announced++;
    for (const k of e.keys) {
      for (const old of this.byKey.get(k) ?? NONE) {
        // the same session announced the endpoint again before anything connected: the old one never opened
        if (old.control === e.control) {
          this.drop(old);
          this.c.data_expected_replaced++;
        }
      }
    }
    while (this.live >= this.max) {
      this.drop(this.oldest() as Expected);
      this.c.data_expected_evicted++;
    }
    for (const k of e.keys) {
      const list = this.byKey.get(k);
      if (list) list.push(e);
      else this.byKey.set(k, [e]);
    }
    e.live = true;
    this.queue.push(e);
    this.live++;
    if (this.live > this.c.data_expected_peak) this.c.data_expected_peak = this.live;
  }

  /**
   * The announcement a new connection to `key` answers (taken out of the table): of several, the
   * latest whose expected initiator is the connection's (`initiator()`), else the latest.
   */
  take(key: EndpointKey, nowUs: number, initiator: () => string): Expected | null {
    if (this.live === 0) return null;
    this.expire(nowUs);
    const list = this.byKey.get(key);
    if (!list) return null;
    let e = list[list.length - 1];
    if (list.length > 1) {
      const from = initiator();
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].from === from) {
          e = list[i];
          break;
        }
      }
    }
    this.drop(e);
    this.c.data_matched++;
    return e;
  }

  expire(nowUs: number): void {
    const limit = nowUs - this.expireUs;
    for (let e = this.oldest(); e && e.tsUs < limit; e = this.oldest()) {
      this.drop(e);
      this.c.data_expected_expired++;
    }
  }

  /** the oldest live announcement (dead ones at the front are passed for good) */
  private oldest(): Expected | null {
    const q = this.queue;
    while (this.head < q.length && !q[this.head].live) this.head++;
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    return this.head < this.queue.length ? this.queue[this.head] : null;
  }

  private drop(e: Expected): void {
    if (!e.live) return;
    e.live = false;
    this.live--;
    for (const k of e.keys) {
      const list = this.byKey.get(k);
      if (!list) continue;
      const i = list.indexOf(e);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byKey.delete(k);
    }
  }
}

const NONE: Expected[] = [];

/** longest control line looked at (a 227 reply or PORT command is well under it) */
const MAX_LINE = 512;

/**
 * One control connection's line reader: only what announces a data endpoint is parsed, and a line
 * is looked at byte by byte before any string is made (every control line passes here). One per
 * FTP control flow; per direction the unfinished line is carried (bounded by MAX_LINE; a longer
 * line is skipped up to its LF).
 */
export class ControlLines {
  private carry0: Buffer | null = null;
  private carry1: Buffer | null = null;
  private skip0 = false;
  private skip1 = false;
  /** the control flow's id and its ends' addresses, computed at its first announcement */
  id: string | null = null;
  serverIp: string | null = null;
  clientIp: string | null = null;
  /** its data connections in progress; when it finishes with some open, how it ended (its record waits) */
  openData = 0;
  deferredEnd: string | null = null;

  /** serverSide: the side that sends replies (-1 until the flow table knows) */
  constructor(public serverSide: number, private readonly onAnnounce: (a: Announcement, tsUs: number) => void) {}

  feed(si: number, buf: Buffer, off: number, len: number, tsUs: number): void {
    const end = off + len;
    // the last LF of the segment bounds the native search (buf is the capture's read block: an
    // unbounded indexOf would run on past this segment); most segments end with one
    let lastLf = end - 1;
    while (lastLf >= off && buf[lastLf] !== 10) lastLf--;
    let at = off;
    while (at < end) {
      const lf = at <= lastLf ? buf.indexOf(10, at) : -1;
      if (lf < 0) {
        this.hold(si, buf, at, end);
        return;
      }
      const c = si === 0 ? this.carry0 : this.carry1;
      if (si === 0 ? this.skip0 : this.skip1) {
        if (si === 0) this.skip0 = false;
        else this.skip1 = false;
      } else if (c) {
        const l = Buffer.concat([c, buf.subarray(at, lf)]);
        this.line(si, l, 0, l.length, tsUs);
      } else this.line(si, buf, at, lf, tsUs);
      if (si === 0) this.carry0 = null;
      else this.carry1 = null;
      at = lf + 1;
    }
  }

  /** a hole in direction si: the line in progress is lost */
  gap(si: number): void {
    if (si === 0) {
      this.carry0 = null;
      this.skip0 = true;
    } else {
      this.carry1 = null;
      this.skip1 = true;
    }
  }

  private hold(si: number, buf: Buffer, from: number, to: number): void {
    if (si === 0 ? this.skip0 : this.skip1) return;
    const c = si === 0 ? this.carry0 : this.carry1;
    const n = (c ? c.length : 0) + (to - from);
    let next: Buffer | null = null;
    if (n > MAX_LINE) this.gap(si);
    else next = c ? Buffer.concat([c, buf.subarray(from, to)]) : Buffer.from(buf.subarray(from, to));
    if (si === 0) this.carry0 = next;
    else this.carry1 = next;
  }

  private line(si: number, l: Buffer, s: number, e: number, tsUs: number): void {
    if (e - s < 5 || e - s > MAX_LINE) return;
    let a: Announcement | null = null;
    if (si === this.serverSide) {
      // `227 ` / `229 ` (the final line of the reply: the one that carries the endpoint)
      if (l[s] !== 0x32 || l[s + 1] !== 0x32 || (l[s + 2] !== 0x37 && l[s + 2] !== 0x39) || l[s + 3] !== 0x20) return;
      const text = l.toString('latin1', s + 4, e);
      a = l[s + 2] === 0x37 ? parsePasvReply(text) : parseEpsvReply(text);
    } else {
      // `PORT ` / `EPRT `, any case
      const c0 = l[s] | 0x20;
      if (l[s + 4] !== 0x20 || (l[s + 3] | 0x20) !== 0x74 || (l[s + 2] | 0x20) !== 0x72) return;
      if (c0 === 0x70 && (l[s + 1] | 0x20) === 0x6f) a = parsePortArg(l.toString('latin1', s + 5, e));
      else if (c0 === 0x65 && (l[s + 1] | 0x20) === 0x70) a = parseEprtArg(l.toString('latin1', s + 5, e));
      else return;
    }
    if (a) this.onAnnounce(a, tsUs);
  }
}

/** A data connection being tracked: its announcement, its first bytes, a hole left by reordering. */
export class DataChannel {
  /** first bytes of each side (allocated when that side sends) and how many are kept */
  private sniff0: Buffer | null = null;
  private sniff1: Buffer | null = null;
  private sniffLen0 = 0;
  private sniffLen1 = 0;
  /** per side: one hole the stream position jumped over (sequence number of its start, length) */
  private holeSeq0 = 0;
  private holeSeq1 = 0;
  /** stream offset of each side's hole */
  private holeAt0 = 0;
  private holeAt1 = 0;
  /** set by fill: the stream offset and the segment offset of the bytes it counted */
  filledAt = 0;
  filledOff = 0;
  holeLen0 = 0;
  holeLen1 = 0;
  /** a hole was never filled */
  gap = false;

  constructor(readonly expected: Expected) {}

  /** bytes at stream offset `at` of side si: keep those within the first SNIFF_BYTES; true when full */
  keep(si: number, at: number, buf: Buffer, off: number, len: number): boolean {
    if (at >= SNIFF_BYTES) return true;
    let s = si === 0 ? this.sniff0 : this.sniff1;
    if (!s) {
      s = Buffer.allocUnsafe(SNIFF_BYTES);
      if (si === 0) this.sniff0 = s;
      else this.sniff1 = s;
    }
    // only in-order bytes right after those kept (a reordered start is left unsniffed beyond it)
    if (at !== (si === 0 ? this.sniffLen0 : this.sniffLen1)) return false;
    const n = Math.min(len, SNIFF_BYTES - at);
    buf.copy(s, at, off, off + n);
    if (si === 0) this.sniffLen0 = at + n;
    else this.sniffLen1 = at + n;
    return at + n >= SNIFF_BYTES;
  }

  sniffOf(si: number): string {
    const s = si === 0 ? this.sniff0 : this.sniff1;
    return s ? sniffType(s, si === 0 ? this.sniffLen0 : this.sniffLen1) : '';
  }

  /** the stream position of side si jumped over `n` bytes starting at sequence `seq`, stream offset `at` */
  hole(si: number, seq: number, n: number, at: number): void {
    if ((si === 0 ? this.holeLen0 : this.holeLen1) > 0) this.gap = true;
    if (si === 0) {
      this.holeSeq0 = seq;
      this.holeLen0 = n;
      this.holeAt0 = at;
    } else {
      this.holeSeq1 = seq;
      this.holeLen1 = n;
      this.holeAt1 = at;
    }
  }

  /** bytes of [seq, seq+len) that fill the side's hole (counted once) */
  fill(si: number, seq: number, len: number): number {
    const hl = si === 0 ? this.holeLen0 : this.holeLen1;
    if (hl <= 0) return 0;
    const hs = si === 0 ? this.holeSeq0 : this.holeSeq1;
    const from = (seq - hs) | 0;
    const lo = Math.max(from, 0);
    const hi = Math.min(from + len, hl);
    if (hi <= lo) return 0;
    // inside the hole, not at its start: what lies before it stays missing
    if (lo > 0) this.gap = true;
    const at = si === 0 ? this.holeAt0 : this.holeAt1;
    this.filledAt = at + lo;
    this.filledOff = lo - from;
    if (si === 0) {
      this.holeSeq0 = (hs + hi) | 0;
      this.holeLen0 = hl - hi;
      this.holeAt0 = at + hi;
    } else {
      this.holeSeq1 = (hs + hi) | 0;
      this.holeLen1 = hl - hi;
      this.holeAt1 = at + hi;
    }
    return hi - lo;
  }
}
