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
