import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { FtpIdsError } from '../src/common/errors.js';
import { communityIdV1 } from '../src/flows/community-id.js';
import { PAGE } from '../src/flows/chunks.js';
import { normalizeFlowOptions } from '../src/flows/options.js';
import { createFlowReader } from '../src/flows/reader.js';
import { directionBytes, flowToJsonLine, parseFlowRecord, type FlowRecord } from '../src/flows/record.js';
import { writePcap, type Packet } from '../scripts/pcap-tools.js';
import { ip, packet, type Seg } from './tcp-packet.js';

/** Hand-built TCP/IPv4 segments (raw IP link type) with hand-computed expected streams (test/tcp-packet.ts). */
interface Conn {
  c: string;
  cp: number;
  s: string;
  sp: number;
}
const CONN: Conn = { c: '10.0.0.1', cp: 40000, s: '10.0.0.2', sp: 21 };

function pk(conn: Conn, segs: Seg[]): Packet[] {
  return segs.map((g) => (g.from === 'c' ? packet(conn.c, conn.cp, conn.s, conn.sp, g) : packet(conn.s, conn.sp, conn.c, conn.cp, g)));
}

function run(packets: Packet[], options: Record<string, unknown> = {}): { flows: FlowRecord[]; stats: Record<string, number> } {
  const flows: FlowRecord[] = [];
  const r = createFlowReader(options, (f) => flows.push(f));
  r.push(writePcap(packets, 101));
  r.end();
  return { flows, stats: r.stats() };
}

const C0 = 1000;
const S0 = 5000;
/** handshake at t=1; then the caller's segments; sequence numbers relative to ISN+1 */
function session(body: Seg[], isnC = C0, isnS = S0, closing = true): Seg[] {
  const rel = (g: Seg): Seg => ({ ...g, seq: (g.from === 'c' ? isnC + 1 : isnS + 1) + g.seq, ack: g.ack });
  const segs: Seg[] = [
    { from: 'c', seq: isnC, flags: 'S', t: 1 },
    { from: 's', seq: isnS, ack: isnC + 1, flags: 'SA', t: 1.001 },
    { from: 'c', seq: isnC + 1, ack: isnS + 1, flags: 'A', t: 1.002 },
    ...body.map(rel),
  ];
  if (closing) {
    const last = Math.max(...body.map((g) => g.t), 2);
    const cEnd = body.filter((g) => g.from === 'c').reduce((m, g) => Math.max(m, g.seq + Buffer.byteLength(g.data ?? '', 'latin1')), 0);
    const sEnd = body.filter((g) => g.from === 's').reduce((m, g) => Math.max(m, g.seq + Buffer.byteLength(g.data ?? '', 'latin1')), 0);
    segs.push({ from: 'c', seq: isnC + 1 + cEnd, flags: 'FA', t: last + 1 }, { from: 's', seq: isnS + 1 + sEnd, flags: 'FA', t: last + 1.001 });
  }
  return segs;
}

const GREET = '220 test FTP server ready\r\n';
const USER = 'USER anonymous\r\n';
const R331 = '331 Please specify the password.\r\n';

describe('TCP reassembly', () => {
  it('a clean session: client = SYN sender, chunks in delivery order, ends with fin', () => {
    const { flows } = run(pk(CONN, session([
      { from: 's', seq: 0, data: GREET, t: 2 },
      { from: 'c', seq: 0, data: USER, t: 3 },
      { from: 's', seq: GREET.length, data: R331, t: 4 },
    ])));
    expect(flows).toHaveLength(1);
    const f = flows[0];
    expect(f.client).toEqual({ ip: '10.0.0.1', port: 40000 });
    expect(f.server).toEqual({ ip: '10.0.0.2', port: 21 });
    expect(f.end).toBe('fin');
    expect(f.flags).toEqual([]);
    expect(f.chunks.map((c) => [c.dir, c.ts, c.data?.toString()])).toEqual([
      ['s', 2, GREET],
      ['c', 3, USER],
      ['s', 4, R331],
    ]);
    expect(f.bytes).toEqual({ c: USER.length, s: GREET.length + R331.length });
    // SYN, ACK, USER, FIN / SYN-ACK, greeting, 331, FIN
    expect(f.packets).toEqual({ c: 4, s: 4 });
    expect(f.first_ts).toBe(1);
    expect(f.last_ts).toBe(5.001);
  });

  it('out-of-order segments are delivered in sequence, stamped with the packet that completed them', () => {
    const a = '220-first\r\n';
    const b = '220-second\r\n';
    const c = '220 third\r\n';
    const { flows } = run(pk(CONN, session([
      { from: 's', seq: a.length + b.length, data: c, t: 2 },
      { from: 's', seq: 0, data: a, t: 2.1 },
      { from: 's', seq: a.length, data: b, t: 2.2 },
    ])));
    const f = flows[0];
    expect(directionBytes(f, 's').toString()).toBe(a + b + c);
    expect(f.chunks.map((x) => [x.ts, x.data?.toString()])).toEqual([
      [2.1, a],
      [2.2, b],
      [2.2, c],
    ]);
    expect(f.flags).toEqual([]);
  });

  it('retransmission with the same bytes changes nothing; with other bytes the first copy wins and is flagged', () => {
    const same = run(pk(CONN, session([
      { from: 's', seq: 0, data: GREET, t: 2 },
      { from: 's', seq: 0, data: GREET, t: 2.5 },
      { from: 's', seq: 4, data: GREET.slice(4) + R331.slice(0, 5), t: 2.6 },
    ])));
    expect(directionBytes(same.flows[0], 's').toString()).toBe(GREET + R331.slice(0, 5));
    expect(same.flows[0].flags).toEqual([]);
    expect(same.stats.retransmitted).toBe(1);
    const diff = run(pk(CONN, session([
      { from: 's', seq: 0, data: GREET, t: 2 },
      { from: 's', seq: 0, data: '421' + GREET.slice(3), t: 2.5 },
    ])));
    expect(directionBytes(diff.flows[0], 's').toString()).toBe(GREET);
    expect(diff.flows[0].flags).toEqual(['overlap_conflict']);
  });

  it('overlapping queued segments: the bytes delivered first are kept', () => {
    const { flows } = run(pk(CONN, session([
      { from: 's', seq: 4, data: 'AAAAAAAA', t: 2 },
      { from: 's', seq: 8, data: 'BBBBBBBB', t: 2.1 },
      { from: 's', seq: 0, data: '220 ', t: 2.2 },
    ])));
    expect(directionBytes(flows[0], 's').toString()).toBe('220 AAAAAAAABBBB');
    expect(flows[0].flags).toEqual(['overlap_conflict']);
  });

  it('sequence numbers wrap around 2^32', () => {
    const isnS = 0xffffffff - 10;
    const { flows } = run(pk(CONN, session([
      { from: 's', seq: 0, data: GREET.slice(0, 6), t: 2 },
      { from: 's', seq: 20, data: GREET.slice(20), t: 2.1 },
      { from: 's', seq: 6, data: GREET.slice(6, 20), t: 2.2 },
    ], C0, isnS)));
    expect(directionBytes(flows[0], 's').toString()).toBe(GREET);
    expect(flows[0].flags).toEqual([]);
  });

  it('a hole the receiver acknowledged becomes a gap chunk at its place, before later chunks', () => {
    const cmd2 = 'PWD\r\n';
    const { flows, stats } = run(pk(CONN, session([
      { from: 's', seq: 0, data: GREET, t: 2 },
      // USER never captured; PWD arrives, then the server acknowledges both
      { from: 'c', seq: USER.length, data: cmd2, t: 3 },
      { from: 's', seq: GREET.length, ack: C0 + 1 + USER.length + cmd2.length, data: R331, t: 4 },
    ])));
    const f = flows[0];
    expect(f.flags).toEqual(['gap']);
    expect(f.chunks.map((c) => [c.dir, c.gap ?? c.data?.toString()])).toEqual([
      ['s', GREET],
      ['c', USER.length],
      ['c', cmd2],
      ['s', R331],
    ]);
    expect(stats.holes).toBe(1);
    expect(stats.hole_bytes).toBe(USER.length);
  });

  it('a hole nobody acknowledged is given up at the end of the flow', () => {
    const { flows } = run(pk(CONN, session([
      { from: 's', seq: 0, data: GREET, t: 2 },
      { from: 's', seq: GREET.length + 10, data: R331, t: 3 },
    ], C0, S0, false)));
    expect(flows[0].end).toBe('eof');
    expect(flows[0].chunks.map((c) => c.gap ?? c.data?.toString())).toEqual([GREET, 10, R331]);
  });

  it('picked up mid-stream: no_syn, the side speaking replies is the server', () => {
    const conn = { ...CONN, cp: 2121, sp: 50000 }; // server on the higher port
    const { flows } = run(pk(conn, [
      { from: 'c', seq: 777, data: 'SIZE 123\r\n', t: 1 },
      { from: 's', seq: 999, data: '213 123\r\n', t: 2 },
    ]));
    expect(flows).toHaveLength(1);
    expect(flows[0].flags).toEqual(['no_syn']);
    expect(flows[0].server.port).toBe(50000);
    expect(flows[0].client.port).toBe(2121);
  });

  it('RST ends a flow; a port pair reused after close is a new flow with its own id', () => {
    const first = pk(CONN, [...session([{ from: 's', seq: 0, data: GREET, t: 2 }], C0, S0, false), { from: 'c', seq: C0 + 1, flags: 'R', t: 3 }]);
    const second = pk(CONN, session([{ from: 's', seq: 0, data: GREET, t: 12 }], 90000, 70000).map((g) => ({ ...g, t: g.t + 10 })));
    // a stray ACK after the RST must not start a flow
    const stray = pk(CONN, [{ from: 's', seq: S0 + 1 + GREET.length, t: 3.5 }]);
    const { flows, stats } = run([...first, ...stray, ...second]);
    expect(flows.map((f) => f.end)).toEqual(['rst', 'fin']);
    expect(flows[0].community_id).toBe(flows[1].community_id);
    expect(flows[0].id).not.toBe(flows[1].id);
    expect(stats.port_reuse).toBe(1);
  });

  it('idle timeout is capture time: a silent flow is emitted when later packets are far enough ahead', () => {
    const other = { ...CONN, cp: 40001 };
    const a = pk(CONN, session([{ from: 's', seq: 0, data: GREET, t: 2 }], C0, S0, false));
    const b = pk(other, session([{ from: 's', seq: 0, data: GREET, t: 2 }], C0, S0, false).map((g) => ({ ...g, t: g.t + 1999 })));
    const { flows } = run([...a, ...b], { idleTimeout: '15m' });
    expect(flows.map((f) => [f.client.port, f.end])).toEqual([
      [40000, 'idle'],
      [40001, 'eof'],
    ]);
    const longer = run([...a, ...b], { idleTimeout: '1h' });
    expect(longer.flows.map((f) => f.end)).toEqual(['eof', 'eof']);
  });

  it('--max-flows evicts the least recently active flow, emitted and flagged', () => {
    const conns = [40000, 40001, 40002].map((cp) => ({ ...CONN, cp }));
    const packets = [
      ...pk(conns[0], [{ from: 's', seq: 1, data: GREET, t: 1 }]),
      ...pk(conns[1], [{ from: 's', seq: 1, data: GREET, t: 2 }]),
      ...pk(conns[0], [{ from: 'c', seq: 1, data: USER, t: 3 }]),
      ...pk(conns[2], [{ from: 's', seq: 1, data: GREET, t: 4 }]),
    ];
    const { flows, stats } = run(packets, { maxFlows: 2 });
    expect(flows[0].client.port).toBe(40001);
    expect(flows[0].end).toBe('evicted');
    expect(flows[0].flags).toContain('evicted');
    expect(stats.evicted).toBe(1);
    expect(flows.slice(1).map((f) => f.client.port).sort()).toEqual([40000, 40002]);
  });

  it('--max-flow-bytes keeps the head of each direction and flags it truncated', () => {
    const big = 'X'.repeat(100);
    const { flows } = run(pk(CONN, session([
      { from: 's', seq: 0, data: GREET, t: 2 },
      { from: 's', seq: GREET.length, data: big, t: 3 },
    ])), { maxFlowBytes: 40 });
    expect(directionBytes(flows[0], 's').toString()).toBe((GREET + big).slice(0, 40));
    expect(flows[0].flags).toEqual(['truncated_s']);
    expect(flows[0].bytes.s).toBe(GREET.length + 100);
  });

  it('--max-buffered-bytes evicts older flows that hold payload', () => {
    const conns = [40000, 40001, 40002, 40003].map((cp) => ({ ...CONN, cp }));
    const packets = conns.flatMap((c, i) => pk(c, [{ from: 's', seq: 1, data: GREET + 'x'.repeat(100), t: i + 1 }]));
    const { flows, stats } = run(packets, { maxBufferedBytes: 300 });
    expect(stats.evicted_buffer).toBeGreaterThanOrEqual(1);
    expect(flows.filter((f) => f.end === 'evicted').map((f) => f.client.port)[0]).toBe(40000);
  });
});

describe('payload memory under many small flows', () => {
  it('the arena\'s pages count against --max-buffered-bytes: a byte per flow cannot hold a page per flow', () => {
    // 300 FTP-looking connections each holding one greeting (a page of the arena each), nothing closes
    const packets: Packet[] = [];
    for (let i = 0; i < 300; i++) packets.push(...pk({ ...CONN, cp: 41000 + i }, [{ from: 's', seq: 1, data: GREET, t: 1 + i / 1000 }]));
    const limit = 64 * PAGE;
    const { flows, stats } = run(packets, { maxBufferedBytes: limit });
    expect(flows).toHaveLength(300); // evicted ones are emitted too, none lost
    expect(stats.payload_pages_peak * PAGE).toBeLessThanOrEqual(limit + PAGE);
    expect(stats.evicted_buffer).toBeGreaterThan(200);
    // the bytes themselves stay far below the limit: only the page count triggers the evictions
    expect(stats.buffered_bytes_peak).toBeLessThan(limit / 4);
    // without the bound every flow keeps its page
    const free = run(packets, {});
    expect(free.stats.payload_pages_peak).toBe(300);
    expect(free.stats.evicted_buffer).toBe(0);
  });
});

describe('which flows are emitted', () => {
  const http = { ...CONN, sp: 80, cp: 40100 };
  const ftpOdd = { ...CONN, sp: 2811, cp: 40200 };
  const smtp = { ...CONN, sp: 25, cp: 40300 };
  const data = { ...CONN, sp: 20, cp: 40400 };
  const packets = [
    ...pk(http, session([{ from: 'c', seq: 0, data: 'GET / HTTP/1.0\r\n\r\n', t: 2 }, { from: 's', seq: 0, data: 'HTTP/1.0 200 OK\r\n\r\n', t: 3 }])),
    ...pk(ftpOdd, session([{ from: 's', seq: 0, data: GREET, t: 2 }, { from: 'c', seq: 0, data: USER, t: 3 }])),
    ...pk(smtp, session([{ from: 's', seq: 0, data: '220 mail ESMTP\r\n', t: 2 }, { from: 'c', seq: 0, data: 'EHLO x\r\n', t: 3 }])),
    ...pk(data, session([{ from: 's', seq: 0, data: Buffer.alloc(3000, 7), t: 2 }])),
  ];
  const ports = (o: Record<string, unknown>): number[] => run(packets, o).flows.map((f) => f.server.port).sort((a, b) => a - b);

  it('default: FTP control connections by content, on any port; not HTTP, SMTP or data connections', () => {
    expect(ports({})).toEqual([2811]);
  });
  it('a silent connection (reset before any byte) counts as FTP only to a server that greeted as FTP before', () => {
    const silent = (conn: Conn, t: number): Packet[] =>
      pk(conn, [
        { from: 'c', seq: 1, flags: 'S', t },
        { from: 's', seq: 9, ack: 2, flags: 'SA', t: t + 0.001 },
        { from: 'c', seq: 2, flags: 'R', t: t + 0.002 },
      ]);
    const flood = [...packets, ...silent({ ...ftpOdd, cp: 41000 }, 20), ...silent({ ...http, cp: 41001 }, 21)];
    expect(run(flood).flows.map((f) => [f.server.port, f.client.port, f.end])).toEqual([
      [2811, 40200, 'fin'],
      [2811, 41000, 'rst'],
    ]);
  });
  it('--port adds every connection on that port', () => {
    expect(ports({ port: ['80'] })).toEqual([80, 2811]);
  });
  it('--all emits every TCP connection', () => {
    const all = run(packets, { all: true }).flows;
    expect(all.map((f) => f.server.port).sort((a, b) => a - b)).toEqual([20, 25, 80, 2811]);
    expect(directionBytes(all.find((f) => f.server.port === 20)!, 's').length).toBe(3000);
  });
});

describe('record', () => {
  it('Community ID v1 matches the published value for an Arkime test session', () => {
    // arkime tests/ftp.test: 10.10.30.26:43958 -> 129.21.171.72:21, community_id "1:Y6I3JhgebNYJ7cm/dvZaIvCLNoU="
    expect(communityIdV1(ip('10.10.30.26'), 43958, ip('129.21.171.72'), 21)).toBe('1:Y6I3JhgebNYJ7cm/dvZaIvCLNoU=');
    expect(communityIdV1(ip('129.21.171.72'), 21, ip('10.10.30.26'), 43958)).toBe('1:Y6I3JhgebNYJ7cm/dvZaIvCLNoU=');
  });

  it('id is F + 16 hex of SHA-1 over "community_id|first µs"; NDJSON round-trips', () => {
    const { flows } = run(pk(CONN, session([{ from: 's', seq: 0, data: GREET, t: 2 }])));
    const f = flows[0];
    expect(f.id).toBe('F' + createHash('sha1').update(`${f.community_id}|1000000`).digest('hex').slice(0, 16));
    const line = flowToJsonLine(f);
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line).chunks[0].data).toBe(Buffer.from(GREET).toString('base64'));
    expect(parseFlowRecord(line)).toEqual(f);
    // the hand-built line is exactly JSON.stringify of the record with base64 payloads (gaps included)
    const withGap = run(pk(CONN, session([{ from: 's', seq: 0, data: GREET, t: 2 }, { from: 's', seq: GREET.length + 5, data: R331, t: 2.5 }]))).flows[0];
    for (const g of [f, withGap]) {
      const chunks = g.chunks.map((c) => (c.data ? { dir: c.dir, ts: c.ts, data: c.data.toString('base64') } : { dir: c.dir, ts: c.ts, gap: c.gap }));
      expect(flowToJsonLine(g)).toBe(JSON.stringify({ ...g, chunks }) + '\n');
    }
    expect(withGap.chunks.some((c) => c.gap === 5)).toBe(true);
    expect(() => parseFlowRecord(line.replace('"v":1', '"v":2'), 7)).toThrow(/version/);
  });

  it('option normaliser: names, units and errors', () => {
    const o = normalizeFlowOptions({ 'idle-timeout': '5m', 'max-flow-bytes': '64k', port: ['21', '2121'], all: true });
    expect(o.idleTimeout).toBe(300);
    expect(o.maxFlowBytes).toBe(65536);
    expect(o.ports).toEqual([21, 2121]);
    for (const bad of [{ maxFlows: '0' }, { port: ['70000'] }, { idleTimeout: 'soon' }, { nonsense: 1 }]) {
      try {
        normalizeFlowOptions(bad);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(FtpIdsError);
        expect((e as FtpIdsError).code).toBe('INVALID_OPTION');
      }
    }
  });
});
