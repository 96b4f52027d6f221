/**
 * The exchange dataset as the miner and the matcher see it (parsed from ftp-extract's CSV,
 * docs/ARCHITECTURE.md §3). One Session per control connection, its exchanges in index order.
 */
export interface Exchange {
  index: number;
  /** seconds; NaN when the column was empty */
  tsRequest: number;
  /** seconds; NaN when no reply came */
  tsReply: number;
  command: string;
  arg: string;
  /** all reply codes, in order, e.g. ['150','226'] */
  replyCodes: string[];
  /** '' when the command got no reply */
  finalCode: string;
  flags: string[];
  tags: string[];
  /** the quoted path of a 257 reply (PWD, MKD): `/home/erin`; '' otherwise */
  replyPath: string;
  /** a transfer's data connection (ftp-extract's data_bytes, data_flags): its bytes (NaN: none known) and flags */
  dataBytes?: number;
  dataFlags?: string[];
  /** 1-based line of the CSV row (for messages) */
  line: number;
}

export interface Session {
  flowId: string;
  communityId: string;
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  label: string;
  /**
   * how the control connection ended, as ftp-flows saw it: `fin`, `rst`, `idle`, `evicted`, `eof`;
   * '' when unknown (Zeek or Suricata input, older datasets)
   */
  end: string;
  exchanges: Exchange[];
}

/** The columns a dataset must have (ftp-extract writes more; readers ignore unknown ones). */
export const REQUIRED_COLUMNS = ['flow_id', 'command', 'final_code'] as const;

/** Every column ftp-extract writes, in order. */
export const DATASET_COLUMNS = [
  'flow_id',
  'community_id',
  'client_ip',
  'client_port',
  'server_ip',
  'server_port',
  'label',
  'index',
  'ts_request',
  'ts_reply',
  'command',
  'arg',
  'reply_codes',
  'final_code',
  'flags',
  'tags',
  'flow_end',
  'reply_path',
  // the data connection of a transfer command (ftp-flows data records); empty on other rows
  'data_bytes',
  'data_direction',
  'data_duration',
  'data_mode',
  'data_peer',
  'data_type',
  'data_flags',
] as const;
