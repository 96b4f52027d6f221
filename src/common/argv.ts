import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FtpIdsError } from './errors.js';

/**
 * Command lines of every command, the same way: node's parseArgs (strict), plus `--version`; a word
 * it does not know is a usage error (exit 2) that names the word and points at the command's --help,
 * instead of node's text about positional arguments.
 */
type Options = NonNullable<ParseArgsConfig['options']>;
const VERSION_OPTION = { version: { type: 'boolean' } } as const;

export function parseCommand<O extends Options>(name: string, options: O, args?: string[], allowPositionals = true) {
  try {
    return parseArgs({ args, options: { ...options, ...VERSION_OPTION }, allowPositionals, strict: true });
  } catch (e) {
    throw usageError(name, e);
  }
}

/** node's ERR_PARSE_ARGS_* error → one line: what is wrong, and where to look. */
export function usageError(name: string, e: unknown): unknown {
  const err = e as { code?: string; message?: string };
  if (!err || typeof err.code !== 'string' || !err.code.startsWith('ERR_PARSE_ARGS')) return e;
  const unknown = /^Unknown option '([^']+)'/.exec(err.message ?? '');
  const text = unknown
    ? `unknown option ${unknown[1]}`
    : /^Unexpected argument '([^']+)'/.test(err.message ?? '')
      ? `unexpected argument ${/'([^']+)'/.exec(err.message!)![1]}`
      : (err.message ?? 'bad command line').split('. ')[0]!.replace(/^Option /, 'option ');
  return new FtpIdsError('USAGE', `${text} (see ${name} --help)`);
}

let version: string | undefined;
/** This package's version (package.json, found upwards from this module: src/ and dist/src/ alike). */
export function packageVersion(): string {
  if (version !== undefined) return version;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ftp-ids') return (version = pkg.version ?? 'unknown');
    }
    dir = dirname(dir);
  }
  return (version = 'unknown');
}

/** `NAME VERSION` on stdout, as `--version` prints it. */
export function versionLine(name: string): string {
  return `${name} ${packageVersion()}\n`;
}
