/**
 * FTP data channels: what ftp-flows and ftp-extract both need to agree on — the addresses and ports
 * that PORT/EPRT commands and 227/229 replies announce (RFC 959 §4.1.2, RFC 2428), and the data
 * record ftp-flows writes for each announced connection (docs/ARCHITECTURE.md §1b).
 */

export type DataMode = 'passive' | 'active';

/** An announced data endpoint. `ip` is null for EPSV (RFC 2428: the control connection's server address). */
export interface Announcement {
  mode: DataMode;
  ip: string | null;
  port: number;
}

/**
 * `h1,h2,h3,h4,p1,p2` anywhere in the text (PORT argument, 227 reply text with or without
 * parentheses), blanks allowed around the commas: the first run of six comma-separated numbers.
 * By hand: ftp-flows reads every 227 reply, and a regular expression cost more than the rest.
 */
function sixNumbers(text: string, mode: DataMode): Announcement | null {
  const n: number[] = [];
  const len = text.length;
  let i = 0;
  while (i < len && n.length < 6) {
    let c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) {
      n.length = 0;
      i++;
      continue;
    }
    let v = 0;
    let digits = 0;
    while (i < len && (c = text.charCodeAt(i)) >= 0x30 && c <= 0x39) {
      v = v * 10 + c - 0x30;
      digits++;
      i++;
    }
    n.push(digits > 3 ? 256 : v);
    if (n.length === 6) break;
    while (i < len && text.charCodeAt(i) === 0x20) i++;
    if (i >= len || text.charCodeAt(i) !== 0x2c) {
      n.length = 0;
      continue;
    }
    i++;
    while (i < len && text.charCodeAt(i) === 0x20) i++;
  }
  if (n.length < 6 || n.some((x) => x > 255)) return null;
  const port = n[4] * 256 + n[5];
  if (port === 0) return null;
  return { mode, ip: `${n[0]}.${n[1]}.${n[2]}.${n[3]}`, port };
}

/** `PORT h1,h2,h3,h4,p1,p2` argument. */
export function parsePortArg(arg: string): Announcement | null {
  return sixNumbers(arg, 'active');
}

/** `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` reply text (the code included or not). */
export function parsePasvReply(text: string): Announcement | null {
  return sixNumbers(text, 'passive');
}

/** `EPRT |1|132.235.1.2|6275|` / `EPRT |2|::1|6275|` argument (any delimiter character, RFC 2428 §2). */
export function parseEprtArg(arg: string): Announcement | null {
  const a = arg.trim();
  if (a.length < 7) return null;
  const d = a[0];
  const parts = a.split(d);
  // '', proto, address, port, ''
  if (parts.length < 5) return null;
  const proto = parts[1];
  const port = Number(parts[3]);
  if (!/^\d{1,5}$/.test(parts[3]) || port < 1 || port > 65535) return null;
  const ip = proto === '1' ? canonicalIpv4(parts[2]) : proto === '2' ? canonicalIpv6(parts[2]) : null;
  return ip === null ? null : { mode: 'active', ip, port };
}

/** `229 Entering Extended Passive Mode (|||6446|)` reply text. */
export function parseEpsvReply(text: string): Announcement | null {
  const m = /\((.)\1\1(\d{1,5})\1\)/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { mode: 'passive', ip: null, port } : null;
}

export function canonicalIpv4(s: string): string | null {
  const b = ipv4Bytes(s);
  return b ? b.join('.') : null;
}

export function ipv4Bytes(s: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return null;
  const n = m.slice(1).map(Number);
  return n.some((x) => x > 255) ? null : n;
}

/** IPv6 text (with `::`, optionally an embedded IPv4 tail) as 16 bytes; null when not an address. */
export function ipv6Bytes(text: string): Buffer | null {
  let s = text.trim();
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (s.length < 2 || s.length > 45) return null;
  const words: number[] = [];
  const v4 = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  if (v4) {
    const b = ipv4Bytes(v4[1]);
    if (!b) return null;
    s = s.slice(0, s.length - v4[1].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !tail) return null;
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return null;
  words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(words[i], i * 2);
  return out;
}

/** RFC 5952 text of 16 address bytes (the form ftp-flows writes). */
export function ipv6Text(b: Uint8Array, off = 0): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[off + i] << 8) | b[off + i + 1]).toString(16));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return groups.slice(0, best).join(':') + '::' + groups.slice(best + bestLen).join(':');
}

export function canonicalIpv6(s: string): string | null {
  const b = ipv6Bytes(s);
  return b ? ipv6Text(b) : null;
}

/** An address as ftp-flows writes it (IPv4 dotted, IPv6 RFC 5952), or null. */
export function canonicalIp(s: string): string | null {
  return s.includes(':') ? canonicalIpv6(s) : canonicalIpv4(s);
}

// ---- the data record (ftp-flows → ftp-label → ftp-extract), docs/ARCHITECTURE.md §1b

export type DataEnd = 'fin' | 'rst' | 'idle' | 'evicted' | 'eof';

export interface DataRecord {
  type: 'data';
  v: 1;
  community_id: string;
  /** the control flow's `id` */
  control: string;
  mode: DataMode;
  /** the endpoint the announcement named (for EPSV the control server's address) */
  announced: { ip: string; port: number };
  /** capture time of the announcing line (227/229 reply, PORT/EPRT command) */
  announced_ts: number;
  /** the connection's initiator (SYN sender) and responder */
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  first_ts: number;
  last_ts: number;
  packets: { c: number; s: number };
  /** payload bytes per direction, retransmissions excluded (what tshark's follow shows) */
  bytes: { c: number; s: number };
  /** bytes the sequence numbers say were sent but the capture lacks (holes); bytes + missing = the transfer's size */
  missing: { c: number; s: number };
  end: DataEnd;
  /** `no_syn`, `gap` (bytes the capture missed), `evicted` */
  flags: string[];
  /** magic-number class of each direction's first bytes ('' when that direction carried none) */
  sniff: { c: string; s: string };
}

/** bytes of each direction's start that the sniff looks at */
export const SNIFF_BYTES = 320;

const bytesOf = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** [class, signature, offset] — the first match wins (file(1)'s magic numbers for the common types) */
const MAGIC: [string, number[], number][] = [
  ['archive:zip', [0x50, 0x4b, 0x03, 0x04], 0],
  ['archive:zip', [0x50, 0x4b, 0x05, 0x06], 0],
  ['archive:gzip', [0x1f, 0x8b], 0],
  ['archive:bzip2', bytesOf('BZh'), 0],
  ['archive:xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 0],
  ['archive:7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], 0],
  ['archive:rar', bytesOf('Rar!'), 0],
  ['archive:tar', bytesOf('ustar'), 257],
  ['executable:elf', [0x7f, 0x45, 0x4c, 0x46], 0],
  ['executable:pe', bytesOf('MZ'), 0],
  ['executable:macho', [0xcf, 0xfa, 0xed, 0xfe], 0],
  ['executable:macho', [0xce, 0xfa, 0xed, 0xfe], 0],
  ['executable:macho', [0xca, 0xfe, 0xba, 0xbe], 0],
  ['executable:script', bytesOf('#!'), 0],
  ['image:png', [0x89, 0x50, 0x4e, 0x47], 0],
  ['image:jpeg', [0xff, 0xd8, 0xff], 0],
  ['image:gif', bytesOf('GIF8'), 0],
  ['document:pdf', bytesOf('%PDF'), 0],
  ['document:ole', [0xd0, 0xcf, 0x11, 0xe0], 0],
];

/** the sniff's classes by number (sniffClass): '' (no bytes), text, binary, tls, then MAGIC's */
export const SNIFF_CLASSES: readonly string[] = ['', 'text', 'binary', 'tls', ...new Set(MAGIC.map((m) => m[0]))];
const SNIFF_TEXT = 1;
const SNIFF_BINARY = 2;
const SNIFF_TLS = 3;
const MAGIC_CLASS = MAGIC.map((m) => SNIFF_CLASSES.indexOf(m[0]));

/**
 * sniffType of b[off, off+len), as its number in SNIFF_CLASSES (ftp-flows sniffs a data connection's
 * first segment in place and keeps the number: no copy, no string per connection).
 */
export function sniffClass(b: Uint8Array, off: number, len: number): number {
  if (len <= 0) return 0;
  // only the signatures that can match this first byte (and those not at offset 0), in MAGIC's order
  const cands = MAGIC_BY_FIRST[b[off]];
  magic: for (let k = 0; k < cands.length; k++) {
    const m = cands[k];
    const sig = MAGIC[m][1];
    const at = MAGIC[m][2];
    if (at + sig.length > len) continue;
    for (let i = 0; i < sig.length; i++) if (b[off + at + i] !== sig[i]) continue magic;
    return MAGIC_CLASS[m];
  }
  if (len >= 3 && b[off] === 0x16 && b[off + 1] === 0x03 && b[off + 2] <= 0x04) return SNIFF_TLS;
  const end = off + len;
  let i = off;
  while (i < end) {
    const c = b[i];
    if (TEXT_BYTE[c] === 1) i++;
    else if (c >= 0xc2 && c <= 0xf4) {
      // a UTF-8 sequence (one cut by the sniff's end is fine)
      const n = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
      let j = 1;
      while (j <= n && i + j < end && (b[i + j] & 0xc0) === 0x80) j++;
      if (j <= n && i + j < end) return SNIFF_BINARY;
      i += j;
    } else return SNIFF_BINARY;
  }
  return SNIFF_TEXT;
}

/** per first byte: the MAGIC entries that may match (first byte equal, or a signature further in) */
const MAGIC_BY_FIRST: number[][] = Array.from({ length: 256 }, (_, c) =>
  MAGIC.map((_m, i) => i).filter((i) => MAGIC[i][2] > 0 || MAGIC[i][1][0] === c),
);
/** 1: a byte of text (printable ASCII, tab, line ends, form feed) */
const TEXT_BYTE = Uint8Array.from({ length: 256 }, (_, c) => ((c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c ? 1 : 0));

/**
 * What a direction's first bytes are, by magic number: `archive:*`, `executable:*`, `image:*`,
 * `document:*`, `tls` (a TLS record: handshake, content type 22, version 3.x), `text` (printable
 * ASCII/UTF-8, tabs and line ends only), else `binary`; '' for no bytes.
 */
export function sniffType(b: Uint8Array, len: number): string {
  return SNIFF_CLASSES[sniffClass(b, 0, len)];
}

/** The transfer commands whose data connection ftp-extract links (RFC 959, RFC 3659 MLSD). */
export const TRANSFER_COMMANDS: ReadonlySet<string> = new Set(['RETR', 'STOR', 'STOU', 'APPE', 'LIST', 'NLST', 'MLSD']);
