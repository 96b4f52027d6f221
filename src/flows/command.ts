import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { captureChunks } from '../capture/input.js';
import { checkInputsOpen, inputBytes, Progress, ReadProgress } from '../common/cli.js';
import { FtpIdsError } from '../common/errors.js';
import { isoTimesLine, TIME_FORMATS, type TimeFormat } from '../common/time.js';
import { createEmittingFlowReader } from './reader.js';
import type { EmittedFlow } from './table.js';

/** output is gathered into blocks of this size before one write to stdout */
const OUT_BLOCK = 1 << 20;
/** read size for regular files (one buffer, reused: the reader copies what it keeps) */
const READ_BLOCK = 1 << 16;

export const FLOWS_USAGE = `usage: ftp-flows [options] [capture ...]   (no file or "-": stdin; .gz detected)
Reads pcap/pcapng (several files = one capture, in order) and writes one NDJSON flow record
per FTP control connection (recognised by content on any port), and one "data" record per data
connection that a control connection announced (PASV/EPSV replies, PORT/EPRT commands).
  --all                    every TCP connection
  --port N                 also every connection on port N (repeatable)
  --idle-timeout D         capture time without packets before a flow is emitted (900s)
  --max-flows N            flows in the table; least recently active evicted (100000)
  --max-flow-bytes S       payload kept per direction, head kept, flagged truncated (1M)
  --max-buffered-bytes S   payload held by all flows together (128M)
  --detect-bytes S         bytes a flow may carry before it is judged not FTP (16k)
  --max-record-bytes S     a larger capture record is an error (256k)
  --max-fragment-datagrams N, --max-fragment-bytes S, --fragment-timeout D   IP reassembly bounds
  --max-expected-data N    announced data connections waiting for their SYN; oldest dropped (10000;
                           0: no data channels, no data records)
  --data-timeout D         capture time an announced data connection is waited for (300s)
  --strict                 a truncated last record is an error, not a warning
  --stats                  counters to stderr as JSON at the end (--stats-format kv: key=value lines)
  --time-format T          epoch (default: seconds since 1970) | iso (ISO 8601 UTC with microseconds, as
                           Suricata's eve) for first_ts, last_ts, announced_ts and every chunk's ts; the
                           next stages read either
`;

interface Values {
  [k: string]: string | boolean | string[] | undefined;
}

/** ftp-flows: files (or stdin) -> NDJSON on stdout, honouring stdout backpressure. */
export async function runFlowsCommand(values: Values, files: string[]): Promise<number> {
  if (values.help) {
    process.stdout.write(FLOWS_USAGE);
    return 0;
  }
  const { stats, 'stats-format': statsFormat, 'time-format': timeFormat = 'epoch', help: _h, ...raw } = values;
  if (statsFormat !== undefined && statsFormat !== 'json' && statsFormat !== 'kv') {
    throw new FtpIdsError('INVALID_OPTION', `option stats-format: expected json or kv, got ${JSON.stringify(statsFormat)}`);
  }
  if (!TIME_FORMATS.includes(timeFormat as TimeFormat)) {
    throw new FtpIdsError('INVALID_OPTION', `option time-format: expected ${TIME_FORMATS.join(' or ')}, got ${JSON.stringify(timeFormat)}`);
  }
  const iso = timeFormat === 'iso';
  const scratch = { buf: Buffer.alloc(0) };
  checkInputsOpen(files);
  const out = new BlockWriter(process.stdout);
  let flows = 0;
  const reader = createEmittingFlowReader(
    raw,
    (f: EmittedFlow): void => {
      flows++;
      if (!iso) {
        out.used = f.writeLine(out.room(f.lineMaxBytes()), out.used);
        return;
      }
      // ISO times are for reading: the line is written as usual, then its times rewritten (slower, off the default path)
      if (scratch.buf.length < f.lineMaxBytes()) scratch.buf = Buffer.allocUnsafe(f.lineMaxBytes());
      const line = Buffer.from(isoTimesLine(scratch.buf.toString('utf8', 0, f.writeLine(scratch.buf, 0))));
      line.copy(out.room(line.length), out.used);
      out.used += line.length;
    },
    { withData: true },
  );
  const flush = (all: boolean): Promise<void> => out.flush(all);
  const printWarnings = (from: number): number => {
    for (let i = from; i < reader.warnings.length; i++) {
      const w = reader.warnings[i];
      process.stderr.write(`ftp-flows: warning: ${w.file ? w.file + ': ' : ''}byte offset ${w.offset}: ${w.message}\n`);
    }
    return reader.warnings.length;
  };
  let warned = 0;
  // on a terminal: bytes read of the total, flows, rate (stderr; nothing when it is a file or pipe)
  const progress = new ReadProgress(new Progress('ftp-flows'), inputBytes(files), 'flows');
  try {
    const inputs = files.length ? files : ['-'];
    for (const name of inputs) {
      reader.startFile(name === '-' ? '(stdin)' : name);
      const fd = name === '-' ? -1 : openPlainFile(name);
      if (fd >= 0) {
        try {
          const buf = Buffer.allocUnsafe(READ_BLOCK);
          for (let n; (n = readSync(fd, buf, 0, READ_BLOCK, null)) > 0; ) {
            reader.push(n === READ_BLOCK ? buf : buf.subarray(0, n));
            progress.read(n, () => flows);
            await flush(false);
          }
        } finally {
          closeSync(fd);
        }
      } else {
        // stdin may be live (tcpdump -w - | ftp-flows): each flow goes out once its chunk is read
        for await (const chunk of captureChunks(name, { onTruncated: (m, o) => reader.inputTruncated(m, o) })) {
          reader.push(chunk);
          progress.read(chunk.length, () => flows);
          await flush(true);
        }
      }
      warned = printWarnings(warned);
    }
    reader.end();
    warned = printWarnings(warned);
  } catch (e) {
    if (e instanceof FtpIdsError) reader.flushOpen();
    await flush(true);
    progress.done(flows);
    printWarnings(warned);
    if (stats) printStats(reader.stats(), statsFormat);
    throw e;
  }
  await flush(true);
  progress.done(flows);
  if (stats) printStats(reader.stats(), statsFormat);
  return 0;
}

/**
 * NDJSON goes straight into large blocks, written to stdout whole. A block comes back for reuse
 * when its write has completed, so memory stays a few blocks whatever the size of the capture.
 */
class BlockWriter {
  private readonly free: Buffer[] = [];
  private readonly full: Buffer[] = [];
  private block: Buffer;
  used = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {
    this.block = Buffer.allocUnsafe(OUT_BLOCK);
  }

  /** the current block, with at least `need` bytes free from `used` */
  room(need: number): Buffer {
    if (this.used + need > this.block.length) {
      this.retire();
      if (need > this.block.length) this.block = Buffer.allocUnsafe(need);
    }
    return this.block;
  }

  /** write the full blocks (and the current one's bytes when `all`), honouring backpressure */
  async flush(all: boolean): Promise<void> {
    if (all) this.retire();
    for (let i = 0; i < this.full.length; i++) {
      const piece = this.full[i];
      const whole = piece.buffer;
      const ok = this.stream.write(piece, () => {
        if (whole.byteLength === OUT_BLOCK && this.free.length < MAX_FREE_BLOCKS) this.free.push(Buffer.from(whole, 0, OUT_BLOCK));
      });
      if (!ok) await new Promise<void>((res) => this.stream.once('drain', res));
    }
    if (this.full.length) {
      // a write's completion (and the stream's hold on the Buffer) waits for the event loop's next
      // turn, which a loop of resolved awaits never gives: without this every block stayed
      // referenced until the end (200 MB of ArrayBuffers at 1 GB of capture)
      this.full.length = 0;
      await new Promise<void>((res) => setImmediate(res));
    }
  }

  private retire(): void {
    if (this.used === 0) return;
    this.full.push(this.block.subarray(0, this.used));
    this.block = this.free.pop() ?? Buffer.allocUnsafe(OUT_BLOCK);
    this.used = 0;
  }
}

/** output blocks kept for reuse */
const MAX_FREE_BLOCKS = 2;

function printStats(s: Record<string, number>, format: unknown): void {
  if (format === 'kv') process.stderr.write(Object.entries(s).map(([k, v]) => `${k}=${v}\n`).join(''));
  else process.stderr.write(JSON.stringify(s) + '\n');
}

/** An open descriptor of a regular, not gzipped file (read synchronously in large blocks), else -1. */
function openPlainFile(name: string): number {
  let fd: number;
  try {
    fd = openSync(name, 'r');
  } catch {
    return -1; // captureChunks reports the error as before
  }
  const head = Buffer.alloc(2);
  if (!fstatSync(fd).isFile() || (readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b)) {
    closeSync(fd);
    return -1;
  }
  return fd;
}
