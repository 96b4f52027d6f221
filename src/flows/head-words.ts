/**
 * The first bytes of each direction, tested in place (content detection runs for every new
 * connection: building a string per test showed up in the profile). Each test is the regular
 * expression in its comment, applied to buf[off, off+len); test/flows-head-words.test.ts holds
 * them to those expressions.
 */

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLetter = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
/** space, CR or LF */
const isWordEnd = (c: number): boolean => c === 0x20 || c === 0x0d || c === 0x0a;

/** /^[12]20[ -]/ */
export function isGreeting(buf: Buffer, off: number, len: number): boolean {
  return len >= 4 && (buf[off] === 0x31 || buf[off] === 0x32) && buf[off + 1] === 0x32 && buf[off + 2] === 0x30 && (buf[off + 3] === 0x20 || buf[off + 3] === 0x2d);
}

/** /^[0-9]{3}[ -]/ */
export function isReply(buf: Buffer, off: number, len: number): boolean {
  return len >= 4 && isDigit(buf[off]) && isDigit(buf[off + 1]) && isDigit(buf[off + 2]) && (buf[off + 3] === 0x20 || buf[off + 3] === 0x2d);
}

/** /^[A-Za-z]{3,4}[ \r\n]/ */
export function isCommand(buf: Buffer, off: number, len: number): boolean {
  let n = 0;
  while (n < 4 && n < len && isLetter(buf[off + n])) n++;
  return n >= 3 && n < len && isWordEnd(buf[off + n]);
}

/**
 * /^(EHLO|HELO|LHLO|VRFY|EXPN|MAIL|RCPT|RSET)[ \r\n]/i: first words of clients of other protocols whose
 * servers also greet with 220 — SMTP/LMTP's greetings and the SMTP verbs no FTP server knows (RFC 959
 * has none of them; a VRFY or EXPN probe never says EHLO first)
 */
export function isNotFtpClient(buf: Buffer, off: number, len: number): boolean {
  if (len < 5 || !isWordEnd(buf[off + 4])) return false;
  const w = ((buf[off] | 0x20) << 24) | ((buf[off + 1] | 0x20) << 16) | ((buf[off + 2] | 0x20) << 8) | (buf[off + 3] | 0x20);
  return w === EHLO || w === HELO || w === LHLO || w === VRFY || w === EXPN || w === MAIL || w === RCPT || w === RSET;
}

/**
 * "SMTP" as a word of the line at buf[off, end) (before its LF): `220 mx.example.org ESMTP Postfix`.
 * A byte loop bounded by `end`: buf is a payload page, and Buffer.indexOf searched on to the page's
 * end (33 µs a control flow, 0.35 s of 1.9 on the 200 MB bench capture).
 */
export function namesSmtp(buf: Buffer, off: number, end: number): boolean {
  let stop = off;
  while (stop < end && buf[stop] !== 0x0a) stop++;
  for (let i = off; i + 4 <= stop; i++) {
    if (buf[i] !== 0x53 || buf[i + 1] !== 0x4d || buf[i + 2] !== 0x54 || buf[i + 3] !== 0x50) continue;
    const before = buf[i - 1];
    const after = i + 4 < stop ? buf[i + 4] : 0x20;
    if ((before === 0x20 || before === 0x45) && (isWordEnd(after) || after === 0x3b || after === 0x2c)) return true;
  }
  return false;
}

const word = (s: string): number => (s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3);
const EHLO = word('ehlo');
const HELO = word('helo');
const LHLO = word('lhlo');
const VRFY = word('vrfy');
const EXPN = word('expn');
const MAIL = word('mail');
const RCPT = word('rcpt');
const RSET = word('rset');

/** the 3- or 4-letter word (lower-cased) as a number */
const wordOf = (s: string): number => {
  let w = 0;
  for (let i = 0; i < s.length; i++) w = ((w << 8) | s.charCodeAt(i)) >>> 0;
  return w;
};

/**
 * Words only an FTP client opens with or sends early (RFC 959, 2228, 2389, 2428, 3659, 7151): a
 * connection to a well-known FTP port whose server side was not captured (NAT, asymmetric routing)
 * is an FTP client when its first word is one of them. Words other protocols share (NOOP, QUIT,
 * HELP, AUTH is SMTP's too) are left out.
 */
const FTP_CLIENT_WORDS = new Set(
  ['user', 'pass', 'acct', 'feat', 'syst', 'opts', 'host', 'clnt', 'pwd', 'xpwd', 'cwd', 'type', 'pasv', 'epsv', 'port', 'eprt', 'list', 'nlst', 'retr', 'stor', 'site', 'mlsd', 'mlst', 'size', 'mdtm', 'rest', 'stat', 'mkd', 'rmd', 'dele', 'appe', 'stou', 'rnfr', 'rnto', 'abor', 'cdup', 'pbsz', 'prot', 'ccc', 'lang', 'mode', 'stru', 'allo', 'smnt', 'rein'].map(wordOf),
);

/** /^(USER|PASS|FEAT|SYST|…)[ \r\n]/i: an FTP command word (see FTP_CLIENT_WORDS) */
export function isFtpClientWord(buf: Buffer, off: number, len: number): boolean {
  if (!isCommand(buf, off, len)) return false;
  let w = 0;
  for (let i = 0; i < 4 && isLetter(buf[off + i]); i++) w = ((w << 8) | (buf[off + i] | 0x20)) >>> 0;
  return FTP_CLIENT_WORDS.has(w);
}
