import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { captureChunks } from '../capture/input.js';
import { FtpIdsError } from '../common/errors.js';
import { createEmittingFlowReader } from './reader.js';
import type { EmittedFlow } from './table.js';

/** output is gathered into blocks of this size before one write to stdout */
const OUT_BLOCK = 1 << 22;
/** read size for regular files (one buffer, reused: the reader copies what it keeps) */
const READ_BLOCK = 1 << 16;

export const FLOWS_USAGE = `usage: ftp-flows [options] [capture ...]   (no file or "-": stdin; .gz detected)
Reads pcap/pcapng (several files = one capture, in order) and writes one NDJSON flow record
per FTP control connection (recognised by content on any port).
  --all                    every TCP connection
  --port N                 also every connection on port N (repeatable)
  --idle-timeout D         capture time without packets before a flow is emitted (900s)
  --max-flows N            flows in the table; least recently active evicted (100000)
  --max-flow-bytes S       payload kept per direction, head kept, flagged truncated (1M)
  --max-buffered-bytes S   payload held by all flows together (128M)
  --detect-bytes S         bytes a flow may carry before it is judged not FTP (16k)
  --max-record-bytes S     a larger capture record is an error (256k)
  --max-fragment-datagrams N, --max-fragment-bytes S, --fragment-timeout D   IP reassembly bounds
  --strict                 a truncated last record is an error, not a warning
  --stats                  counters to stderr as JSON at the end (--stats-format kv: key=value lines)
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
  const { stats, 'stats-format': statsFormat, help: _h, ...raw } = values;
  if (statsFormat !== undefined && statsFormat !== 'json' && statsFormat !== 'kv') {
    throw new FtpIdsError('INVALID_OPTION', `option stats-format: expected json or kv, got ${JSON.stringify(statsFormat)}`);
  }
  // NDJSON goes straight into large Buffers (a new one per write: stdout may still hold the last)
  const full: Buffer[] = [];
  let block = Buffer.allocUnsafe(OUT_BLOCK);
  let used = 0;
  const onFlow = (f: EmittedFlow): void => {
    const need = f.lineMaxBytes();
    if (used + need > block.length) {
      if (used > 0) full.push(block.subarray(0, used));
      block = Buffer.allocUnsafe(Math.max(OUT_BLOCK, need));
      used = 0;
    }
    used = f.writeLine(block, used);
  };
  const reader = createEmittingFlowReader(raw, onFlow);
  const flush = async (all: boolean): Promise<void> => {
    if (all && used > 0) {
      full.push(block.subarray(0, used));
      block = block.length - used >= OUT_BLOCK / 4 ? block.subarray(used) : Buffer.allocUnsafe(OUT_BLOCK);
      used = 0;
    }
    for (let i = 0; i < full.length; i++) {
      if (!process.stdout.write(full[i])) await new Promise<void>((res) => process.stdout.once('drain', res));
    }
    full.length = 0;
  };
  const printWarnings = (from: number): number => {
    for (let i = from; i < reader.warnings.length; i++) {
      const w = reader.warnings[i];
      process.stderr.write(`ftp-flows: warning: ${w.file ? w.file + ': ' : ''}byte offset ${w.offset}: ${w.message}\n`);
    }
    return reader.warnings.length;
  };
  let warned = 0;
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
            await flush(false);
          }
        } finally {
          closeSync(fd);
        }
      } else {
        // stdin may be live (tcpdump -w - | ftp-flows): each flow goes out once its chunk is read
        for await (const chunk of captureChunks(name)) {
          reader.push(chunk);
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
    printWarnings(warned);
    if (stats) printStats(reader.stats(), statsFormat);
    throw e;
  }
  await flush(true);
  if (stats) printStats(reader.stats(), statsFormat);
  return 0;
}

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
