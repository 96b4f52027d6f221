import type { Exchange, Session } from './types.js';

/**
 * Session context: what a command means depends on where the session is, not only on its word and
 * reply code. Four facts are derived here from the exchanges of one session (no protocol table
 * beyond RFC 959's login and directory commands), each becoming an item kind (docs/ARCHITECTURE.md §4):
 *
 * - login  (`login=none|failed|anon|user`): the login state BEFORE the exchange — not logged in,
 *   not logged in after at least one failed attempt, logged in anonymously (USER anonymous/ftp), as a
 *   named user. A 230 to USER or PASS logs in; a 530 to USER or PASS is a failed attempt; REIN resets.
 *   So `STOR` by an anonymous user and `LIST` before login are items of their own.
 * - cwd    (`cwd=above|outside|abs`): a path argument that, from the current working directory,
 *   climbs above the LOGIN directory (`..` steps counted from the depth the session has reached, so
 *   `CWD pub` then `CWD ..` is not a climb), an absolute path outside the login directory (known from
 *   the 257 reply of a PWD at the login directory; a login directory of `/` — chroot, anonymous — holds
 *   every absolute path), or an absolute path while the login directory is unknown. No item for paths
 *   inside the login tree. The depth follows successful CWD/CDUP; after a change above or outside the
 *   tree, relative paths are `outside` until an absolute change back inside.
 * - end    (`end=quit|421|close|reset|open`): how the session ended — the client sent QUIT; the server's
 *   last word was a 421 (idle timeout, too many connections, line too long); otherwise the connection
 *   closed (FIN), was reset (RST), or was still open when the capture ended (ftp-flows' idle/eof/evicted).
 *   Nothing when the end is unknown (Zeek/Suricata input). It is an itemset of its own after the last
 *   exchange, so patterns can say what comes before the end.
 * - pace   (`pace=0…7`): the client's wait before a command — seconds since the previous exchange's last
 *   reply, as a log2 class: 0 below 1 s, k for [2^(k−1), 2^k) s, 7 for 64 s and more. A documented
 *   calculation, not a learned threshold: what counts as slow is learned from the classes training saw.
 */

export type LoginState = 'none' | 'failed' | 'anon' | 'user';
export type CwdClass = 'above' | 'outside' | 'abs' | '';
export type SessionEnd = 'quit' | '421' | 'close' | 'reset' | 'open' | '';

export interface ExchangeContext {
  /** the login state before the exchange */
  login: LoginState;
  /** the login state after it (differs when this exchange logged in, failed a login or reset) */
  loginAfter: LoginState;
  cwd: CwdClass;
  /** log2 class of the client's wait before this command; -1 for pseudo-commands and the first command */
  pace: number;
}

export interface SessionContext {
  exchanges: ExchangeContext[];
  end: SessionEnd;
}

/** Names an anonymous login uses (RFC 1635). */
const ANONYMOUS = new Set(['anonymous', 'ftp']);

/** Commands whose argument is a path (a LIST/NLST/STAT argument may also be options: `-la`). */
const PATH_COMMANDS = new Set([
  'CWD', 'XCWD', 'RETR', 'STOR', 'STOU', 'APPE', 'LIST', 'NLST', 'MLSD', 'MLST', 'DELE', 'MKD', 'XMKD', 'RMD', 'XRMD',
  'RNFR', 'RNTO', 'SIZE', 'MDTM', 'STAT',
]);
const CHANGE_DIR = new Set(['CWD', 'XCWD']);
const UP_DIR = new Set(['CDUP', 'XCUP']);

export const PACE_CLASSES = 8;

/** log2 class of a wait in seconds (documented in the header). */
export function paceClass(seconds: number): number {
  if (!(seconds >= 1)) return 0;
  return Math.min(PACE_CLASSES - 1, 1 + Math.floor(Math.log2(seconds)));
}

/** The path part of an argument: LIST/NLST/STAT options (`-la`) dropped. */
function pathOf(command: string, arg: string): string {
  if (command === 'LIST' || command === 'NLST' || command === 'STAT') {
    const parts = arg.split(/\s+/).filter((p) => p !== '' && !p.startsWith('-'));
    return parts.join(' ');
  }
  return arg;
}

/** Depth change of a relative path walked from depth `from`: the lowest depth reached and the final depth. */
export function walkPath(path: string, from: number): { min: number; end: number } {
  let d = from;
  let min = from;
  for (const part of path.split(/[/\\]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      d--;
      if (d < min) min = d;
    } else d++;
  }
  return { min, end: d };
}

const stripSlash = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.replace(/\/+$/, '') : p);

/**
 * Directory tracking relative to the login directory. `depth` is null when the position is not
 * known as a depth in the login tree: `outside` after a successful change above or outside it
 * (relative paths from there are outside too), or unknown (neither).
 */
class Cwd {
  depth: number | null = 0;
  outside = false;
  loginDir: string | null = null;

  reset(): void {
    this.depth = 0;
    this.outside = false;
    this.loginDir = null;
  }

  private moveTo(depth: number | null, outside: boolean): void {
    this.depth = depth !== null && depth < 0 ? null : depth;
    this.outside = outside || (depth !== null && depth < 0);
  }

  /** Where an absolute path lands: a depth inside the login tree, or outside / unknown. */
  private absolute(path: string): { cls: CwdClass; depth: number | null; outside: boolean } {
    if (this.loginDir === null) return { cls: 'abs', depth: null, outside: false };
    const root = this.loginDir === '/' ? '' : stripSlash(this.loginDir);
    const p = path.replace(/\\/g, '/');
    if (root === '' || p === root || p.startsWith(root + '/')) {
      const { min, end } = walkPath(p.slice(root.length), 0);
      return { cls: min < 0 ? 'above' : '', depth: end, outside: false };
    }
    return { cls: 'outside', depth: null, outside: true };
  }

  /** Classify a path argument, and move when `move` (a successful CWD). */
  classify(path: string, move: boolean): CwdClass {
    if (path === '') return '';
    let r: { cls: CwdClass; depth: number | null; outside: boolean };
    if (path.startsWith('/') || path.startsWith('\\')) r = this.absolute(path);
    else if (this.depth === null) r = { cls: this.outside ? 'outside' : '', depth: null, outside: this.outside };
    else {
      const w = walkPath(path, this.depth);
      r = { cls: w.min < 0 ? 'above' : '', depth: w.end, outside: w.min < 0 };
    }
    if (move) this.moveTo(r.depth, r.outside);
    return r.cls;
  }

  up(move: boolean): CwdClass {
    if (this.depth === null) return this.outside ? 'outside' : '';
    const cls: CwdClass = this.depth - 1 < 0 ? 'above' : '';
    if (move) this.moveTo(this.depth - 1, false);
    return cls;
  }
}

const success = (ex: Exchange): boolean => ex.finalCode !== '' && (ex.finalCode[0] === '2' || ex.finalCode[0] === '1');
const clientTime = (ex: Exchange): number => (Number.isFinite(ex.tsRequest) ? ex.tsRequest : ex.tsReply);
const lastTime = (ex: Exchange): number => (Number.isFinite(ex.tsReply) ? ex.tsReply : ex.tsRequest);

/** How the session ended (see the header); `end` is ftp-flows' flow end ('' unknown). */
export function sessionEnd(s: Pick<Session, 'exchanges' | 'end'>): SessionEnd {
  const ex = s.exchanges;
  for (let i = ex.length - 1; i >= 0; i--) if (ex[i]!.command === 'QUIT') return 'quit';
  // the server's last reply: the final code of the last exchange that has one
  for (let i = ex.length - 1; i >= 0; i--) {
    if (ex[i]!.finalCode === '') continue;
    if (ex[i]!.finalCode === '421') return '421';
    break;
  }
  switch (s.end) {
    case 'fin':
      return 'close';
    case 'rst':
      return 'reset';
    case 'idle':
    case 'eof':
    case 'evicted':
      return 'open';
    default:
      return '';
  }
}

/**
 * The context of every exchange of a session and how it ended. Pure: the same exchanges give the
 * same context, wherever they came from (capture, flow records, CSV).
 */
export function sessionContext(s: Pick<Session, 'exchanges' | 'end'>): SessionContext {
  const out: ExchangeContext[] = [];
  let login: LoginState = 'none';
  let pendingUser: string | null = null;
  const cwd = new Cwd();
  let prevEnd = NaN;
  let awaitingLoginDir = false;
  for (const ex of s.exchanges) {
    const cmd = ex.command;
    const isCommand = !cmd.startsWith('<');
    const t = clientTime(ex);
    const pace = isCommand && Number.isFinite(prevEnd) && Number.isFinite(t) ? paceClass(t - prevEnd) : -1;
    let cls: CwdClass = '';
    const loggedIn = login === 'anon' || login === 'user';
    if (isCommand && loggedIn) {
      if (PATH_COMMANDS.has(cmd)) cls = cwd.classify(pathOf(cmd, ex.arg), CHANGE_DIR.has(cmd) && success(ex));
      else if (UP_DIR.has(cmd)) cls = cwd.up(success(ex));
    }
    const ctx: ExchangeContext = { login, loginAfter: login, cwd: cls, pace };
    out.push(ctx);
    // state after the exchange
    if (cmd === 'USER') {
      pendingUser = ex.arg.trim().toLowerCase();
      if (ex.finalCode === '230') login = ANONYMOUS.has(pendingUser) ? 'anon' : 'user';
      else if (ex.finalCode === '530') login = 'failed';
      else if (!loggedIn) login = login === 'failed' ? 'failed' : 'none';
    } else if (cmd === 'PASS') {
      if (ex.finalCode === '230' || ex.finalCode === '202') login = pendingUser !== null && ANONYMOUS.has(pendingUser) ? 'anon' : 'user';
      else if (ex.finalCode !== '' && ex.finalCode[0] === '5' && !loggedIn) login = 'failed';
    } else if (cmd === 'REIN' && success(ex)) {
      login = 'none';
      pendingUser = null;
    }
    ctx.loginAfter = login;
    const nowLoggedIn = login === 'anon' || login === 'user';
    if (nowLoggedIn && !loggedIn) {
      cwd.reset();
      awaitingLoginDir = true;
    }
    // the login directory: the first PWD answered 257 while still at the login directory
    if (awaitingLoginDir && (cmd === 'PWD' || cmd === 'XPWD') && ex.finalCode === '257') {
      if (cwd.depth === 0 && ex.replyPath) cwd.loginDir = ex.replyPath;
      awaitingLoginDir = false;
    } else if (awaitingLoginDir && cwd.depth !== 0) awaitingLoginDir = false;
    const te = lastTime(ex);
    if (Number.isFinite(te)) prevEnd = Number.isFinite(prevEnd) ? Math.max(prevEnd, te) : te;
  }
  return { exchanges: out, end: sessionEnd(s) };
}
