/**
 * One error type for every stage. `code` is stable (tests and scripts match on it),
 * `where` says what input position the error is about (byte offset, line number, file).
 */
export interface ErrorWhere {
  file?: string;
  /** byte offset into the input (captures) */
  offset?: number;
  /** 1-based line number (text inputs) */
  line?: number;
}

export class FtpIdsError extends Error {
  readonly code: string;
  readonly where: ErrorWhere;
  constructor(code: string, message: string, where: ErrorWhere = {}) {
    super(message);
    this.name = 'FtpIdsError';
    this.code = code;
    this.where = where;
  }

  /** "file: line 12: message" / "file: byte offset 4096: message" */
  describe(): string {
    const parts: string[] = [];
    if (this.where.file) parts.push(this.where.file);
    if (this.where.line !== undefined) parts.push(`line ${this.where.line}`);
    if (this.where.offset !== undefined) parts.push(`byte offset ${this.where.offset}`);
    parts.push(this.message);
    return parts.join(': ');
  }
}

export function isFtpIdsError(e: unknown): e is FtpIdsError {
  return e instanceof FtpIdsError;
}

/**
 * A short description of an untrusted value for an error message, never the value whole: a
 * 10,000-deep array overflows JSON.stringify's stack and a 1 GB string has no place on one line.
 * Strings are cut to `maxChars` and quoted, numbers and booleans printed, containers named.
 */
export function describeValue(v: unknown, maxChars = 40): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > maxChars ? `${v.slice(0, maxChars)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Text without a leading UTF-8 byte order mark (editors on Windows write one; JSON.parse refuses it). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
