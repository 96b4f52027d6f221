/**
 * Line layer (Zeek's ContentLine/NVT analyzers): one instance per direction. Lines end at LF; a CR
 * right before the LF is dropped (CRLF and bare LF both end a line; a lone CR is data, as in
 * Zeek's FTP analyzer). A line split across chunks is joined. Telnet IAC sequences are removed
 * from the assembled line. A line longer than `maxLineBytes` keeps its first `maxLineBytes`
 * bytes, the rest up to the LF is discarded and the line is reported `overlong`.
 *
 * Works on Buffers: LF is found with indexOf; a line that lies inside one chunk is a subarray of
 * that chunk (no copy); only lines spanning chunks are concatenated.
 */
/** `cut`: the line ends where an upstream bound cut the stream (it has no line end) */
export type LineSink = (line: Buffer, overlong: boolean, ts: number, cut?: boolean) => void;

const LF = 0x0a;
const CR = 0x0d;
const IAC = 0xff;

export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private overlong = false;
  /** lines cut at maxLineBytes */
  overlongLines = 0;
  /** bytes of unterminated lines thrown away at a gap or at the end */
  droppedPartialBytes = 0;

  constructor(private readonly maxLineBytes: number, private readonly onLine: LineSink) {}

  push(buf: Buffer, ts: number): void {
    let start = 0;
    const n = buf.length;
    while (start < n) {
      const lf = buf.indexOf(LF, start);
      if (lf < 0) {
        this.keep(buf, start, n);
        return;
      }
      let line: Buffer;
      let overlong: boolean;
      if (this.partBytes === 0 && !this.overlong) {
        overlong = lf - start > this.maxLineBytes;
        line = buf.subarray(start, overlong ? start + this.maxLineBytes : lf);
      } else {
        this.keep(buf, start, lf);
        overlong = this.overlong;
        line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partBytes);
        this.parts = [];
        this.partBytes = 0;
        this.overlong = false;
      }
      start = lf + 1;
      if (overlong) this.overlongLines++;
      else if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      if (line.indexOf(IAC) >= 0) line = stripTelnet(line);
      this.onLine(line, overlong, ts);
    }
  }

  /** A hole in the stream: the unterminated line before it cannot be completed. */
  gap(): void {
    this.dropPartial();
  }

  /**
   * End of stream: an unterminated last line is not a line (counted in droppedPartialBytes), unless
   * the stream was cut by a bound upstream (`truncated`): then it is emitted as an overlong line,
   * `cut`. The extractor ends a cut direction right after its last kept bytes, not at the flow's
   * end: the cut line is then in place before the replies that answered it.
   */
  end(truncated = false, ts = 0): void {
    if (truncated && this.partBytes > 0) {
      const line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partBytes);
      this.parts = [];
      this.partBytes = 0;
      this.overlong = false;
      this.overlongLines++;
      this.onLine(line.indexOf(IAC) >= 0 ? stripTelnet(line) : line, true, ts, true);
      return;
    }
    this.dropPartial();
  }

  private dropPartial(): void {
    this.droppedPartialBytes += this.partBytes;
    this.parts = [];
    this.partBytes = 0;
    this.overlong = false;
  }

  private keep(buf: Buffer, from: number, to: number): void {
    if (this.overlong) return;
    const room = this.maxLineBytes - this.partBytes;
    let take = to - from;
    if (take > room) {
      take = room;
      this.overlong = true;
    }
    if (take > 0) {
      this.parts.push(buf.subarray(from, from + take));
      this.partBytes += take;
    }
  }
}

const SB = 250;
const SE = 240;
const WILL = 251;
const DONT = 254;

/**
 * Remove Telnet commands (RFC 854) from a line: IAC IAC is a literal 0xFF; IAC WILL/WONT/DO/DONT
 * take one option byte; IAC SB … IAC SE is a subnegotiation; any other IAC x is a 2-byte command.
 */
export function stripTelnet(line: Buffer): Buffer {
  const out = Buffer.allocUnsafe(line.length);
  let o = 0;
  let i = 0;
  while (i < line.length) {
    const b = line[i];
    if (b !== IAC) {
      out[o++] = b;
      i++;
      continue;
    }
    const cmd = line[i + 1];
    if (cmd === undefined) break;
    if (cmd === IAC) {
      out[o++] = IAC;
      i += 2;
    } else if (cmd >= WILL && cmd <= DONT) {
      i += 3;
    } else if (cmd === SB) {
      let j = i + 2;
      while (j < line.length && !(line[j] === IAC && line[j + 1] === SE)) j++;
      i = j + 2;
    } else {
      i += 2;
    }
  }
  return out.subarray(0, o);
}
