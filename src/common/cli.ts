import { isFtpIdsError } from './errors.js';

/**
 * Shared CLI plumbing: every bin/ file is `runCli('ftp-x', async () => {...})`.
 * - a closed stdout (`cmd | head -1`) ends the process quietly with exit 0;
 * - FtpIdsError -> "ftp-x: <where>: <message>" on stderr, exit 1 (exit 2 for usage errors);
 * - anything else is a bug: print the stack, exit 70.
 */
export function runCli(name: string, main: () => Promise<number | void>): void {
  installEpipeHandler();
  main().then(
    (code) => {
      process.exitCode = typeof code === 'number' ? code : 0;
    },
    (err: unknown) => {
      if (isEpipe(err)) {
        process.exit(0);
      }
      if (isFtpIdsError(err)) {
        process.stderr.write(`${name}: ${err.describe()}\n`);
        process.exitCode = err.code === 'USAGE' || err.code === 'INVALID_OPTION' ? 2 : 1;
        return;
      }
      const e = err as { code?: string; message?: string; stack?: string };
      if (e && typeof e.code === 'string' && (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR')) {
        process.stderr.write(`${name}: ${e.message}\n`);
        process.exitCode = 1;
        return;
      }
      // commander / parseArgs usage errors
      if (e && typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`${name}: ${e.message}\n`);
        process.exitCode = 2;
        return;
      }
      process.stderr.write(`${name}: internal error: ${e?.stack ?? String(err)}\n`);
      process.exitCode = 70;
    },
  );
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

export function warn(name: string, msg: string): void {
  process.stderr.write(`${name}: warning: ${msg}\n`);
}
