import type { TcpSegmentView } from '../decode/packet.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet.js';
import { ViewCache } from '../common/views.js';
import { BoundedMap } from './bounded-map.js';
import { ChunkCursor, PAGE, PayloadArena, STORE_HOT_INTS, writeChunksJson } from './chunks.js';
import { COMMUNITY_ID_BYTES, putCommunityIdV1, putFlowId } from './community-id.js';
import { isCommand, isFtpClientWord, isGreeting, isNotFtpClient, isReply, namesSmtp } from './head-words.js';
import type { FlowOptions } from './options.js';
import { ipv6Bytes, ipv6Text, SNIFF_BYTES, SNIFF_CLASSES, sniffClass, type DataRecord } from '../common/ftp-data.js';
import { ControlLines, ExpectTable, endpointKey6, type Announced, type DataCounters, type EndpointKey } from './data-channels.js';
import {
  flowLineBound, putBytes, putLineEnd, putNumber, putString, putTsUs,
  type FlowChunk, type FlowEnd, type FlowFlag, type FlowHead, type FlowRecord,
} from './record.js';

/**
 * Flow table + per-direction TCP reassembly.
 *
 * Sequence numbers are compared as signed 32-bit differences to the next expected byte, so wrap-
 * around needs no special case. Data at the expected position is delivered at once; later data
 * waits (copied) in a per-direction list; earlier data is a retransmission (compared with what was
 * delivered: the first copy wins, a difference flags overlap_conflict). A hole is given up as a
 * `gap` chunk when the peer acknowledges past it (the receiver got bytes the capture missed) or
 * when the flow ends.
 *
 * Which flows are kept: until the server's first bytes are known a flow retains its payload (up
 * to `detectBytes`); an FTP greeting makes it an FTP control flow, anything else makes it "other",
 * whose payload is then only counted (not copied), unless `all` is set.
 *
 * Layout: a flow is a slot, its state a hot row (hash chain, LRU links, TCP state of both sides:
 * what every packet touches) and a cold row (what its start and end need), each seen as ints and
 * doubles, its addresses and stream heads rows of two Buffers. Objects with pointers between them
 * (flow -> sides -> side, a Map for the index) cost a cache miss at every hop, and a live capture
 * creates and drops hundreds of thousands of them for the GC: with rows, a packet touches a bucket
 * and a hot row, and a flow that ends leaves no garbage behind. Kept payload lives in the pages of
 * one arena (chunks.ts), its store in the rows and the current page; only what is rare lives in
 * objects: queued out-of-order segments.
 */

const CLS_UNKNOWN = 0;
const CLS_FTP = 1;
const CLS_OTHER = 2;
/** an announced data connection (not --all): only counted, written as a data record */
const CLS_DATA = 3;

const F_GAP = 2;
const F_TRUNC_0 = 4; // truncated, side 0; side 1 is F_TRUNC_0 << 1
const F_EVICTED = 16;
const F_CONFLICT = 32;

/** bytes of each direction's stream start kept for content detection */
const HEAD = 8;

const NONE = -1;

// ---- Two rows per slot, each ROW bytes of its own ArrayBuffer seen as RI int32 and RD float64:
// the hot row (I, D) holds what every packet touches, in two cache lines: ints 0..15, doubles
// 8..15; the cold row (C, CD) what a flow's start and end, and kept payload, need. Both are
// indexed slot * RI (or RD) + field. Memory per row counts: a 512-byte row measured 10 % slower
// than one of 256, and hot and cold rows of 128 ran 3 % faster than one of 256 (median of 8 paired
// runs): data connections' packets, most of a capture, touch the hot rows only.
const ROW = 128;
const RI = ROW / 4;
const RD = ROW / 8;
// hot ints
const I_KA = 0;
const I_KB = 1;
const I_KP = 2;
const I_HASH = 3;
/** next slot in the same bucket */
const I_CHAIN = 4;
const I_PREV = 5;
const I_NEXT = 6;
const I_BITS = 7;
const I_CLS = 8;
const I_FLAGS = 9;
/** side si's int fields are at I_SIDE + IS_SIDE * si + S_* (and CS_* of the cold row) */
const I_SIDE = 10;
const IS_SIDE = 3;
const S_BITS = 0;
/** next expected sequence number (signed 32-bit) */
const S_NEXT = 1;
/** segments waiting in the side's out-of-order queue (so a packet need not look at the queue) */
const S_QUEUED = 2;

// I_BITS
const B_RETAIN = 1;
const B_CLOSED = 2;
/** side 0 (the sender of the first packet) is the key's first endpoint */
const B_SIDE0_FIRST = 4;
const B_V6 = 8;
/** an announced data connection (its state in the X rows, see matchData) */
const B_DATA = 16;
/** a data connection whose first bytes are still being kept for the sniff */
const B_SNIFF = 32;
/** a finished control flow whose record waits for its open data connections (ctl[slot].deferredEnd) */
const B_DEFER = 64;
/** a replay of a connection already emitted (same SYN): its segments are retransmissions, nothing emitted */
const B_REPLAY = 128;
// S_BITS
const SB_INIT = 1;
/** sent a SYN without ACK (the client) */
const SB_SYN = 2;
/** sent a SYN+ACK (the server) */
const SB_SYNACK = 4;
const SB_FIN = 8;
const SB_TRUNC = 16;
/** the side's first HEAD bytes are kept (so a packet need not read the cold row's count) */
const SB_HEAD_FULL = 32;

// hot doubles: times and byte counts, which outgrow 32 bits
const D_LAST = 8;
/** side si's double fields are at D_SIDE + DS_SIDE * si + SD_* (and CSD_* of the cold row) */
const D_SIDE = 9;
const DS_SIDE = 3;
const SD_PACKETS = 0;
const SD_BYTES = 1;
/** stream offset of S_NEXT (delivered bytes + gap bytes) */
const SD_STREAM = 2;
/** the payload store's current page and bytes used in it (chunks.ts): ints 30, 31 (double 15) */
const I_STORE = 30;
if (I_STORE + STORE_HOT_INTS > RI || I_STORE < 2 * (D_SIDE + 2 * DS_SIDE)) throw new Error('hot flow row: the store overlaps');

// cold ints (array C)
const C_SERVER = 0;
const C_PORT0 = 1;
const C_PORT1 = 2;
/** bumped when the slot is freed: a closed-queue entry of an earlier flow in this slot is stale */
const C_GEN = 3;
/** from the side's base I_SIDE + IS_SIDE * si: ints 4, 7 and 5, 8 */
const CS_FINSEQ = -6;
const CS_HEADLEN = -5;
/** the payload store's first page (chunks.ts) */
const C_FIRST = 9;
/** side si's SYN sequence number at C_ISN + si (valid when the side's SB_SYN/SB_SYNACK is set) */
const C_ISN = 10;
// cold doubles (array CD, doubles 8..15 = ints 16..31)
/** from the side's base D_SIDE + DS_SIDE * si: doubles 9, 12 */
const CSD_PENDING = 0;
const CD_FIRST = 10;
// (the bytes a flow keeps are not counted apart: while it retains payload, which it does from its
// first packet, a side keeps min(its delivered bytes, maxFlowBytes) — see keptOf)

/** bytes per slot in `addrs`: side 0's address, then side 1's (4 or 16 bytes used) */
const AS = 32;

// ---- A data connection's row (X ints, XD doubles; read only for B_DATA slots, set by matchData):
// what its announcement said and its own state, so that a data connection is no object (29 k of
// them on the bench capture, each with an object and two sniff buffers, cost their GC).
const XI = 16;
const X_CTL_SLOT = 0;
const X_CTL_GEN = 1;
/** 1: active (PORT/EPRT) */
const X_ACTIVE = 2;
/** the announced port, and address when IPv4 (unsigned, in XD_IP4); an IPv6 one is in dataIp6 */
const X_PORT = 3;
/** per side (+ si): bytes of its start sniffed so far, their class once known (SNIFF_CLASSES; -1: not yet), the pool buffer holding them (-1: none) */
const X_SNIFF_LEN = 4;
const X_SNIFF_CLS = 6;
const X_SNIFF_BUF = 8;
/** per side (+ si): one hole its stream position jumped over (sequence number of its start, length) */
const X_HOLE_SEQ = 10;
const X_HOLE_LEN = 12;
/** a hole was never filled */
const X_GAP = 14;
const XD = 4;
const XD_TS = 0;
const XD_IP4 = 1;
/** per side (+ si): stream offset of its hole */
const XD_HOLE_AT = 2;

interface Segment {
  seq: number;
  data: Buffer;
  tsUs: number;
}

export interface FlowCounters extends DataCounters {
  flows: number;
  flows_emitted: number;
  flows_ftp: number;
  flows_other: number;
  flows_not_emitted: number;
  ended_fin: number;
  ended_rst: number;
  ended_idle: number;
  ended_eof: number;
  evicted: number;
  evicted_buffer: number;
  truncated: number;
  holes: number;
  hole_bytes: number;
  retransmitted: number;
  overlap_conflicts: number;
  out_of_order: number;
  out_of_order_dropped: number;
  port_reuse: number;
  stray_after_close: number;
  /** an evicted FTP flow's later segments, kept as FTP (a new record, flagged no_syn) */
  continued_after_eviction: number;
  /** connections seen again after they were emitted (same SYN: a file given twice, a trace stored twice): their segments counted as retransmitted, not emitted again */
  replayed_flows: number;
  /** emitted flows whose id would repeat one emitted before (same connection and first time, no SYN to tell): given a distinct id */
  flow_id_repeats: number;
  flows_data: number;
  flows_deferred: number;
}

/**
 * A flow as it is emitted: valid only during the callback (its slot is reused afterwards).
 * `toRecord()` builds the FlowRecord (payload as Buffer views); `writeLine` writes the same record
 * as NDJSON — byte for byte `flowToJsonLine(toRecord())` — straight from the table's storage.
 */
export interface EmittedFlow {
  /** `data`: an announced data connection's record (DataRecord); toRecord is for `flow` only */
  readonly kind: 'flow' | 'data';
  toRecord(): FlowRecord;
  toDataRecord(): DataRecord;
  /** an upper bound of the bytes writeLine writes */
  lineMaxBytes(): number;
  writeLine(out: Buffer, pos: number): number;
  /**
   * toRecord without its copies, for a consumer done with the flow when the callback returns
   * (ftp-extract reading a capture): each data chunk's bytes are `data[at, at + len)` of the table's
   * own pages (a copy only for a chunk split across pages), and the chunk objects are reused for the
   * next flow. Valid during the callback only.
   */
  borrowRecord(): BorrowedFlowRecord;
}

/** A chunk of a borrowed record: the bytes are data[at, at + len) (data undefined for a gap of len bytes). */
export interface BorrowedChunk {
  dir: 'c' | 's';
  ts: number;
  data: Buffer | undefined;
  gap: number | undefined;
  at: number;
  len: number;
}

export type BorrowedFlowRecord = Omit<FlowRecord, 'chunks'> & { chunks: BorrowedChunk[] };

const NO_PENDING: Segment[] = [];

export class FlowTable {
  private cap = 0;
  /** hot rows */
  private I = new Int32Array(0);
  private D = new Float64Array(0);
  /** cold rows */
  private C = new Int32Array(0);
  private CD = new Float64Array(0);
  private addrs = Buffer.alloc(0);
  private addrView = new DataView(new ArrayBuffer(0));
  /** the view of the packets' buffer (the capture's read block, nearly always) */
  private readonly views = new ViewCache();
  private heads = Buffer.alloc(0);
  /** bucket heads (slot or NONE), a power of two of them */
  private buckets = new Int32Array(0);
  private mask = 0;
  /** free slots (a stack) */
  private free = new Int32Array(0);
  private freeTop = 0;
  /** out-of-order segments per slot*2+side */
  private pending: Segment[][] = [];
  private count = 0;
  /** closed flows (slot, generation) in order of closing; expire after CLOSED_LINGER_US */
  private closedSlots: number[] = [];
  private closedGens: number[] = [];
  /** capture time of each closing (nondecreasing): a packet checks the head's time, not its row */
  private closedTimes: number[] = [];
  private closedHead = 0;
  /** the slot of the previous packet (still in the table while set) */
  private lastSlot = NONE;
  private lruHead = NONE;
  private lruTail = NONE;
  /**
   * LRU moves not yet made: slots in the order they were touched, with the touch's number (see
   * touch). touchSeq[slot] is the number of the slot's latest logged touch, 0 when none waits.
   */
  private readonly touchLog: Int32Array;
  private readonly touchLogSeq: Int32Array;
  private touchLogLen = 0;
  private touchSeq = new Int32Array(0);
  /** the slot touched last (a repeated touch changes nothing) */
  private lastTouched = NONE;
  private retainedTotal = 0;
  private nowUs = 0;
  /** time stamped on chunks delivered now: the current packet's */
  private chunkTs = 0;
  private readonly idleUs: number;
  private readonly portSet: Set<number>;
  /** server endpoints (address, port) that greeted as FTP, oldest dropped beyond MAX_KNOWN_SERVERS */
  private readonly knownServers = new Set<number | string>();
  /**
   * Connections whose FTP flow was evicted, by key (see connKey) → whether the server is the key's
   * first endpoint: their later segments start a flow that is FTP at once (its start was judged
   * already; on its own, a middle of a session without the greeting would not pass detection).
   * Oldest dropped beyond maxFlows of them (as many as the table holds: a capture that evicts a
   * table's worth of sessions before they speak again still has them; about 150 bytes each).
   */
  private readonly evictedFtp: BoundedMap<string, boolean>;
  /**
   * Connections emitted lately, by key (see connKey): the client's SYN sequence number (NaN: no SYN
   * seen), first time and how many records of that first time were emitted. A SYN with the same
   * sequence number is the connection again (a replay, as tshark and Zeek take a retransmission),
   * and a record with the same first time gets a distinct id. Oldest dropped beyond MAX_RECENT_EMITTED.
   */
  private readonly recentEmitted = new BoundedMap<string, { isn: number; firstUs: number; repeats: number }>(MAX_RECENT_EMITTED);
  /**
   * A bit per connection hash (its low EMITTED_BITS bits) of every connection remembered in
   * recentEmitted: a SYN whose bit is clear is no replay, and builds no string key to look it up
   * (a key and a Map look-up per new connection were 5 % of ftp-flows' time on the bench capture).
   * Bits are never cleared: a stale one costs a look-up, never a wrong answer.
   */
  private readonly emittedBits = new Int32Array(EMITTED_BITS / 32);
  /** id repeat number of the flow being emitted (0: none; see writeHead) */
  private emitRepeat = 0;
  private readonly emitted: EmittedView;
  /** pages of kept payload, shared by all flows */
  private readonly arena = new PayloadArena();
  /** reads kept chunks (retransmission checks, emission) */
  private readonly cursor = new ChunkCursor(this.arena);
  readonly counters: FlowCounters = {
    flows: 0, flows_emitted: 0, flows_ftp: 0, flows_other: 0, flows_not_emitted: 0, ended_fin: 0, ended_rst: 0,
    ended_idle: 0, ended_eof: 0, evicted: 0, evicted_buffer: 0, truncated: 0, holes: 0, hole_bytes: 0,
    retransmitted: 0, overlap_conflicts: 0, out_of_order: 0, out_of_order_dropped: 0, port_reuse: 0, stray_after_close: 0,
    continued_after_eviction: 0, replayed_flows: 0, flow_id_repeats: 0,
    flows_data: 0, flows_deferred: 0, data_announced: 0, data_matched: 0, data_expected_expired: 0, data_expected_evicted: 0,
    data_expected_replaced: 0, data_expected_peak: 0, data_records: 0, data_reordered_bytes: 0,
  };
  /** announced data connections not yet seen (bounded by maxExpectedData) */
  private readonly expect: ExpectTable;
  /** per slot: the line reader of an FTP control flow */
  private ctl: (ControlLines | undefined)[] = [];
  /** per slot: an announced data connection's row (see X_*), its control flow's id and announced IPv6 address */
  private X = new Int32Array(0);
  private XDs = new Float64Array(0);
  private dataCtl: (string | null)[] = [];
  private dataIp6: (string | null)[] = [];
  /**
   * Buffers of SNIFF_BYTES for the starts that come in pieces (a first segment shorter than the
   * sniff), reused: one per side of an open data connection at most, so bounded by maxFlows.
   */
  private readonly sniffPool: Buffer[] = [];
  private readonly sniffFree: number[] = [];
  /** what fillHole counted: the stream offset and the segment offset of its bytes */
  private filledAt = 0;
  private filledOff = 0;

  /**
   * Flows emitted although not judged FTP: the continuation of a connection an earlier run left open
   * (`--state`), which may carry only `USER x` and a reset — too little to be recognised on its own.
   * Asked only for flows that would otherwise not be emitted.
   */
  awaited: ((head: FlowHead) => boolean) | null = null;

  /** Servers seen talking FTP (whose silent connections are FTP too), for the next run (`--state`). */
  get servers(): (number | string)[] {
    return [...this.knownServers];
  }
  set servers(list: (number | string)[]) {
    for (const k of list.slice(-MAX_KNOWN_SERVERS)) if (typeof k === 'number' || typeof k === 'string') this.knownServers.add(k);
  }

  /** `touchLogSize`: LRU moves batched (1: made at once; tests compare the two) */
  constructor(
    private readonly opts: FlowOptions,
    private readonly onFlow: (flow: EmittedFlow) => void,
    touchLogSize = TOUCH_LOG,
  ) {
    this.touchLog = new Int32Array(touchLogSize);
    this.touchLogSeq = new Int32Array(touchLogSize);
    this.idleUs = Math.round(opts.idleTimeout * 1e6);
    this.evictedFtp = new BoundedMap(opts.maxFlows);
    this.portSet = new Set(opts.ports);
    this.emitted = new EmittedView(this);
    this.expect = new ExpectTable(opts.maxExpectedData, Math.round(opts.dataTimeout * 1e6), this.counters);
    this.grow(Math.min(1024, opts.maxFlows));
  }

  get size(): number {
    return this.count;
  }

  /** payload bytes held right now / at most so far (delivered chunks + queued segments) */
  get buffered(): number {
    return this.retainedTotal;
  }
  bufferedPeak = 0;

  /** bytes of the payload arena (pages of all flows, allocated once and reused) */
  get arenaBytes(): number {
    return this.arena.bytes;
  }

  /** arena pages in use at most so far */
  get arenaPagesPeak(): number {
    return this.arena.pagesPeak;
  }

  /** evicted FTP connections forgotten (beyond maxFlows): their later segments are judged afresh */
  get evictedFtpForgotten(): number {
    return this.evictedFtp.dropped;
  }

  /** emitted connections forgotten (MAX_RECENT_EMITTED): a replay of one is not recognised */
  get emittedForgotten(): number {
    return this.recentEmitted.dropped;
  }

  /** slots allocated (grows by doubling up to maxFlows) */
  get capacity(): number {
    return this.cap;
  }

  /** announced data connections waiting for their SYN */
  get expectedData(): number {
    return this.expect.size;
  }

  segment(v: TcpSegmentView): void {
    const ab = v.addrBuf;
    const sp = v.srcPort;
    const dp = v.dstPort;
    // canonical (direction-free) key: numbers; IPv6 addresses are folded and compared in full
    let ka: number;
    let kb: number;
    let srcFirst: boolean;
    const v6 = v.addrLen !== 4;
    if (!v6) {
      // signed: stays a small integer in V8 (any consistent order will do for the key)
      const dv = this.views.of(ab);
      const a = dv.getInt32(v.srcOff);
      const b = dv.getInt32(v.dstOff);
      srcFirst = a < b || (a === b && sp <= dp);
      ka = srcFirst ? a : b;
      kb = srcFirst ? b : a;
    } else {
      const c = ab.compare(ab, v.dstOff, v.dstOff + 16, v.srcOff, v.srcOff + 16);
      srcFirst = c < 0 || (c === 0 && sp <= dp);
      const so = srcFirst ? v.srcOff : v.dstOff;
      const dO = srcFirst ? v.dstOff : v.srcOff;
      ka = (ab.readInt32BE(so) ^ ab.readInt32BE(so + 4) ^ ab.readInt32BE(so + 8) ^ ab.readInt32BE(so + 12)) | 0;
      kb = (ab.readInt32BE(dO) ^ ab.readInt32BE(dO + 4) ^ ab.readInt32BE(dO + 8) ^ ab.readInt32BE(dO + 12)) | 0;
    }
    const kp = srcFirst ? (sp << 16) | dp : (dp << 16) | sp;
    let h = Math.imul(ka ^ Math.imul(kb, 0x9e3779b1) ^ Math.imul(kp, 0x85ebca6b), 0xc2b2ae35);
    h = (h ^ (h >>> 15)) & 0x3fffffff;
    const ts = v.tsUs;
    this.chunkTs = ts;
    if (ts > this.nowUs) this.nowUs = ts;
    const flags = v.flags;
    const I = this.I;
    // consecutive packets of one connection (bursts) skip the bucket
    let slot = this.lastSlot;
    if (slot < 0 || I[slot * RI + I_HASH] !== h || !this.keyIs(slot, ka, kb, kp, v6, v, srcFirst)) {
      slot = this.buckets[h & this.mask];
      while (slot >= 0 && (I[slot * RI + I_HASH] !== h || !this.keyIs(slot, ka, kb, kp, v6, v, srcFirst))) slot = I[slot * RI + I_CHAIN];
    }
    if (slot >= 0 && I[slot * RI + I_BITS] & B_CLOSED) {
      if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && !this.sameSyn(slot, srcFirst, v.seq)) {
        this.counters.port_reuse++;
        this.remove(slot);
        slot = NONE;
      } else {
        this.counters.stray_after_close++;
        this.D[slot * RD + D_LAST] = ts;
        this.touch(slot);
        this.expireIdle();
        return;
      }
    }
    if (slot < 0) {
      // what is remembered of this connection is looked up before an eviction makes room (whose
      // own remembering may drop the oldest entry: this one)
      const syn = (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
      const maybeReplay = syn && this.recentEmitted.size > 0 && (this.emittedBits[(h & (EMITTED_BITS - 1)) >>> 5] & (1 << (h & 31))) !== 0;
      const key = maybeReplay || this.evictedFtp.size > 0 ? this.packetKey(v, srcFirst, kp) : '';
      const replay = maybeReplay && this.recentEmitted.get(key)?.isn === v.seq;
      const serverFirst = replay || key === '' ? undefined : this.evictedFtp.get(key);
      if (serverFirst !== undefined) this.evictedFtp.delete(key);
      if (this.count >= this.opts.maxFlows) {
        this.applyTouches();
        if (this.lruHead >= 0) this.evict(this.lruHead, false);
      }
      slot = this.create(h, ka, kb, kp, v6, v, srcFirst, ts);
      if (replay) this.markReplay(slot);
      else if (serverFirst !== undefined) this.continueEvicted(slot, serverFirst);
      else {
        if (this.expect.size) this.matchData(slot, syn);
        if (this.portSet.size && this.I[slot * RI + I_CLS] === CLS_UNKNOWN && (this.portSet.has(sp) || this.portSet.has(dp))) this.classify(slot, CLS_FTP);
      }
    } else {
      const d = slot * RD + D_LAST;
      if (ts > this.D[d]) this.D[d] = ts;
      this.touch(slot);
    }
    this.lastSlot = slot;
    const r = slot * RI;
    // side 0 sent the first packet; is this packet from side 0?
    const si = srcFirst === ((this.I[r + I_BITS] & B_SIDE0_FIRST) !== 0) ? 0 : 1;
    const sr = r + I_SIDE + IS_SIDE * si;
    const or = r + I_SIDE + IS_SIDE * (1 - si);
    this.D[slot * RD + D_SIDE + DS_SIDE * si + SD_PACKETS]++;
    if (flags & TCP_RST) {
      this.finish(slot, 'rst');
      this.expireIdle();
      return;
    }
    let seq = v.seq;
    const bits = this.I[sr + S_BITS];
    if (flags & TCP_SYN) {
      this.I[sr + S_BITS] |= flags & TCP_ACK ? SB_SYNACK : SB_SYN;
      if (!(bits & (SB_SYN | SB_SYNACK))) this.C[slot * RI + C_ISN + si] = seq;
      if (!(bits & SB_INIT) || (this.D[slot * RD + D_SIDE + DS_SIDE * si + SD_STREAM] === 0 && this.I[sr + S_QUEUED] === 0)) {
        this.I[sr + S_BITS] |= SB_INIT;
        this.I[sr + S_NEXT] = (seq + 1) | 0;
      }
      seq = (seq + 1) | 0;
    } else if (!(bits & SB_INIT)) {
      this.I[sr + S_BITS] |= SB_INIT;
      this.I[sr + S_NEXT] = seq;
    }
    // the acknowledgement speaks of bytes the peer received before this segment was sent
    if (flags & TCP_ACK && this.I[or + S_BITS] & SB_INIT && this.I[or + S_QUEUED] > 0) {
      this.ackGap(slot, 1 - si, v.ack, ts);
    }
    if (v.payLen > 0) this.data(slot, si, seq, v.payBuf, v.payOff, v.payLen);
    if (flags & TCP_FIN) {
      if (!(this.I[sr + S_BITS] & SB_FIN)) {
        this.I[sr + S_BITS] |= SB_FIN;
        this.C[sr + CS_FINSEQ] = (seq + v.payLen) | 0;
      }
      if (this.I[or + S_BITS] & SB_FIN) {
        this.finish(slot, 'fin');
        this.expireIdle();
        return;
      }
    }
    if (this.retainedTotal > this.bufferedPeak) this.bufferedPeak = this.retainedTotal;
    if (this.overBuffered()) this.shedBuffered(slot);
    this.expireIdle();
  }

  /** End of input: every open flow is emitted with end "eof", oldest first. */
  end(): void {
    this.applyTouches();
    const open: number[] = [];
    for (let s = this.lruHead; s >= 0; s = this.I[s * RI + I_NEXT]) if (!(this.I[s * RI + I_BITS] & B_CLOSED)) open.push(s);
    // data connections first: a control flow's record comes after its data records (ftp-extract links them)
    const isData = (s: number): number => (this.I[s * RI + I_BITS] & B_DATA ? 0 : 1);
    open.sort((a, b) => isData(a) - isData(b) || this.CD[a * RD + CD_FIRST] - this.CD[b * RD + CD_FIRST]);
    for (const s of open) this.finish(s, 'eof');
    // closed entries that were waiting for stray packets go too
    while (this.lruHead >= 0) this.remove(this.lruHead);
    this.lastSlot = NONE;
    this.closedSlots = [];
    this.closedGens = [];
    this.closedTimes = [];
    this.closedHead = 0;
  }

  // ---- slots

  /** the slot's key is this packet's (its hash already matched) */
  private keyIs(slot: number, ka: number, kb: number, kp: number, v6: boolean, v: TcpSegmentView, srcFirst: boolean): boolean {
    const r = slot * RI;
    const I = this.I;
    if (I[r + I_KA] !== ka || I[r + I_KB] !== kb || I[r + I_KP] !== kp) return false;
    if (((I[r + I_BITS] & B_V6) !== 0) !== v6) return false;
    if (!v6) return true;
    // the slot's first key endpoint is side 0 when B_SIDE0_FIRST, else side 1
    const firstSide = I[r + I_BITS] & B_SIDE0_FIRST ? 0 : 1;
    const a = slot * AS;
    const first = srcFirst ? v.srcOff : v.dstOff;
    const second = srcFirst ? v.dstOff : v.srcOff;
    return (
      v.addrBuf.compare(this.addrs, a + 16 * firstSide, a + 16 * firstSide + 16, first, first + 16) === 0 &&
      v.addrBuf.compare(this.addrs, a + 16 * (1 - firstSide), a + 16 * (1 - firstSide) + 16, second, second + 16) === 0
    );
  }

  private create(h: number, ka: number, kb: number, kp: number, v6: boolean, v: TcpSegmentView, srcFirst: boolean, ts: number): number {
    if (this.freeTop === 0) this.grow(Math.min(this.cap * 2, Math.max(this.opts.maxFlows, this.count + 1)));
    const slot = this.free[--this.freeTop];
    const r = slot * RI;
    const I = this.I;
    const gen = this.C[r + C_GEN];
    // (ints and doubles share each row: this zeroes both)
    I.fill(0, r, r + RI);
    this.C.fill(0, r, r + RI);
    this.C[r + C_GEN] = gen;
    I[r + I_KA] = ka;
    I[r + I_KB] = kb;
    I[r + I_KP] = kp;
    I[r + I_HASH] = h;
    this.C[r + C_SERVER] = -1;
    I[r + I_BITS] = B_RETAIN | (srcFirst ? B_SIDE0_FIRST : 0) | (v6 ? B_V6 : 0);
    this.C[r + C_PORT0] = v.srcPort;
    this.C[r + C_PORT1] = v.dstPort;
    const d = slot * RD;
    this.CD[d + CD_FIRST] = ts;
    this.D[d + D_LAST] = ts;
    const src = this.views.of(v.addrBuf);
    const dst = this.addrView;
    for (let i = 0; i < v.addrLen; i += 4) {
      dst.setInt32(slot * AS + i, src.getInt32(v.srcOff + i));
      dst.setInt32(slot * AS + 16 + i, src.getInt32(v.dstOff + i));
    }
    const b = h & this.mask;
    I[r + I_CHAIN] = this.buckets[b];
    this.buckets[b] = slot;
    this.count++;
    this.counters.flows++;
    // in the list at once (removal unlinks it), in its place among waiting moves when they are made
    this.append(slot);
    this.touch(slot);
    return slot;
  }

  /** Room for `n` slots: the rows are copied, the buckets rebuilt. */
  private grow(n: number): void {
    const old = this.cap;
    if (n <= old) n = old + 1;
    const rows = new ArrayBuffer(n * ROW);
    const cold = new ArrayBuffer(n * ROW);
    const C = new Int32Array(cold);
    C.set(this.C);
    const I = new Int32Array(rows);
    I.set(this.I);
    const D = new Float64Array(rows);
    const addrs = Buffer.alloc(n * AS);
    this.addrs.copy(addrs);
    const heads = Buffer.alloc(n * 2 * HEAD);
    this.heads.copy(heads);
    const touchSeq = new Int32Array(n);
    touchSeq.set(this.touchSeq);
    this.touchSeq = touchSeq;
    const X = new Int32Array(n * XI);
    X.set(this.X);
    this.X = X;
    const XDs = new Float64Array(n * XD);
    XDs.set(this.XDs);
    this.XDs = XDs;
    const free = new Int32Array(n);
    // lowest slots on top of the stack: rows in use stay packed at the front
    let top = 0;
    for (let s = n - 1; s >= old; s--) free[top++] = s;
    for (let i = 0; i < this.freeTop; i++) free[top++] = this.free[i];
    // packed arrays (a write far past the end would make V8 switch them to a dictionary)
    for (let s = old; s < n; s++) {
      this.pending.push(NO_PENDING, NO_PENDING);
      this.ctl.push(undefined);
      this.dataCtl.push(null);
      this.dataIp6.push(null);
    }
    let nb = 1;
    while (nb < n) nb <<= 1;
    const buckets = new Int32Array(nb).fill(NONE);
    const mask = nb - 1;
    for (let s = this.lruHead; s >= 0; s = I[s * RI + I_NEXT]) {
      const b = I[s * RI + I_HASH] & mask;
      I[s * RI + I_CHAIN] = buckets[b];
      buckets[b] = s;
    }
    this.I = I;
    this.D = D;
    this.C = C;
    this.CD = new Float64Array(cold);
    this.addrs = addrs;
    this.addrView = new DataView(addrs.buffer, addrs.byteOffset, addrs.length);
    this.heads = heads;
    this.free = free;
    this.freeTop = top;
    this.buckets = buckets;
    this.mask = mask;
    this.cap = n;
  }

  private pendingOf(slot: number, si: number): Segment[] {
    return this.pending[slot * 2 + si] ?? NO_PENDING;
  }

  /** payload bytes the slot's flow keeps in delivered chunks (both sides) */
  private keptOf(slot: number): number {
    if (!(this.I[slot * RI + I_BITS] & B_RETAIN)) return 0;
    const d = slot * RD + D_SIDE;
    const max = this.opts.maxFlowBytes;
    return Math.min(this.D[d + SD_BYTES], max) + Math.min(this.D[d + DS_SIDE + SD_BYTES], max);
  }

  /** drop kept payload and queued segments of a slot (before it stops retaining: keptOf needs that) */
  private release(slot: number): void {
    const d = slot * RD;
    this.retainedTotal -= this.keptOf(slot);
    this.arena.release(this.I, slot * RI + I_STORE, this.C, slot * RI + C_FIRST);
    for (let si = 0; si < 2; si++) {
      this.retainedTotal -= this.CD[d + D_SIDE + DS_SIDE * si + CSD_PENDING];
      this.CD[d + D_SIDE + DS_SIDE * si + CSD_PENDING] = 0;
      this.pending[slot * 2 + si] = NO_PENDING;
      this.I[slot * RI + I_SIDE + IS_SIDE * si + S_QUEUED] = 0;
    }
  }

  // ---- reassembly

  private data(slot: number, si: number, seq: number, buf: Buffer, off: number, len: number): void {
    const ts = this.chunkTs;
    const sr = slot * RI + I_SIDE + IS_SIDE * si;
    const sd = slot * RD + D_SIDE + DS_SIDE * si;
    const I = this.I;
    const D = this.D;
    let rel = (seq - I[sr + S_NEXT]) | 0;
    const bits = I[slot * RI + I_BITS];
    if (!(bits & B_RETAIN)) {
      if (bits & B_DATA) {
        this.dataSegment(slot, si, rel, seq, buf, off, len);
        return;
      }
      if (bits & B_REPLAY) this.counters.retransmitted++;
      // payload is only counted: no reassembly queue, the stream position just moves forward
      if (rel + len > 0) {
        const fresh = rel >= 0 ? len : rel + len;
        D[sd + SD_BYTES] += fresh;
        D[sd + SD_STREAM] += fresh + (rel > 0 ? rel : 0);
        I[sr + S_NEXT] = (seq + len) | 0;
      } else this.counters.retransmitted++;
      return;
    }
    if (rel < 0) {
      const overlap = Math.min(-rel, len);
      this.compareDelivered(slot, si, D[sd + SD_STREAM] + rel, buf, off, overlap);
      if (rel + len <= 0) {
        this.counters.retransmitted++;
        return;
      }
      off += -rel;
      len += rel;
      rel = 0;
    }
    if (rel === 0) {
      this.deliver(slot, si, buf, off, len);
      if (I[sr + S_QUEUED]) this.drain(slot, si, ts);
      return;
    }
    // future data: wait for the hole before it to fill (bounded by maxFlowBytes per direction)
    if (this.CD[sd + CSD_PENDING] + len > this.opts.maxFlowBytes) {
      this.counters.out_of_order_dropped++;
      return;
    }
    this.counters.out_of_order++;
    const seg: Segment = { seq, data: Buffer.from(buf.subarray(off, off + len)), tsUs: ts };
    let p = this.pending[slot * 2 + si];
    if (!p || p === NO_PENDING) p = this.pending[slot * 2 + si] = [];
    let i = p.length;
    while (i > 0 && ((p[i - 1].seq - seq) | 0) > 0) i--;
    p.splice(i, 0, seg);
    I[sr + S_QUEUED] = p.length;
    this.CD[sd + CSD_PENDING] += len;
    this.retainedTotal += len;
  }

  /** Deliver queued segments that now start at or before the next expected byte. */
  private drain(slot: number, si: number, ts: number): void {
    const p = this.pendingOf(slot, si);
    const sr = slot * RI + I_SIDE + IS_SIDE * si;
    const sd = slot * RD + D_SIDE + DS_SIDE * si;
    // (a segment that makes the flow "other" drops the queue: stop there)
    while (p.length && p === this.pending[slot * 2 + si] && ((p[0].seq - this.I[sr + S_NEXT]) | 0) <= 0) {
      const seg = p.shift() as Segment;
      this.I[sr + S_QUEUED] = p.length;
      const len = seg.data.length;
      this.CD[sd + CSD_PENDING] -= len;
      this.retainedTotal -= len;
      const rel = (seg.seq - this.I[sr + S_NEXT]) | 0;
      if (rel < 0) this.compareDelivered(slot, si, this.D[sd + SD_STREAM] + rel, seg.data, 0, Math.min(-rel, len));
      if (rel + len <= 0) {
        this.counters.retransmitted++;
        continue;
      }
      // stamped with the packet that completed it (never earlier than its own arrival)
      const saved = this.chunkTs;
      this.chunkTs = Math.max(ts, seg.tsUs);
      this.deliver(slot, si, seg.data, -rel, len + rel);
      this.chunkTs = saved;
    }
  }

  /** The peer acknowledged bytes beyond a hole: the capture missed them, so give the hole up. */
  private ackGap(slot: number, si: number, ack: number, ts: number): void {
    const next = this.I[slot * RI + I_SIDE + IS_SIDE * si + S_NEXT];
    const acked = (ack - next) | 0;
    if (acked <= 0) return;
    const first = (this.pendingOf(slot, si)[0].seq - next) | 0;
    if (first > acked) return;
    this.gap(slot, si, first, ts);
    this.drain(slot, si, ts);
  }

  private gap(slot: number, si: number, n: number, ts: number): void {
    if (n <= 0) return;
    const sr = slot * RI + I_SIDE + IS_SIDE * si;
    const sd = slot * RD + D_SIDE + DS_SIDE * si;
    this.I[slot * RI + I_FLAGS] |= F_GAP;
    this.ctl[slot]?.gap(si);
    this.counters.holes++;
    this.counters.hole_bytes += n;
    if (this.I[slot * RI + I_BITS] & B_RETAIN) this.arena.append(this.I, slot * RI + I_STORE, this.C, slot * RI + C_FIRST, si, null, 0, n, this.D[sd + SD_STREAM], ts);
    this.D[sd + SD_STREAM] += n;
    this.I[sr + S_NEXT] = (this.I[sr + S_NEXT] + n) | 0;
  }

  /** deliver in-sequence bytes; the chunk is stamped with this.chunkTs */
  private deliver(slot: number, si: number, buf: Buffer, off: number, len: number): void {
    const r = slot * RI;
    const sr = r + I_SIDE + IS_SIDE * si;
    const sd = slot * RD + D_SIDE + DS_SIDE * si;
    const I = this.I;
    const D = this.D;
    if (!(I[sr + S_BITS] & SB_HEAD_FULL)) {
      const headLen = this.C[sr + CS_HEADLEN];
      const n = Math.min(HEAD - headLen, len);
      const h0 = slot * 2 * HEAD + si * HEAD + headLen;
      for (let i = 0; i < n; i++) this.heads[h0 + i] = buf[off + i];
      this.C[sr + CS_HEADLEN] = headLen + n;
      if (headLen + n === HEAD) I[sr + S_BITS] |= SB_HEAD_FULL;
    }
    const at = D[sd + SD_STREAM];
    const before = D[sd + SD_BYTES];
    D[sd + SD_BYTES] = before + len;
    D[sd + SD_STREAM] = at + len;
    I[sr + S_NEXT] = (I[sr + S_NEXT] + len) | 0;
    // the side keeps min(delivered, maxFlowBytes) (keptOf): counted now, so that a release by the
    // detection below takes back exactly what was counted
    let keep = 0;
    if (I[r + I_BITS] & B_RETAIN) {
      keep = Math.min(len, this.opts.maxFlowBytes - Math.min(before, this.opts.maxFlowBytes));
      this.retainedTotal += keep;
    }
    // decide first: a connection found not to be FTP by this very segment never copies it
    if (I[r + I_CLS] === CLS_UNKNOWN) this.detect(slot, false);
    if (I[r + I_BITS] & B_SNIFF && this.keepSniff(slot, si, at, buf, off, len)) I[r + I_BITS] &= ~B_SNIFF;
    if (I[r + I_CLS] === CLS_FTP) {
      const cl = this.ctl[slot];
      if (cl) {
        if (cl.serverSide < 0) cl.serverSide = 1 - this.clientOf(slot);
        cl.feed(si, buf, off, len, this.chunkTs);
      }
    }
    if (!(I[r + I_BITS] & B_RETAIN)) return;
    if (keep < len) {
      if (!(I[sr + S_BITS] & SB_TRUNC)) {
        I[sr + S_BITS] |= SB_TRUNC;
        I[r + I_FLAGS] |= F_TRUNC_0 << si;
        this.counters.truncated++;
      }
    }
    if (keep > 0) this.arena.append(this.I, r + I_STORE, this.C, r + C_FIRST, si, buf, off, keep, at, this.chunkTs);
  }

  /** Retransmitted bytes at stream offset `at`: compare with what was delivered (first copy wins). */
  private compareDelivered(slot: number, si: number, at: number, buf: Buffer, off: number, len: number): void {
    if (!(this.I[slot * RI + I_BITS] & B_RETAIN) || this.I[slot * RI + I_FLAGS] & F_CONFLICT) return;
    const c = this.cursor;
    const end = at + len;
    for (let ok = c.last(this.I, slot * RI + I_STORE), walked = 0; ok && walked < 64; ok = c.prev(), walked++) {
      if (c.side !== si) continue;
      const cOff = c.stream;
      const cEnd = cOff + c.len;
      if (cEnd <= at) break;
      if (c.gap) continue;
      const lo = Math.max(at, cOff);
      const hi = Math.min(end, cEnd);
      if (lo >= hi) continue;
      c.data();
      const base = c.at - cOff;
      if (buf.compare(c.buf, base + lo, base + hi, off + (lo - at), off + (hi - at)) !== 0) {
        this.I[slot * RI + I_FLAGS] |= F_CONFLICT;
        this.counters.overlap_conflicts++;
        return;
      }
    }
  }

  // ---- classification

  /** where side si's first bytes are kept in `heads` */
  private headAt(slot: number, si: number): number {
    return slot * 2 * HEAD + si * HEAD;
  }

  private sideBits(slot: number, si: number): number {
    return this.I[slot * RI + I_SIDE + IS_SIDE * si + S_BITS];
  }

  private headLen(slot: number, si: number): number {
    return this.C[slot * RI + I_SIDE + IS_SIDE * si + CS_HEADLEN];
  }

  /** Content detection (Zeek's DPD idea): the server's first bytes are an FTP greeting. */
  private detect(slot: number, final: boolean): void {
    const b0 = this.sideBits(slot, 0);
    const b1 = this.sideBits(slot, 1);
    const hb = this.heads;
    let server = b0 & SB_SYNACK || b1 & SB_SYN ? 0 : b1 & SB_SYNACK || b0 & SB_SYN ? 1 : -1;
    if (server >= 0) {
      const srvHeadLen = this.headLen(slot, server);
      const cliHeadLen = this.headLen(slot, 1 - server);
      const cliAt = this.headAt(slot, 1 - server);
      if (final && srvHeadLen === 0 && this.knownServers.has(this.endpointKey(slot, server))) {
        // silent (e.g. reset at once: a connection flood) but to a server already seen greeting as FTP
        return this.classify(slot, CLS_FTP, server);
      }
      if (srvHeadLen >= 4 || (final && srvHeadLen > 0)) {
        if (!isGreeting(hb, this.headAt(slot, server), srvHeadLen)) return this.classify(slot, CLS_OTHER, server);
        // SMTP/LMTP greet with 220 too: the client's first word tells them apart
        if (cliHeadLen >= 5 || final) {
          return this.classify(slot, isNotFtpClient(hb, cliAt, cliHeadLen) || this.greetsSmtp(slot, server) ? CLS_OTHER : CLS_FTP, server);
        }
        return;
      }
      // the client spoke first: FTP clients may send commands before the greeting, but a
      // connection whose first bytes are no command word (an active-mode data connection) is not FTP
      if (srvHeadLen === 0 && cliHeadLen >= 5 && !isCommand(hb, cliAt, cliHeadLen)) {
        return this.classify(slot, CLS_OTHER, server);
      }
    } else {
      // picked up mid-stream: one side speaks FTP replies and the other commands (or nothing yet)
      for (server = 0; server < 2; server++) {
        const sAt = this.headAt(slot, server);
        const sLen = this.headLen(slot, server);
        const cAt = this.headAt(slot, 1 - server);
        const cLen = this.headLen(slot, 1 - server);
        if (isGreeting(hb, sAt, sLen) && (cLen === 0 || isCommand(hb, cAt, cLen)) && !isNotFtpClient(hb, cAt, cLen) && !this.greetsSmtp(slot, server)) {
          if (cLen === 0 && !final) continue;
          return this.classify(slot, CLS_FTP, server);
        }
        if (isReply(hb, sAt, sLen) && isCommand(hb, cAt, cLen) && !isNotFtpClient(hb, cAt, cLen)) return this.classify(slot, CLS_FTP, server);
      }
      if (this.headLen(slot, 0) >= 5 && this.headLen(slot, 1) >= 5) return this.classify(slot, CLS_OTHER);
    }
    const d = slot * RD + D_SIDE;
    if (final || this.D[d + SD_BYTES] + this.D[d + DS_SIDE + SD_BYTES] > this.opts.detectBytes) {
      const s = this.clientOnlyServer(slot);
      if (s >= 0) this.classify(slot, CLS_FTP, s);
      else this.classify(slot, CLS_OTHER);
    }
  }

  /**
   * The server side of a client-only half (the server's packets not captured: NAT, asymmetric
   * routing): a side on a well-known FTP control port that sent nothing, its peer's first word an
   * FTP command word; else -1. Judged when detection ends (the flow ends, or detectBytes).
   */
  private clientOnlyServer(slot: number): number {
    const r = slot * RI;
    for (let s = 0; s < 2; s++) {
      const port = this.C[r + (s === 0 ? C_PORT0 : C_PORT1)];
      if (port !== FTP_CONTROL_PORTS[0] && port !== FTP_CONTROL_PORTS[1]) continue;
      // the SYN sender is the client
      if (this.sideBits(slot, s) & SB_SYN || this.sideBits(slot, 1 - s) & SB_SYNACK) continue;
      if (this.D[slot * RD + D_SIDE + DS_SIDE * s + SD_BYTES] > 0) continue;
      if (isFtpClientWord(this.heads, this.headAt(slot, 1 - s), this.headLen(slot, 1 - s))) return s;
    }
    return -1;
  }

  /**
   * The server's first kept segment names SMTP (`220 mx.example.org ESMTP Postfix`): a mail server,
   * even when its client never says EHLO (a VRFY probe). Read from the kept payload, once per
   * connection that greeted with 220 (the head keeps 8 bytes only).
   */
  private greetsSmtp(slot: number, server: number): boolean {
    if (!(this.I[slot * RI + I_BITS] & B_RETAIN)) return false;
    const c = this.firstChunk(slot);
    for (let ok = c !== null; ok && c; ok = c.next()) {
      if (c.side !== server) continue;
      if (c.gap) return false;
      c.data();
      return namesSmtp(c.buf, c.at, c.at + Math.min(c.len, SMTP_SCAN));
    }
    return false;
  }

  private classify(slot: number, cls: number, server = -1): void {
    const r = slot * RI;
    this.I[r + I_CLS] = cls;
    if (server >= 0) this.C[r + C_SERVER] = server;
    if (cls === CLS_FTP && server >= 0) {
      const k = this.endpointKey(slot, server);
      if (!this.knownServers.has(k)) {
        if (this.knownServers.size >= MAX_KNOWN_SERVERS) this.knownServers.delete(this.knownServers.values().next().value as number | string);
        this.knownServers.add(k);
      }
    }
    if (cls === CLS_FTP) {
      this.counters.flows_ftp++;
      if (this.opts.maxExpectedData > 0) this.startControl(slot);
    } else {
      this.counters.flows_other++;
      if (!this.opts.all && !this.awaited?.(this.flowHead(slot, 'eof'))) {
        // not emitted: drop what was kept and only count from now on
        this.release(slot);
        this.I[r + I_BITS] &= ~B_RETAIN;
      }
    }
  }

  // ---- data channels

  /** An FTP control flow: read its lines for announcements, from the bytes it has delivered so far. */
  private startControl(slot: number): void {
    const server = this.C[slot * RI + C_SERVER];
    const cl: ControlLines = new ControlLines(server, (a, tsUs) => this.announce(slot, cl, a, tsUs));
    this.ctl[slot] = cl;
    let c = this.firstChunk(slot);
    if (!c) return;
    if (cl.serverSide < 0) cl.serverSide = 1 - this.clientOf(slot);
    for (let ok = true; ok; ok = c.next()) {
      if (c.gap) cl.gap(c.side);
      else {
        c.data();
        cl.feed(c.side, c.buf, c.at, c.len, c.tsUs);
      }
    }
  }

  /** A control flow announced a data endpoint: expect a connection to it. */
  private announce(slot: number, cl: ControlLines, a: Announced, tsUs: number): void {
    const v6 = (this.I[slot * RI + I_BITS] & B_V6) !== 0;
    const server = cl.serverSide;
    const srvAt = slot * AS + 16 * server;
    const cliAt = slot * AS + 16 * (1 - server);
    // the announced address: EPSV's is the control server's
    const annV6 = a.own ? v6 : a.v6;
    const ip4 = a.own ? (v6 ? 0 : this.addrView.getUint32(srvAt)) : a.ip4;
    const ip6 = a.own ? (v6 ? ipv6Text(this.addrs, srvAt) : null) : a.ip6;
    const key = annV6 ? (a.own ? this.key6(srvAt, a.port) : endpointKey6(ip6 as string, a.port)) : ip4 * 65536 + a.port;
    if (key === null) return;
    // an address other than the control connection's own end (the server's for 227, the client's for
    // PORT/EPRT): a third host, or NAT (the connection then goes to the control connection's end,
    // as tcpreplay --unique-ip captures show: suricata-verify/ftp-ippair-leak-5204), so both are expected
    const ownAt = a.active ? cliAt : srvAt;
    let key2: EndpointKey | null = null;
    if (!a.own && (annV6 !== v6 || (v6 ? !this.sameAddr6(ip6 as string, ownAt) : ip4 !== this.addrView.getUint32(ownAt)))) {
      key2 = v6 ? this.key6(ownAt, a.port) : this.addrView.getUint32(ownAt) * 65536 + a.port;
    }
    cl.id ??= this.idOf(slot);
    const fromAt = a.active ? srvAt : cliAt;
    this.expect.add(
      cl.id, slot, this.C[slot * RI + C_GEN], a.active, ip4, annV6 ? ip6 : null, a.port, tsUs, key, key2,
      v6 ? -1 : this.addrView.getUint32(fromAt), v6 ? this.addrs.toString('latin1', fromAt, fromAt + 16) : null, this.nowUs,
    );
  }

  /** the key of the IPv6 endpoint (address at addrs[at], port): endpointKey's form */
  private key6(at: number, port: number): string {
    return `${this.addrs.toString('latin1', at, at + 16)}:${port}`;
  }

  /** the IPv6 text names the address at addrs[at] */
  private sameAddr6(text: string, at: number): boolean {
    const b = ipv6Bytes(text);
    return b !== null && b.compare(this.addrs, at, at + 16) === 0;
  }

  /** A new connection: is it to an announced endpoint? (the SYN's receiver; picked up mid-stream, either side) */
  private matchData(slot: number, pureSyn: boolean): void {
    let initiator = 0;
    let e = this.expect.take(this.endpointKey(slot, 1), this.nowUs, this.fromNum(slot, 0), this.fromStr(slot, 0));
    if (e < 0 && !pureSyn) {
      e = this.expect.take(this.endpointKey(slot, 0), this.nowUs, this.fromNum(slot, 1), this.fromStr(slot, 1));
      initiator = 1;
    }
    if (e < 0) return;
    const ex = this.expect;
    const r = slot * RI;
    const x = slot * XI;
    const X = this.X;
    X[x + X_CTL_SLOT] = ex.ctlSlot(e);
    X[x + X_CTL_GEN] = ex.ctlGen(e);
    X[x + X_ACTIVE] = ex.active(e);
    X[x + X_PORT] = ex.port(e);
    X.fill(0, x + X_SNIFF_LEN, x + XI);
    X[x + X_SNIFF_CLS] = X[x + X_SNIFF_CLS + 1] = -1;
    X[x + X_SNIFF_BUF] = X[x + X_SNIFF_BUF + 1] = -1;
    const xd = slot * XD;
    this.XDs[xd + XD_TS] = ex.tsUs(e);
    this.XDs[xd + XD_IP4] = ex.ip4(e);
    this.dataCtl[slot] = ex.ctlId(e);
    this.dataIp6[slot] = ex.ip6(e);
    const ctl = ex.ctlSlot(e);
    const cl = this.C[ctl * RI + C_GEN] === ex.ctlGen(e) ? this.ctl[ctl] : undefined;
    if (cl) cl.openData++;
    this.C[r + C_SERVER] = 1 - initiator;
    this.I[r + I_BITS] |= B_DATA | B_SNIFF;
    this.counters.flows_data++;
    if (!this.opts.all) {
      // only counted (payload never copied): no reassembly queue, see dataSegment
      this.I[r + I_CLS] = CLS_DATA;
      this.I[r + I_BITS] &= ~B_RETAIN;
    }
  }

  /** a side's address as ExpectTable's fromNum (IPv4 unsigned; -1 for IPv6) and fromStr (IPv6 bytes as latin1) */
  private fromNum(slot: number, side: number): number {
    return this.I[slot * RI + I_BITS] & B_V6 ? -1 : this.addrView.getUint32(slot * AS + 16 * side);
  }

  private fromStr(slot: number, side: number): string | null {
    const a = slot * AS + 16 * side;
    return this.I[slot * RI + I_BITS] & B_V6 ? this.addrs.toString('latin1', a, a + 16) : null;
  }

  /**
   * A segment of a data connection that keeps no payload: counters, the first bytes for the sniff,
   * and one hole per side, so that a segment arriving after a later one (reordering) still counts.
   */
  private dataSegment(slot: number, si: number, rel: number, seq: number, buf: Buffer, off: number, len: number): void {
    const sr = slot * RI + I_SIDE + IS_SIDE * si;
    const sd = slot * RD + D_SIDE + DS_SIDE * si;
    const I = this.I;
    const D = this.D;
    if (rel + len > 0) {
      const skip = rel < 0 ? -rel : 0;
      const fresh = len - skip;
      if (rel > 0) this.hole(slot, si, I[sr + S_NEXT], rel, D[sd + SD_STREAM]);
      else if (I[slot * RI + I_BITS] & B_SNIFF && this.keepSniff(slot, si, D[sd + SD_STREAM], buf, off + skip, fresh)) I[slot * RI + I_BITS] &= ~B_SNIFF;
      D[sd + SD_BYTES] += fresh;
      D[sd + SD_STREAM] += fresh + (rel > 0 ? rel : 0);
      I[sr + S_NEXT] = (seq + len) | 0;
      return;
    }
    const x = slot * XI;
    const n = this.X[x + X_HOLE_LEN] > 0 || this.X[x + X_HOLE_LEN + 1] > 0 ? this.fillHole(slot, si, seq, len) : 0;
    if (n > 0) {
      D[sd + SD_BYTES] += n;
      this.counters.data_reordered_bytes += n;
      if (I[slot * RI + I_BITS] & B_SNIFF && this.keepSniff(slot, si, this.filledAt, buf, off + this.filledOff, n)) I[slot * RI + I_BITS] &= ~B_SNIFF;
    } else this.counters.retransmitted++;
  }

  /**
   * Bytes at stream offset `at` of a data connection's side si: those within its first SNIFF_BYTES
   * are sniffed — in place when the first segment holds them all (most transfers), else gathered in
   * a pool buffer. Only in-order bytes right after those seen count. True when the side is done.
   */
  private keepSniff(slot: number, si: number, at: number, buf: Buffer, off: number, len: number): boolean {
    if (at >= SNIFF_BYTES) return true;
    const x = slot * XI;
    const X = this.X;
    if (at !== X[x + X_SNIFF_LEN + si]) return false;
    const n = Math.min(len, SNIFF_BYTES - at);
    if (at === 0 && n === SNIFF_BYTES) {
      X[x + X_SNIFF_CLS + si] = sniffClass(buf, off, n);
      X[x + X_SNIFF_LEN + si] = n;
      return true;
    }
    let b = X[x + X_SNIFF_BUF + si];
    if (b < 0) {
      if (this.sniffFree.length) b = this.sniffFree.pop() as number;
      else {
        b = this.sniffPool.length;
        this.sniffPool.push(Buffer.allocUnsafe(SNIFF_BYTES));
      }
      X[x + X_SNIFF_BUF + si] = b;
    }
    const s = this.sniffPool[b];
    // (a few hundred bytes at most: Buffer#copy's argument checks cost more than the loop)
    for (let i = 0; i < n; i++) s[at + i] = buf[off + i];
    X[x + X_SNIFF_LEN + si] = at + n;
    if (at + n < SNIFF_BYTES) return false;
    X[x + X_SNIFF_CLS + si] = sniffClass(s, 0, SNIFF_BYTES);
    this.releaseSniff(slot, si);
    return true;
  }

  private releaseSniff(slot: number, si: number): void {
    const i = slot * XI + X_SNIFF_BUF + si;
    if (this.X[i] >= 0) this.sniffFree.push(this.X[i]);
    this.X[i] = -1;
  }

  /** the sniffed class of a data connection's side, its number in SNIFF_CLASSES (0, '': it sent nothing in order from its start) */
  private sniffOf(slot: number, si: number): number {
    const x = slot * XI;
    const len = this.X[x + X_SNIFF_LEN + si];
    if (len === 0) return 0;
    const cls = this.X[x + X_SNIFF_CLS + si];
    return cls >= 0 ? cls : sniffClass(this.sniffPool[this.X[x + X_SNIFF_BUF + si]], 0, len);
  }

  /** the stream position of a data connection's side si jumped over `n` bytes starting at sequence `seq`, stream offset `at` */
  private hole(slot: number, si: number, seq: number, n: number, at: number): void {
    const x = slot * XI;
    if (this.X[x + X_HOLE_LEN + si] > 0) this.X[x + X_GAP] = 1;
    this.X[x + X_HOLE_SEQ + si] = seq;
    this.X[x + X_HOLE_LEN + si] = n;
    this.XDs[slot * XD + XD_HOLE_AT + si] = at;
  }

  /** bytes of [seq, seq+len) that fill the side's hole (counted once; filledAt, filledOff say where) */
  private fillHole(slot: number, si: number, seq: number, len: number): number {
    const x = slot * XI;
    const X = this.X;
    const hl = X[x + X_HOLE_LEN + si];
    if (hl <= 0) return 0;
    const hs = X[x + X_HOLE_SEQ + si];
    const from = (seq - hs) | 0;
    const lo = Math.max(from, 0);
    const hi = Math.min(from + len, hl);
    if (hi <= lo) return 0;
    // inside the hole, not at its start: what lies before it stays missing
    if (lo > 0) X[x + X_GAP] = 1;
    const ha = slot * XD + XD_HOLE_AT + si;
    const at = this.XDs[ha];
    this.filledAt = at + lo;
    this.filledOff = lo - from;
    X[x + X_HOLE_SEQ + si] = (hs + hi) | 0;
    X[x + X_HOLE_LEN + si] = hl - hi;
    this.XDs[ha] = at + hi;
    return hi - lo;
  }

  /** the data record, read back from what writeDataLine writes (as flowHead: the two cannot disagree) */
  /**
   * The data record as an object, built from the row: what JSON.parse of writeDataLine's line gives
   * (tested on every capture), without the line — writing and parsing it cost about 9 µs per data
   * connection in ftp-extract reading a capture. Times: every table time is whole µs, and `us / 1e6`
   * is the double nearest to the decimal the line prints, the one JSON.parse reads back.
   */
  dataRecord(slot: number, end: FlowEnd): DataRecord {
    const x = slot * XI;
    const d = slot * RD;
    const client = this.clientOf(slot);
    const srv = 1 - client;
    const r = slot * RI;
    const alen = this.I[r + I_BITS] & B_V6 ? 16 : 4;
    const p0 = this.C[r + C_PORT0];
    const p1 = this.C[r + C_PORT1];
    const sc = d + D_SIDE + DS_SIDE * client;
    const ss = d + D_SIDE + DS_SIDE * srv;
    const D = this.D;
    const idEnd = putCommunityIdV1(dataScratch, 0, this.addrs, slot * AS, slot * AS + 16, alen, p0, p1);
    const communityId = dataScratch.toString('latin1', 0, idEnd);
    const ip6 = this.dataIp6[slot];
    const announcedIp = ip6 !== null ? ip6 : dataScratch.toString('latin1', 0, putIp4(dataScratch, 0, this.XDs[slot * XD + XD_IP4]));
    return {
      type: 'data',
      v: 1,
      community_id: communityId,
      control: this.dataCtl[slot] as string,
      mode: this.X[x + X_ACTIVE] ? 'active' : 'passive',
      announced: { ip: announcedIp, port: this.X[x + X_PORT] },
      announced_ts: this.XDs[slot * XD + XD_TS] / 1e6,
      client: { ip: this.ipOf(slot, client), port: client === 0 ? p0 : p1 },
      server: { ip: this.ipOf(slot, srv), port: srv === 0 ? p0 : p1 },
      first_ts: this.CD[d + CD_FIRST] / 1e6,
      last_ts: D[d + D_LAST] / 1e6,
      packets: { c: D[sc + SD_PACKETS], s: D[ss + SD_PACKETS] },
      bytes: { c: D[sc + SD_BYTES], s: D[ss + SD_BYTES] },
      missing: { c: D[sc + SD_STREAM] - D[sc + SD_BYTES], s: D[ss + SD_STREAM] - D[ss + SD_BYTES] },
      end,
      flags: DATA_FLAG_NAMES[this.dataFlags(slot)].slice(),
      sniff: { c: SNIFF_CLASSES[this.sniffOf(slot, client)], s: SNIFF_CLASSES[this.sniffOf(slot, srv)] },
    };
  }

  /** the data flags of the slot's data connection: DF_* bits (DL_FLAGS has their text) */
  private dataFlags(slot: number): number {
    const x = slot * XI;
    const fl = this.I[slot * RI + I_FLAGS];
    const b = this.I[slot * RI + I_SIDE + S_BITS] | this.I[slot * RI + I_SIDE + IS_SIDE + S_BITS];
    const noSyn = !(b & (SB_SYN | SB_SYNACK));
    const gap = fl & F_GAP || this.X[x + X_GAP] || this.X[x + X_HOLE_LEN] > 0 || this.X[x + X_HOLE_LEN + 1] > 0;
    return (noSyn ? DF_NO_SYN : 0) | (gap ? DF_GAP : 0) | (fl & F_EVICTED ? DF_EVICTED : 0);
  }

  /**
   * The data record's NDJSON line straight into `out` (the text of JSON.stringify, dataLine, byte
   * for byte: tested), at most DATA_LINE_MAX bytes: no object or string per connection.
   */
  writeDataLine(slot: number, end: FlowEnd, out: Buffer, pos: number): number {
    const x = slot * XI;
    const r = slot * RI;
    const d = slot * RD;
    const client = this.clientOf(slot);
    const srv = 1 - client;
    const alen = this.I[r + I_BITS] & B_V6 ? 16 : 4;
    const p0 = this.C[r + C_PORT0];
    const p1 = this.C[r + C_PORT1];
    const sc = d + D_SIDE + DS_SIDE * client;
    const ss = d + D_SIDE + DS_SIDE * srv;
    const D = this.D;
    const X = this.X;
    // the fixed text as bytes (DL_*): a string per piece, copied character by character, was half the line's cost
    pos = putBytes(out, pos, DL_HEAD);
    pos = putCommunityIdV1(out, pos, this.addrs, slot * AS, slot * AS + 16, alen, p0, p1);
    pos = putBytes(out, pos, DL_CONTROL);
    pos = putString(out, pos, this.dataCtl[slot] as string);
    pos = putBytes(out, pos, X[x + X_ACTIVE] ? DL_ACTIVE : DL_PASSIVE);
    const ip6 = this.dataIp6[slot];
    if (ip6 !== null) pos = putString(out, pos, ip6);
    else pos = putIp4(out, pos, this.XDs[slot * XD + XD_IP4]);
    pos = putBytes(out, pos, DL_PORT);
    pos = putNumber(out, pos, X[x + X_PORT]);
    pos = putBytes(out, pos, DL_ANNOUNCED_TS);
    pos = putTsUs(out, pos, this.XDs[slot * XD + XD_TS]);
    pos = putBytes(out, pos, DL_CLIENT);
    pos = this.putIp(out, pos, slot * AS + 16 * client, alen);
    pos = putBytes(out, pos, DL_PORT);
    pos = putNumber(out, pos, client === 0 ? p0 : p1);
    pos = putBytes(out, pos, DL_SERVER);
    pos = this.putIp(out, pos, slot * AS + 16 * srv, alen);
    pos = putBytes(out, pos, DL_PORT);
    pos = putNumber(out, pos, srv === 0 ? p0 : p1);
    pos = putBytes(out, pos, DL_FIRST_TS);
    pos = putTsUs(out, pos, this.CD[d + CD_FIRST]);
    pos = putBytes(out, pos, DL_LAST_TS);
    pos = putTsUs(out, pos, D[d + D_LAST]);
    pos = putBytes(out, pos, DL_PACKETS);
    pos = putNumber(out, pos, D[sc + SD_PACKETS]);
    pos = putBytes(out, pos, DL_S);
    pos = putNumber(out, pos, D[ss + SD_PACKETS]);
    pos = putBytes(out, pos, DL_BYTES);
    pos = putNumber(out, pos, D[sc + SD_BYTES]);
    pos = putBytes(out, pos, DL_S);
    pos = putNumber(out, pos, D[ss + SD_BYTES]);
    pos = putBytes(out, pos, DL_MISSING);
    pos = putNumber(out, pos, D[sc + SD_STREAM] - D[sc + SD_BYTES]);
    pos = putBytes(out, pos, DL_S);
    pos = putNumber(out, pos, D[ss + SD_STREAM] - D[ss + SD_BYTES]);
    pos = putBytes(out, pos, DL_END[end]);
    pos = putBytes(out, pos, DL_FLAGS[this.dataFlags(slot)]);
    pos = putBytes(out, pos, DL_SNIFF_C[this.sniffOf(slot, client)]);
    pos = putBytes(out, pos, DL_SNIFF_S[this.sniffOf(slot, srv)]);
    if (pos > out.length) throw new Error('data line longer than its bound');
    return pos;
  }

  /** the flow record's id of the slot's flow (what writeHead writes) */
  private idOf(slot: number): string {
    const r = slot * RI;
    const alen = this.I[r + I_BITS] & B_V6 ? 16 : 4;
    putCommunityIdV1(idScratch, 0, this.addrs, slot * AS, slot * AS + 16, alen, this.C[r + C_PORT0], this.C[r + C_PORT1]);
    const end = putFlowId(idScratch, COMMUNITY_ID_BYTES, idScratch, 0, COMMUNITY_ID_BYTES, this.CD[slot * RD + CD_FIRST]);
    // the id is 17 ASCII bytes: one fromCharCode (Buffer#toString cost about 1 µs a call here)
    if (end - COMMUNITY_ID_BYTES !== 17) return idScratch.toString('latin1', COMMUNITY_ID_BYTES, end);
    const b = idScratch;
    const o = COMMUNITY_ID_BYTES;
    return String.fromCharCode(
      b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7], b[o + 8],
      b[o + 9], b[o + 10], b[o + 11], b[o + 12], b[o + 13], b[o + 14], b[o + 15], b[o + 16],
    );
  }

  private ipOf(slot: number, side: number): string {
    return ipString(this.addrs, slot * AS + 16 * side, this.I[slot * RI + I_BITS] & B_V6 ? 16 : 4);
  }

  /** address and port of one side: a number for IPv4 (no string per connection), a string for IPv6 */
  private endpointKey(slot: number, side: number): number | string {
    const a = slot * AS + 16 * side;
    const port = this.C[slot * RI + (side === 0 ? C_PORT0 : C_PORT1)];
    if (this.I[slot * RI + I_BITS] & B_V6) return `${this.addrs.toString('latin1', a, a + 16)}:${port}`;
    return this.addrView.getUint32(a) * 65536 + port;
  }

  // ---- ending flows

  /** Flush holes (oldest queued segment first across both sides), decide, emit. */
  private finish(slot: number, end: FlowEnd): void {
    const r = slot * RI;
    const I = this.I;
    for (let si = 0; si < 2; si++) {
      // queued bytes at or after the sender's FIN lie beyond the end of its stream: corrupt, dropped
      const sr = r + I_SIDE + IS_SIDE * si;
      const p = this.pendingOf(slot, si);
      if (!(I[sr + S_BITS] & SB_FIN) || p.length === 0) continue;
      const next = I[sr + S_NEXT];
      const finRel = (this.C[sr + CS_FINSEQ] - next) | 0;
      const keep = p.filter((seg) => ((seg.seq - next) | 0) < finRel);
      for (const seg of p) if (!keep.includes(seg)) this.dropPending(slot, si, seg);
      this.pending[slot * 2 + si] = keep;
      I[sr + S_QUEUED] = keep.length;
    }
    for (;;) {
      const p0 = this.pendingOf(slot, 0);
      const p1 = this.pendingOf(slot, 1);
      if (!p0.length && !p1.length) break;
      const si = !p1.length || (p0.length && p0[0].tsUs <= p1[0].tsUs) ? 0 : 1;
      const p = si === 0 ? p0 : p1;
      const first = p[0];
      this.gap(slot, si, (first.seq - I[r + I_SIDE + IS_SIDE * si + S_NEXT]) | 0, first.tsUs);
      this.drain(slot, si, first.tsUs);
    }
    for (let si = 0; si < 2; si++) {
      const sr = r + I_SIDE + IS_SIDE * si;
      // bytes before a FIN that never arrived are a hole too
      if (I[sr + S_BITS] & SB_FIN && I[sr + S_BITS] & SB_INIT) {
        const missing = (this.C[sr + CS_FINSEQ] - I[sr + S_NEXT]) | 0;
        if (missing > 0 && missing <= this.opts.maxFlowBytes) this.gap(slot, si, missing, this.D[slot * RD + D_LAST]);
      }
    }
    if (I[r + I_CLS] === CLS_UNKNOWN) this.detect(slot, true);
    if (end === 'fin') this.counters.ended_fin++;
    else if (end === 'rst') this.counters.ended_rst++;
    else if (end === 'idle') this.counters.ended_idle++;
    else if (end === 'eof') this.counters.ended_eof++;
    if (I[r + I_BITS] & B_DATA) {
      this.counters.data_records++;
      this.emitted.setData(slot, end);
      this.onFlow(this.emitted);
      this.emitted.set(NONE, end);
      this.endData(slot);
      I[r + I_BITS] &= ~(B_DATA | B_SNIFF);
      this.dataEnded(this.X[slot * XI + X_CTL_SLOT], this.X[slot * XI + X_CTL_GEN]);
    }
    const cl = this.ctl[slot];
    if (cl && cl.openData > 0) {
      // its data connections are still open: their records go first (ftp-extract links them to
      // this flow's rows), this one waits as a closed entry until they end or the entry goes
      cl.deferredEnd = end;
      I[r + I_BITS] |= B_DEFER;
      this.counters.flows_deferred++;
    } else this.emitFlow(slot, end);
    if (end === 'fin' || end === 'rst' || I[r + I_BITS] & B_DEFER) {
      // keep a closed entry so the last ACKs do not start a new flow; a new SYN replaces it
      I[r + I_BITS] |= B_CLOSED;
      this.closedSlots.push(slot);
      this.closedGens.push(this.C[r + C_GEN]);
      this.closedTimes.push(this.nowUs);
      if (this.closedSlots.length - this.closedHead > 2 * this.opts.maxFlows + 1024) this.compactClosed();
    } else this.remove(slot);
  }

  /** Write the flow record of a finished flow (if it is one to write) and drop its payload. */
  private emitFlow(slot: number, end: FlowEnd): void {
    const r = slot * RI;
    const I = this.I;
    if (I[r + I_BITS] & B_REPLAY) this.counters.replayed_flows++;
    else if (I[r + I_CLS] === CLS_DATA) this.counters.flows_not_emitted++;
    else if (I[r + I_CLS] === CLS_FTP || this.opts.all || (I[r + I_BITS] & B_RETAIN && this.awaited?.(this.flowHead(slot, end)))) {
      this.counters.flows_emitted++;
      this.emitRepeat = this.rememberEmitted(slot);
      this.emitted.set(slot, end);
      this.onFlow(this.emitted);
      this.emitted.set(NONE, end);
      this.emitRepeat = 0;
    } else this.counters.flows_not_emitted++;
    this.release(slot);
    I[r + I_BITS] &= ~B_RETAIN;
  }

  /** A waiting control flow (B_DEFER) is written now. */
  private emitDeferred(slot: number): void {
    this.I[slot * RI + I_BITS] &= ~B_DEFER;
    this.emitFlow(slot, (this.ctl[slot] as ControlLines).deferredEnd as FlowEnd);
  }

  /** A data connection's row is done with: its sniff buffers go back to the pool, its strings are let go. */
  private endData(slot: number): void {
    this.releaseSniff(slot, 0);
    this.releaseSniff(slot, 1);
    this.dataCtl[slot] = null;
    this.dataIp6[slot] = null;
  }

  /** A data connection ended: its control flow, if it waits for its data connections, may go. */
  private dataEnded(s: number, gen: number): void {
    if (s < 0 || this.C[s * RI + C_GEN] !== gen) return;
    const cl = this.ctl[s];
    if (!cl || --cl.openData > 0) return;
    if (this.I[s * RI + I_BITS] & B_DEFER) this.emitDeferred(s);
  }

  private dropPending(slot: number, si: number, seg: Segment): void {
    this.CD[slot * RD + D_SIDE + DS_SIDE * si + CSD_PENDING] -= seg.data.length;
    this.retainedTotal -= seg.data.length;
    this.counters.out_of_order_dropped++;
  }

  private evict(slot: number, forBuffer: boolean): void {
    if (this.I[slot * RI + I_BITS] & B_CLOSED) {
      this.remove(slot);
      return;
    }
    this.counters.evicted++;
    if (forBuffer) this.counters.evicted_buffer++;
    this.I[slot * RI + I_FLAGS] |= F_EVICTED;
    const key = this.connKey(slot);
    this.finish(slot, 'evicted');
    // (the row keeps its class and server until the slot is reused)
    const server = this.C[slot * RI + C_SERVER];
    if (this.I[slot * RI + I_CLS] === CLS_FTP && server >= 0) {
      this.evictedFtp.set(key, server === (this.I[slot * RI + I_BITS] & B_SIDE0_FIRST ? 0 : 1));
    }
  }

  /** The connection of a slot, whichever side sent first: key endpoints in key order, then ports. */
  private connKey(slot: number): string {
    const r = slot * RI;
    const bits = this.I[r + I_BITS];
    const alen = bits & B_V6 ? 16 : 4;
    const first = slot * AS + (bits & B_SIDE0_FIRST ? 0 : 16);
    const second = slot * AS + (bits & B_SIDE0_FIRST ? 16 : 0);
    return connKeyOf(this.addrs, first, second, alen, this.I[r + I_KP]);
  }

  /** The SYN of side (srcFirst) of a slot's connection had sequence number seq (a retransmitted SYN). */
  private sameSyn(slot: number, srcFirst: boolean, seq: number): boolean {
    const si = srcFirst === ((this.I[slot * RI + I_BITS] & B_SIDE0_FIRST) !== 0) ? 0 : 1;
    return (this.I[slot * RI + I_SIDE + IS_SIDE * si + S_BITS] & SB_SYN) !== 0 && this.C[slot * RI + C_ISN + si] === seq;
  }

  /** A new flow whose SYN is that of a connection emitted lately: a replay, counted as retransmitted, not emitted. */
  private markReplay(slot: number): void {
    const r = slot * RI;
    this.I[r + I_BITS] = (this.I[r + I_BITS] | B_REPLAY) & ~B_RETAIN;
    this.I[r + I_CLS] = CLS_OTHER;
  }

  /** Remember an emitted flow (see recentEmitted); returns its id repeat number (0: its id is new). */
  private rememberEmitted(slot: number): number {
    const r = slot * RI;
    const key = this.connKey(slot);
    const firstUs = this.CD[slot * RD + CD_FIRST];
    const client = this.clientOf(slot);
    const isn = this.I[r + I_SIDE + IS_SIDE * client + S_BITS] & SB_SYN ? this.C[r + C_ISN + client] : NaN;
    const prev = this.recentEmitted.get(key);
    const repeats = prev !== undefined && prev.firstUs === firstUs ? prev.repeats + 1 : 0;
    if (repeats) this.counters.flow_id_repeats++;
    this.recentEmitted.set(key, { isn, firstUs, repeats });
    const h = this.I[r + I_HASH];
    this.emittedBits[(h & (EMITTED_BITS - 1)) >>> 5] |= 1 << (h & 31);
    return repeats;
  }

  /** A new flow continues an evicted FTP flow: FTP at once, with the same server. */
  private continueEvicted(slot: number, serverFirst: boolean): void {
    this.counters.continued_after_eviction++;
    const side0First = (this.I[slot * RI + I_BITS] & B_SIDE0_FIRST) !== 0;
    this.classify(slot, CLS_FTP, serverFirst === side0First ? 0 : 1);
  }

  /** connKey of the packet's connection (the same string as connKey of its slot) */
  private packetKey(v: TcpSegmentView, srcFirst: boolean, kp: number): string {
    const b = v.addrBuf;
    const n = v.addrLen;
    const first = srcFirst ? v.srcOff : v.dstOff;
    const second = srcFirst ? v.dstOff : v.srcOff;
    return connKeyOf(b, first, second, n, kp);
  }

  /**
   * Payload held beyond maxBufferedBytes: the bytes kept and queued, and the arena's pages in use
   * (a hostile capture of many flows with a byte each would hold a page per flow for a byte).
   */
  private overBuffered(): boolean {
    const max = this.opts.maxBufferedBytes;
    return this.retainedTotal > max || this.arena.pagesInUse * PAGE > max;
  }

  /** Too many payload bytes held in total: evict least recently active flows (not the current one). */
  private shedBuffered(current: number): void {
    this.applyTouches();
    let s = this.lruHead;
    while (s >= 0 && this.overBuffered()) {
      const nxt = this.I[s * RI + I_NEXT];
      const d = s * RD;
      if (s !== current && (this.keptOf(s) > 0 || this.CD[d + D_SIDE + CSD_PENDING] > 0 || this.CD[d + D_SIDE + DS_SIDE + CSD_PENDING] > 0)) {
        this.evict(s, true);
      }
      s = nxt;
    }
  }

  private expireIdle(): void {
    // closed entries only absorb the last ACKs and late retransmissions: they go after CLOSED_LINGER_US
    const I = this.I;
    const closedLimit = this.nowUs - Math.min(CLOSED_LINGER_US, this.idleUs);
    const qs = this.closedSlots;
    const times = this.closedTimes;
    while (this.closedHead < qs.length && times[this.closedHead] < closedLimit) {
      const s = qs[this.closedHead];
      const stale = this.C[s * RI + C_GEN] !== this.closedGens[this.closedHead] || !(I[s * RI + I_BITS] & B_CLOSED);
      this.closedHead++;
      if (!stale) this.remove(s);
    }
    if (this.closedHead > 1024 && this.closedHead * 2 > qs.length) {
      this.closedSlots = qs.slice(this.closedHead);
      this.closedGens = this.closedGens.slice(this.closedHead);
      this.closedTimes = times.slice(this.closedHead);
      this.closedHead = 0;
    }
    const limit = this.nowUs - this.idleUs;
    // the list's head is the least recently active flow unless a move waits for it (then another
    // flow may be older): the waiting moves are made first
    if (this.lruHead >= 0 && this.touchSeq[this.lruHead] !== 0) this.applyTouches();
    while (this.lruHead >= 0 && this.D[this.lruHead * RD + D_LAST] < limit) {
      const s = this.lruHead;
      if (this.I[s * RI + I_BITS] & B_CLOSED) this.remove(s);
      else this.finish(s, 'idle');
      if (this.lruHead >= 0 && this.touchSeq[this.lruHead] !== 0) this.applyTouches();
    }
  }

  /**
   * Drop the closed-queue entries of slots that have moved on (removed early: port reuse, eviction).
   * Without capture time advancing nothing leaves the queue, and a capture of closing connections
   * with one timestamp would grow it by one entry per connection; live entries are at most maxFlows.
   */
  private compactClosed(): void {
    const I = this.I;
    const slots: number[] = [];
    const gens: number[] = [];
    const times: number[] = [];
    for (let i = this.closedHead; i < this.closedSlots.length; i++) {
      const s = this.closedSlots[i];
      if (this.C[s * RI + C_GEN] !== this.closedGens[i] || !(I[s * RI + I_BITS] & B_CLOSED)) continue;
      slots.push(s);
      gens.push(this.closedGens[i]);
      times.push(this.closedTimes[i]);
    }
    this.closedSlots = slots;
    this.closedGens = gens;
    this.closedTimes = times;
    this.closedHead = 0;
  }

  /** Take a slot out of its bucket and the LRU list and free it. */
  private remove(slot: number): void {
    if (this.lastSlot === slot) this.lastSlot = NONE;
    const I = this.I;
    const r = slot * RI;
    // a control flow still waiting for its data connections is written before its entry goes
    if (I[r + I_BITS] & B_DEFER) this.emitDeferred(slot);
    const b = I[r + I_HASH] & this.mask;
    let s = this.buckets[b];
    if (s === slot) this.buckets[b] = I[r + I_CHAIN];
    else {
      while (s >= 0 && I[s * RI + I_CHAIN] !== slot) s = I[s * RI + I_CHAIN];
      if (s < 0) return; // not in the table (already removed)
      I[s * RI + I_CHAIN] = I[r + I_CHAIN];
    }
    this.count--;
    this.unlink(slot);
    // its waiting move, if any, is void (the slot may hold another flow before the moves are made)
    this.touchSeq[slot] = 0;
    if (this.lastTouched === slot) this.lastTouched = NONE;
    this.arena.release(this.I, r + I_STORE, this.C, r + C_FIRST);
    this.pending[slot * 2] = this.pending[slot * 2 + 1] = NO_PENDING;
    this.ctl[slot] = undefined;
    if (I[r + I_BITS] & B_DATA) this.endData(slot);
    I[r + I_BITS] = 0;
    this.C[r + C_GEN]++;
    this.free[this.freeTop++] = slot;
  }

  private unlink(slot: number): void {
    const I = this.I;
    const r = slot * RI;
    const prev = I[r + I_PREV];
    const next = I[r + I_NEXT];
    if (prev >= 0) I[prev * RI + I_NEXT] = next;
    else if (this.lruHead === slot) this.lruHead = next;
    if (next >= 0) I[next * RI + I_PREV] = prev;
    else if (this.lruTail === slot) this.lruTail = prev;
    I[r + I_PREV] = I[r + I_NEXT] = NONE;
  }

  private append(slot: number): void {
    const I = this.I;
    const r = slot * RI;
    I[r + I_PREV] = this.lruTail;
    I[r + I_NEXT] = NONE;
    if (this.lruTail >= 0) I[this.lruTail * RI + I_NEXT] = slot;
    else this.lruHead = slot;
    this.lruTail = slot;
  }

  /**
   * The slot was active: it goes to the LRU list's tail — later. Each move reads and writes the rows
   * of the slot's neighbours, three cache misses at a random place; most packets of a capture moved
   * a flow. So moves are logged and made in batches, in touch order, only the latest of a slot's
   * touches counting (a batch of 4 096 made 657 k moves instead of 3.1 M on the 1 GB bench
   * capture). The list order after the batch is the one the moves would have made one by one, and
   * every reader of the order (eviction, idle expiry, shedding, end) makes the waiting moves first.
   */
  private touch(slot: number): void {
    if (this.lastTouched === slot) return;
    this.lastTouched = slot;
    const n = this.touchLogLen;
    const seq = n + 1;
    this.touchLog[n] = slot;
    this.touchLogSeq[n] = seq;
    this.touchSeq[slot] = seq;
    this.touchLogLen = seq;
    if (seq === this.touchLog.length) this.applyTouches();
  }

  /** Make the logged LRU moves (see touch). */
  private applyTouches(): void {
    const log = this.touchLog;
    const seqs = this.touchLogSeq;
    const touchSeq = this.touchSeq;
    for (let i = 0; i < this.touchLogLen; i++) {
      const slot = log[i];
      // a later touch of the slot, or its removal, voids this one
      if (touchSeq[slot] !== seqs[i]) continue;
      touchSeq[slot] = 0;
      if (this.lruTail !== slot) {
        this.unlink(slot);
        this.append(slot);
      }
    }
    this.touchLogLen = 0;
  }

  // ---- output (during the onFlow callback)

  /** Which side is the client: the one that did not greet, else the SYN sender, else the higher port. */
  clientOf(slot: number): number {
    const I = this.I;
    const r = slot * RI;
    if (this.C[r + C_SERVER] >= 0) return 1 - this.C[r + C_SERVER];
    const b0 = I[r + I_SIDE + S_BITS];
    const b1 = I[r + I_SIDE + IS_SIDE + S_BITS];
    if (b0 & SB_SYN || b1 & SB_SYNACK) return 0;
    if (b1 & SB_SYN || b0 & SB_SYNACK) return 1;
    return this.C[r + C_PORT1] > this.C[r + C_PORT0] ? 1 : 0;
  }

  /** The record's flags, in the record's order. */
  private flagsOf(slot: number, client: number): FlowFlag[] {
    const I = this.I;
    const r = slot * RI;
    const b0 = I[r + I_SIDE + S_BITS];
    const b1 = I[r + I_SIDE + IS_SIDE + S_BITS];
    const fl = I[r + I_FLAGS];
    const flags: FlowFlag[] = [];
    if (!((b0 | b1) & (SB_SYN | SB_SYNACK))) flags.push('no_syn');
    if (fl & F_GAP) flags.push('gap');
    if (fl & (F_TRUNC_0 << client)) flags.push('truncated_c');
    if (fl & (F_TRUNC_0 << (1 - client))) flags.push('truncated_s');
    if (fl & F_EVICTED) flags.push('evicted');
    if (fl & F_CONFLICT) flags.push('overlap_conflict');
    return flags;
  }

  /**
   * The record's fields but the chunks, for in-process records: read back from what writeHead
   * writes, so the two cannot disagree (in-process callers spend far more per flow than a parse).
   */
  flowHead(slot: number, end: FlowEnd): FlowHead {
    const n = this.writeHead(slot, end, headScratch, 0);
    const rec = JSON.parse(headScratch.toString('latin1', 0, n) + ']}') as FlowRecord;
    const { chunks: _chunks, ...head } = rec;
    return head;
  }

  /**
   * What flowHeadJson(flowHead(slot, end)) is, written straight into `out` (no object or string
   * per flow: building them, hashing through crypto and copying the string cost several µs a flow).
   */
  writeHead(slot: number, end: FlowEnd, out: Buffer, pos: number): number {
    const r = slot * RI;
    const I = this.I;
    const client = this.clientOf(slot);
    const srv = 1 - client;
    const alen = I[r + I_BITS] & B_V6 ? 16 : 4;
    const a0 = slot * AS;
    const a1 = slot * AS + 16;
    const p0 = this.C[r + C_PORT0];
    const p1 = this.C[r + C_PORT1];
    const d = slot * RD;
    const firstUs = this.CD[d + CD_FIRST];
    pos = putString(out, pos, '{"type":"flow","v":1,"id":"');
    // the community id goes first into the line's tail (after the room the id needs), the id is hashed from it
    const cidAt = pos + 17 + 18;
    putCommunityIdV1(out, cidAt, this.addrs, a0, a1, alen, p0, p1);
    pos = putFlowId(out, pos, out, cidAt, COMMUNITY_ID_BYTES, firstUs, this.emitRepeat);
    pos = putString(out, pos, '","community_id":"');
    if (pos !== cidAt) throw new Error('flow head layout');
    pos += COMMUNITY_ID_BYTES;
    pos = putString(out, pos, '","client":{"ip":"');
    pos = this.putIp(out, pos, client === 0 ? a0 : a1, alen);
    pos = putString(out, pos, '","port":');
    pos = putNumber(out, pos, client === 0 ? p0 : p1);
    pos = putString(out, pos, '},"server":{"ip":"');
    pos = this.putIp(out, pos, srv === 0 ? a0 : a1, alen);
    pos = putString(out, pos, '","port":');
    pos = putNumber(out, pos, srv === 0 ? p0 : p1);
    pos = putString(out, pos, '},"first_ts":');
    pos = putTsUs(out, pos, firstUs);
    pos = putString(out, pos, ',"last_ts":');
    pos = putTsUs(out, pos, this.D[d + D_LAST]);
    const sc = d + D_SIDE + DS_SIDE * client;
    const ss = d + D_SIDE + DS_SIDE * srv;
    pos = putString(out, pos, ',"packets":{"c":');
    pos = putNumber(out, pos, this.D[sc + SD_PACKETS]);
    pos = putString(out, pos, ',"s":');
    pos = putNumber(out, pos, this.D[ss + SD_PACKETS]);
    pos = putString(out, pos, '},"bytes":{"c":');
    pos = putNumber(out, pos, this.D[sc + SD_BYTES]);
    pos = putString(out, pos, ',"s":');
    pos = putNumber(out, pos, this.D[ss + SD_BYTES]);
    pos = putString(out, pos, '},"end":"');
    pos = putString(out, pos, end);
    pos = putString(out, pos, '","flags":');
    const flags = this.flagsOf(slot, client);
    pos = putString(out, pos, flags.length ? `["${flags.join('","')}"]` : '[]');
    return putString(out, pos, ',"chunks":[');
  }

  private putIp(out: Buffer, pos: number, off: number, len: number): number {
    if (len !== 4) return putString(out, pos, ipString(this.addrs, off, len));
    const a = this.addrs;
    for (let i = 0; i < 4; i++) {
      if (i) out[pos++] = 0x2e; // .
      pos = putOctet(out, pos, a[off + i]);
    }
    return pos;
  }

  /** an upper bound of the NDJSON line of the slot's flow (see flowLineBound) */
  lineBound(slot: number): number {
    const d = slot * RD + D_SIDE;
    return flowLineBound(this.D[d + SD_BYTES] + this.D[d + DS_SIDE + SD_BYTES], this.chunkCount(slot));
  }

  /** chunks kept by the slot's flow */
  chunkCount(slot: number): number {
    return this.arena.count(this.I, slot * RI + I_STORE);
  }

  /** a cursor over the slot's chunks, at the first one (false: none) */
  firstChunk(slot: number): ChunkCursor | null {
    return this.cursor.first(this.I, slot * RI + I_STORE, this.C, slot * RI + C_FIRST) ? this.cursor : null;
  }

  /** payload bytes kept by the slot's flow (gaps excluded) */
  keptBytes(slot: number): number {
    return this.keptOf(slot);
  }

  /** the slot's chunks as NDJSON (see writeChunksJson) */
  writeChunks(slot: number, out: Buffer, pos: number, client: number): number {
    return writeChunksJson(this.cursor, this.I, slot * RI + I_STORE, this.C, slot * RI + C_FIRST, out, pos, client);
  }
}

/** The reused EmittedFlow handed to onFlow (the table sets slot and end, then calls onFlow). */
class EmittedView implements EmittedFlow {
  slot = NONE;
  end: FlowEnd = 'eof';
  kind: 'flow' | 'data' = 'flow';
  private data: DataRecord | null = null;
  /** computed once per emission (the id and community_id cost two SHA-1s) */
  private headOfSlot: FlowHead | null = null;
  constructor(private readonly table: FlowTable) {}

  set(slot: number, end: FlowEnd): void {
    this.slot = slot;
    this.end = end;
    this.headOfSlot = null;
    this.kind = 'flow';
    this.data = null;
  }

  /** the data record of the slot's data connection (built only when asked for) */
  setData(slot: number, end: FlowEnd): void {
    this.set(slot, end);
    this.kind = 'data';
  }

  toDataRecord(): DataRecord {
    if (this.kind !== 'data') throw new Error('toDataRecord: not a data record');
    return (this.data ??= this.table.dataRecord(this.slot, this.end));
  }

  private head(): FlowHead {
    return (this.headOfSlot ??= this.table.flowHead(this.slot, this.end));
  }

  toRecord(): FlowRecord {
    if (this.kind !== 'flow') throw new Error('toRecord: a data record (toDataRecord)');
    const t = this.table;
    const client = t.clientOf(this.slot);
    const chunks: FlowChunk[] = [];
    // the arena's pages are reused once the callback returns: the record gets one Buffer of its own
    const payload = Buffer.allocUnsafe(t.keptBytes(this.slot));
    let at = 0;
    for (let c = t.firstChunk(this.slot), ok = c !== null; ok && c; ok = c.next()) {
      const dir = c.side === client ? 'c' : 's';
      const ts = c.tsUs / 1e6;
      if (c.gap) chunks.push({ dir, ts, gap: c.len });
      else {
        c.data();
        c.buf.copy(payload, at, c.at, c.at + c.len);
        chunks.push({ dir, ts, data: payload.subarray(at, at + c.len) });
        at += c.len;
      }
    }
    return { ...this.head(), chunks };
  }

  /**
   * borrowRecord's chunk objects (reused: toRecord's copy and one object per chunk cost ~1 µs a chunk);
   * as many as the largest flow borrowed had chunks, which its kept payload bounds (maxFlowBytes)
   */
  private readonly borrowed: BorrowedChunk[] = [];

  borrowRecord(): BorrowedFlowRecord {
    if (this.kind !== 'flow') throw new Error('borrowRecord: a data record (toDataRecord)');
    const t = this.table;
    const client = t.clientOf(this.slot);
    const pool = this.borrowed;
    const chunks: BorrowedChunk[] = [];
    for (let c = t.firstChunk(this.slot), ok = c !== null; ok && c; ok = c.next()) {
      let ch = pool[chunks.length];
      if (ch === undefined) pool.push((ch = { dir: 'c', ts: 0, data: undefined, gap: undefined, at: 0, len: 0 }));
      ch.dir = c.side === client ? 'c' : 's';
      ch.ts = c.tsUs / 1e6;
      ch.len = c.len;
      if (c.gap) {
        ch.data = undefined;
        ch.gap = c.len;
        ch.at = 0;
      } else {
        c.data();
        ch.gap = undefined;
        // (a chunk split across pages is gathered in the cursor's scratch, which the next one reuses)
        ch.data = c.scratchData ? Buffer.from(c.buf.subarray(c.at, c.at + c.len)) : c.buf;
        ch.at = c.scratchData ? 0 : c.at;
      }
      chunks.push(ch);
    }
    return { ...this.head(), chunks };
  }

  lineMaxBytes(): number {
    return this.kind === 'data' ? DATA_LINE_MAX : this.table.lineBound(this.slot);
  }

  writeLine(out: Buffer, pos: number): number {
    if (this.kind === 'data') return this.table.writeDataLine(this.slot, this.end, out, pos);
    const client = this.table.clientOf(this.slot);
    pos = this.table.writeHead(this.slot, this.end, out, pos);
    pos = this.table.writeChunks(this.slot, out, pos, client);
    return putLineEnd(out, pos);
  }
}

/**
 * The data record's NDJSON line: JSON.stringify's text (tested), built by hand (JSON.stringify of the
 * nested object cost 4 µs a connection). Every string is an address, an id, a number or a fixed
 * word: ASCII, nothing to escape.
 */
export function dataLine(r: DataRecord): string {
  const ep = (e: { ip: string; port: number }): string => `{"ip":"${e.ip}","port":${e.port}}`;
  const flags = r.flags.length ? `["${r.flags.join('","')}"]` : '[]';
  return (
    `{"type":"data","v":1,"community_id":"${r.community_id}","control":"${r.control}","mode":"${r.mode}",` +
    `"announced":${ep(r.announced)},"announced_ts":${r.announced_ts},"client":${ep(r.client)},"server":${ep(r.server)},` +
    `"first_ts":${r.first_ts},"last_ts":${r.last_ts},"packets":{"c":${r.packets.c},"s":${r.packets.s}},` +
    `"bytes":{"c":${r.bytes.c},"s":${r.bytes.s}},"missing":{"c":${r.missing.c},"s":${r.missing.s}},"end":"${r.end}","flags":${flags},"sniff":{"c":"${r.sniff.c}","s":"${r.sniff.s}"}}\n`
  );
}

const ascii = (t: string): Uint8Array => Uint8Array.from(t, (ch) => ch.charCodeAt(0));
/** the data line's fixed text between its fields (writeDataLine) */
const DL_HEAD = ascii('{"type":"data","v":1,"community_id":"');
const DL_CONTROL = ascii('","control":"');
const DL_ACTIVE = ascii('","mode":"active","announced":{"ip":"');
const DL_PASSIVE = ascii('","mode":"passive","announced":{"ip":"');
const DL_PORT = ascii('","port":');
const DL_ANNOUNCED_TS = ascii('},"announced_ts":');
const DL_CLIENT = ascii(',"client":{"ip":"');
const DL_SERVER = ascii('},"server":{"ip":"');
const DL_FIRST_TS = ascii('},"first_ts":');
const DL_LAST_TS = ascii(',"last_ts":');
const DL_PACKETS = ascii(',"packets":{"c":');
const DL_S = ascii(',"s":');
const DL_BYTES = ascii('},"bytes":{"c":');
const DL_MISSING = ascii('},"missing":{"c":');
const DL_END: Record<FlowEnd, Uint8Array> = {
  fin: ascii('},"end":"fin","flags":'),
  rst: ascii('},"end":"rst","flags":'),
  idle: ascii('},"end":"idle","flags":'),
  evicted: ascii('},"end":"evicted","flags":'),
  eof: ascii('},"end":"eof","flags":'),
};
/** data flags (dataFlags), and the text of each combination in the record's order */
const DF_NO_SYN = 1;
const DF_GAP = 2;
const DF_EVICTED = 4;
const DATA_FLAG_NAMES = Array.from({ length: 8 }, (_, m) =>
  [m & DF_NO_SYN && 'no_syn', m & DF_GAP && 'gap', m & DF_EVICTED && 'evicted'].filter((w): w is string => !!w),
);
const DL_FLAGS = DATA_FLAG_NAMES.map((f) => ascii(f.length ? `["${f.join('","')}"]` : '[]'));
/** the sniff object, by class number (SNIFF_CLASSES) */
const DL_SNIFF_C = SNIFF_CLASSES.map((c) => ascii(`,"sniff":{"c":"${c}`));
const DL_SNIFF_S = SNIFF_CLASSES.map((c) => ascii(`","s":"${c}"}}\n`));

/** a data line's bound: fixed text and names (< 400), two IPv6 addresses and the announced one, numbers, the sniff classes */
const DATA_LINE_MAX = 1024;

/** what dataRecord parses */
const dataScratch = Buffer.alloc(DATA_LINE_MAX);

/** community id and flow id of a data record's control flow / of the data connection */
const idScratch = Buffer.alloc(128);

/** what flowHead parses (a head is under 1 KiB: flowLineBound) */
const headScratch = Buffer.alloc(1024);

/** LRU moves batched (see FlowTable.touch) */
const TOUCH_LOG = 4096;

/** how long a closed connection's entry absorbs stray packets (TCP's TIME_WAIT is of this order) */
const CLOSED_LINGER_US = 5e6;

/** IANA's FTP control ports (ftp, gsiftp): where a client-only half is judged by its first word */
const FTP_CONTROL_PORTS = [21, 2811];

/** bytes of the server's first segment searched for "SMTP" */
const SMTP_SCAN = 512;

/** bound on remembered emitted connections (replays, id repeats; a few MB at most) */
const MAX_RECENT_EMITTED = 65536;

/** bits of the emitted-connection filter (emittedBits: 128 KiB) */
const EMITTED_BITS = 1 << 20;

/** bound on remembered FTP server endpoints (a few MB at most) */
const MAX_KNOWN_SERVERS = 65536;

const KEY6 = new Array<number>(18).fill(0);

/**
 * A connection's key (connKey): both addresses (4 or 16 bytes at b[first], b[second]) and the ports
 * (kp) as 16-bit characters, one flat string of 6 (IPv4) or 18 characters (two latin1 strings
 * and a template cost several µs a connection: 5 % of ftp-flows' time on the bench capture).
 */
function connKeyOf(b: Buffer, first: number, second: number, n: number, kp: number): string {
  if (n === 4) {
    return String.fromCharCode(
      (b[first] << 8) | b[first + 1], (b[first + 2] << 8) | b[first + 3],
      (b[second] << 8) | b[second + 1], (b[second + 2] << 8) | b[second + 3], kp >>> 16, kp & 0xffff,
    );
  }
  for (let i = 0; i < 8; i++) {
    KEY6[i] = (b[first + 2 * i] << 8) | b[first + 2 * i + 1];
    KEY6[8 + i] = (b[second + 2 * i] << 8) | b[second + 2 * i + 1];
  }
  KEY6[16] = kp >>> 16;
  KEY6[17] = kp & 0xffff;
  return String.fromCharCode(...KEY6);
}

/** an IPv4 address given as an unsigned number, dotted */
function putIp4(out: Buffer, pos: number, ip: number): number {
  pos = putOctet(out, pos, ip >>> 24);
  out[pos++] = 0x2e; // .
  pos = putOctet(out, pos, (ip >>> 16) & 0xff);
  out[pos++] = 0x2e;
  pos = putOctet(out, pos, (ip >>> 8) & 0xff);
  out[pos++] = 0x2e;
  return putOctet(out, pos, ip & 0xff);
}

/** a number 0..255 in decimal */
function putOctet(out: Buffer, pos: number, v: number): number {
  if (v >= 100) {
    const h = (v / 100) | 0;
    out[pos++] = 0x30 + h;
    v -= h * 100;
    const t = (v / 10) | 0;
    out[pos++] = 0x30 + t;
    out[pos++] = 0x30 + v - t * 10;
  } else if (v >= 10) {
    const t = (v / 10) | 0;
    out[pos++] = 0x30 + t;
    out[pos++] = 0x30 + v - t * 10;
  } else out[pos++] = 0x30 + v;
  return pos;
}

/** the address of `len` (4 or 16) bytes at b[off] as text (IPv6 in RFC 5952 form) */
function ipString(b: Buffer, off: number, len: number): string {
  if (len === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  return ipv6Text(b, off);
}
