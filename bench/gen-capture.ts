#!/usr/bin/env node
/**
 * Capture generator for the bench: a classic pcap (Ethernet/IPv4/TCP, µs timestamps) of synthetic FTP
 * traffic with many control sessions open at once, interleaved in time, and the FTP-DATA connections
 * they open. Sessions come from bench/synthetic-ftp.ts (the exchange-level generator), so session k of
 * seed s has the same commands and replies here as in the miner's bench.
 *
 * What the packets look like: three-way handshakes, correct sequence/acknowledgement numbers, IP
 * header checksums (TCP checksums optional: --checksums), delayed pure ACKs, data bursts growing like
 * slow start with an ACK every second segment, FIN handshakes or RSTs; and the irregularities of real
 * traffic: several lines in one segment (multi-line replies, pipelined commands), lines split across
 * segments, retransmissions (an identical copy after an RTO) and out-of-order segments.
 *
 * Size: `--size` is an upper bound on the file. When the bytes written plus what the open sessions
 * still need to close cleanly reach it, no session starts any more, transfers stop at the next
 * segment (the server then answers 426) and sessions close after the exchange in progress.
 *
 * Memory is constant (a 4 MB output buffer, the open sessions); output goes through large writeSync
 * calls. Deterministic: the same options give the same bytes.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { optInt, optNumber, optSize, optBool } from '../src/common/options.js';
import { runCli } from '../src/common/cli.js';
import { generateSession, mixSeed, Rng, type SyntheticSession, type SyntheticTransfer } from './synthetic-ftp.js';

export interface CaptureOptions {
  /** upper bound of the file size in bytes */
  size: number;
  seed: number;
  /** control sessions open at once */
  concurrency: number;
  /**
   * share of the file's bytes that belong to FTP-DATA connections, 0 … 0.98; 0 opens no data
   * connections; below about 0.3 the handshakes and listings of the data connections alone exceed it
   */
  dataRatio: number;
  /** TCP payload per full segment */
  mss: number;
  /** compute TCP checksums (IPv4 header checksums are always computed) */
  checksums: boolean;
  /** probability that a control message is split across two segments */
  splitRate: number;
  /** probability that a segment is retransmitted (an identical copy after an RTO) */
  retransmitRate: number;
  /** probability that a control message goes out as two segments in reverse order */
  reorderRate: number;
  /** first timestamp, seconds */
  startTime: number;
  /** called once per control connection with what was actually written */
  onSession?: (log: SessionLog) => void;
}

/** What one control connection carried, line by line (without CRLF), as written to the capture. */
export interface SessionLog {
  session: SyntheticSession;
  clientIp: string;
  clientPort: number;
  clientLines: string[];
  serverLines: string[];
  /** commands actually sent, with the final reply code each got (0: none) */
  commands: { command: string; finalCode: number }[];
  /** the session was cut short because the size bound was reached */
  cut: boolean;
}

export interface CaptureStats {
  bytes: number;
  packets: number;
  controlSessions: number;
  dataConnections: number;
  /** file bytes (record headers included) of control-connection packets */
  controlBytes: number;
  /** file bytes of data-connection packets */
  dataBytes: number;
  controlPackets: number;
  dataPackets: number;
  firstTs: number;
  lastTs: number;
  /** sessions closed early because the size bound was reached */
  cutSessions: number;
}

export function normalizeCaptureOptions(raw: Record<string, unknown>): CaptureOptions {
  const size = optSize(raw, 'size', 64 * 1024 * 1024);
  return Object.freeze({
    size,
    seed: optInt(raw, 'seed', 1, 0, 0xffffffff),
    // enough sessions that each has room for a few hundred KB (small test captures stay readable)
    concurrency: optInt(raw, 'concurrency', Math.max(1, Math.min(2000, Math.floor(size / (256 * 1024)))), 1, 60000),
    dataRatio: optNumber(raw, 'dataRatio', 0.8, 0, 0.98),
    mss: optInt(raw, 'mss', 1448, 16, 8960),
    checksums: optBool(raw, 'checksums', false),
    splitRate: optNumber(raw, 'splitRate', 0.03, 0, 1),
    retransmitRate: optNumber(raw, 'retransmitRate', 0.005, 0, 1),
    reorderRate: optNumber(raw, 'reorderRate', 0.005, 0, 1),
    startTime: optNumber(raw, 'startTime', 1700000000, 0, 4e9),
    onSession: raw.onSession as CaptureOptions['onSession'],
  });
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const HEADERS = 16 + 14 + 20 + 20; // pcap record + Ethernet + IPv4 + TCP
/** what a control session (and a data connection) may still write after the bound is reached */
const CONTROL_RESERVE = 4096;
const DATA_RESERVE = 512;
const WAIT = -1;

/** One TCP connection: side a opened it (sent the SYN). Sequence numbers are the next to send. */
export class Conn {
  seqA: number;
  seqB: number;
  ipIdA: number;
  ipIdB: number;
  constructor(
    readonly ipA: number,
    readonly portA: number,
    readonly ipB: number,
    readonly portB: number,
    readonly isData: boolean,
    rng: Rng,
  ) {
    this.seqA = rng.u32();
    this.seqB = rng.u32();
    this.ipIdA = rng.int(65536);
    this.ipIdB = rng.int(65536);
  }
}

/** Buffered classic-pcap writer; one packet = one record (bench/gen-control.ts writes with it too). */
export class PcapWriter {
  private readonly buf = Buffer.allocUnsafe(4 << 20);
  private pos = 0;
  bytes = 0;
  packets = 0;
  controlBytes = 0;
  dataBytes = 0;
  controlPackets = 0;
  dataPackets = 0;
  lastTs = 0;
  firstTs = -1;

  constructor(private readonly fd: number, private readonly checksums: boolean) {
    const h = this.buf;
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
    this.pos = 24;
    this.bytes = 24;
  }

  /** Writes one TCP segment. `ts` in µs; timestamps never go backwards in the file. */
  packet(ts: number, c: Conn, fromA: boolean, flags: number, seq: number, ack: number, src: Buffer | null, off: number, len: number): void {
    if (ts < this.lastTs) ts = this.lastTs;
    this.lastTs = ts;
    if (this.firstTs < 0) this.firstTs = ts;
    const frameLen = 54 + len;
    if (this.pos + 16 + frameLen > this.buf.length) this.flush();
    const b = this.buf;
    let p = this.pos;
    const sec = Math.floor(ts / 1e6);
    b.writeUInt32LE(sec, p);
    b.writeUInt32LE(ts - sec * 1e6, p + 4);
    b.writeUInt32LE(frameLen, p + 8);
    b.writeUInt32LE(frameLen, p + 12);
    p += 16;
    const srcIp = fromA ? c.ipA : c.ipB;
    const dstIp = fromA ? c.ipB : c.ipA;
    // Ethernet: locally administered MACs 02:00:<IPv4 address>
    b.writeUInt16BE(0x0200, p);
    b.writeUInt32BE(dstIp, p + 2);
    b.writeUInt16BE(0x0200, p + 6);
    b.writeUInt32BE(srcIp, p + 8);
    b.writeUInt16BE(0x0800, p + 12);
    p += 14;
    // IPv4
    const ipStart = p;
    let ipId: number;
    if (fromA) ipId = c.ipIdA = (c.ipIdA + 1) & 0xffff;
    else ipId = c.ipIdB = (c.ipIdB + 1) & 0xffff;
    b[p] = 0x45;
    b[p + 1] = 0;
    b.writeUInt16BE(40 + len, p + 2);
    b.writeUInt16BE(ipId, p + 4);
    b.writeUInt16BE(0x4000, p + 6); // DF
    b[p + 8] = 64;
    b[p + 9] = 6;
    b.writeUInt16BE(0, p + 10);
    b.writeUInt32BE(srcIp, p + 12);
    b.writeUInt32BE(dstIp, p + 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (b[ipStart + i] << 8) | b[ipStart + i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    b.writeUInt16BE(~sum & 0xffff, p + 10);
    p += 20;
    // TCP
    const tcpStart = p;
    b.writeUInt16BE(fromA ? c.portA : c.portB, p);
    b.writeUInt16BE(fromA ? c.portB : c.portA, p + 2);
    b.writeUInt32BE(seq >>> 0, p + 4);
    b.writeUInt32BE(ack >>> 0, p + 8);
    b[p + 12] = 0x50;
    b[p + 13] = flags;
    b.writeUInt16BE(65535, p + 14);
    b.writeUInt32BE(0, p + 16); // checksum, urgent pointer
    p += 20;
    if (len > 0) {
      src!.copy(b, p, off, off + len);
      p += len;
    }
    if (this.checksums) {
      let s = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + 6 + 20 + len;
      const end = p - ((p - tcpStart) & 1);
      for (let i = tcpStart; i < end; i += 2) s += (b[i] << 8) | b[i + 1];
      if (end < p) s += b[end] << 8;
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      b.writeUInt16BE(~s & 0xffff, tcpStart + 16);
    }
    this.pos = p;
    const recBytes = 16 + frameLen;
    this.bytes += recBytes;
    this.packets++;
    if (c.isData) {
      this.dataBytes += recBytes;
      this.dataPackets++;
    } else {
      this.controlBytes += recBytes;
      this.controlPackets++;
    }
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.pos = 0;
  }
}

interface Task {
  t: number;
  /** insertion counter: equal times pop in insertion order */
  order: number;
  gen: Generator<number, void, void>;
}

/** Binary min-heap of tasks by (t, order). */
class TaskHeap {
  private readonly items: Task[] = [];
  private counter = 0;
  get size(): number {
    return this.items.length;
  }
  push(task: Task): void {
    task.order = this.counter++;
    const a = this.items;
    let i = a.length;
    a.push(task);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(task, a[parent])) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = task;
  }
  pop(): Task {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const m = r < a.length && before(a[r], a[l]) ? r : l;
        if (!before(a[m], last)) break;
        a[i] = a[m];
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

function before(x: Task, y: Task): boolean {
  return x.t < y.t || (x.t === y.t && x.order < y.order);
}

/** Bytes carried by data connections: 1 MiB patterns (+64 KiB so a segment never wraps). */
const PATTERN = 1 << 20;
interface Patterns {
  binary: Buffer;
  listing: Buffer;
  /** where the listing's lines start (below PATTERN): a listing transfer starts at a line, as real ones do */
  listingLineStarts: number[];
}

function makePatterns(seed: number): Patterns {
  const rng = new Rng(mixSeed(seed, 0x5eed));
  const binary = Buffer.allocUnsafe(PATTERN + 65536);
  for (let i = 0; i < PATTERN; i += 4) binary.writeUInt32LE(rng.u32(), i);
  binary.copy(binary, PATTERN, 0, 65536);
  const lines: string[] = [];
  const listingLineStarts: number[] = [];
  let len = 0;
  for (let i = 0; len < PATTERN + 65536; i++) {
    if (len < PATTERN) listingLineStarts.push(len);
    const dir = rng.chance(0.2);
    const line = `${dir ? 'd' : '-'}rw-r--r--    1 ftp      ftp      ${String(rng.range(0, 99999999)).padStart(10)} Nov 14  2023 ${
      dir ? 'dir' : 'file'}${i}${dir ? '' : '.dat'}\r\n`;
    lines.push(line);
    len += line.length;
  }
  const listing = Buffer.from(lines.join(''), 'latin1').subarray(0, PATTERN + 65536);
  return { binary, listing, listingLineStarts };
}

/** The generator's state shared by all tasks. */
class Generation {
  readonly heap = new TaskHeap();
  readonly out: PcapWriter;
  readonly rng: Rng;
  readonly patterns: Patterns;
  now = 0;
  activeControl = 0;
  activeData = 0;
  nextSession = 0;
  windingDown = false;
  cutSessions = 0;
  dataConnections = 0;
  /** scale applied to nominal transfer sizes so that data bytes approach dataRatio */
  private scale = 0.01;
  private inFlightData = 0;

  constructor(readonly opts: CaptureOptions, fd: number) {
    this.out = new PcapWriter(fd, opts.checksums);
    this.rng = new Rng(mixSeed(opts.seed, 0xcafe));
    this.patterns = makePatterns(opts.seed);
  }

  /** the size bound minus what open sessions need to finish is reached */
  budgetReached(): boolean {
    if (this.windingDown) return true;
    if (this.out.bytes + this.activeControl * CONTROL_RESERVE + this.activeData * DATA_RESERVE + HEADERS + this.opts.mss >= this.opts.size) {
      this.windingDown = true;
    }
    return this.windingDown;
  }

  run(): CaptureStats {
    const o = this.opts;
    const t0 = Math.round(o.startTime * 1e6);
    for (let i = 0; i < o.concurrency; i++) this.startSession(t0 + this.rng.int(2_000_000));
    while (this.heap.size > 0) {
      const task = this.heap.pop();
      this.now = task.t;
      const r = task.gen.next();
      if (r.done) continue;
      if (r.value === WAIT) continue; // woken by its data connection
      task.t = this.now + r.value;
      this.heap.push(task);
    }
    this.out.flush();
    const w = this.out;
    return {
      bytes: w.bytes, packets: w.packets, controlSessions: this.nextSession, dataConnections: this.dataConnections,
      controlBytes: w.controlBytes, dataBytes: w.dataBytes, controlPackets: w.controlPackets, dataPackets: w.dataPackets,
      firstTs: w.firstTs / 1e6, lastTs: w.lastTs / 1e6, cutSessions: this.cutSessions,
    };
  }

  startSession(t: number): void {
    if (this.budgetReached()) return;
    const session = generateSession(this.opts.seed, this.nextSession++);
    const task: Task = { t, order: 0, gen: null as unknown as Task['gen'] };
    task.gen = this.controlTask(session, task);
    this.activeControl++;
    this.heap.push(task);
  }

  wake(task: Task, delay: number): void {
    task.t = this.now + delay;
    this.heap.push(task);
  }

  /** Transfer size: the nominal size scaled so that data bytes track dataRatio of the file. */
  transferSize(tr: SyntheticTransfer): number {
    const o = this.opts;
    const w = this.out;
    const wanted = (o.dataRatio / (1 - o.dataRatio)) * w.controlBytes;
    const have = w.dataBytes + this.inFlightData * (1 + HEADERS / o.mss);
    this.scale *= have < wanted ? 1.08 : 0.93;
    this.scale = Math.min(1e4, Math.max(1e-5, this.scale));
    // one transfer stays a small part of the file, so that small captures still track the ratio
    const cap = Math.min(256 << 20, Math.max(16 << 10, Math.floor(o.size / 100)));
    return Math.min(cap, Math.max(tr.listing ? 64 : 0, Math.round(tr.bytes * this.scale)));
  }

  // -- control connection -------------------------------------------------------------------

  private *controlTask(s: SyntheticSession, self: Task): Generator<number, void, void> {
    const rng = new Rng(mixSeed(this.opts.seed ^ 0x7a3c, s.index));
    const c = new Conn(s.client.ip32, s.client.port, s.server.ip32, s.server.port, false, rng);
    const rtt = Math.round(rng.logUniform(150, 120_000));
    const scripted = s.profile === 'wget' || s.profile === 'curl' || s.profile === 'mirror' || s.profile === 'bruteforce';
    const log: SessionLog | null = this.opts.onSession
      ? { session: s, clientIp: s.client.ip, clientPort: s.client.port, clientLines: [], serverLines: [], commands: [], cut: false }
      : null;
    let cut = false;

    yield* this.handshake(c, rtt);
    yield Math.round(rng.logUniform(200, 5000)); // server forks, sends its banner
    yield* this.sendLines(c, false, s.greeting.lines, rtt, rng, log);

    const ex = s.exchanges;
    let transfers = 0;
    for (let i = 0; i < ex.length; i++) {
      const e = ex[i];
      const think = Math.round(scripted ? rng.logUniform(100, 20_000) : rng.logUniform(2_000, 3_000_000));
      // delayed ACK of the last reply when the user thinks for a while
      if (think > 40_000 && rng.chance(0.7)) {
        yield 40_000;
        this.out.packet(this.now, c, true, ACK, c.seqA, c.seqB, null, 0, 0);
        yield think - 40_000;
      } else yield think;
      if (this.budgetReached()) {
        cut = true;
        break;
      }
      const next = ex[i + 1];
      const pipeline = e.pipelined === true && next !== undefined && next.transfer === undefined && !e.transfer;
      const lines = pipeline ? [e.line, next.line] : [e.line];
      yield* this.sendLines(c, true, lines, rtt, rng, log);
      yield rtt >> 1;
      yield Math.round(rng.logUniform(50, 3000)); // server processing
      if (e.transfer && this.opts.dataRatio > 0) {
        yield* this.sendLines(c, false, e.replies[0].lines, rtt, rng, log);
        const bytes = this.transferSize(e.transfer);
        const clientPort = e.transfer.clientPort || s.client.port + 1 + (transfers % 7);
        transfers++;
        const result = { truncated: false };
        const child: Task = { t: this.now + (rtt >> 1), order: 0, gen: null as unknown as Task['gen'] };
        child.gen = this.dataTask(s, e.transfer, clientPort, bytes, rtt, self, result);
        this.activeData++;
        this.dataConnections++;
        this.heap.push(child);
        yield WAIT;
        const final = result.truncated ? ['426 Failure writing network stream.'] : e.replies[e.replies.length - 1].lines;
        yield* this.sendLines(c, false, final, rtt, rng, log);
        if (log) log.commands.push({ command: e.command, finalCode: result.truncated ? 426 : e.replies[e.replies.length - 1].code });
        if (result.truncated) {
          cut = true;
          break;
        }
      } else if (e.transfer) {
        // --data-ratio 0: control connections only, the transfer replies without a data connection
        for (const r of e.replies) yield* this.sendLines(c, false, r.lines, rtt, rng, log);
        if (log) log.commands.push({ command: e.command, finalCode: e.replies[e.replies.length - 1].code });
      } else {
        const replies = pipeline ? [...e.replies, ...next.replies] : e.replies;
        // the replies of pipelined commands sometimes leave in one segment
        if (pipeline && rng.chance(0.4)) yield* this.sendLines(c, false, replies.flatMap((r) => r.lines), rtt, rng, log);
        else {
          for (let k = 0; k < replies.length; k++) {
            if (k > 0) yield Math.round(rng.logUniform(20, 2000));
            yield* this.sendLines(c, false, replies[k].lines, rtt, rng, log);
          }
        }
        if (log) {
          log.commands.push({ command: e.command, finalCode: e.replies.length ? e.replies[e.replies.length - 1].code : 0 });
          if (pipeline) log.commands.push({ command: next.command, finalCode: next.replies[next.replies.length - 1].code });
        }
        if (pipeline) i++;
      }
    }

    // closing
    let end = s.end;
    if (cut) {
      end = 'client_close';
      this.cutSessions++;
    }
    yield rtt >> 1;
    if (end === 'client_rst') {
      this.out.packet(this.now, c, true, RST | ACK, c.seqA, c.seqB, null, 0, 0);
    } else {
      // after 221 or 421 the server closes first; otherwise the client does
      const serverFirst = end === 'server_close' || (end === 'quit' && rng.chance(0.7));
      yield* this.close(c, !serverFirst, rtt);
    }
    if (log) {
      log.cut = cut;
      this.opts.onSession!(log);
    }
    this.activeControl--;
    if (!this.budgetReached()) this.startSession(this.now + this.rng.int(500_000));
  }

  /** SYN, SYN-ACK, ACK */
  private *handshake(c: Conn, rtt: number): Generator<number, void, void> {
    this.out.packet(this.now, c, true, SYN, c.seqA, 0, null, 0, 0);
    c.seqA = (c.seqA + 1) >>> 0;
    yield rtt >> 1;
    this.out.packet(this.now, c, false, SYN | ACK, c.seqB, c.seqA, null, 0, 0);
    c.seqB = (c.seqB + 1) >>> 0;
    yield rtt >> 1;
    this.out.packet(this.now, c, true, ACK, c.seqA, c.seqB, null, 0, 0);
  }

  /** FIN one way, FIN-ACK back, last ACK; `fromA` closes first */
  private *close(c: Conn, fromA: boolean, rtt: number): Generator<number, void, void> {
    this.fin(c, fromA);
    yield rtt >> 1;
    this.fin(c, !fromA);
    yield rtt >> 1;
    this.out.packet(this.now, c, fromA, ACK, fromA ? c.seqA : c.seqB, fromA ? c.seqB : c.seqA, null, 0, 0);
  }

  private fin(c: Conn, fromA: boolean): void {
    if (fromA) {
      this.out.packet(this.now, c, true, FIN | ACK, c.seqA, c.seqB, null, 0, 0);
      c.seqA = (c.seqA + 1) >>> 0;
    } else {
      this.out.packet(this.now, c, false, FIN | ACK, c.seqB, c.seqA, null, 0, 0);
      c.seqB = (c.seqB + 1) >>> 0;
    }
  }

  /**
   * Sends lines (CRLF-terminated) as one message: one segment, or several when longer than the MSS,
   * split at a random byte, sent in reverse order, or retransmitted, as the rates say.
   */
  private *sendLines(c: Conn, fromA: boolean, lines: string[], rtt: number, rng: Rng, log: SessionLog | null): Generator<number, void, void> {
    if (log) (fromA ? log.clientLines : log.serverLines).push(...lines);
    const msg = Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
    const o = this.opts;
    let cuts: number[] = [];
    for (let p = o.mss; p < msg.length; p += o.mss) cuts.push(p);
    const reorder = msg.length > 1 && rng.chance(o.reorderRate);
    if (msg.length > 1 && (reorder || rng.chance(o.splitRate))) {
      cuts.push(1 + rng.int(msg.length - 1));
      cuts = [...new Set(cuts)].sort((x, y) => x - y);
    }
    const base = fromA ? c.seqA : c.seqB;
    const ack = fromA ? c.seqB : c.seqA;
    const bounds = [0, ...cuts, msg.length];
    const order = bounds.slice(0, -1).map((_, k) => k);
    if (reorder) {
      const k = rng.int(order.length - 1);
      order[k] = k + 1;
      order[k + 1] = k;
    }
    for (let n = 0; n < order.length; n++) {
      const k = order[n];
      const from = bounds[k];
      const len = bounds[k + 1] - from;
      const flags = k === order.length - 1 ? PSH | ACK : ACK;
      this.out.packet(this.now, c, fromA, flags, (base + from) >>> 0, ack, msg, from, len);
      if (rng.chance(o.retransmitRate)) {
        yield Math.max(200_000, rtt * 3);
        this.out.packet(this.now, c, fromA, flags, (base + from) >>> 0, ack, msg, from, len);
      }
      // a split line typed or flushed in pieces arrives a little later
      if (n < order.length - 1 && !reorder && rng.chance(0.5)) yield Math.round(rng.logUniform(50, 50_000));
    }
    if (fromA) c.seqA = (base + msg.length) >>> 0;
    else c.seqB = (base + msg.length) >>> 0;
  }

  // -- data connection ----------------------------------------------------------------------

  private *dataTask(
    s: SyntheticSession, tr: SyntheticTransfer, clientPort: number, bytes: number, rtt: number, parent: Task,
    result: { truncated: boolean },
  ): Generator<number, void, void> {
    const rng = new Rng(mixSeed(this.opts.seed ^ 0xda7a, this.dataConnections));
    const active = tr.mode === 'port' || tr.mode === 'eprt';
    // side a opens the connection: the server in active mode, the client in passive mode
    const c = active
      ? new Conn(s.server.ip32, tr.serverPort, s.client.ip32, clientPort, true, rng)
      : new Conn(s.client.ip32, clientPort, s.server.ip32, tr.serverPort, true, rng);
    const senderIsA = active === tr.toClient;
    const src = tr.listing ? this.patterns.listing : this.patterns.binary;
    const patternBase = tr.listing ? rng.pick(this.patterns.listingLineStarts) : rng.int(PATTERN);
    const mss = this.opts.mss;
    this.inFlightData += bytes;
    yield* this.handshake(c, rtt);
    yield 100;
    let sent = 0;
    let cwnd = 10;
    while (sent < bytes) {
      let unacked = 0;
      const burst = Math.min(cwnd, Math.ceil((bytes - sent) / mss));
      // now and then two segments of a burst are captured in reverse order
      const swapAt = burst >= 2 && rng.chance(this.opts.reorderRate * 4) ? rng.int(burst - 1) : -1;
      for (let k = 0; k < burst; k++) {
        if (this.budgetReached()) {
          result.truncated = true;
          break;
        }
        let len = Math.min(mss, bytes - sent);
        if (k === swapAt && bytes - sent > mss) {
          // the later segment first, then this one
          const len2 = Math.min(mss, bytes - sent - mss);
          this.dataSegment(c, senderIsA, sent + mss, len2, src, patternBase);
          this.dataSegment(c, senderIsA, sent, len, src, patternBase);
          len += len2;
          k++;
        } else this.dataSegment(c, senderIsA, sent, len, src, patternBase);
        sent += len;
        this.inFlightData -= len;
        unacked += len > mss ? 2 : 1;
        if (unacked >= 2) {
          unacked = 0;
          this.dataAck(c, senderIsA, sent);
        }
      }
      if (unacked > 0) this.dataAck(c, senderIsA, sent);
      if (result.truncated) break;
      if (rng.chance(this.opts.retransmitRate) && sent > 0) {
        // an RTO: the last full segment again
        const from = Math.max(0, sent - mss);
        yield Math.max(200_000, rtt * 3);
        this.dataSegment(c, senderIsA, from, sent - from, src, patternBase);
      }
      cwnd = Math.min(64, cwnd * 2);
      yield rtt;
    }
    this.inFlightData -= bytes - sent;
    // the sender closes after the last byte; set the connection's sequence numbers past the data
    if (senderIsA) c.seqA = (c.seqA + sent) >>> 0;
    else c.seqB = (c.seqB + sent) >>> 0;
    yield* this.close(c, senderIsA, rtt);
    this.activeData--;
    this.wake(parent, Math.round(rng.logUniform(100, 5000)));
  }

  private dataSegment(c: Conn, senderIsA: boolean, offset: number, len: number, src: Buffer, base: number): void {
    const seq = ((senderIsA ? c.seqA : c.seqB) + offset) >>> 0;
    const ack = senderIsA ? c.seqB : c.seqA;
    this.out.packet(this.now, c, senderIsA, ACK | PSH, seq, ack, src, (base + offset) % PATTERN, len);
  }

  private dataAck(c: Conn, senderIsA: boolean, received: number): void {
    if (senderIsA) this.out.packet(this.now, c, false, ACK, c.seqB, (c.seqA + received) >>> 0, null, 0, 0);
    else this.out.packet(this.now, c, true, ACK, c.seqA, (c.seqB + received) >>> 0, null, 0, 0);
  }
}

/** Writes the capture to `path`; returns what was written. */
export function generateCapture(path: string, options: Record<string, unknown> | CaptureOptions): CaptureStats {
  const opts = normalizeCaptureOptions(options as Record<string, unknown>);
  const fd = openSync(path, 'w');
  try {
    return new Generation(opts, fd).run();
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '64M' },
      seed: { type: 'string', default: '1' },
      concurrency: { type: 'string' },
      'data-ratio': { type: 'string' },
      mss: { type: 'string' },
      checksums: { type: 'boolean', default: false },
      output: { type: 'string', short: 'o' },
    },
  });
  const path = values.output ?? `bench/out/capture-${values.size}-seed${values.seed}.pcap`;
  const t = process.hrtime.bigint();
  const stats = generateCapture(path, {
    size: values.size, seed: values.seed, concurrency: values.concurrency, dataRatio: values['data-ratio'], mss: values.mss,
    checksums: values.checksums,
  });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  process.stderr.write(`gen-capture: ${path}: ${(stats.bytes / 1e6).toFixed(1)} MB, ${stats.packets} packets, ` +
    `${stats.controlSessions} control sessions, ${stats.dataConnections} data connections, ` +
    `${((100 * stats.dataBytes) / stats.bytes).toFixed(1)}% data bytes, ${secs.toFixed(1)} s\n`);
  process.stdout.write(JSON.stringify(stats) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runCli('gen-capture', main);
