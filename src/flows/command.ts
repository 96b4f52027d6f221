import { captureChunks } from '../capture/input.js';
import { FtpIdsError } from '../common/errors.js';
import { createFlowReader } from './reader.js';
import { flowToJsonLine } from './record.js';

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
  let out: string[] = [];
  const reader = createFlowReader(raw, (f) => out.push(flowToJsonLine(f)));
  const flush = async (): Promise<void> => {
    if (out.length === 0) return;
    const text = out.join('');
    out = [];
    if (!process.stdout.write(text)) await new Promise<void>((res) => process.stdout.once('drain', res));
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
      for await (const chunk of captureChunks(name)) {
        reader.push(chunk);
        await flush();
      }
      warned = printWarnings(warned);
    }
    reader.end();
    warned = printWarnings(warned);
  } catch (e) {
    if (e instanceof FtpIdsError) reader.flushOpen();
    await flush();
    printWarnings(warned);
    if (stats) printStats(reader.stats(), statsFormat);
    throw e;
  }
  await flush();
  if (stats) printStats(reader.stats(), statsFormat);
  return 0;
}

function printStats(s: Record<string, number>, format: unknown): void {
  if (format === 'kv') process.stderr.write(Object.entries(s).map(([k, v]) => `${k}=${v}\n`).join(''));
  else process.stderr.write(JSON.stringify(s) + '\n');
}
