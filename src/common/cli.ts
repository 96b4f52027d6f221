import { closeSync, openSync, statSync } from 'node:fs';
import { isFtpIdsError } from './errors.js';

/**
 * Exit codes, as grep and diff use them, on every command (docs/ARCHITECTURE.md, "Exit codes"):
 * 0 nothing flagged, 1 something flagged (only with --fail-on-alert), 2 trouble of any kind. A cron
 * job tests `[ $? -ge 2 ]` for "broken" and `[ $? -eq 1 ]` for "alerts".
 */
export const EXIT_OK = 0;
export const EXIT_FLAGGED = 1;
export const EXIT_ERROR = 2;

/**
 * Shared CLI plumbing: every bin/ file is `runCli('ftp-x', async () => {...})`.
 * - a closed stdout (`cmd | head -1`) ends the process quietly with exit 0;
 * - FtpIdsError -> "ftp-x: <where>: <message>" on stderr; a file that cannot be opened (ENOENT,
 *   EACCES, EISDIR, …) and an unknown option -> one line on stderr; all exit 2;
 * - anything else is a bug: "internal error" and the stack, exit 2 as well. A distinct code would tell
 *   a bug from bad input, but a script that branches on 0/1/2 (grep's contract) would then take a bug
 *   for something else; the words "internal error" on stderr are what tells them apart.
 */
export function runCli(name: string, main: () => Promise<number | void>): void {
  installEpipeHandler();
  main().then(
    (code) => {
      process.exitCode = typeof code === 'number' ? code : EXIT_OK;
    },
    (err: unknown) => {
      if (isEpipe(err)) {
        process.exit(0);
      }
      process.exitCode = EXIT_ERROR;
      if (isFtpIdsError(err)) {
        process.stderr.write(`${name}: ${err.describe()}\n`);
        return;
      }
      const e = err as { code?: string; message?: string; stack?: string; syscall?: string };
      // a system error of the input or output (ENOENT, EACCES, EISDIR, ENOTDIR, EMFILE, …): one line
      if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
        process.stderr.write(`${name}: ${e.message}\n`);
        return;
      }
      // parseArgs usage errors
      if (e && typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`${name}: ${e.message}\n`);
        return;
      }
      process.stderr.write(`${name}: internal error (a bug; please report it): ${e?.stack ?? String(err)}\n`);
    },
  );
}

/**
 * Open every named input (not "-") before anything is written to stdout, so a missing file fails
 * with exit 2 and an empty stdout rather than a CSV header that looks like "no alerts".
 */
export function checkInputsOpen(files: readonly string[]): void {
  for (const f of files) {
    if (f === '-') continue;
    closeSync(openSync(f, 'r'));
  }
}

export function isEpipe(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return !!e && (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED' || e.code === 'ERR_STREAM_WRITE_AFTER_END');
}

let epipeInstalled = false;
function installEpipeHandler(): void {
  if (epipeInstalled) return;
  epipeInstalled = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/** Progress lines on stderr, only when stderr is a terminal; rate-limited. */
export class Progress {
  private last = 0;
  private readonly enabled: boolean;
  constructor(private readonly name: string, enabled = !!process.stderr.isTTY, private readonly everyMs = 500) {
    this.enabled = enabled;
  }
  update(text: () => string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    process.stderr.write(`\r${this.name}: ${text()}\x1b[K`);
  }
  done(text?: string): void {
    if (!this.enabled) return;
    process.stderr.write(`\r${this.name}: ${text ?? 'done'}\x1b[K\n`);
  }
}

const mb = (n: number): string => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

/** Total size of the named regular files ("-" and pipes: unknown, NaN). */
export function inputBytes(files: readonly string[]): number {
  let total = 0;
  for (const f of files.length ? files : ['-']) {
    if (f === '-') return NaN;
    try {
      const st = statSync(f);
      if (!st.isFile()) return NaN;
      total += st.size;
    } catch {
      return NaN;
    }
  }
  return total;
}

/**
 * Progress of a long read: "12 MB of 300 MB (4 %), 1234 sessions, 45 MB/s". Bytes as read (a gzipped
 * capture's grow past its file size: then no total is shown).
 */
export class ReadProgress {
  private bytes = 0;
  private readonly t0 = Date.now();
  constructor(private readonly progress: Progress, private readonly total: number, private readonly unit: string) {}
  /** `items` is asked only when a line is printed (at most every half second) */
  read(n: number, items: () => number): void {
    this.bytes += n;
    this.progress.update(() => this.text(items()));
  }
  done(items: number): void {
    this.progress.done(`${this.text(items)}, ${((Date.now() - this.t0) / 1000).toFixed(1)} s`);
  }
  private text(items: number): string {
    const s = Math.max(1e-3, (Date.now() - this.t0) / 1000);
    const of = Number.isFinite(this.total) && this.bytes <= this.total && this.total > 0 ? ` of ${mb(this.total)} (${Math.floor((100 * this.bytes) / this.total)} %)` : '';
    return `${mb(this.bytes)}${of}, ${items} ${this.unit}, ${mb(this.bytes / s)}/s`;
  }
}

export function warn(name: string, msg: string): void {
  process.stderr.write(`${name}: warning: ${msg}\n`);
}
