import { StringDecoder } from 'node:string_decoder';
import { FtpIdsError } from '../common/errors.js';
import { optInt } from '../common/options.js';
import { parseTime } from '../common/time.js';
import { CsvTokenizer } from './csv-lines.js';
import { REQUIRED_COLUMNS, type Exchange, type Session } from './types.js';

export interface DatasetReaderOptions {
  /** bound on one CSV record, in characters */
  maxRecordChars: number;
  /** bound on the exchanges of one session (a hostile dataset cannot exhaust memory) */
  maxExchangesPerSession: number;
  /**
   * 'contiguous': a session ends when flow_id changes (streaming; ftp-extract writes rows of a
   * flow together). A flow_id that reappears after its session ended is an error, never merged
   * silently.
   */
  file?: string;
}

export function normalizeDatasetReaderOptions(raw: Record<string, unknown> = {}): DatasetReaderOptions {
  return Object.freeze({
    maxRecordChars: optInt(raw, 'maxRecordChars', 1 << 20, 64),
    maxExchangesPerSession: optInt(raw, 'maxExchangesPerSession', 1_000_000, 1),
    file: typeof raw.file === 'string' ? raw.file : undefined,
  });
}

const splitList = (s: string, sep: string): string[] => (s === '' ? [] : s.split(sep).filter((x) => x !== ''));

/**
 * Reads ftp-extract CSV text and emits one Session per flow as soon as its rows end
 * (flow_id changes) — so ftp-match can alert while the input is still streaming.
 * State machine: push(text) / end(); sessions out through the callback. Counters:
 * `rows`, `sessions`, `truncatedSessions` (exchanges beyond maxExchangesPerSession dropped and counted).
 */
export class DatasetReader {
  private readonly tokenizer: CsvTokenizer;
  private col: Record<string, number> | null = null;
  private current: Session | null = null;
  private readonly ended = new Set<string>();
  /** the session idle() handed on; its flow's rows may still continue (then: a second session, counted) */
  private idleFlushed: string | null = null;
  readonly counters = { rows: 0, sessions: 0, droppedExchanges: 0, sessionsSplitByIdle: 0 };
  private readonly opts: DatasetReaderOptions;
  // bytes arrive in arbitrary chunks: a UTF-8 character split across two must not become two U+FFFD
  private readonly decoder = new StringDecoder('utf8');

  constructor(options: Record<string, unknown> | DatasetReaderOptions, private readonly onSession: (s: Session) => void) {
    this.opts = normalizeDatasetReaderOptions(options as Record<string, unknown>);
    this.tokenizer = new CsvTokenizer({ maxRecordChars: this.opts.maxRecordChars, file: this.opts.file }, (f, line) =>
      this.onRecord(f, line),
    );
  }

  push(chunk: string | Buffer): void {
    this.tokenizer.push(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  /**
   * The input paused (a live pipe: nothing more for a while): hand on the session being read when the
   * input ends exactly at a record's end. ftp-extract writes a flow's rows together, so a pause after
   * them is the end of the session; should its rows continue after all (a writer that pauses inside a
   * flow), they become a second session of the same flow, counted in sessionsSplitByIdle.
   */
  idle(): void {
    if (!this.current || !this.tokenizer.atRecordBoundary) return;
    const id = this.current.flowId;
    this.flush();
    this.idleFlushed = id;
  }

  /** A session an earlier reader left open (`--state`): this input's rows of the same flow continue it. */
  resume(s: Session): void {
    if (this.current) throw new FtpIdsError('USAGE', 'DatasetReader.resume after rows were read');
    this.current = s;
  }

  /** As end(), but the last session is returned instead of handed on (the next file may continue it). */
  endKeeping(): Session | null {
    this.endInput();
    const held = this.current;
    this.current = null;
    return held;
  }

  end(): void {
    this.endInput();
    this.flush();
  }

  /** the input's last bytes and record; a file without even a header is an error */
  private endInput(): void {
    const rest = this.decoder.end();
    if (rest) this.tokenizer.push(rest);
    this.tokenizer.end();
    if (this.col === null) {
      throw new FtpIdsError('DATASET_EMPTY', 'no header line: expected a CSV with columns ' + REQUIRED_COLUMNS.join(', '), {
        file: this.opts.file,
        line: 1,
      });
    }
  }

  private onRecord(fields: string[], line: number): void {
    if (this.col === null) {
      const col: Record<string, number> = {};
      fields.forEach((name, i) => (col[name.trim().replace(/^\uFEFF/, '')] = i));
      for (const need of REQUIRED_COLUMNS) {
        if (!(need in col)) {
          throw new FtpIdsError('DATASET_HEADER', `missing column "${need}" in the header (have: ${fields.join(',')})`, {
            file: this.opts.file,
            line,
          });
        }
      }
      this.col = col;
      return;
    }
    const col = this.col;
    const get = (name: string): string => {
      const i = col[name];
      return i === undefined ? '' : (fields[i] ?? '');
    };
    const width = Object.keys(col).length;
    if (fields.length !== width) {
      throw new FtpIdsError('DATASET_ROW', `expected ${width} fields, found ${fields.length}`, { file: this.opts.file, line });
    }
    this.counters.rows++;
    const flowId = get('flow_id');
    if (flowId === '') throw new FtpIdsError('DATASET_ROW', 'empty flow_id', { file: this.opts.file, line });
    // a new flow completes the previous session: hand it on before validating this row,
    // so an error here loses nothing that was already complete
    if (this.current && this.current.flowId !== flowId) this.flush();
    const command = get('command');
    if (command === '') throw new FtpIdsError('DATASET_ROW', 'empty command', { file: this.opts.file, line });
    const finalCode = get('final_code');
    if (finalCode !== '' && !/^\d{3}$/.test(finalCode)) {
      throw new FtpIdsError('DATASET_ROW', `final_code must be three digits or empty, got "${finalCode}"`, {
        file: this.opts.file,
        line,
      });
    }
    if (!this.current) {
      if (flowId === this.idleFlushed) this.counters.sessionsSplitByIdle++;
      else if (this.ended.has(flowId)) {
        throw new FtpIdsError('DATASET_ORDER', `rows of flow ${flowId} are not contiguous (its session already ended)`, {
          file: this.opts.file,
          line,
        });
      }
      const port = (name: string): number => {
        const v = get(name);
        return v === '' ? 0 : Number(v);
      };
      this.current = {
        flowId,
        communityId: get('community_id'),
        clientIp: get('client_ip'),
        clientPort: port('client_port'),
        serverIp: get('server_ip'),
        serverPort: port('server_port'),
        label: get('label') || 'other',
        end: get('flow_end'),
        exchanges: [],
      };
    }
    const s = this.current;
    if (s.exchanges.length >= this.opts.maxExchangesPerSession) {
      this.counters.droppedExchanges++;
      return;
    }
    const idxText = get('index');
    // the index is a position in the session: a non-negative integer. "1e400" (Infinity) as a
    // transaction time once sent the windowed miner into an endless loop (fuzz, seed 23)
    if (idxText !== '' && !(/^\d{1,15}$/.test(idxText))) {
      throw new FtpIdsError('DATASET_VALUE', `index must be a non-negative integer, got "${idxText.slice(0, 40)}"`, { file: this.opts.file, line });
    }
    const num = (name: string): number => {
      const v = get(name);
      if (v === '') return NaN;
      // epoch seconds, or ISO 8601 (ftp-extract --time-format iso: "2026-…T…", a '-' at offset 4)
      let t: number;
      try {
        t = v.charCodeAt(4) !== 45 ? Number(v) : parseTime(v);
      } catch (e) {
        throw new FtpIdsError('DATASET_VALUE', `${name}: ${(e as Error).message}`, { file: this.opts.file, line });
      }
      if (!Number.isFinite(t)) throw new FtpIdsError('DATASET_VALUE', `${name} is not a finite time: "${v.slice(0, 40)}"`, { file: this.opts.file, line });
      return t;
    };
    const replyCodesText = get('reply_codes');
    s.exchanges.push({
      index: idxText === '' ? s.exchanges.length : Number(idxText),
      tsRequest: num('ts_request'),
      tsReply: num('ts_reply'),
      command,
      arg: get('arg'),
      replyCodes: replyCodesText === '' ? (finalCode === '' ? [] : [finalCode]) : splitList(replyCodesText, ' '),
      finalCode,
      flags: splitList(get('flags'), ';'),
      tags: splitList(get('tags'), ';'),
      replyPath: get('reply_path'),
      dataBytes: num('data_bytes'),
      dataFlags: splitList(get('data_flags'), ';'),
      line,
    });
  }

  private flush(): void {
    if (!this.current) return;
    const s = this.current;
    this.current = null;
    this.idleFlushed = null;
    // a bounded set: ids of ended sessions, only to detect non-contiguous input
    if (this.ended.size >= 1_000_000) this.ended.clear();
    this.ended.add(s.flowId);
    this.counters.sessions++;
    this.onSession(s);
  }
}

/** Convenience for tests and small inputs: all sessions of a CSV text. */
export function parseDataset(text: string, options: Record<string, unknown> = {}): Session[] {
  const out: Session[] = [];
  const r = new DatasetReader(options, (s) => out.push(s));
  r.push(text);
  r.end();
  return out;
}
