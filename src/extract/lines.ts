/**
 * Line layer (Zeek's ContentLine/NVT analyzers): one instance per direction. Lines end at LF; a CR
 * right before the LF is dropped (CRLF and bare LF both end a line; a lone CR is data, as in
 * Zeek's FTP analyzer). A line split across chunks is joined. Telnet IAC sequences are removed
 * from the assembled line. A line longer than `maxLineBytes` keeps its first `maxLineBytes`
 * bytes, the rest up to the LF is discarded and the line is reported `overlong`.
 *
 * Works on Buffers: a line that lies inside one chunk is handed on as that chunk and the line's
 * offsets (no copy, no view object); only lines spanning chunks, or holding Telnet commands, are
 * copied. LF is looked for by a loop over the bytes, which notes IAC on the way: control lines are
 * tens of bytes, where a native indexOf call per line (two with the IAC test) cost more than the scan
 * (issue 12's profile: a third of the line layer).
 */
/** The line is `buf[start, end)`, valid during the call. `cut`: the line ends where an upstream bound cut the stream (it has no line end) */
export type LineSink = (buf: Buffer, start: number, end: number, overlong: boolean, ts: number, cut?: boolean) => void;

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

  /** the bytes buf[from, to) */
  push(buf: Buffer, ts: number, from = 0, to = buf.length): void {
    let start = from;
    const n = to;
    while (start < n) {
      let lf = start;
      let iac = false;
      for (; lf < n; lf++) {
        const b = buf[lf];
        if (b === LF) break;
        if (b === IAC) iac = true;
      }
      if (lf === n) {
        this.keep(buf, start, n);
        return;
      }
      if (this.partBytes === 0 && !this.overlong) {
        const overlong = lf - start > this.maxLineBytes;
        let end = overlong ? start + this.maxLineBytes : lf;
        if (overlong) this.overlongLines++;
        else if (end > start && buf[end - 1] === CR) end--;
        if (iac && buf.subarray(start, end).indexOf(IAC) >= 0) {
          const line = stripTelnet(buf.subarray(start, end));
          this.onLine(line, 0, line.length, overlong, ts);
        } else this.onLine(buf, start, end, overlong, ts);
      } else {
        this.keep(buf, start, lf);
        const overlong = this.overlong;
        let line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partBytes);
        this.parts = [];
        this.partBytes = 0;
        this.overlong = false;
        if (overlong) this.overlongLines++;
        else if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
        if (line.indexOf(IAC) >= 0) line = stripTelnet(line);
        this.onLine(line, 0, line.length, overlong, ts);
      }
      start = lf + 1;
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
      const l = line.indexOf(IAC) >= 0 ? stripTelnet(line) : line;
      this.onLine(l, 0, l.length, true, ts, true);
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
