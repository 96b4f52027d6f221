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

export function parseRequest(line: Buffer, maxCommandBytes: number): Request {
  let sp = line.indexOf(SPACE);
  const tab = line.indexOf(TAB);
  if (tab >= 0 && (sp < 0 || tab < sp)) sp = tab;
  const wordEnd = sp < 0 ? line.length : sp;
  const command = line.toString('latin1', 0, wordEnd).toUpperCase();
  let argStart = wordEnd;
  while (argStart < line.length && (line[argStart] === SPACE || line[argStart] === TAB)) argStart++;
  const arg = argStart < line.length ? line.toString('utf8', argStart) : '';
  return { command, arg, overlongCommand: wordEnd > maxCommandBytes };
}
