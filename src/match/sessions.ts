import { FtpIdsError } from '../common/errors.js';
import type { Exchange, Session } from '../dataset/types.js';
import type { ExchangeRow } from '../extract/types.js';

/** ftp-extract's row objects (docs/ARCHITECTURE.md §3): the in-process pipeline hands them over without CSV. */
export type ExchangeRowLike = ExchangeRow;

const splitList = (s: string, sep: string): string[] => (s === '' ? [] : s.split(sep).filter((x) => x !== ''));

/** The Exchange the dataset reader would build from the CSV text of this row (same values, `line` 0). */
export function rowToExchange(r: ExchangeRowLike): Exchange {
  const tsNum = (v: number | null | undefined): number => (v === null || v === undefined ? NaN : Number(v));
  return {
    index: r.index,
    tsRequest: tsNum(r.ts_request),
    tsReply: tsNum(r.ts_reply),
    command: r.command,
    arg: r.arg,
    replyCodes: r.reply_codes === '' ? (r.final_code === '' ? [] : [r.final_code]) : splitList(r.reply_codes, ' '),
    finalCode: r.final_code,
    flags: splitList(r.flags, ';'),
    tags: splitList(r.tags, ';'),
    replyPath: r.reply_path ?? '',
    dataBytes: tsNum(r.data_bytes),
    dataFlags: splitList(r.data_flags ?? '', ';'),
    line: 0,
  };
}

/**
 * Rows in, sessions out: a session ends when flow_id changes (ftp-extract emits a flow's rows
 * together), exactly as DatasetReader does for the CSV, so both paths give the same sessions.
 * Bounded like the reader: exchanges beyond maxExchangesPerSession are dropped and counted.
 */
export class RowSessionizer {
  private current: Session | null = null;
  readonly counters = { rows: 0, sessions: 0, droppedExchanges: 0 };
  constructor(private readonly onSession: (s: Session) => void, private readonly maxExchangesPerSession = 1_000_000) {}

  push(r: ExchangeRowLike): void {
    this.counters.rows++;
    if (this.current && this.current.flowId !== r.flow_id) this.flush();
    if (!this.current) {
      if (!r.flow_id) throw new FtpIdsError('BAD_ROW', 'exchange row without flow_id');
      this.current = {
        flowId: r.flow_id,
        communityId: r.community_id,
        clientIp: r.client_ip,
        clientPort: Number(r.client_port) || 0,
        serverIp: r.server_ip,
        serverPort: Number(r.server_port) || 0,
        label: r.label || 'other',
        end: r.flow_end ?? '',
        exchanges: [],
      };
    }
    if (this.current.exchanges.length >= this.maxExchangesPerSession) {
      this.counters.droppedExchanges++;
      return;
    }
    this.current.exchanges.push(rowToExchange(r));
  }

  /** Close the current session (the end of a flow's rows, when the caller knows it). */
  flush(): void {
    if (!this.current) return;
    const s = this.current;
    this.current = null;
    this.counters.sessions++;
    this.onSession(s);
  }

  end(): void {
    this.flush();
  }
}
