/**
 * Argument tags: features of a command's argument that are usable as items (format 4 `tag=…`).
 * Pure functions, no state: ftp-extract and ftp-match both call `argumentTags`.
 *
 * - port_foreign:    PORT/EPRT names a data-connection address other than the client's own
 *                    (FTP bounce, RFC 2577 §3)
 * - port_privileged: PORT/EPRT names a port below 1024
 * - path_climb:      a path argument that climbs above its starting directory with `..`
 *                    (`../../etc/passwd`, `/pub/../../x`; `a/../b` does not climb)
 * - arg_binary:      the argument holds control characters or bytes that are not UTF-8
 */
import { isIP } from 'node:net';

export type ArgumentTag = 'port_foreign' | 'port_privileged' | 'path_climb' | 'arg_binary';

/** Commands whose argument is a path name (RFC 959, 3659, 775). */
const PATH_COMMANDS = new Set([
  'CWD', 'XCWD', 'SMNT', 'RETR', 'STOR', 'STOU', 'APPE', 'RNFR', 'RNTO', 'DELE', 'RMD', 'XRMD',
  'MKD', 'XMKD', 'LIST', 'NLST', 'STAT', 'SIZE', 'MDTM', 'MLSD', 'MLST',
]);

export function argumentTags(command: string, arg: string, clientIp: string): ArgumentTag[] {
  const tags: ArgumentTag[] = [];
  if (command === 'PORT' || command === 'EPRT' || command === 'LPRT') {
    const target = command === 'PORT' ? parsePortArg(arg) : command === 'EPRT' ? parseEprtArg(arg) : null;
    if (target) {
      if (!sameAddress(target.ip, clientIp)) tags.push('port_foreign');
      if (target.port < 1024) tags.push('port_privileged');
    }
  } else if (PATH_COMMANDS.has(command) && pathClimbs(arg)) {
    tags.push('path_climb');
  }
  if (hasBinary(arg)) tags.push('arg_binary');
  return tags;
}

export interface PortTarget {
  ip: string;
  port: number;
}

/** `h1,h2,h3,h4,p1,p2` → {ip:'h1.h2.h3.h4', port:p1*256+p2}; null when malformed. */
export function parsePortArg(arg: string): PortTarget | null {
  const parts = arg.trim().split(',');
  if (parts.length !== 6) return null;
  const nums: number[] = [];
  for (const p of parts) {
    const t = p.trim();
    if (!/^\d{1,3}$/.test(t)) return null;
    const n = Number(t);
    if (n > 255) return null;
    nums.push(n);
  }
  return { ip: nums.slice(0, 4).join('.'), port: nums[4] * 256 + nums[5] };
}

/** `|1|132.235.1.2|6275|` or `|2|::1|6275|` (RFC 2428; any delimiter); null when malformed. */
export function parseEprtArg(arg: string): PortTarget | null {
  const s = arg.trim();
  if (s.length < 2) return null;
  const d = s[0];
  const parts = s.split(d);
  // ['', proto, addr, port, '']
  if (parts.length !== 5 || parts[0] !== '' || parts[4] !== '') return null;
  const ip = parts[2];
  if (!/^\d{1,5}$/.test(parts[3]) || isIP(ip) === 0) return null;
  const port = Number(parts[3]);
  if (port > 65535) return null;
  return { ip, port };
}

/** Address equality across spellings (IPv6 zero compression, case, IPv4-mapped IPv6). */
export function sameAddress(a: string, b: string): boolean {
  return a === b || canonicalIp(a) === canonicalIp(b); // (a PORT naming the client's own address, as written: the usual case)
}

function canonicalIp(ip: string): string {
  const kind = isIP(ip);
  if (kind === 4) return ip.split('.').map((x) => String(Number(x))).join('.');
  if (kind !== 6) return ip.toLowerCase();
  let s = ip.toLowerCase();
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  // a trailing dotted IPv4 becomes two hex groups
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    const o = m[2].split('.').map(Number);
    s = `${m[1]}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const norm = groups.map((g) => parseInt(g, 16).toString(16));
  // ::ffff:a.b.c.d is the IPv4 address a.b.c.d
  if (norm.slice(0, 5).every((g) => g === '0') && norm[5] === 'ffff') {
    const hi = parseInt(norm[6], 16);
    const lo = parseInt(norm[7], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return norm.join(':');
}

/**
 * Does the path climb above where it starts? Walk the segments (`/` or `\`), counting depth:
 * a name goes down, `..` goes up; going below 0 is a climb. A leading `/` starts at the root,
 * which one cannot climb above either, so `/../x` climbs too.
 */
export function pathClimbs(path: string): boolean {
  if (path.indexOf('..') < 0) return false;
  let depth = 0;
  for (const seg of path.split(/[/\\]/)) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      depth--;
      if (depth < 0) return true;
    } else depth++;
  }
  return false;
}

/** Control characters (other than tab), DEL, or U+FFFD from undecodable bytes. */
export function hasBinary(arg: string): boolean {
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c === 0xfffd || (c >= 0x80 && c < 0xa0)) return true;
  }
  return false;
}
