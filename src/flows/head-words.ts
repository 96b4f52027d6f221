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

/** /^(EHLO|HELO|LHLO)[ \r\n]/i: first words of clients of other protocols whose servers also greet with 220 */
export function isNotFtpClient(buf: Buffer, off: number, len: number): boolean {
  if (len < 5 || !isWordEnd(buf[off + 4])) return false;
  const w = ((buf[off] | 0x20) << 24) | ((buf[off + 1] | 0x20) << 16) | ((buf[off + 2] | 0x20) << 8) | (buf[off + 3] | 0x20);
  return w === EHLO || w === HELO || w === LHLO;
}

const word = (s: string): number => (s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3);
const EHLO = word('ehlo');
const HELO = word('helo');
const LHLO = word('lhlo');
