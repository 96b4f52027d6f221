import { hash } from 'node:crypto';
import type { TcpSegmentView } from '../decode/packet.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet.js';
import { communityIdV1 } from './community-id.js';
import type { FlowOptions } from './options.js';
import type { FlowChunk, FlowEnd, FlowFlag, FlowRecord } from './record.js';

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
 */

const CLS_UNKNOWN = 0;
const CLS_FTP = 1;
const CLS_OTHER = 2;

const F_NO_SYN = 1;
const F_GAP = 2;
const F_TRUNC_0 = 4; // truncated, side 0; side 1 is F_TRUNC_0 << 1
const F_EVICTED = 16;
const F_CONFLICT = 32;

/** bytes of each direction's stream start kept for content detection */
const HEAD = 8;

interface Segment {
  seq: number;
  data: Buffer;
  tsUs: number;
}

/**
 * A flow's payload: small blocks filled one after another plus parallel arrays describing the
 * chunks, so a delivered segment costs a copy and a few array slots — no object per packet that
 * would live (and be promoted by the GC) until the flow ends. Blocks of BLOCK bytes come from
 * Node's Buffer pool (no ArrayBuffer of their own, which would push the GC into full collections).
 */
const BLOCK = 2048;

class ChunkStore {
  blocks: Buffer[] = [];
  private cur: Buffer = EMPTY;
  // full, so the first add takes a block
  private curUsed = BLOCK;
  side: number[] = [];
  tsUs: number[] = [];
  /** index into `blocks`, or -1 for a gap */
  blk: number[] = [];
  /** offset in the block */
  at: number[] = [];
  /** bytes, or the gap size */
  len: number[] = [];
  /** stream offset of the chunk's first byte in its direction */
  stream: number[] = [];

  /** the caller pushes the chunk's time to `tsUs` itself (a double argument would be boxed per call) */
  add(side: number, src: Buffer | null, off: number, len: number, stream: number): void {
    if (src) {
      if (len > BLOCK - this.curUsed) {
        this.cur = Buffer.allocUnsafe(Math.max(len, BLOCK));
        this.curUsed = 0;
        this.blocks.push(this.cur);
      }
      const dst = this.cur;
      const d0 = this.curUsed;
      if (len <= 64) {
        // Buffer.copy's argument checks cost more than a short loop
        for (let i = 0; i < len; i++) dst[d0 + i] = src[off + i];
      } else src.copy(dst, d0, off, off + len);
      this.blk.push(this.blocks.length - 1);
      this.at.push(d0);
      this.curUsed += len;
    } else {
      this.blk.push(-1);
      this.at.push(0);
    }
    this.side.push(side);
    this.len.push(len);
    this.stream.push(stream);
  }

  data(i: number): Buffer {
    return this.blocks[this.blk[i]].subarray(this.at[i], this.at[i] + this.len[i]);
  }

  get count(): number {
    return this.side.length;
  }
}

const EMPTY = Buffer.alloc(0);

/** the out-of-order queue of every side that has none: most flows never queue, so no array each */
const NO_PENDING: Segment[] = [];

/** shared empty store of flows that keep no payload (never written: retain is false) */
const NO_CHUNKS = new ChunkStore();

class Side {
  init = false;
  next = 0;
  /** sent a SYN without ACK (the client) */
  syn = false;
  /** sent a SYN+ACK (the server) */
  synAck = false;
  fin = false;
  finSeq = 0;
  /** NO_PENDING (shared, never written) until a segment waits */
  pending: Segment[] = NO_PENDING;
  pendingBytes = 0;
  packets = 0;
  bytes = 0;
  /** stream offset of `next` (delivered bytes + gap bytes) */
  stream = 0;
  retained = 0;
  truncated = false;
  /** the stream's first HEAD bytes as latin1 (a string pins no Buffer pool slab) */
  head = '';
  headLen = 0;
}

export class Flow {
  /** next flow with the same hash */
  chain: Flow | null = null;
  prev: Flow | null = null;
  next: Flow | null = null;
  sides: [Side, Side] = [new Side(), new Side()];
  /** NO_CHUNKS until the first chunk is kept */
  chunks: ChunkStore = NO_CHUNKS;
  cls = CLS_UNKNOWN;
  server = -1;
  flags = 0;
  closed = false;
  closedUs = 0;
  retain = true;
  retained = 0;
  lastUs: number;
  constructor(
    readonly hash: number,
    readonly ka: number,
    readonly kb: number,
    readonly kp: number,
    /** IPv6 only: both addresses (latin1), '' for IPv4 */
    readonly key6: string,
    /** side 0 = sender of the first packet seen */
    /** addresses as latin1 strings (4 or 16 chars): no Buffer kept per flow */
    readonly addr: [string, string],
    readonly port: [number, number],
    readonly firstUs: number,
    /** whether side 0's (address, port) sorts first (the key's canonical order) */
    readonly side0First: boolean,
  ) {
    this.lastUs = firstUs;
  }
}

export interface FlowCounters {
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
}

const REPLY = /^[0-9]{3}[ -]/;
const GREETING = /^[12]20[ -]/;
const COMMAND = /^[A-Za-z]{3,4}[ \r\n]/;
/** first words of clients of other protocols whose servers also greet with 220 (SMTP, LMTP) */
const NOT_FTP_CLIENT = /^(EHLO|HELO|LHLO)[ \r\n]/i;

export class FlowTable {
  private readonly map = new Map<number, Flow>();
  private count = 0;
  /** closed flows in order of closing (expired after CLOSED_LINGER_US) */
  private closedQueue: Flow[] = [];
  private closedHead = 0;
  /** the flow of the previous packet (still in the table while set) */
  private last: Flow | null = null;
  private lruHead: Flow | null = null;
  private lruTail: Flow | null = null;
  private retainedTotal = 0;
  private nowUs = 0;
  /** time stamped on chunks delivered now: the current packet's (a field, not an argument: no boxing) */
  private chunkTs = 0;
  private readonly idleUs: number;
  private readonly portSet: Set<number>;
  /** server endpoints (address, port) that greeted as FTP, oldest dropped beyond MAX_KNOWN_SERVERS */
  private readonly knownServers = new Set<string>();
  readonly counters: FlowCounters = {
    flows: 0, flows_emitted: 0, flows_ftp: 0, flows_other: 0, flows_not_emitted: 0, ended_fin: 0, ended_rst: 0,
    ended_idle: 0, ended_eof: 0, evicted: 0, evicted_buffer: 0, truncated: 0, holes: 0, hole_bytes: 0,
    retransmitted: 0, overlap_conflicts: 0, out_of_order: 0, out_of_order_dropped: 0, port_reuse: 0, stray_after_close: 0,
  };

  constructor(
    private readonly opts: FlowOptions,
    private readonly onFlow: (flow: FlowRecord) => void,
  ) {
    this.idleUs = Math.round(opts.idleTimeout * 1e6);
    this.portSet = new Set(opts.ports);
  }

  get size(): number {
    return this.count;
  }

  /** payload bytes held right now / at most so far (delivered chunks + queued segments) */
  get buffered(): number {
    return this.retainedTotal;
  }
  bufferedPeak = 0;

  segment(v: TcpSegmentView): void {
    const ab = v.addrBuf;
    const sp = v.srcPort;
    const dp = v.dstPort;
    // canonical (direction-free) key: numbers for IPv4, a short string only for IPv6; the Map is
    // keyed by a 30-bit hash (a small integer, cheap to look up) with a collision chain
    let ka: number;
    let kb: number;
    let key6 = '';
    let srcFirst: boolean;
    if (v.addrLen === 4) {
      // signed: stays a small integer in V8 (any consistent order will do for the key)
      const a = ab.readInt32BE(v.srcOff);
      const b = ab.readInt32BE(v.dstOff);
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
      key6 = ab.toString('latin1', so, so + 16) + ab.toString('latin1', dO, dO + 16);
    }
    const kp = srcFirst ? (sp << 16) | dp : (dp << 16) | sp;
    let h = Math.imul(ka ^ Math.imul(kb, 0x9e3779b1) ^ Math.imul(kp, 0x85ebca6b), 0xc2b2ae35);
    h = (h ^ (h >>> 15)) & 0x3fffffff;
    const ts = v.tsUs;
    this.chunkTs = ts;
    if (ts > this.nowUs) this.nowUs = ts;
    const flags = v.flags;
    // consecutive packets of one connection (bursts) skip the Map
    let flow: Flow | undefined = this.last && this.last.hash === h ? this.last : this.map.get(h);
    while (flow && (flow.ka !== ka || flow.kb !== kb || flow.kp !== kp || flow.key6 !== key6)) flow = flow.chain ?? undefined;
    if (flow && flow.closed) {
      if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
        this.counters.port_reuse++;
        this.remove(flow);
        flow = undefined;
      } else {
        this.counters.stray_after_close++;
        flow.lastUs = ts;
        this.touch(flow);
        this.expireIdle();
        return;
      }
    }
    if (!flow) {
      if (this.count >= this.opts.maxFlows && this.lruHead) this.evict(this.lruHead, false);
      const sa = ab.toString('latin1', v.srcOff, v.srcOff + v.addrLen);
      const da = ab.toString('latin1', v.dstOff, v.dstOff + v.addrLen);
      flow = new Flow(h, ka, kb, kp, key6, [sa, da], [sp, dp], ts, srcFirst);
      this.counters.flows++;
      flow.chain = this.map.get(h) ?? null;
      this.map.set(h, flow);
      this.count++;
      this.append(flow);
      if (this.portSet.size && (this.portSet.has(sp) || this.portSet.has(dp))) this.classify(flow, CLS_FTP);
    } else {
      if (ts > flow.lastUs) flow.lastUs = ts;
      this.touch(flow);
    }
    this.last = flow;
    // side 0 sent the first packet; is this packet from side 0?
    const si = srcFirst === flow.side0First ? 0 : 1;
    const s = flow.sides[si];
    const o = flow.sides[1 - si];
    s.packets++;
    if (flags & TCP_RST) {
      this.finish(flow, 'rst');
      this.expireIdle();
      return;
    }
    let seq = v.seq;
    if (flags & TCP_SYN) {
      if (flags & TCP_ACK) s.synAck = true;
      else s.syn = true;
      if (!s.init || (s.stream === 0 && s.pending.length === 0)) {
        s.init = true;
        s.next = (seq + 1) | 0;
      }
      seq = (seq + 1) | 0;
    } else if (!s.init) {
      s.init = true;
      s.next = seq;
    }
    // the acknowledgement speaks of bytes the peer received before this segment was sent
    if (flags & TCP_ACK && o.init && o.pending.length > 0) this.ackGap(flow, o, 1 - si, v.ack, ts);
    if (v.payLen > 0) this.data(flow, s, si, seq, v.payBuf, v.payOff, v.payLen);
    if (flags & TCP_FIN) {
      if (!s.fin) {
        s.fin = true;
        s.finSeq = (seq + v.payLen) | 0;
      }
      if (o.fin) {
        this.finish(flow, 'fin');
        this.expireIdle();
        return;
      }
    }
    if (this.retainedTotal > this.bufferedPeak) this.bufferedPeak = this.retainedTotal;
    if (this.retainedTotal > this.opts.maxBufferedBytes) this.shedBuffered(flow);
    this.expireIdle();
  }

  /** End of input: every open flow is emitted with end "eof", oldest first. */
  end(): void {
    const open: Flow[] = [];
    for (let f = this.lruHead; f; f = f.next) if (!f.closed) open.push(f);
    open.sort((a, b) => a.firstUs - b.firstUs);
    for (const f of open) this.finish(f, 'eof');
    this.map.clear();
    this.count = 0;
    this.last = null;
    this.closedQueue = [];
    this.closedHead = 0;
    this.lruHead = this.lruTail = null;
  }

  private data(flow: Flow, s: Side, si: number, seq: number, buf: Buffer, off: number, len: number): void {
    const ts = this.chunkTs;
    let rel = (seq - s.next) | 0;
    if (!flow.retain) {
      // payload is only counted: no reassembly queue, the stream position just moves forward
      if (rel + len > 0) {
        const fresh = rel >= 0 ? len : rel + len;
        s.bytes += fresh;
        s.stream += fresh + (rel > 0 ? rel : 0);
        s.next = (seq + len) | 0;
      } else this.counters.retransmitted++;
      return;
    }
    if (rel < 0) {
      const overlap = Math.min(-rel, len);
      this.compareDelivered(flow, s, s.stream + rel, buf, off, overlap);
      if (rel + len <= 0) {
        this.counters.retransmitted++;
        return;
      }
      off += -rel;
      len += rel;
      rel = 0;
    }
    if (rel === 0) {
      this.deliver(flow, s, si, buf, off, len);
      if (s.pending.length) this.drain(flow, s, si, ts);
      return;
    }
    // future data: wait for the hole before it to fill (bounded by maxFlowBytes per direction)
    if (s.pendingBytes + len > this.opts.maxFlowBytes) {
      this.counters.out_of_order_dropped++;
      return;
    }
    this.counters.out_of_order++;
    const seg: Segment = { seq, data: Buffer.from(buf.subarray(off, off + len)), tsUs: ts };
    if (s.pending === NO_PENDING) s.pending = [];
    const p = s.pending;
    let i = p.length;
    while (i > 0 && ((p[i - 1].seq - seq) | 0) > 0) i--;
    p.splice(i, 0, seg);
    s.pendingBytes += len;
    this.retainedTotal += len;
  }

  /** Deliver queued segments that now start at or before the next expected byte. */
  private drain(flow: Flow, s: Side, si: number, ts: number): void {
    const p = s.pending;
    while (p.length && ((p[0].seq - s.next) | 0) <= 0) {
      const seg = p.shift() as Segment;
      s.pendingBytes -= seg.data.length;
      this.retainedTotal -= seg.data.length;
      const rel = (seg.seq - s.next) | 0;
      const len = seg.data.length;
      if (rel < 0) this.compareDelivered(flow, s, s.stream + rel, seg.data, 0, Math.min(-rel, len));
      if (rel + len <= 0) {
        this.counters.retransmitted++;
        continue;
      }
      // stamped with the packet that completed it (never earlier than its own arrival)
      const saved = this.chunkTs;
      this.chunkTs = Math.max(ts, seg.tsUs);
      this.deliver(flow, s, si, seg.data, -rel, len + rel);
      this.chunkTs = saved;
    }
  }

  /** The peer acknowledged bytes beyond a hole: the capture missed them, so give the hole up. */
  private ackGap(flow: Flow, s: Side, si: number, ack: number, ts: number): void {
    const acked = (ack - s.next) | 0;
    if (acked <= 0) return;
    const first = (s.pending[0].seq - s.next) | 0;
    if (first > acked) return;
    this.gap(flow, s, si, first, ts);
    this.drain(flow, s, si, ts);
  }

  private gap(flow: Flow, s: Side, si: number, n: number, ts: number): void {
    if (n <= 0) return;
    flow.flags |= F_GAP;
    this.counters.holes++;
    this.counters.hole_bytes += n;
    if (flow.retain) {
      if (flow.chunks === NO_CHUNKS) flow.chunks = new ChunkStore();
      flow.chunks.add(si, null, 0, n, s.stream);
      flow.chunks.tsUs.push(ts);
    }
    s.stream += n;
    s.next = (s.next + n) | 0;
  }

  /** deliver in-sequence bytes; the chunk is stamped with this.chunkTs */
  private deliver(flow: Flow, s: Side, si: number, buf: Buffer, off: number, len: number): void {
    if (s.headLen < HEAD) {
      const n = Math.min(HEAD - s.headLen, len);
      s.head += buf.toString('latin1', off, off + n);
      s.headLen += n;
    }
    const at = s.stream;
    s.bytes += len;
    s.stream += len;
    s.next = (s.next + len) | 0;
    // decide first: a connection found not to be FTP by this very segment never copies it
    if (flow.cls === CLS_UNKNOWN) this.detect(flow, false);
    if (!flow.retain) return;
    let keep = len;
    if (s.retained + len > this.opts.maxFlowBytes) {
      keep = this.opts.maxFlowBytes - s.retained;
      if (!s.truncated) {
        s.truncated = true;
        flow.flags |= F_TRUNC_0 << si;
        this.counters.truncated++;
      }
    }
    if (keep > 0) {
      if (flow.chunks === NO_CHUNKS) flow.chunks = new ChunkStore();
      flow.chunks.add(si, buf, off, keep, at);
      flow.chunks.tsUs.push(this.chunkTs);
      s.retained += keep;
      flow.retained += keep;
      this.retainedTotal += keep;
    }
  }

  /** Retransmitted bytes at stream offset `at`: compare with what was delivered (first copy wins). */
  private compareDelivered(flow: Flow, s: Side, at: number, buf: Buffer, off: number, len: number): void {
    if (!flow.retain || flow.flags & F_CONFLICT) return;
    const end = at + len;
    const cs = flow.chunks;
    const si = flow.sides[0] === s ? 0 : 1;
    for (let i = cs.count - 1, walked = 0; i >= 0 && walked < 64; i--, walked++) {
      if (cs.side[i] !== si) continue;
      const cOff = cs.stream[i];
      const cEnd = cOff + cs.len[i];
      if (cEnd <= at) break;
      if (cs.blk[i] < 0) continue;
      const lo = Math.max(at, cOff);
      const hi = Math.min(end, cEnd);
      if (lo >= hi) continue;
      const base = cs.at[i] - cOff;
      if (buf.compare(cs.blocks[cs.blk[i]], base + lo, base + hi, off + (lo - at), off + (hi - at)) !== 0) {
        flow.flags |= F_CONFLICT;
        this.counters.overlap_conflicts++;
        return;
      }
    }
  }

  /** Content detection (Zeek's DPD idea): the server's first bytes are an FTP greeting. */
  private detect(flow: Flow, final: boolean): void {
    const s0 = flow.sides[0];
    const s1 = flow.sides[1];
    let server = s0.synAck || s1.syn ? 0 : s1.synAck || s0.syn ? 1 : -1;
    if (server >= 0) {
      const srv = flow.sides[server];
      if (final && srv.headLen === 0 && this.knownServers.has(endpointKey(flow, server))) {
        // silent (e.g. reset at once: a connection flood) but to a server already seen greeting as FTP
        return this.classify(flow, CLS_FTP, server);
      }
      if (srv.headLen >= 4 || (final && srv.headLen > 0)) {
        if (!GREETING.test(srv.head)) return this.classify(flow, CLS_OTHER, server);
        // SMTP/LMTP greet with 220 too: the client's first word tells them apart
        const cli = flow.sides[1 - server];
        if (cli.headLen >= 5 || final) {
          return this.classify(flow, NOT_FTP_CLIENT.test(cli.head) ? CLS_OTHER : CLS_FTP, server);
        }
        return;
      }
      // the client spoke first: FTP clients may send commands before the greeting, but a
      // connection whose first bytes are no command word (an active-mode data connection) is not FTP
      const cli = flow.sides[1 - server];
      if (srv.headLen === 0 && cli.headLen >= 5 && !COMMAND.test(cli.head)) {
        return this.classify(flow, CLS_OTHER, server);
      }
    } else {
      // picked up mid-stream: one side speaks FTP replies and the other commands (or nothing yet)
      const h0 = s0.head;
      const h1 = s1.head;
      for (server = 0; server < 2; server++) {
        const hs = server === 0 ? h0 : h1;
        const hc = server === 0 ? h1 : h0;
        if (GREETING.test(hs) && (hc.length === 0 || COMMAND.test(hc)) && !NOT_FTP_CLIENT.test(hc)) {
          if (hc.length === 0 && !final) continue;
          return this.classify(flow, CLS_FTP, server);
        }
        if (REPLY.test(hs) && COMMAND.test(hc) && !NOT_FTP_CLIENT.test(hc)) return this.classify(flow, CLS_FTP, server);
      }
      if ((s0.headLen >= 5 && s1.headLen >= 5) || final) return this.classify(flow, CLS_OTHER);
    }
    if (final || s0.bytes + s1.bytes > this.opts.detectBytes) this.classify(flow, CLS_OTHER);
  }

  private classify(flow: Flow, cls: number, server = -1): void {
    flow.cls = cls;
    if (server >= 0) flow.server = server;
    if (cls === CLS_FTP && server >= 0) {
      const k = endpointKey(flow, server);
      if (!this.knownServers.has(k)) {
        if (this.knownServers.size >= MAX_KNOWN_SERVERS) this.knownServers.delete(this.knownServers.values().next().value as string);
        this.knownServers.add(k);
      }
    }
    if (cls === CLS_FTP) this.counters.flows_ftp++;
    else {
      this.counters.flows_other++;
      if (!this.opts.all) {
        // not emitted: drop what was kept and only count from now on
        flow.retain = false;
        this.retainedTotal -= flow.retained;
        flow.retained = 0;
        flow.chunks = NO_CHUNKS;
        for (const s of flow.sides) {
          this.retainedTotal -= s.pendingBytes;
          s.pending = NO_PENDING;
          s.pendingBytes = 0;
        }
      }
    }
  }

  /** Flush holes (oldest queued segment first across both sides), decide, emit. */
  private finish(flow: Flow, end: FlowEnd): void {
    const s0 = flow.sides[0];
    const s1 = flow.sides[1];
    for (const s of flow.sides) {
      // queued bytes at or after the sender's FIN lie beyond the end of its stream: corrupt, dropped
      if (!s.fin || s.pending.length === 0) continue;
      const finRel = (s.finSeq - s.next) | 0;
      const keep = s.pending.filter((seg) => ((seg.seq - s.next) | 0) < finRel);
      for (const seg of s.pending) if (!keep.includes(seg)) this.dropPending(s, seg);
      s.pending = keep;
    }
    while (s0.pending.length || s1.pending.length) {
      const si = !s1.pending.length || (s0.pending.length && s0.pending[0].tsUs <= s1.pending[0].tsUs) ? 0 : 1;
      const s = flow.sides[si];
      this.gap(flow, s, si, (s.pending[0].seq - s.next) | 0, s.pending[0].tsUs);
      this.drain(flow, s, si, s.pending[0].tsUs);
    }
    for (let si = 0; si < 2; si++) {
      const s = flow.sides[si];
      // bytes before a FIN that never arrived are a hole too
      if (s.fin && s.init) {
        const missing = (s.finSeq - s.next) | 0;
        if (missing > 0 && missing <= this.opts.maxFlowBytes) this.gap(flow, s, si, missing, flow.lastUs);
      }
    }
    if (flow.cls === CLS_UNKNOWN) this.detect(flow, true);
    if (end === 'fin') this.counters.ended_fin++;
    else if (end === 'rst') this.counters.ended_rst++;
    else if (end === 'idle') this.counters.ended_idle++;
    else if (end === 'eof') this.counters.ended_eof++;
    if (flow.cls === CLS_FTP || this.opts.all) {
      this.counters.flows_emitted++;
      this.onFlow(this.record(flow, end));
    } else this.counters.flows_not_emitted++;
    this.retainedTotal -= flow.retained;
    flow.retained = 0;
    flow.chunks = NO_CHUNKS;
    flow.retain = false;
    for (const s of flow.sides) {
      s.pending = NO_PENDING;
      s.pendingBytes = 0;
    }
    if (end === 'fin' || end === 'rst') {
      // keep a closed entry so the last ACKs do not start a new flow; a new SYN replaces it
      flow.closed = true;
      flow.closedUs = this.nowUs;
      this.closedQueue.push(flow);
    } else this.remove(flow);
  }

  private dropPending(s: Side, seg: Segment): void {
    s.pendingBytes -= seg.data.length;
    this.retainedTotal -= seg.data.length;
    this.counters.out_of_order_dropped++;
  }

  private record(flow: Flow, end: FlowEnd): FlowRecord {
    const s0 = flow.sides[0];
    const s1 = flow.sides[1];
    let client: number;
    if (flow.server >= 0) client = 1 - flow.server;
    else if (s0.syn || s1.synAck) client = 0;
    else if (s1.syn || s0.synAck) client = 1;
    else client = flow.port[1] > flow.port[0] ? 1 : 0;
    const srv = 1 - client;
    const a0 = Buffer.from(flow.addr[0], 'latin1');
    const a1 = Buffer.from(flow.addr[1], 'latin1');
    const cid = communityIdV1(a0, flow.port[0], a1, flow.port[1]);
    const flags: FlowFlag[] = [];
    if (!(s0.syn || s0.synAck || s1.syn || s1.synAck)) flags.push('no_syn');
    if (flow.flags & F_GAP) flags.push('gap');
    if (flow.flags & (F_TRUNC_0 << client)) flags.push('truncated_c');
    if (flow.flags & (F_TRUNC_0 << srv)) flags.push('truncated_s');
    if (flow.flags & F_EVICTED) flags.push('evicted');
    if (flow.flags & F_CONFLICT) flags.push('overlap_conflict');
    const cs = flow.chunks;
    const chunks: FlowChunk[] = new Array(cs.count);
    for (let i = 0; i < cs.count; i++) {
      const dir = cs.side[i] === client ? 'c' : 's';
      const ts = cs.tsUs[i] / 1e6;
      // payload views share the flow's blocks
      chunks[i] = cs.blk[i] >= 0 ? { dir, ts, data: cs.data(i) } : { dir, ts, gap: cs.len[i] };
    }
    const id = 'F' + hash('sha1', `${cid}|${flow.firstUs}`, 'hex').slice(0, 16);
    return {
      type: 'flow',
      v: 1,
      id,
      community_id: cid,
      client: { ip: ipString(client === 0 ? a0 : a1), port: flow.port[client] },
      server: { ip: ipString(srv === 0 ? a0 : a1), port: flow.port[srv] },
      first_ts: flow.firstUs / 1e6,
      last_ts: flow.lastUs / 1e6,
      packets: { c: flow.sides[client].packets, s: flow.sides[srv].packets },
      bytes: { c: flow.sides[client].bytes, s: flow.sides[srv].bytes },
      end,
      flags,
      chunks,
    };
  }

  private evict(flow: Flow, forBuffer: boolean): void {
    if (flow.closed) {
      this.remove(flow);
      return;
    }
    this.counters.evicted++;
    if (forBuffer) this.counters.evicted_buffer++;
    flow.flags |= F_EVICTED;
    this.finish(flow, 'evicted');
  }

  /** Too many payload bytes held in total: evict least recently active flows (not the current one). */
  private shedBuffered(current: Flow): void {
    let f = this.lruHead;
    while (f && this.retainedTotal > this.opts.maxBufferedBytes) {
      const nxt = f.next;
      if (f !== current && (f.retained > 0 || f.sides[0].pendingBytes > 0 || f.sides[1].pendingBytes > 0)) this.evict(f, true);
      f = nxt;
    }
  }

  private expireIdle(): void {
    // closed entries only absorb the last ACKs and late retransmissions: they go after CLOSED_LINGER_US
    const q = this.closedQueue;
    const closedLimit = this.nowUs - Math.min(CLOSED_LINGER_US, this.idleUs);
    while (this.closedHead < q.length && q[this.closedHead].closedUs < closedLimit) {
      const f = q[this.closedHead++];
      if (f.closed) this.remove(f);
    }
    if (this.closedHead > 1024 && this.closedHead * 2 > q.length) {
      this.closedQueue = q.slice(this.closedHead);
      this.closedHead = 0;
    }
    const limit = this.nowUs - this.idleUs;
    while (this.lruHead && this.lruHead.lastUs < limit) {
      const f = this.lruHead;
      if (f.closed) this.remove(f);
      else this.finish(f, 'idle');
    }
  }

  private remove(flow: Flow): void {
    if (this.last === flow) this.last = null;
    let f = this.map.get(flow.hash);
    if (f === flow) {
      if (flow.chain) this.map.set(flow.hash, flow.chain);
      else this.map.delete(flow.hash);
      this.count--;
    } else {
      while (f && f.chain !== flow) f = f.chain ?? undefined;
      if (f) {
        f.chain = flow.chain;
        this.count--;
      }
    }
    flow.chain = null;
    this.unlink(flow);
  }

  private unlink(flow: Flow): void {
    if (flow.prev) flow.prev.next = flow.next;
    else if (this.lruHead === flow) this.lruHead = flow.next;
    if (flow.next) flow.next.prev = flow.prev;
    else if (this.lruTail === flow) this.lruTail = flow.prev;
    flow.prev = flow.next = null;
  }

  private append(flow: Flow): void {
    flow.prev = this.lruTail;
    flow.next = null;
    if (this.lruTail) this.lruTail.next = flow;
    else this.lruHead = flow;
    this.lruTail = flow;
  }

  private touch(flow: Flow): void {
    if (this.lruTail === flow) return;
    this.unlink(flow);
    this.append(flow);
  }
}

/** how long a closed connection's entry absorbs stray packets (TCP's TIME_WAIT is of this order) */
const CLOSED_LINGER_US = 5e6;

/** bound on remembered FTP server endpoints (a few MB at most) */
const MAX_KNOWN_SERVERS = 65536;

function endpointKey(flow: Flow, side: number): string {
  return `${flow.addr[side]}:${flow.port[side]}`;
}

function ipString(b: Buffer): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // RFC 5952: compress the longest run (>= 2) of zero groups
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return groups.slice(0, best).join(':') + '::' + groups.slice(best + bestLen).join(':');
}
