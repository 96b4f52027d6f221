import { canonicalIpv6, ipv6Bytes, parseEprtArg, parseEpsvReply } from '../common/ftp-data.js';

/**
 * Data channels of FTP control connections (Zeek's expected-connection idea): ftp-flows reads the
 * 227/229 replies and PORT/EPRT commands of each control stream as its bytes are delivered and
 * expects a connection to the announced endpoint; a new connection to an expected endpoint is that
 * control session's data connection and gets a data record instead of being dropped.
 *
 * Keys are an endpoint (address, port): for IPv4 a number (address * 65536 + port, no string per
 * connection), for IPv6 the 16 address bytes as latin1 and the port — the flow table's endpointKey.
 *
 * Cost (the bench's data-heavy capture: 354 k control segments, 29 k announcements, 29 k data
 * connections, where ftp-flows must stay within 10 % of its CPU time without data channels): every
 * control line is judged by its first bytes before anything else is looked at, an announcement is
 * parsed from the bytes into numbers (no string for IPv4), and announcements are rows of typed
 * arrays (no object, array or Map entry of arrays per announcement).
 */
export type EndpointKey = number | string;

/** An IPv6 endpoint's key (the flow table's form: address bytes as latin1, ':', port); null when not an address. */
export function endpointKey6(ip: string, port: number): string | null {
  const b = ipv6Bytes(ip);
  return b ? `${b.toString('latin1')}:${port}` : null;
}

/**
 * The announcement a control line carried (one reused object: ControlLines hands it to its callback
 * at once). `ip4` is the address as an unsigned 32-bit number when `v6` is false; `ip6` the RFC 5952
 * text when it is true; `own` (EPSV, RFC 2428) when the address is the control connection's server.
 */
export interface Announced {
  active: boolean;
  own: boolean;
  v6: boolean;
  ip4: number;
  ip6: string | null;
  port: number;
}

const ANN: Announced = { active: false, own: false, v6: false, ip4: 0, ip6: null, port: 0 };
const SIX = new Int32Array(6);

/**
 * `h1,h2,h3,h4,p1,p2` in b[i, end) into ANN (the same rule as ftp-data's sixNumbers, on bytes: the
 * first run of six comma-separated numbers, blanks around the commas; a number of more than three
 * digits or above 255, or port 0, and there is none).
 */
function sixNumbersAt(b: Buffer, i: number, end: number): boolean {
  let n = 0;
  while (i < end && n < 6) {
    let c = b[i];
    if (c < 0x30 || c > 0x39) {
      n = 0;
      i++;
      continue;
    }
    let v = 0;
    let digits = 0;
    while (i < end && (c = b[i]) >= 0x30 && c <= 0x39) {
      if (digits < 4) v = v * 10 + c - 0x30;
      digits++;
      i++;
    }
    SIX[n++] = digits > 3 ? 256 : v;
    if (n === 6) break;
    while (i < end && b[i] === 0x20) i++;
    if (i >= end || b[i] !== 0x2c) {
      n = 0;
      continue;
    }
    i++;
    while (i < end && b[i] === 0x20) i++;
  }
  if (n < 6) return false;
  for (let k = 0; k < 6; k++) if (SIX[k] > 255) return false;
  const port = SIX[4] * 256 + SIX[5];
  if (port === 0) return false;
  ANN.v6 = false;
  ANN.own = false;
  ANN.ip6 = null;
  ANN.ip4 = ((SIX[0] << 24) | (SIX[1] << 16) | (SIX[2] << 8) | SIX[3]) >>> 0;
  ANN.port = port;
  return true;
}

/**
 * `(|||port|)` in b[i, end) (parseEpsvReply's /\((.)\1\1(\d{1,5})\1\)/ on bytes: the first match
 * decides). A delimiter that is a digit (where the expression could backtrack) or a line end goes to
 * the expression itself.
 */
function epsvAt(b: Buffer, i: number, end: number): boolean {
  for (; i + 7 <= end; i++) {
    if (b[i] !== 0x28) continue;
    const d = b[i + 1];
    if ((d >= 0x30 && d <= 0x39) || d === 0x0a || d === 0x0d) return epsvText(b.toString('latin1', i, end));
    if (b[i + 2] !== d || b[i + 3] !== d) continue;
    let j = i + 4;
    let port = 0;
    while (j < end && j < i + 10 && b[j] >= 0x30 && b[j] <= 0x39) port = port * 10 + b[j++] - 0x30;
    const digits = j - (i + 4);
    if (digits < 1 || digits > 5 || j + 1 >= end || b[j] !== d || b[j + 1] !== 0x29) continue;
    if (port < 1 || port > 65535) return false;
    return ownPort(port);
  }
  return false;
}

function epsvText(text: string): boolean {
  const a = parseEpsvReply(text);
  return a !== null && ownPort(a.port);
}

function ownPort(port: number): boolean {
  ANN.v6 = false;
  ANN.own = true;
  ANN.ip6 = null;
  ANN.ip4 = 0;
  ANN.port = port;
  return true;
}

/**
 * `EPRT |1|a.b.c.d|port|` in b[i, end) read from the bytes: true when the argument has exactly this
 * form (any delimiter that is no digit, dot or blank; octets of one to three digits up to 255, a
 * port of one to five digits, 1 to 65535), the same announcement parseEprtArg gives; null for
 * anything else, which goes to the string parser (IPv6, blanks inside, odd delimiters, refusals).
 */
function eprt4At(b: Buffer, i: number, end: number): true | null {
  while (i < end && (b[i] === 0x20 || (b[i] >= 0x09 && b[i] <= 0x0d) || b[i] === 0xa0)) i++;
  if (i + 3 > end) return null;
  const d = b[i];
  if ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x20 || (d >= 0x09 && d <= 0x0d) || d >= 0x80) return null;
  if (b[i + 1] !== 0x31 || b[i + 2] !== d) return null;
  i += 3;
  let ip = 0;
  for (let k = 0; k < 4; k++) {
    let v = 0;
    const from = i;
    while (i < end && b[i] >= 0x30 && b[i] <= 0x39 && i - from < 3) v = v * 10 + b[i++] - 0x30;
    if (i === from || v > 255 || i >= end || b[i] !== (k < 3 ? 0x2e : d)) return null;
    i++;
    ip = ip * 256 + v;
  }
  let port = 0;
  const from = i;
  while (i < end && b[i] >= 0x30 && b[i] <= 0x39 && i - from < 5) port = port * 10 + b[i++] - 0x30;
  if (i === from || i >= end || b[i] !== d || port < 1 || port > 65535) return null;
  ANN.own = false;
  ANN.port = port;
  ANN.v6 = false;
  ANN.ip6 = null;
  ANN.ip4 = ip;
  return true;
}

/** `EPRT |1|a.b.c.d|port|` / `|2|ipv6|port|` (rare: through the string parser) */
function eprtText(text: string): boolean {
  const a = parseEprtArg(text);
  if (!a || a.ip === null) return false;
  ANN.own = false;
  ANN.port = a.port;
  if (a.ip.includes(':')) {
    ANN.v6 = true;
    ANN.ip6 = canonicalIpv6(a.ip);
    ANN.ip4 = 0;
    return ANN.ip6 !== null;
  }
  ANN.v6 = false;
  ANN.ip6 = null;
  const p = a.ip.split('.');
  ANN.ip4 = ((+p[0] << 24) | (+p[1] << 16) | (+p[2] << 8) | +p[3]) >>> 0;
  return true;
}

/** longest control line looked at (a 227 reply or PORT command is well under it) */
const MAX_LINE = 512;

/** a direction's reader: at a line's start, skipping a line that cannot announce, collecting one that may */
const AT_START = 0;
const SKIP = 1;
const COLLECT = 2;

/**
 * One control connection's line reader: only what announces a data endpoint is parsed. Every control
 * line passes here, so a line is judged by its first bytes in place (server side `227 `/`229 `,
 * client side `PORT `/`EPRT ` in any case) and the rest of a line that cannot announce is only
 * walked to its LF. One per FTP control flow; per direction a line that may announce and is cut by
 * the segment's end is carried (bounded by MAX_LINE; a longer line is skipped up to its LF).
 */
export class ControlLines {
  private st0 = AT_START;
  private st1 = AT_START;
  private carry0: Buffer | null = null;
  private carry1: Buffer | null = null;
  /** the control flow's id, computed at its first announcement */
  id: string | null = null;
  /** its data connections in progress; when it finishes with some open, how it ended (its record waits) */
  openData = 0;
  deferredEnd: string | null = null;

  /** serverSide: the side that sends replies (-1 until the flow table knows) */
  constructor(public serverSide: number, private readonly onAnnounce: (a: Announced, tsUs: number) => void) {}

  feed(si: number, buf: Buffer, off: number, len: number, tsUs: number): void {
    const end = off + len;
    const server = si === this.serverSide;
    // a segment that ends with a line end (most): each LF is found by Buffer#indexOf (memchr), which
    // then cannot search past the segment; else byte by byte
    const ends = len > 0 && buf[end - 1] === 10;
    let at = off;
    let st = si === 0 ? this.st0 : this.st1;
    while (at < end) {
      if (st === SKIP) {
        if (ends) at = buf.indexOf(10, at);
        else {
          while (at < end && buf[at] !== 10) at++;
          if (at === end) break;
        }
        at++;
        st = AT_START;
        continue;
      }
      if (st === AT_START && !(server ? mayBeReply(buf, at, end) : mayBeCommand(buf, at, end))) {
        st = SKIP;
        continue;
      }
      let lf = at;
      if (ends) lf = buf.indexOf(10, at);
      else while (lf < end && buf[lf] !== 10) lf++;
      if (lf === end) {
        st = this.hold(si, st, buf, at, end);
        break;
      }
      const c = si === 0 ? this.carry0 : this.carry1;
      if (c) {
        const l = Buffer.concat([c, buf.subarray(at, lf)]);
        if (si === 0) this.carry0 = null;
        else this.carry1 = null;
        this.line(server, l, 0, l.length, tsUs);
      } else this.line(server, buf, at, lf, tsUs);
      st = AT_START;
      at = lf + 1;
    }
    if (si === 0) this.st0 = st;
    else this.st1 = st;
  }

  /** a hole in direction si: the line in progress is lost (and the one the hole ends in) */
  gap(si: number): void {
    if (si === 0) {
      this.carry0 = null;
      this.st0 = SKIP;
    } else {
      this.carry1 = null;
      this.st1 = SKIP;
    }
  }

  /** the start of a line that may announce, cut by the segment's end: carried (the new state) */
  private hold(si: number, st: number, buf: Buffer, from: number, to: number): number {
    const c = si === 0 ? this.carry0 : this.carry1;
    const n = (c ? c.length : 0) + (to - from);
    let next: Buffer | null = null;
    if (n > MAX_LINE) st = SKIP;
    else {
      next = c ? Buffer.concat([c, buf.subarray(from, to)]) : Buffer.from(buf.subarray(from, to));
      st = COLLECT;
    }
    if (si === 0) this.carry0 = next;
    else this.carry1 = next;
    return st;
  }

  private line(server: boolean, l: Buffer, s: number, e: number, tsUs: number): void {
    if (e - s < 5 || e - s > MAX_LINE) return;
    let ok = false;
    if (server) {
      // `227 ` / `229 ` (the final line of the reply: the one that carries the endpoint)
      if (l[s] !== 0x32 || l[s + 1] !== 0x32 || (l[s + 2] !== 0x37 && l[s + 2] !== 0x39) || l[s + 3] !== 0x20) return;
      ok = l[s + 2] === 0x37 ? sixNumbersAt(l, s + 4, e) : epsvAt(l, s + 4, e);
      ANN.active = false;
    } else {
      // `PORT ` / `EPRT `, any case
      const c0 = l[s] | 0x20;
      if (l[s + 4] !== 0x20 || (l[s + 3] | 0x20) !== 0x74 || (l[s + 2] | 0x20) !== 0x72) return;
      if (c0 === 0x70 && (l[s + 1] | 0x20) === 0x6f) ok = sixNumbersAt(l, s + 5, e);
      else if (c0 === 0x65 && (l[s + 1] | 0x20) === 0x70) ok = eprt4At(l, s + 5, e) ?? eprtText(l.toString('latin1', s + 5, e));
      else return;
      ANN.active = true;
    }
    if (ok) this.onAnnounce(ANN, tsUs);
  }
}

/** the bytes of a server line's start in b[at, end) may begin `227 `/`229 ` (a line end among them: too short) */
function mayBeReply(b: Buffer, at: number, end: number): boolean {
  if (b[at] !== 0x32) return false;
  if (at + 1 < end && b[at + 1] !== 0x32) return false;
  if (at + 2 < end && b[at + 2] !== 0x37 && b[at + 2] !== 0x39) return false;
  return at + 3 >= end || b[at + 3] === 0x20;
}

/** the bytes of a client line's start may begin `PORT `/`EPRT ` (any case; line() tells the two apart) */
function mayBeCommand(b: Buffer, at: number, end: number): boolean {
  const c0 = b[at] | 0x20;
  if (c0 !== 0x70 && c0 !== 0x65) return false;
  if (at + 1 < end && (b[at + 1] | 0x20) !== 0x6f && (b[at + 1] | 0x20) !== 0x70) return false;
  if (at + 2 < end && (b[at + 2] | 0x20) !== 0x72) return false;
  if (at + 3 < end && (b[at + 3] | 0x20) !== 0x74) return false;
  return at + 4 >= end || b[at + 4] === 0x20;
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
 * older than `expireUs` of capture time go (counted). An announcement is a row (rows reused through
 * a free list) in a list in announcement order, and in a chain per endpoint it is expected at
 * (newest first; two sessions may announce the same endpoint: a bounce target). A row is at most
 * two chain nodes (node = row * 2 + k): the announced endpoint, and the control connection's own
 * end when the announced address is another (NAT).
 *
 * A row's numbers are one 64-byte line of ints (RI_*) and one of doubles (RD_*): as a typed array
 * per field, an add or take touched a dozen arrays at the row, a cache miss each. Strings (the
 * control flow's id; IPv6 addresses and keys) are in arrays of their own, the IPv6 ones touched
 * only for rows that have them (RI_STR).
 */
export class ExpectTable {
  private cap = 0;
  private live = 0;
  private ri = new Int32Array(0);
  private rd = new Float64Array(0);
  /** per row: the control flow's id */
  private ctlIds: (string | null)[] = [];
  /** per row: the announced IPv6 address (RFC 5952 text), the expected initiator's IPv6 bytes (latin1); per node: an IPv6 key */
  private ip6s: (string | null)[] = [];
  private fromStrs: (string | null)[] = [];
  private keyStrs: (string | null)[] = [];
  /** the list in announcement order */
  private oldest = -1;
  private newest = -1;
  private free: number[] = [];
  /** endpoint key → its newest node */
  private readonly byKey = new EndpointIndex();

  constructor(private readonly max: number, private readonly expireUs: number, private readonly c: DataCounters) {}

  get size(): number {
    return this.live;
  }

  /** a taken row's fields (readable until the next add) */
  ctlId(r: number): string {
    return this.ctlIds[r] as string;
  }
  ctlSlot(r: number): number {
    return this.ri[r * RI + RI_CTL_SLOT];
  }
  ctlGen(r: number): number {
    return this.ri[r * RI + RI_CTL_GEN];
  }
  /** 1 active (PORT/EPRT), 0 passive */
  active(r: number): number {
    return this.ri[r * RI + RI_ACTIVE];
  }
  port(r: number): number {
    return this.ri[r * RI + RI_PORT];
  }
  /** the announced IPv4 address (unsigned), when ip6 is null */
  ip4(r: number): number {
    return this.rd[r * RD + RD_IP4];
  }
  ip6(r: number): string | null {
    return this.ri[r * RI + RI_STR] ? this.ip6s[r] : null;
  }
  /** the announcing line's time */
  tsUs(r: number): number {
    return this.rd[r * RD + RD_TS];
  }

  /**
   * Expect a connection to `key` (and to `key2` unless null) for the control flow `ctlId`, from the
   * address fromNum (IPv4) or fromStr (IPv6 bytes as latin1, fromNum -1).
   */
  add(
    ctlId: string, ctlSlot: number, ctlGen: number, active: boolean, ip4: number, ip6: string | null, port: number, tsUs: number,
    key: EndpointKey, key2: EndpointKey | null, fromNum: number, fromStr: string | null, nowUs: number,
  ): void {
    this.expire(nowUs);
    this.c.data_announced++;
    // the same session announced the endpoint again before anything connected: the old one never opened
    this.replace(key, ctlId);
    if (key2 !== null) this.replace(key2, ctlId);
    while (this.live >= this.max) {
      this.drop(this.oldest);
      this.c.data_expected_evicted++;
    }
    if (this.free.length === 0) this.grow();
    const r = this.free.pop() as number;
    const i = r * RI;
    const d = r * RD;
    const ri = this.ri;
    const rd = this.rd;
    this.ctlIds[r] = ctlId;
    ri[i + RI_CTL_SLOT] = ctlSlot;
    ri[i + RI_CTL_GEN] = ctlGen;
    ri[i + RI_ACTIVE] = active ? 1 : 0;
    ri[i + RI_PORT] = port;
    rd[d + RD_IP4] = ip4;
    rd[d + RD_TS] = tsUs;
    rd[d + RD_FROM] = fromNum;
    const str = ip6 !== null || fromStr !== null || typeof key !== 'number' || (key2 !== null && typeof key2 !== 'number');
    ri[i + RI_STR] = str ? 1 : 0;
    if (str) {
      this.ip6s[r] = ip6;
      this.fromStrs[r] = fromStr;
    }
    ri[i + RI_NKEYS] = key2 === null ? 1 : 2;
    this.link(r * 2, key);
    if (key2 !== null) this.link(r * 2 + 1, key2);
    ri[i + RI_PREV] = this.newest;
    ri[i + RI_NEXT] = -1;
    if (this.newest >= 0) ri[this.newest * RI + RI_NEXT] = r;
    else this.oldest = r;
    this.newest = r;
    this.live++;
    if (this.live > this.c.data_expected_peak) this.c.data_expected_peak = this.live;
  }

  /**
   * The announcement a new connection to `key` answers, taken out of the table: of several, the
   * latest whose expected initiator is the connection's (fromNum, or fromStr for IPv6), else the
   * latest. Returns its row (-1: none), whose fields stay readable until the next add.
   */
  take(key: EndpointKey, nowUs: number, fromNum: number, fromStr: string | null): number {
    if (this.live === 0) return -1;
    this.expire(nowUs);
    const head = this.byKey.get(key);
    if (head < 0) return -1;
    let r = head >> 1;
    if (this.nextOf(head) >= 0) {
      for (let n = head; n >= 0; n = this.nextOf(n)) {
        const q = n >> 1;
        if (this.rd[q * RD + RD_FROM] === fromNum && (fromNum >= 0 || (this.ri[q * RI + RI_STR] && this.fromStrs[q] === fromStr))) {
          r = q;
          break;
        }
      }
    }
    this.drop(r);
    this.c.data_matched++;
    return r;
  }

  expire(nowUs: number): void {
    const limit = nowUs - this.expireUs;
    while (this.oldest >= 0 && this.rd[this.oldest * RD + RD_TS] < limit) {
      this.drop(this.oldest);
      this.c.data_expected_expired++;
    }
  }

  /** the next older node of a node's key (-1: none) */
  private nextOf(node: number): number {
    return this.ri[(node >> 1) * RI + RI_KEY_NEXT + (node & 1)];
  }

  private replace(key: EndpointKey, ctlId: string): void {
    let n = this.byKey.get(key);
    while (n >= 0) {
      const nx = this.nextOf(n);
      if (this.ctlIds[n >> 1] === ctlId) {
        this.drop(n >> 1);
        this.c.data_expected_replaced++;
      }
      n = nx;
    }
  }

  private link(node: number, key: EndpointKey): void {
    const r = node >> 1;
    if (typeof key === 'number') this.rd[r * RD + RD_KEY + (node & 1)] = key;
    else {
      this.rd[r * RD + RD_KEY + (node & 1)] = NaN;
      this.keyStrs[node] = key;
    }
    this.ri[r * RI + RI_KEY_NEXT + (node & 1)] = this.byKey.get(key);
    this.byKey.set(key, node);
  }

  private unlink(node: number): void {
    const r = node >> 1;
    const num = this.rd[r * RD + RD_KEY + (node & 1)];
    const key: EndpointKey = Number.isNaN(num) ? (this.keyStrs[node] as string) : num;
    const head = this.byKey.get(key);
    if (head < 0) return;
    const nx = this.nextOf(node);
    if (head === node) {
      if (nx >= 0) this.byKey.set(key, nx);
      else this.byKey.delete(key);
      return;
    }
    for (let n = head; n >= 0; n = this.nextOf(n)) {
      if (this.nextOf(n) === node) {
        this.ri[(n >> 1) * RI + RI_KEY_NEXT + (n & 1)] = nx;
        return;
      }
    }
  }

  private drop(r: number): void {
    const i = r * RI;
    const ri = this.ri;
    this.unlink(r * 2);
    if (ri[i + RI_NKEYS] === 2) this.unlink(r * 2 + 1);
    const p = ri[i + RI_PREV];
    const n = ri[i + RI_NEXT];
    if (p >= 0) ri[p * RI + RI_NEXT] = n;
    else this.oldest = n;
    if (n >= 0) ri[n * RI + RI_PREV] = p;
    else this.newest = p;
    // (the control id and ip6 stay: take's caller reads them; the next add overwrites them)
    if (ri[i + RI_STR]) {
      this.fromStrs[r] = null;
      this.keyStrs[r * 2] = this.keyStrs[r * 2 + 1] = null;
    }
    this.free.push(r);
    this.live--;
  }

  /** twice the rows (up to max, which bounds live rows; a dropped row is free at once) */
  private grow(): void {
    const old = this.cap;
    const n = Math.max(1, Math.min(this.max, Math.max(64, old * 2)));
    const ri = new Int32Array(n * RI);
    ri.set(this.ri);
    const rd = new Float64Array(n * RD);
    rd.set(this.rd);
    this.ri = ri;
    this.rd = rd;
    for (let r = old; r < n; r++) {
      this.ctlIds.push(null);
      this.ip6s.push(null);
      this.fromStrs.push(null);
      this.keyStrs.push(null, null);
    }
    // lowest rows on top of the stack
    for (let r = n - 1; r >= old; r--) this.free.push(r);
    this.cap = n;
  }
}

/** an ExpectTable row's ints (RI of them) and doubles (RD) */
const RI = 16;
const RI_CTL_SLOT = 0;
const RI_CTL_GEN = 1;
const RI_ACTIVE = 2;
const RI_PORT = 3;
/** per node (+ k): the next older node of the same key (-1: none) */
const RI_KEY_NEXT = 4;
const RI_NKEYS = 6;
/** the list in announcement order */
const RI_PREV = 7;
const RI_NEXT = 8;
/** 1: the row has IPv6 strings (ip6, fromStr, keyStr) */
const RI_STR = 9;
const RD = 8;
const RD_IP4 = 0;
const RD_TS = 1;
/** the address expected to connect (control client for passive, server for active): IPv4 number, or -1 (IPv6: fromStr) */
const RD_FROM = 2;
/** per node (+ k): its key when a number, else NaN (keyStrs) */
const RD_KEY = 3;

/**
 * Endpoint key → int (-1: none). IPv4 keys (address * 65536 + port) in an open-addressing table of
 * typed arrays (linear probing, load at most 1/2, backward-shift deletion): a Map of number keys
 * boxes each key beyond 2^30 and was a third of the announcements' cost. IPv6 keys in a Map.
 */
class EndpointIndex {
  private keys = new Float64Array(64).fill(NaN);
  private vals = new Int32Array(64);
  private mask = 63;
  private count = 0;
  private readonly six = new Map<string, number>();

  get(key: EndpointKey): number {
    if (typeof key !== 'number') return this.six.get(key) ?? -1;
    const i = this.find(key);
    return i < 0 ? -1 : this.vals[i];
  }

  set(key: EndpointKey, v: number): void {
    if (typeof key !== 'number') {
      this.six.set(key, v);
      return;
    }
    let i = home(key) & this.mask;
    while (!Number.isNaN(this.keys[i])) {
      if (this.keys[i] === key) {
        this.vals[i] = v;
        return;
      }
      i = (i + 1) & this.mask;
    }
    this.keys[i] = key;
    this.vals[i] = v;
    if (++this.count * 2 > this.keys.length) this.rehash(this.keys.length * 2);
  }

  delete(key: EndpointKey): void {
    if (typeof key !== 'number') {
      this.six.delete(key);
      return;
    }
    let i = this.find(key);
    if (i < 0) return;
    this.count--;
    const keys = this.keys;
    const mask = this.mask;
    // later keys of the run that may sit in the hole move back to it
    for (let j = (i + 1) & mask; !Number.isNaN(keys[j]); j = (j + 1) & mask) {
      const h = home(keys[j]) & mask;
      if (j > i ? h <= i || h > j : h <= i && h > j) {
        keys[i] = keys[j];
        this.vals[i] = this.vals[j];
        i = j;
      }
    }
    keys[i] = NaN;
  }

  private find(key: number): number {
    const keys = this.keys;
    for (let i = home(key) & this.mask; ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === key) return i;
      if (Number.isNaN(k)) return -1;
    }
  }

  private rehash(n: number): void {
    const keys = this.keys;
    const vals = this.vals;
    this.keys = new Float64Array(n).fill(NaN);
    this.vals = new Int32Array(n);
    this.mask = n - 1;
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (!Number.isNaN(keys[i])) this.set(keys[i], vals[i]);
  }
}

/** a hash of an IPv4 endpoint key (address * 65536 + port) */
function home(key: number): number {
  const ip = (key / 65536) | 0;
  const port = key - Math.floor(key / 65536) * 65536;
  const h = Math.imul(ip ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b);
  return h ^ (h >>> 15);
}
