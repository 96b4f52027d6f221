/**
 * Reply layer (RFC 959 §4.2, as Zeek's FTP analyzer reads it): a reply is one line `ddd text`, or a
 * multi-line reply `ddd-text` … `ddd text` whose last line repeats the code followed by a space (or
 * ends right after the code). Lines in between are continuation whatever they start with.
 *
 * Outside a multi-line reply:
 * - an empty line is skipped (not a reply);
 * - `ddd` followed by something other than space or `-` (`227Entering…`) is a reply with code ddd,
 *   flagged invalid (tshark takes it as a reply; Zeek does not);
 * - a line without three leading digits (`99 PASV invalid`, `SYST not supported`) is a reply with no
 *   code, flagged invalid: it still answers the pending command, so later pairing stays in step.
 */
export interface Reply {
  /** three digits, or '' for a line without a code */
  code: string;
  multiline: boolean;
  invalid: boolean;
  /** the multi-line reply was cut at maxReplyLines */
  overlong: boolean;
  /** number of lines in this reply (skipped empty lines before it included) */
  lines: number;
}

const DIGIT0 = 0x30;
const DIGIT9 = 0x39;
const SPACE = 0x20;
const DASH = 0x2d;

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= DIGIT0 && b <= DIGIT9;
}

/** The 3-digit code at the start of the line `buf[start, end)`, or -1. */
export function replyCodeOf(buf: Buffer, start = 0, end = buf.length): number {
  if (end - start < 3 || !isDigit(buf[start]) || !isDigit(buf[start + 1]) || !isDigit(buf[start + 2])) return -1;
  return (buf[start] - DIGIT0) * 100 + (buf[start + 1] - DIGIT0) * 10 + (buf[start + 2] - DIGIT0);
}

export class ReplyAssembler {
  /** code of the multi-line reply in progress, -1 when none */
  private multiCode = -1;
  private linesSoFar = 0;
  /** empty lines skipped outside replies */
  skippedEmptyLines = 0;

  constructor(private readonly maxReplyLines: number) {}

  get inMultiline(): boolean {
    return this.multiCode >= 0;
  }

  /**
   * Feed one server line `buf[start, end)`; returns the completed reply (the same object every time, its
   * fields valid until the next call: no object per reply), or null while a reply is still open.
   */
  line(buf: Buffer, start = 0, end = buf.length): Reply | null {
    const code = replyCodeOf(buf, start, end);
    const length = end - start;
    if (this.multiCode >= 0) {
      this.linesSoFar++;
      if (code === this.multiCode && (length === 3 || buf[start + 3] === SPACE)) {
        return this.finish(codeString(code), true, false, false);
      }
      if (this.linesSoFar >= this.maxReplyLines) return this.finish(codeString(this.multiCode), true, false, true);
      return null;
    }
    if (length === 0) {
      this.skippedEmptyLines++;
      this.linesSoFar++;
      return null;
    }
    this.linesSoFar++;
    if (code < 0) return this.finish('', false, true, false);
    const sep = buf[start + 3];
    if (sep === DASH) {
      this.multiCode = code;
      return null;
    }
    const invalid = !(length === 3 || sep === SPACE) || buf[start] < 0x31 || buf[start] > 0x35;
    return this.finish(codeString(code), false, invalid, false);
  }

  /** A hole in the server stream: a multi-line reply in progress cannot be completed. */
  reset(): void {
    this.multiCode = -1;
    this.linesSoFar = 0;
  }

  /** the completed reply: one object per assembler, refilled each time (valid until the next line) */
  private readonly reply: Reply = { code: '', multiline: false, invalid: false, overlong: false, lines: 0 };

  private finish(code: string, multiline: boolean, invalid: boolean, overlong: boolean): Reply {
    const reply = this.reply;
    reply.code = code;
    reply.multiline = multiline;
    reply.invalid = invalid;
    reply.overlong = overlong;
    reply.lines = this.linesSoFar;
    this.multiCode = -1;
    this.linesSoFar = 0;
    return reply;
  }
}

const CODE_STRINGS: string[] = [];
for (let i = 0; i < 1000; i++) CODE_STRINGS.push(String(i).padStart(3, '0'));
function codeString(code: number): string {
  return CODE_STRINGS[code];
}
