import { FtpIdsError } from '../common/errors.js';

/**
 * A small RFC 4180 CSV tokenizer as a state machine: push(chunk) / end(), one callback per
 * record with the 1-based line number the record starts on. Quoted fields may hold commas,
 * quotes ("") and line breaks; CRLF and LF both end a record. Bounded: a record longer than
 * `maxRecordChars` is an error naming its line (a hostile file cannot make us buffer forever).
 */
export interface CsvTokenizerOptions {
  maxRecordChars: number;
  file?: string;
}

export class CsvTokenizer {
  private field = '';
  private record: string[] = [];
  private inQuotes = false;
  private quoteSeen = false; // previous char was a quote inside a quoted field
  private fieldStarted = false;
  private recordChars = 0;
  private line = 1;
  private recordLine = 1;
  private pendingCR = false;

  constructor(
    private readonly opts: CsvTokenizerOptions,
    private readonly onRecord: (fields: string[], line: number) => void,
  ) {}

  /** no record begun: the input so far ends exactly at the end of a record */
  get atRecordBoundary(): boolean {
    return !this.inQuotes && !this.fieldStarted && this.field === '' && this.record.length === 0;
  }

  push(chunk: string): void {
    const s = chunk;
    let i = 0;
    const n = s.length;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (this.pendingCR) {
        this.pendingCR = false;
        if (c === 10) {
          i++;
          continue;
        }
      }
      if (this.inQuotes) {
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (c === 34) {
            this.field += '"';
            i++;
            continue;
          }
          this.inQuotes = false; // closing quote; fall through to unquoted handling of c
        } else {
          // fast path: copy up to the next quote
          const q = s.indexOf('"', i);
          const end = q === -1 ? n : q;
          if (end > i) {
            const part = s.slice(i, end);
            for (let k = 0; k < part.length; k++) if (part.charCodeAt(k) === 10) this.line++;
            this.field += part;
            this.bump(part.length);
            i = end;
            continue;
          }
          this.quoteSeen = true;
          i++;
          continue;
        }
      }
      if (c === 44) {
        this.record.push(this.field);
        this.field = '';
        this.fieldStarted = false;
        this.bump(1);
        i++;
      } else if (c === 10 || c === 13) {
        this.finishRecord();
        this.line++;
        if (c === 13) this.pendingCR = true;
        i++;
      } else if (c === 34 && !this.fieldStarted) {
        this.inQuotes = true;
        this.fieldStarted = true;
        i++;
      } else if (c === 34) {
        throw new FtpIdsError('CSV_SYNTAX', 'a quote inside an unquoted field', { file: this.opts.file, line: this.line });
      } else {
        // fast path: copy up to the next delimiter
        let j = i;
        while (j < n) {
          const d = s.charCodeAt(j);
          if (d === 44 || d === 10 || d === 13 || d === 34) break;
          j++;
        }
        this.field += s.slice(i, j);
        this.fieldStarted = true;
        this.bump(j - i);
        i = j;
      }
    }
  }

  end(): void {
    if (this.inQuotes && !this.quoteSeen) {
      throw new FtpIdsError('CSV_SYNTAX', 'input ends inside a quoted field', { file: this.opts.file, line: this.recordLine });
    }
    this.inQuotes = false;
    this.quoteSeen = false;
    if (this.fieldStarted || this.record.length > 0 || this.field !== '') this.finishRecord();
  }

  private bump(k: number): void {
    this.recordChars += k;
    if (this.recordChars > this.opts.maxRecordChars) {
      throw new FtpIdsError('CSV_RECORD_TOO_LONG', `record longer than ${this.opts.maxRecordChars} characters (maxRecordChars)`, {
        file: this.opts.file,
        line: this.recordLine,
      });
    }
  }

  private finishRecord(): void {
    if (this.inQuotes) return;
    this.record.push(this.field);
    const rec = this.record;
    const line = this.recordLine;
    this.record = [];
    this.field = '';
    this.fieldStarted = false;
    this.recordChars = 0;
    this.recordLine = this.line + 1;
    // a blank line is not a record
    if (rec.length === 1 && rec[0] === '') return;
    this.onRecord(rec, line);
  }
}
