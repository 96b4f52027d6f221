/**
 * Exchange extraction (ftp-extract core): flow record in → exchange rows out, no streams.
 *
 *   chunks ─► LineSplitter (per direction) ─► parseRequest / ReplyAssembler ─► pairing ─► rows
 *
 * Pairing (as Zeek's FTP analyzer): commands wait in a FIFO; each completed reply goes to the oldest
 * waiting command. A 1xx reply is preliminary: the command keeps waiting for its final reply, and
 * both codes are kept (`RETR` → `150 226`). The server's first reply is the greeting (`<greeting>`,
 * index 0) unless the flow was picked up mid-stream (`no_syn`) and that reply is not a 220. A reply
 * with no command waiting is `<unsolicited>`. A hole (`gap` chunk) writes the waiting commands as
 * they stand (flag `gap`) and a `<gap>` row: replies after a hole are never given to commands sent
 * before it. `AUTH TLS`/`AUTH SSL` answered 234 ends extraction with an `<encrypted>` row.
 */
import { FtpIdsError } from '../common/errors.js';
import { LineSplitter } from './lines.js';
import { normalizeExtractOptions, type ExtractOptions } from './options.js';
import { ReplyAssembler, type Reply } from './replies.js';
import { parseRequest } from './requests.js';
import { argumentTags } from './tags.js';
import { pushChunk, EMPTY, ENCRYPTED, GAP, GREETING, UNSOLICITED, type DataRecord, type ExchangeRow, type FlowRecord } from './types.js';
import { parseEprtArg, parseEpsvReply, parsePasvReply, parsePortArg, TRANSFER_COMMANDS, type Announcement } from '../common/ftp-data.js';

/** bound: servers whose label is remembered for their empty connections (oldest forgotten, counted) */
export const MAX_SERVER_LABELS = 65_536;

const F_UNANSWERED = 1;
const F_OVERLONG = 2;
const F_INVALID_REPLY = 4;
const F_MULTILINE = 8;
const F_PIPELINED = 16;
const F_GAP = 32;
const F_PENDING_OVERFLOW = 64;
const F_TRUNCATED = 128;
/** sent while an earlier command waited (internal: pipelined once a reply shows the overlap) */
const F_WAITED = 256;
const FLAG_NAMES: [number, string][] = [
  [F_UNANSWERED, 'unanswered'],
  [F_OVERLONG, 'overlong'],
  [F_INVALID_REPLY, 'invalid_reply'],
  [F_MULTILINE, 'multiline'],
  [F_PIPELINED, 'pipelined'],
  [F_GAP, 'gap'],
  [F_PENDING_OVERFLOW, 'pending_overflow'],
  [F_TRUNCATED, 'truncated'],
];
const FLAG_STRINGS: string[] = [];
for (let bits = 0; bits < 256; bits++) {
  FLAG_STRINGS.push(FLAG_NAMES.filter(([b]) => bits & b).map(([, n]) => n).join(';'));
}

/** Exchange under construction. */
interface Pending {
  index: number;
  command: string;
  arg: string;
  tags: string;
  tsRequest: number;
  tsReply: number | null;
  /** the reply codes, space-separated (a string, not an array: one object less per row) */
  codes: string;
  /** the last of them ('' none) */
  final: string;
  replies: number;
  flags: number;
  replyPath: string;
}

/** A data endpoint announced in the session: by the exchange `index` (PORT/EPRT, or PASV/EPSV answered 227/229). */
interface SessionAnnouncement {
  index: number;
  mode: Announcement['mode'];
  /** canonical address (EPSV: the control connection's server) */
  ip: string;
  port: number;
  ts: number;
  /** a transfer command took it */
  used: boolean;
}

export type RowSink = (row: ExchangeRow) => void;

export interface ExchangeExtractor {
  /** Extract every exchange of one flow (rows go to the callback before this returns). */
  pushFlow(flow: FlowRecord): void;
  /**
   * A data record (ftp-flows writes it when the data connection ends, before its control flow's
   * record): held until its control flow comes, bounded by maxDataRecords (the oldest dropped, counted).
   */
  pushData(data: DataRecord): void;
  end(): void;
  /** each server's label as its talking connections showed it (for its empty ones): carried between runs */
  serverLabels: [string, string][];
  readonly options: ExtractOptions;
}

export function createExchangeExtractor(rawOptions: Record<string, unknown> | ExtractOptions, onRow: RowSink): ExchangeExtractor {
  const options = normalizeExtractOptions(rawOptions as Record<string, unknown>);
  const c = options.counters;
  let warnedTime = false;
  // the label each server's last talking connection got: an empty connection has no greeting of its
  // own, but it went to a server whose greeting other connections showed
  const serverLabels = new Map<string, string>();
  /** data records by control flow id, waiting for it (a Map keeps insertion order: the oldest go first) */
  const waiting = new Map<string, DataRecord[]>();
  let held = 0;
  const sharedRow = options.reuseRows ? newRow() : null;
  return {
    options,
    pushData(data: DataRecord): void {
      c.add('extract.data_records');
      while (held >= options.maxDataRecords) {
        const [id, list] = waiting.entries().next().value as [string, DataRecord[]];
        waiting.delete(id);
        held -= list.length;
        c.add('extract.data_dropped', list.length);
      }
      const list = waiting.get(data.control);
      if (list) list.push(data);
      else waiting.set(data.control, [data]);
      held++;
    },
    pushFlow(flow: FlowRecord): void {
      const data = waiting.get(flow.id);
      if (data) {
        waiting.delete(flow.id);
        held -= data.length;
      }
      const session = new FlowSession(flow, options, onRow, data ?? NO_DATA, sharedRow);
      session.run();
      const server = `${flow.server?.ip}:${flow.server?.port}`;
      if (session.rows === 0) {
        c.add('extract.empty_connections');
        // per server, bounded like the label memory: beyond it, one counter for the rest
        const key = serverLabels.has(server) || serverLabels.size < MAX_SERVER_LABELS ? server : 'other_servers';
        c.add(`extract.empty_connections.${key}`);
        session.emptyRow(flow.label ?? serverLabels.get(server));
      } else if (flow.label === undefined) {
        serverLabels.delete(server); // most recently seen last
        if (serverLabels.size >= MAX_SERVER_LABELS) {
          serverLabels.delete(serverLabels.keys().next().value as string);
          c.add('extract.server_labels_forgotten');
        }
        serverLabels.set(server, session.label);
      }
      c.add('extract.data_linked', session.dataLinked);
      c.add('extract.data_unmatched', session.data.length - session.dataLinked);
      c.add('extract.flows');
      c.add('extract.rows', session.rows);
      if (session.stopped) c.add('extract.encrypted_flows');
      c.add('extract.overlong_lines', session.overlongLines());
      c.add('extract.partial_line_bytes_dropped', session.droppedBytes());
      c.add('extract.pending_overflow', session.pendingOverflow);
      if (session.timeBackwards) {
        c.add('extract.time_backwards_flows');
        if (!warnedTime) {
          warnedTime = true;
          options.onWarning(
            `flow ${String(flow.id)}: capture time goes backwards (a clock step or merged captures): replies are paired with commands in stream order; such flows are counted in extract.time_backwards_flows`,
          );
        }
      }
    },
    end(): void {
      // data records whose control flow never came (it came first, or not at all)
      c.add('extract.data_unlinked', held);
      waiting.clear();
      held = 0;
    },
    get serverLabels(): [string, string][] {
      return [...serverLabels];
    },
    set serverLabels(list: [string, string][]) {
      for (const [k, v] of list.slice(-MAX_SERVER_LABELS)) if (typeof k === 'string' && typeof v === 'string') serverLabels.set(k, v);
    },
  };
}

const NO_DATA: DataRecord[] = [];

/** a row with every column (reuseRows: one object, refilled; the data columns absent = undefined) */
function newRow(): ExchangeRow {
  return {
    flow_id: '', community_id: '', client_ip: '', client_port: 0, server_ip: '', server_port: 0, label: '', index: 0, ts_request: 0,
    ts_reply: null, command: '', arg: '', reply_codes: '', final_code: '', flags: '', tags: '', flow_end: '', reply_path: '',
    data_bytes: undefined, data_direction: undefined, data_duration: undefined, data_mode: undefined, data_peer: undefined,
    data_type: undefined, data_flags: undefined,
  };
}

class FlowSession {
  private readonly queue: Pending[] = [];
  private head = 0;
  private nextIndex = 1;
  private greeting: Pending | null = null;
  private greetingDone = false;
  private replyLineOverlong = false;
  /** the quoted path of the reply being attached (257 only) */
  private replyPath = '';
  stopped = false;
  /** a direction's capture time went backwards (see run) */
  timeBackwards = false;
  /** queue positions below this are flagged pipelined already (see overlapped) */
  private pipelinedTo = 0;
  rows = 0;
  pendingOverflow = 0;
  private readonly client: LineSplitter;
  private readonly server: LineSplitter;
  private readonly replies: ReplyAssembler;
  readonly label: string;
  private readonly noSyn: boolean;
  /** data endpoints announced so far, in order */
  private readonly announced: SessionAnnouncement[] = [];
  /** what the 227/229 reply being attached announces */
  private replyAnnounce: Announcement | null = null;
  /** data records of this flow used by a transfer command */
  private readonly dataUsed = new Set<DataRecord>();
  dataLinked = 0;

  constructor(
    private readonly flow: FlowRecord,
    private readonly o: ExtractOptions,
    private readonly onRow: RowSink,
    /** the data records of this control flow (ftp-flows), in the order they came */
    readonly data: DataRecord[] = NO_DATA,
    /** reuseRows: the row object every row is written into */
    private readonly sharedRow: ExchangeRow | null = null,
  ) {
    this.client = new LineSplitter(o.maxLineBytes, (buf, start, end, overlong, ts, cut) => this.clientLine(buf, start, end, overlong, ts, cut));
    this.server = new LineSplitter(o.maxLineBytes, (buf, start, end, overlong, ts, cut) => this.serverLine(buf, start, end, overlong, ts, cut));
    this.replies = new ReplyAssembler(o.maxReplyLines);
    this.label = flow.label ?? o.labelOf(flow);
    this.noSyn = !!flow.flags && flow.flags.includes('no_syn');
  }

  /**
   * Chunks are taken in the record's order — the order ftp-flows delivered them, which is stream
   * order — with one exception: ftp-flows releases bytes held behind a hole when the hole is given
   * up, which can be after the other direction's later bytes; when every direction's own times go
   * forward, the chunks are taken in timestamp order across the two directions, each direction's
   * own order kept (a two-way merge), which puts them back in place. When a direction's time goes
   * backwards (a clock step, captures merged), times cannot order anything: stream order it is
   * (`timeBackwards`, counted and warned about once by the extractor).
   *
   * A direction ftp-flows cut at --max-flow-bytes (`truncated_c`/`truncated_s`) ends right after
   * its last kept bytes: its unterminated line is a line there, flagged overlong and truncated,
   * and is answered by the replies that follow it.
   */
  run(): void {
    const chunks = this.flow.chunks;
    if (!Array.isArray(chunks)) throw new FtpIdsError('BAD_FLOW', `flow ${this.flow.id}: chunks is not an array`);
    const n = chunks.length;
    let recordForward = true;
    let dirForward = true;
    let prev = -Infinity;
    // (one variable per direction, not an object indexed by dir: a keyed access per chunk)
    let prevC = -Infinity;
    let prevS = -Infinity;
    let lastDataC = -1;
    let lastDataS = -1;
    for (let i = 0; i < n; i++) {
      const ch = chunks[i];
      const dir = ch.dir;
      const ts = ch.ts;
      if (ts < prev) recordForward = false;
      if (dir === 'c') {
        if (ts < prevC) dirForward = false;
        prevC = ts;
        if (ch.data !== undefined) lastDataC = i;
      } else if (dir === 's') {
        if (ts < prevS) dirForward = false;
        prevS = ts;
        if (ch.data !== undefined) lastDataS = i;
      } else throw new FtpIdsError('BAD_FLOW', `flow ${this.flow.id}: chunk ${i}: dir must be "c" or "s"`);
      prev = ts;
    }
    this.timeBackwards = !dirForward;
    const flags = this.flow.flags ?? [];
    const cutC = flags.includes('truncated_c') ? lastDataC : -1;
    const cutS = flags.includes('truncated_s') ? lastDataS : -1;
    const take = (i: number): void => {
      const ch = chunks[i];
      if (typeof ch.gap === 'number') this.gap(ch.dir, ch.gap, ch.ts);
      else if (ch.data !== undefined) pushChunk(ch.dir === 'c' ? this.client : this.server, ch);
      else throw new FtpIdsError('BAD_FLOW', `flow ${this.flow.id}: chunk ${i}: neither data nor gap`);
      if (i === cutC) this.client.end(true, ch.ts);
      else if (i === cutS) this.server.end(true, ch.ts);
    };
    if (recordForward || !dirForward) {
      for (let i = 0; i < n && !this.stopped; i++) take(i);
    } else {
      const nextOf = (dir: 'c' | 's', from: number): number => {
        let i = from;
        while (i < n && chunks[i].dir !== dir) i++;
        return i;
      };
      let ci = nextOf('c', 0);
      let si = nextOf('s', 0);
      while ((ci < n || si < n) && !this.stopped) {
        let i: number;
        if (si >= n || (ci < n && (chunks[ci].ts < chunks[si].ts || (chunks[ci].ts === chunks[si].ts && ci < si)))) {
          i = ci;
          ci = nextOf('c', ci + 1);
        } else {
          i = si;
          si = nextOf('s', si + 1);
        }
        take(i);
      }
    }
    if (!this.stopped) {
      this.client.end(flags.includes('truncated_c'), this.flow.last_ts);
      this.server.end(flags.includes('truncated_s'), this.flow.last_ts);
      if (this.greeting) {
        const g = this.greeting;
        this.greeting = null;
        this.greetingDone = true;
        this.emit(g);
      }
      this.flushPending(0);
    }
  }

  /** The one row of a connection that carried no complete line (EMPTY), labelled `label` when given. */
  emptyRow(label?: string): void {
    const f = this.flow;
    const bytes = (f.bytes?.c ?? 0) + (f.bytes?.s ?? 0);
    const arg = f.packets && f.packets.s === 0 ? 'no_reply' : bytes === 0 && f.chunks.length === 0 ? 'no_payload' : 'partial_line';
    const p = this.pseudo(EMPTY, arg, f.first_ts, 0);
    p.tsReply = f.last_ts;
    p.replies = 0;
    const own = this.label;
    if (label !== undefined) (this as { label: string }).label = label;
    this.emit(p);
    (this as { label: string }).label = own;
  }

  overlongLines(): number {
    return this.client.overlongLines + this.server.overlongLines;
  }

  droppedBytes(): number {
    return this.client.droppedPartialBytes + this.server.droppedPartialBytes;
  }

  private get waiting(): number {
    return this.queue.length - this.head;
  }

  private clientLine(buf: Buffer, start: number, end: number, overlong: boolean, ts: number, cut = false): void {
    if (this.stopped || end === start) return;
    const req = parseRequest(buf, this.o.maxCommandBytes, start, end);
    let flags = overlong || req.overlongCommand ? F_OVERLONG : 0;
    if (cut) flags |= F_TRUNCATED;
    if (this.waiting > 0) flags |= F_WAITED;
    if (this.waiting >= this.o.maxPendingCommands) {
      const oldest = this.queue[this.head++];
      oldest.flags |= F_PENDING_OVERFLOW;
      this.pendingOverflow++;
      this.emit(oldest);
      this.compact();
    }
    const tags = argumentTags(req.command, req.arg, this.flow.client.ip);
    if (req.command === 'PORT' || req.command === 'EPRT') {
      this.announce(req.command === 'PORT' ? parsePortArg(req.arg) : parseEprtArg(req.arg), this.nextIndex, ts);
    }
    this.queue.push({
      index: this.nextIndex++,
      command: req.command,
      arg: req.arg,
      tags: tags.length === 0 ? '' : tags.join(';'),
      tsRequest: ts,
      tsReply: null,
      codes: '',
      final: '',
      replyPath: '',
      replies: 0,
      flags,
    });
  }

  private serverLine(buf: Buffer, start: number, end: number, overlong: boolean, ts: number, cut = false): void {
    if (this.stopped) return;
    if (overlong) this.replyLineOverlong = true;
    const reply = this.replies.line(buf, start, end);
    if (!reply) return;
    const extra = (this.replyLineOverlong || reply.overlong ? F_OVERLONG : 0) | (cut ? F_TRUNCATED : 0);
    this.replyLineOverlong = false;
    // the directory a 257 reply names (PWD, MKD): the session context needs the login directory
    this.replyPath = reply.code === '257' && !overlong ? quotedPath(buf, start, end) : '';
    // the data endpoint a 227/229 reply names (its last line: the one that completes it)
    this.replyAnnounce =
      reply.code === '227' ? parsePasvReply(buf.toString('latin1', Math.min(start + 4, end), end)) : reply.code === '229' ? parseEpsvReply(buf.toString('latin1', start, end)) : null;
    this.reply(reply, extra, ts);
  }

  private reply(r: Reply, extraFlags: number, ts: number): void {
    this.overlapped();
    const preliminary = !r.invalid && r.code.charCodeAt(0) === 0x31; // 1xx
    if (!this.greetingDone) {
      if (!this.greeting) {
        if (this.noSyn && !(this.waiting === 0 && r.code === '220')) {
          this.greetingDone = true; // picked up mid-session: this reply answers a command we did not see or one we did
        } else {
          this.greeting = this.pseudo(GREETING, '', ts, 0);
        }
      }
      if (this.greeting) {
        this.attach(this.greeting, r, extraFlags, ts);
        if (!preliminary) {
          this.emit(this.greeting);
          this.greeting = null;
          this.greetingDone = true;
        }
        return;
      }
    }
    if (this.waiting === 0) {
      const p = this.pseudo(UNSOLICITED, '', ts, this.nextIndex++);
      this.attach(p, r, extraFlags, ts);
      this.emit(p);
      return;
    }
    const p = this.queue[this.head];
    this.attach(p, r, extraFlags, ts);
    if (this.replyAnnounce) this.announce(this.replyAnnounce, p.index, ts);
    if (preliminary) return;
    this.head++;
    this.emit(p);
    this.compact();
    if (p.command === 'AUTH' && r.code === '234' && /^\s*(TLS|SSL)/i.test(p.arg)) this.encrypted(ts);
  }

  private attach(p: Pending, r: Reply, extraFlags: number, ts: number): void {
    if (r.code !== '') {
      p.codes = p.codes === '' ? r.code : p.codes + ' ' + r.code;
      p.final = r.code;
    }
    if (this.replyPath !== '') p.replyPath = this.replyPath;
    p.replies++;
    p.tsReply = ts;
    if (r.invalid) p.flags |= F_INVALID_REPLY;
    if (r.multiline) p.flags |= F_MULTILINE;
    p.flags |= extraFlags;
  }

  private gap(dir: 'c' | 's', bytes: number, ts: number): void {
    if (dir === 'c') this.client.gap();
    else {
      this.server.gap();
      this.replies.reset();
      this.replyLineOverlong = false;
      if (!this.greeting) this.greetingDone = true; // the greeting may be in the hole
    }
    if (this.greeting) {
      this.greeting.flags |= F_GAP;
      this.emit(this.greeting);
      this.greeting = null;
      this.greetingDone = true;
    }
    this.flushPending(F_GAP);
    this.emit(this.pseudo(GAP, `${dir}:${bytes}`, ts, this.nextIndex++));
  }

  private encrypted(ts: number): void {
    this.flushPending(0);
    this.emit(this.pseudo(ENCRYPTED, '', ts, this.nextIndex++));
    this.stopped = true;
  }

  /**
   * A reply came: the waiting commands that were sent while an earlier one waited overlapped it —
   * pipelined. Decided when a reply shows the server answering after they were sent, not when they
   * are sent: commands that wait for replies that never come (the server's half not captured, a
   * hole, the end) overlap nothing we know of, however many are queued.
   */
  private overlapped(): void {
    const q = this.queue;
    for (let i = Math.max(this.pipelinedTo, this.head); i < q.length; i++) if (q[i].flags & F_WAITED) q[i].flags |= F_PIPELINED;
    this.pipelinedTo = q.length;
  }

  private flushPending(flags: number): void {
    while (this.head < this.queue.length) {
      const p = this.queue[this.head++];
      p.flags |= flags;
      this.emit(p);
    }
    this.queue.length = 0;
    this.head = 0;
    this.pipelinedTo = 0;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.pipelinedTo = Math.max(0, this.pipelinedTo - this.head);
      this.head = 0;
    }
  }

  private pseudo(command: string, arg: string, ts: number, index: number): Pending {
    return { index, command, arg, tags: '', tsRequest: ts, tsReply: null, codes: '', final: '', replies: 0, flags: 0, replyPath: '' };
  }

  private emit(p: Pending): void {
    if (p !== this.greeting && !this.greetingDone) {
      // rows go out in index order: once any other row is written, no later reply can be the greeting
      const g = this.greeting;
      this.greeting = null;
      this.greetingDone = true;
      if (g) this.emit(g);
    }
    let flags = p.flags & ~F_WAITED;
    const isCommand = p.command.charCodeAt(0) !== 0x3c; // '<'
    if (isCommand && p.replies === 0) flags |= F_UNANSWERED;
    let arg = p.arg;
    if (isCommand) {
      if (this.o.noArgs) arg = '';
      else if (p.command === 'PASS' && !this.o.showPasswords && arg !== '') arg = '****';
    }
    this.rows++;
    const row = this.sharedRow === null ? this.newRow(p, arg, flags) : this.refill(this.sharedRow, p, arg, flags);
    if (isCommand && TRANSFER_COMMANDS.has(p.command)) this.linkData(row, p);
    this.onRow(row);
  }

  private newRow(p: Pending, arg: string, flags: number): ExchangeRow {
    const f = this.flow;
    return {
      flow_id: f.id,
      community_id: f.community_id,
      client_ip: f.client.ip,
      client_port: f.client.port,
      server_ip: f.server.ip,
      server_port: f.server.port,
      label: this.label,
      index: p.index,
      ts_request: p.tsRequest,
      ts_reply: p.tsReply,
      command: p.command,
      arg,
      reply_codes: p.codes,
      final_code: p.final,
      flags: FLAG_STRINGS[flags],
      tags: p.tags,
      flow_end: f.end ?? '',
      reply_path: p.replyPath,
    };
  }

  /** newRow's values in `row` (one shape for every row: the data columns undefined until linkData) */
  private refill(row: ExchangeRow, p: Pending, arg: string, flags: number): ExchangeRow {
    const f = this.flow;
    row.flow_id = f.id;
    row.community_id = f.community_id;
    row.client_ip = f.client.ip;
    row.client_port = f.client.port;
    row.server_ip = f.server.ip;
    row.server_port = f.server.port;
    row.label = this.label;
    row.index = p.index;
    row.ts_request = p.tsRequest;
    row.ts_reply = p.tsReply;
    row.command = p.command;
    row.arg = arg;
    row.reply_codes = p.codes;
    row.final_code = p.final;
    row.flags = FLAG_STRINGS[flags];
    row.tags = p.tags;
    row.flow_end = f.end ?? '';
    row.reply_path = p.replyPath;
    row.data_bytes = row.data_direction = row.data_duration = row.data_mode = row.data_peer = row.data_type = row.data_flags = undefined;
    return row;
  }

  private announce(a: Announcement | null, index: number, ts: number): void {
    if (!a) return;
    // (the parsers give addresses canonical already — PORT/227 dotted from numbers 0–255, EPRT through
    // canonicalIpv4/6 — so canonicalIp, a regular expression per transfer, is what they would be)
    const ip = a.ip === null ? this.flow.server.ip : a.ip;
    this.announced.push({ index, mode: a.mode, ip, port: a.port, ts, used: false });
  }

  /**
   * The data connection of a transfer command: the one that answers the last data endpoint
   * announced before the command (by an exchange of lower index, not taken by an earlier
   * transfer), the first of this flow's data records to that endpoint not used yet.
   */
  private linkData(row: ExchangeRow, p: Pending): void {
    let ann: SessionAnnouncement | null = null;
    for (let i = this.announced.length - 1; i >= 0; i--) {
      if (this.announced[i].index < p.index) {
        ann = this.announced[i];
        break;
      }
    }
    if (ann && ann.used) ann = null;
    let d: DataRecord | null = null;
    if (ann) {
      ann.used = true;
      for (const x of this.data) {
        if (!this.dataUsed.has(x) && x.announced.port === ann.port && x.mode === ann.mode && x.announced.ip === ann.ip) {
          d = x;
          break;
        }
      }
    }
    const flags: string[] = [];
    if (!d) {
      if (ann) flags.push('never_opened');
      if (p.final === '226') flags.push('no_data_226');
      row.data_flags = flags.join(';');
      return;
    }
    this.dataUsed.add(d);
    this.dataLinked++;
    // the data connection's end on the server's side: the responder in passive mode, the initiator in active mode
    const passive = d.mode === 'passive';
    const srv = passive ? d.server : d.client;
    const peer = passive ? d.client : d.server;
    const down = passive ? d.bytes.s + d.missing.s : d.bytes.c + d.missing.c;
    const up = passive ? d.bytes.c + d.missing.c : d.bytes.s + d.missing.s;
    if (peer.ip !== this.flow.client.ip || srv.ip !== this.flow.server.ip) flags.push('third_host');
    if (d.missing.c + d.missing.s > 0) flags.push('data_gap');
    row.data_bytes = down + up;
    row.data_direction = down > 0 && up > 0 ? 'both' : down > 0 ? 'download' : up > 0 ? 'upload' : 'none';
    row.data_duration = Math.round((d.last_ts - d.first_ts) * 1e6) / 1e6;
    row.data_mode = d.mode;
    row.data_peer = peer.ip;
    row.data_type = up > down ? (passive ? d.sniff.c : d.sniff.s) : passive ? d.sniff.s : d.sniff.c;
    row.data_flags = flags.join(';');
  }
}

/**
 * The quoted path of a 257 reply line (`257 "/home/erin" is the current directory`), RFC 959
 * appendix II: the path between the first `"` and the closing one, a doubled `""` standing for one.
 * '' when the line has no quoted path. Latin-1, like the rest of the row's text.
 */
export function quotedPath(line: Buffer, start = 0, end = line.length): string {
  let open = start;
  while (open < end && line[open] !== 0x22) open++;
  if (open === end) return '';
  let out = '';
  for (let i = open + 1; i < end; i++) {
    const c = line[i]!;
    if (c === 0x22) {
      if (i + 1 < end && line[i + 1] === 0x22) {
        out += '"';
        i++;
        continue;
      }
      return out;
    }
    if (c === 0x0d || c === 0x0a) break;
    out += String.fromCharCode(c);
  }
  return '';
}
