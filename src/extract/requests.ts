/**
 * Request layer: a client line is `COMMAND[ SP argument]`. The command word (up to the first space
 * or tab) is upper-cased (commands are case-insensitive, RFC 959 §5.3.1); the argument is kept as
 * sent after the separating blanks. Bytes are decoded as UTF-8 (RFC 2640); bytes that are not valid
 * UTF-8 become U+FFFD and make the argument `arg_binary` (src/extract/tags.ts).
 */
export interface Request {
  command: string;
  arg: string;
  /** the command word is longer than maxCommandBytes */
  overlongCommand: boolean;
}

const SPACE = 0x20;
const TAB = 0x09;

/** The request in `line[start, end)` (a loop over the bytes: lines are short, a native indexOf call per blank cost more). */
export function parseRequest(line: Buffer, maxCommandBytes: number, start = 0, end = line.length): Request {
  let wordEnd = start;
  while (wordEnd < end && line[wordEnd] !== SPACE && line[wordEnd] !== TAB) wordEnd++;
  const command = upperWord(line, start, wordEnd);
  let argStart = wordEnd;
  while (argStart < end && (line[argStart] === SPACE || line[argStart] === TAB)) argStart++;
  const arg = argStart < end ? line.toString('utf8', argStart, end) : '';
  return { command, arg, overlongCommand: wordEnd - start > maxCommandBytes };
}

/** Latin-1 text of the bytes, upper-cased (the upper-casing skipped when no byte is a lower-case letter or above ASCII). */
function upperWord(line: Buffer, start: number, end: number): string {
  const word = line.toString('latin1', start, end);
  for (let i = start; i < end; i++) {
    const b = line[i];
    if ((b >= 0x61 && b <= 0x7a) || b >= 0x80) return word.toUpperCase();
  }
  return word;
}
