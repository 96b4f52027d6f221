import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  canonicalIp, parseEprtArg, parseEpsvReply, parsePasvReply, parsePortArg, sniffType, TRANSFER_COMMANDS, type DataRecord,
} from '../src/common/ftp-data.js';
import { createFlowReader } from '../src/flows/reader.js';
import { flowToJsonLine, type FlowRecord } from '../src/flows/record.js';
import { dataLine } from '../src/flows/table.js';
import { writePcap, type Packet } from '../scripts/pcap-tools.js';
import { packet, type Seg } from './tcp-packet.js';
import { capturesUnder } from './extract-helpers.js';
import { hasTshark, tsharkFollowIds, tsharkStreamsOf, tsharkTransfers } from '../scripts/tshark-follow.js';
import { recordsOf } from '../scripts/compare-follow.js';
import { createExchangeExtractor } from '../src/extract/extractor.js';
import type { ExchangeRow } from '../src/extract/types.js';
import { csvHeader, csvRows, seedRows } from '../src/extract/csv.js';
import { parseDataset } from '../src/dataset/read.js';
import { parse } from 'csv-parse/sync';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../samples/', import.meta.url));
const TSHARK = hasTshark();

// ---- hand-built IPv4 packets (raw IP link type, test/tcp-packet.ts)

interface Conn {
  c: string;
  cp: number;
  s: string;
  sp: number;
}

/** a connection: handshake at t0, the segments (seq relative to ISN+1), FIN both ways */
function conn(k: Conn, t0: number, body: Seg[], close = true): Packet[] {
  const isn = { c: 100, s: 900 };
  const segs: Seg[] = [
    { from: 'c', seq: isn.c, flags: 'S', t: t0 },
    { from: 's', seq: isn.s, ack: isn.c + 1, flags: 'SA', t: t0 + 0.0001 },
    { from: 'c', seq: isn.c + 1, ack: isn.s + 1, t: t0 + 0.0002 },
    ...body.map((g) => ({ ...g, seq: isn[g.from] + 1 + g.seq })),
  ];
  if (close) {
    const end = (d: 'c' | 's'): number => body.filter((g) => g.from === d).reduce((m, g) => Math.max(m, g.seq + Buffer.byteLength(g.data ?? '', 'latin1')), 0);
    const last = Math.max(t0, ...body.map((g) => g.t));
    segs.push({ from: 'c', seq: isn.c + 1 + end('c'), flags: 'FA', t: last + 0.001 }, { from: 's', seq: isn.s + 1 + end('s'), flags: 'FA', t: last + 0.002 });
  }
  return segs.map((g) => (g.from === 'c' ? packet(k.c, k.cp, k.s, k.sp, g) : packet(k.s, k.sp, k.c, k.cp, g)));
}

function run(packets: Packet[], options: Record<string, unknown> = {}): { flows: FlowRecord[]; data: DataRecord[]; stats: Record<string, number> } {
  const flows: FlowRecord[] = [];
  const data: DataRecord[] = [];
  const r = createFlowReader(options, (f) => flows.push(f), (d) => data.push(d));
  r.push(writePcap([...packets].sort((a, b) => a.tsUs - b.tsUs), 101));
  r.end();
  return { flows, data, stats: r.stats() };
}

const CTL: Conn = { c: '10.0.0.1', cp: 40000, s: '10.0.0.2', sp: 21 };

/** a control session whose body lines are given as [dir, text] in order, one per segment, 0.01 s apart */
function control(lines: ['c' | 's', string][], t0 = 1, close = true): Packet[] {
  const off = { c: 0, s: 0 };
  const body: Seg[] = [];
  let t = t0 + 0.01;
  for (const [d, text] of [['s', '220 ready\r\n'] as ['s', string], ...lines]) {
    body.push({ from: d, seq: off[d], data: text, t });
    off[d] += text.length;
    t += 0.01;
  }
  return conn(CTL, t0, body, close);
}

/** a passive download of a.zip, announced at 10.0.0.2:50000 */
const PASV_RETR: ['c' | 's', string][] = [
  ['c', 'PASV\r\n'],
  ['s', '227 Entering Passive Mode (10,0,0,2,195,80).\r\n'],
  ['c', 'RETR a.zip\r\n'],
  ['s', '150 Opening\r\n'],
  ['s', '226 Done\r\n'],
];

/** an active upload to the client at 10.0.0.1:40000, then a PORT to a third host, 10.0.0.99:80 */
const PORT_STOR_BOUNCE: ['c' | 's', string][] = [
  ['c', 'PORT 10,0,0,1,156,64\r\n'],
  ['s', '200 PORT ok\r\n'],
  ['c', 'STOR up.txt\r\n'],
  ['s', '150 Ok\r\n'],
  ['s', '226 Done\r\n'],
  ['c', 'PORT 10,0,0,99,0,80\r\n'],
  ['s', '200 PORT ok\r\n'],
];

const ZIP = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(996, 7)]);

describe('announcement parsing', () => {
  it('PORT, 227 (with and without parentheses), EPRT (IPv4, IPv6, other delimiters), 229', () => {
    expect(parsePortArg('10,0,0,1,4,1')).toEqual({ mode: 'active', ip: '10.0.0.1', port: 1025 });
    expect(parsePortArg(' 10, 0, 0, 1, 4, 1')).toEqual({ mode: 'active', ip: '10.0.0.1', port: 1025 });
    expect(parsePortArg('10,0,0,256,4,1')).toBeNull();
    expect(parsePortArg('10,0,0,1,0,0')).toBeNull();
    expect(parsePasvReply('Entering Passive Mode (192,168,1,2,195,80).')).toEqual({ mode: 'passive', ip: '192.168.1.2', port: 50000 });
    expect(parsePasvReply('Entering Passive Mode 192,168,1,2,195,80')).toEqual({ mode: 'passive', ip: '192.168.1.2', port: 50000 });
    expect(parsePasvReply('Passive mode 1,2,3 then (192,168,1,2,195,80)')).toEqual({ mode: 'passive', ip: '192.168.1.2', port: 50000 });
    expect(parsePasvReply('Entering Passive Mode')).toBeNull();
    expect(parseEprtArg('|1|132.235.1.2|6275|')).toEqual({ mode: 'active', ip: '132.235.1.2', port: 6275 });
    expect(parseEprtArg('|2|1080::8:800:200C:417A|5282|')).toEqual({ mode: 'active', ip: '1080::8:800:200c:417a', port: 5282 });
    expect(parseEprtArg('!2!::1!5282!')).toEqual({ mode: 'active', ip: '::1', port: 5282 });
    expect(parseEprtArg('|3|x|5282|')).toBeNull();
    expect(parseEprtArg('|1|1.2.3.4|70000|')).toBeNull();
    expect(parseEpsvReply('229 Entering Extended Passive Mode (|||6446|)')).toEqual({ mode: 'passive', ip: null, port: 6446 });
    expect(parseEpsvReply('229 Entering Extended Passive Mode (|||0|)')).toBeNull();
    expect(canonicalIp('::ffff:1.2.3.4')).toBe('::ffff:102:304');
    expect(canonicalIp('2001:db8:0:0:0:0:0:1')).toBe('2001:db8::1');
  });

  it('sniffs the first bytes: archives, executables, images, TLS, text, binary', () => {
    const s = (b: Buffer | string): string => {
      const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
      return sniffType(buf, buf.length);
    };
    expect(s(ZIP)).toBe('archive:zip');
    expect(s(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('archive:gzip');
    const tar = Buffer.alloc(300);
    tar.write('ustar', 257);
    expect(s(tar)).toBe('archive:tar');
    expect(s('\x7fELF\x02\x01')).toBe('executable:elf');
    expect(s('MZ\x90\x00')).toBe('executable:pe');
    expect(s('\x89PNG\r\n\x1a\n')).toBe('image:png');
    expect(s('%PDF-1.7')).toBe('document:pdf');
    expect(s('\x16\x03\x01\x02\x00')).toBe('tls');
    expect(s('drwxr-xr-x 2 ftp ftp 4096 Jan 1 pub\r\n')).toBe('text');
    expect(s('caf\xc3\xa9\n')).toBe('text');
    expect(s('\x00\x01\x02\x03')).toBe('binary');
    expect(s('')).toBe('');
    // every signature, and the list's order where two match (sniffClass looks only at those that can)
    const rest: [string, string][] = [
      ['BZh91AY', 'archive:bzip2'], ['\xfd7zXZ\x00\x00', 'archive:xz'], ['7z\xbc\xaf\x27\x1c\x00', 'archive:7z'],
      ['Rar!\x1a\x07', 'archive:rar'], ['\xcf\xfa\xed\xfe\x07', 'executable:macho'], ['\xca\xfe\xba\xbe', 'executable:macho'],
      ['#!/bin/sh\n', 'executable:script'], ['\xff\xd8\xff\xe0', 'image:jpeg'], ['GIF89a', 'image:gif'],
      ['\xd0\xcf\x11\xe0\xa1', 'document:ole'], ['PK\x05\x06', 'archive:zip'], ['\xff\xd8', 'binary'], ['GIF', 'text'],
    ];
    for (const [bytes, cls] of rest) expect(s(bytes), cls).toBe(cls);
    const tarMz = Buffer.alloc(300);
    tarMz.write('MZ', 0, 'latin1');
    tarMz.write('ustar', 257);
    expect(s(tarMz)).toBe('archive:tar');
    const zipTar = Buffer.alloc(300);
    ZIP.copy(zipTar);
    zipTar.write('ustar', 257);
    expect(s(zipTar)).toBe('archive:zip');
  });
});

describe('data connections (ftp-flows)', () => {
  it('passive: the connection to the 227 endpoint is a data record of that control flow, bytes with reordering, sniffed', () => {
    const pkts = [
      ...control([
        ...PASV_RETR,
      ]),
      // the data connection: the second segment overtakes the first, the first is retransmitted
      ...conn({ c: '10.0.0.1', cp: 40001, s: '10.0.0.2', sp: 50000 }, 1.035, [
        { from: 's', seq: 500, data: ZIP.subarray(500), t: 1.036 },
        { from: 's', seq: 0, data: ZIP.subarray(0, 500), t: 1.037 },
        { from: 's', seq: 0, data: ZIP.subarray(0, 500), t: 1.038 },
      ]),
      // another connection to the server, never announced: left out
      ...conn({ c: '10.0.0.1', cp: 40002, s: '10.0.0.2', sp: 50001 }, 1.04, [{ from: 's', seq: 0, data: 'x', t: 1.041 }]),
    ];
    const { flows, data, stats } = run(pkts);
    expect(flows).toHaveLength(1);
    expect(data).toHaveLength(1);
    const d = data[0];
    expect(d).toMatchObject({
      type: 'data', control: flows[0].id, mode: 'passive', announced: { ip: '10.0.0.2', port: 50000 },
      client: { ip: '10.0.0.1', port: 40001 }, server: { ip: '10.0.0.2', port: 50000 },
      bytes: { c: 0, s: 1000 }, end: 'fin', flags: [], sniff: { c: '', s: 'archive:zip' },
    });
    expect(d.announced_ts).toBeCloseTo(1.03, 6);
    expect(d.packets).toEqual({ c: 3, s: 5 });
    expect(stats.data_reordered_bytes).toBe(500);
    expect(stats.flows_data).toBe(1);
    // the data record comes before its control flow's record in the stream
    expect(dataLine(d)).toBe(JSON.stringify(d) + '\n');
  });

  it('active (PORT), the server connecting from port 20; a bounce to a third host shows that host', () => {
    const pkts = [
      ...control([
        ...PORT_STOR_BOUNCE,
        ['c', 'RETR x\r\n'],
      ]),
      ...conn({ c: '10.0.0.2', cp: 20, s: '10.0.0.1', sp: 40000 }, 1.035, [{ from: 's', seq: 0, data: 'hello\n', t: 1.036 }]),
      ...conn({ c: '10.0.0.2', cp: 20, s: '10.0.0.99', sp: 80 }, 1.085, [{ from: 'c', seq: 0, data: 'GET / HTTP/1.0\r\n\r\n', t: 1.086 }]),
    ];
    const { data } = run(pkts);
    expect(data.map((d) => [d.mode, d.announced.ip, d.client.ip, d.client.port, d.server.ip, d.server.port, d.bytes.c, d.bytes.s, d.sniff.s || d.sniff.c])).toEqual([
      ['active', '10.0.0.1', '10.0.0.2', 20, '10.0.0.1', 40000, 0, 6, 'text'],
      ['active', '10.0.0.99', '10.0.0.2', 20, '10.0.0.99', 80, 18, 0, 'text'],
    ]);
  });

  it('a data connection cut at every chunk boundary of the capture gives the same record', () => {
    const pkts = [
      ...control([['c', 'EPSV\r\n'], ['s', '229 Entering Extended Passive Mode (|||50000|)\r\n'], ['c', 'LIST\r\n']]),
      ...conn({ c: '10.0.0.1', cp: 40001, s: '10.0.0.2', sp: 50000 }, 1.035, [{ from: 's', seq: 0, data: 'drwx pub\r\n', t: 1.036 }]),
    ];
    const bytes = writePcap([...pkts].sort((a, b) => a.tsUs - b.tsUs), 101);
    const whole = run(pkts).data.map((d) => JSON.stringify(d));
    expect(whole).toHaveLength(1);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const data: string[] = [];
      const r = createFlowReader({}, () => {}, (d) => data.push(JSON.stringify(d)));
      r.push(bytes.subarray(0, cut));
      r.push(bytes.subarray(cut));
      r.end();
      expect(data).toEqual(whole);
    }
  });

  it('hostile: many announced, never opened channels keep the table at its bound, counted; expiry counted', () => {
    const lines: ['c' | 's', string][] = [];
    for (let i = 0; i < 5000; i++) {
      lines.push(['c', 'PASV\r\n'], ['s', `227 Entering Passive Mode (10,0,0,2,${100 + (i >> 8)},${i & 255}).\r\n`]);
    }
    const { stats, data } = run(control(lines), { maxExpectedData: 64 });
    expect(data).toHaveLength(0);
    expect(stats.data_announced).toBe(5000);
    expect(stats.data_expected_peak).toBe(64);
    expect(stats.data_expected_evicted).toBe(5000 - 64);
    expect(stats.data_expected_open).toBe(64);
    // the same announcements, capture time passing: they expire after --data-timeout
    const slow = control(lines.slice(0, 20), 1, false).map((p, i) => ({ ...p, tsUs: p.tsUs + i * 2e6 }));
    const s2 = run(slow, { dataTimeout: 5 }).stats;
    expect(s2.data_announced).toBe(10);
    expect(s2.data_expected_expired).toBeGreaterThanOrEqual(7);
    expect(s2.data_expected_open).toBeLessThanOrEqual(3);
  });

  it('--all keeps writing every connection as a flow record, and the announced one as a data record too', () => {
    const pkts = [
      ...control([['c', 'PASV\r\n'], ['s', '227 Entering Passive Mode (10,0,0,2,195,80).\r\n'], ['c', 'LIST\r\n']]),
      ...conn({ c: '10.0.0.1', cp: 40001, s: '10.0.0.2', sp: 50000 }, 1.035, [{ from: 's', seq: 0, data: 'x\r\n', t: 1.036 }]),
    ];
    const { flows, data } = run(pkts, { all: true });
    expect(flows).toHaveLength(2);
    expect(data).toHaveLength(1);
    expect(data[0].bytes).toEqual(flows.find((f) => f.server.port === 50000)?.bytes);
  });
});

// ---- real captures against tshark

const SAMPLE_FILES = ['attacks', 'benign', 'ipv6', 'ipv6-active', 'transfer-sizes', 'sll', 'sll2', 'corpus2/attacks', 'corpus2/benign', 'corpus2/transfers'].map((n) => join(SAMPLES, `${n}.pcap`));

function dataOfCapture(file: string): DataRecord[] {
  let bytes = readFileSync(file);
  if (file.endsWith('.gz')) bytes = gunzipSync(bytes);
  const data: DataRecord[] = [];
  const r = createFlowReader({}, () => {}, (d) => data.push(d));
  r.push(bytes);
  r.end();
  return data.sort((a, b) => a.first_ts - b.first_ts);
}

const key = (d: DataRecord): string => `${d.client.ip}:${d.client.port}>${d.server.ip}:${d.server.port}`;

/**
 * Every connection tshark's FTP dissector takes for ftp-data has our data record, and each data
 * record (all of them; samples/: 40 evenly spread, FTP_IDS_FULL_SAMPLES=1 for all) carries per
 * direction exactly as many bytes as `tshark -z follow,tcp,raw` shows for that connection (bytes
 * and missing bytes: tshark shows a hole as NULs).
 */
function checkAgainstTshark(file: string, limit: number): { records: DataRecord[]; checked: number } {
  const ours = dataOfCapture(file);
  const { first, ftpData } = tsharkStreamsOf(file);
  const byKey = new Map<string, number[]>();
  for (const [id, k] of [...first].sort((a, b) => a[0] - b[0])) byKey.set(k, [...(byKey.get(k) ?? []), id]);
  const mine = new Set(ours.map(key));
  for (const id of ftpData) expect(mine.has(first.get(id) as string), `${file}: tshark ftp-data stream ${id} ${first.get(id)}`).toBe(true);
  const pick = ours.length <= limit ? ours : Array.from({ length: limit }, (_, i) => ours[Math.floor((i * ours.length) / limit)]);
  const streamOf = new Map<DataRecord, number>();
  const used = new Map<string, number>();
  for (const d of ours) {
    const k = key(d);
    const n = used.get(k) ?? 0;
    used.set(k, n + 1);
    const id = byKey.get(k)?.[n];
    expect(id, `${file}: no tshark stream for ${k}`).toBeDefined();
    streamOf.set(d, id as number);
  }
  const follow = new Map(tsharkFollowIds(file, pick.map((d) => streamOf.get(d) as number)).map((s) => [s.stream, s]));
  for (const d of pick) {
    const s = follow.get(streamOf.get(d) as number);
    expect(s, `${file}: ${key(d)}`).toBeDefined();
    if (d.missing.c + d.missing.s === 0) {
      expect([key(d), d.bytes.c, d.bytes.s]).toEqual([key(d), s!.bytes0.length, s!.bytes1.length]);
    } else {
      // holes: tshark's raw follow fills small ones with NULs but not jumps of gigabytes (zeek/bigtransfer,
      // where Zeek's conn.log agrees with bytes + missing: checked below)
      expect(s!.bytes0.length).toBeGreaterThanOrEqual(d.bytes.c);
      expect(s!.bytes1.length).toBeGreaterThanOrEqual(d.bytes.s);
      expect(s!.bytes0.length).toBeLessThanOrEqual(d.bytes.c + d.missing.c);
      expect(s!.bytes1.length).toBeLessThanOrEqual(d.bytes.s + d.missing.s);
    }
  }
  return { records: ours, checked: pick.length };
}

describe.skipIf(!TSHARK)('data connections against tshark', () => {
  // (the fuzzed capture is left out: its corrupted packets make no trustworthy connections)
  const corpus = capturesUnder(join(SHARED, 'corpus')).filter((f) => !f.includes('fuzz-'));
  it.skipIf(corpus.length === 0)('../shared/corpus: every capture with FTP data connections', () => {
    let withData = 0;
    let records = 0;
    const modes = new Set<string>();
    for (const f of corpus) {
      const r = checkAgainstTshark(f, Infinity);
      if (r.records.length) withData++;
      records += r.records.length;
      for (const d of r.records) modes.add(`${d.mode}/${d.client.ip.includes(':') ? 6 : 4}`);
    }
    expect(withData).toBeGreaterThanOrEqual(10);
    expect(records).toBeGreaterThanOrEqual(20);
    expect([...modes].sort()).toEqual(expect.arrayContaining(['active/4', 'passive/4']));
  }, 300_000);

  const big = join(SHARED, 'corpus/zeek/bigtransfer/bigtransfer.pcap');
  it.skipIf(!existsSync(big))('zeek/bigtransfer: a 5.4 GB transfer of which 23,822 bytes were captured, as Zeek conn.log says', () => {
    const conn = readFileSync(join(SHARED, 'corpus/zeek/bigtransfer/core.tcp.large-file-reassembly/conn.log'), 'utf8')
      .split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
    const data = dataOfCapture(big);
    expect(data).toHaveLength(2);
    for (const d of data) {
      // conn.log: id.orig_p at 3, resp_bytes at 10, missed_bytes at 14
      const z = conn.find((f) => Number(f[3]) === d.client.port) as string[];
      expect([d.bytes.s + d.missing.s, d.missing.s]).toEqual([Number(z[10]), Number(z[14])]);
    }
    expect(data[1].flags).toContain('gap');
  });

  const full = process.env.FTP_IDS_FULL_SAMPLES === '1';
  for (const f of SAMPLE_FILES) {
    it(`samples: ${f.slice(SAMPLES.length)}`, () => {
      const r = checkAgainstTshark(f, full ? Infinity : 40);
      expect(r.records.length).toBeGreaterThan(0);
      const modes = new Set(r.records.map((d) => d.mode));
      if (/ipv6/.test(f)) expect(r.records.every((d) => d.client.ip.includes(':'))).toBe(true);
      else expect([...modes].sort()).toEqual(['active', 'passive']);
    }, 300_000);
  }

  it('samples/ipv6-active.pcap: every transfer announced by EPRT |2| (ftplib, curl) is a data record, 0 B to 100 kB both ways', () => {
    const data = dataOfCapture(join(SAMPLES, 'ipv6-active.pcap'));
    // scripts/ipv6_active.py: 3 ftplib sessions (LIST and 9 RETR; 3 STOR, APPE, NLST, LIST; NLST, 2 RETR, STOR)
    // and 3 curl runs, every one active
    expect(data).toHaveLength(23);
    for (const d of data) {
      expect([d.mode, d.announced.ip, d.server.ip, d.server.port]).toEqual(['active', '::1', '::1', d.announced.port]);
      expect(d.flags).toEqual([]);
    }
    const sizes = data.map((d) => d.bytes.c + d.bytes.s);
    expect(Math.min(...sizes)).toBe(0);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(80_000);
    // downloads go to the client, the responder of an active connection; uploads come from it
    expect(data.some((d) => d.bytes.c > 0 && d.bytes.s === 0)).toBe(true);
    expect(data.some((d) => d.bytes.s > 0 && d.bytes.c === 0)).toBe(true);
    expect(new Set(data.map((d) => d.sniff.c || d.sniff.s))).toEqual(new Set(['', 'text', 'binary', 'archive:gzip']));
  });

  it('samples/transfer-sizes.pcap: 0 B to 512 KiB each way in both modes, through PASV, PORT, EPSV and EPRT |1|', () => {
    const data = dataOfCapture(join(SAMPLES, 'transfer-sizes.pcap'));
    // scripts/ipv6_active.py sizes: 7 sizes down and up, once passive and once active; then 3 curl runs
    expect(data).toHaveLength(31);
    const sizes = (mode: string, dir: 'c' | 's'): number[] =>
      data.filter((d) => d.mode === mode && d.bytes[dir === 'c' ? 's' : 'c'] === 0 && d.bytes[dir] > 0).map((d) => d.bytes[dir]).sort((a, b) => a - b);
    // passive: the client opens, so a download is server-to-client bytes of the responder (s); active: the reverse
    for (const [mode, down, up] of [['passive', 's', 'c'], ['active', 'c', 's']] as const) {
      for (const dir of [down, up]) {
        const got = sizes(mode, dir);
        expect(got[0], `${mode} ${dir}`).toBe(1);
        expect(got[got.length - 1], `${mode} ${dir}`).toBe(524_288);
        expect(got, `${mode} ${dir}`).toEqual(expect.arrayContaining([100, 1448, 10_000, 100_000]));
      }
    }
    expect(data.filter((d) => d.bytes.c + d.bytes.s === 0)).toHaveLength(4); // the empty file, down and up, each mode
    for (const d of data) expect(d.flags).toEqual([]);
  });

  it('samples/corpus2/transfers.pcap: every size of XFER_SIZES once per mode and direction, 0 B to 1 MiB, four servers, five clients', () => {
    const data = dataOfCapture(join(SAMPLES, 'corpus2', 'transfers.pcap'));
    // scripts/corpus2/corpus2.py XFER_SIZES: 12 sizes per (mode, direction), one of them 0
    expect(data).toHaveLength(48);
    const want = [1, 10, 100, 1448, 4096, 20_000, 65_483, 65_536, 131_072, 250_000, 1_048_576];
    for (const [mode, down, up] of [['passive', 's', 'c'], ['active', 'c', 's']] as const) {
      for (const dir of [down, up]) {
        const got = data.filter((d) => d.mode === mode && d.bytes[dir === 'c' ? 's' : 'c'] === 0 && d.bytes[dir] > 0).map((d) => d.bytes[dir]);
        expect(got.sort((a, b) => a - b), `${mode} ${dir}`).toEqual(want);
      }
      expect(data.filter((d) => d.mode === mode && d.bytes.c + d.bytes.s === 0), mode).toHaveLength(2);
    }
    for (const d of data) expect([d.end, d.flags, d.missing]).toEqual(['fin', [], { c: 0, s: 0 }]);
    expect(new Set(data.map((d) => d.server.ip).filter((ip) => ip.startsWith('127.0.5.')))).toEqual(new Set(['127.0.5.1', '127.0.5.2', '127.0.5.3', '127.0.5.4']));
    expect(new Set(data.map((d) => d.sniff.c || d.sniff.s))).toEqual(
      new Set(['', 'text', 'binary', 'archive:gzip', 'archive:zip', 'executable:elf', 'image:png']),
    );
  });

  it('samples/attacks.pcap: the bounced connections (PORT to 127.0.0.99) are data records whose peer is that host', () => {
    const bounced = dataOfCapture(join(SAMPLES, 'attacks.pcap')).filter((d) => d.announced.ip === '127.0.0.99');
    expect(bounced.length).toBeGreaterThan(0);
    for (const d of bounced) {
      expect(d.mode).toBe('active');
      expect(d.server.ip).toBe('127.0.0.99');
      expect(d.client.ip).toBe('127.0.0.3'); // ProFTPD (AllowForeignAddress on) connects out
    }
  });
});

// ---- ftp-extract: each transfer command and its data connection

/** the rows ftp-extract writes for records in ftp-flows' order (data records before their control flow) */
function rowsOfRecords(records: (FlowRecord | DataRecord)[]): { rows: ExchangeRow[]; stats: Record<string, number> } {
  const rows: ExchangeRow[] = [];
  const ex = createExchangeExtractor({}, (r) => rows.push(r));
  for (const r of records) {
    if (r.type === 'data') ex.pushData(r);
    else ex.pushFlow(r);
  }
  ex.end();
  return { rows, stats: ex.options.counters.toJSON() };
}

function rowsOfPackets(pkts: Packet[]): { rows: ExchangeRow[]; stats: Record<string, number> } {
  return rowsOfRecords(recordsOf(writePcap([...pkts].sort((a, b) => a.tsUs - b.tsUs), 101)));
}

const dataCols = (r: ExchangeRow | undefined): unknown[] =>
  r ? [r.command, r.data_bytes, r.data_direction, r.data_mode, r.data_peer, r.data_type, r.data_flags] : [];

describe('transfer rows (ftp-extract)', () => {
  const pkts = [
    ...control([
      ...PASV_RETR,
      ...PORT_STOR_BOUNCE,
      ['c', 'NLST\r\n'],
      ['s', '150 Ok\r\n'],
      ['s', '226 Done\r\n'],
      ['c', 'EPSV\r\n'],
      ['s', '229 Entering Extended Passive Mode (|||50002|)\r\n'],
      ['c', 'LIST\r\n'],
      ['s', '425 Can not open data connection\r\n'],
      ['c', 'RETR nothing\r\n'],
      ['s', '226 Done\r\n'],
    ]),
    ...conn({ c: '10.0.0.1', cp: 40001, s: '10.0.0.2', sp: 50000 }, 1.035, [{ from: 's', seq: 0, data: ZIP, t: 1.036 }]),
    // (active: the server connects; for STOR the client, the responder, sends)
    ...conn({ c: '10.0.0.2', cp: 20, s: '10.0.0.1', sp: 40000 }, 1.085, [{ from: 's', seq: 0, data: 'hello\n', t: 1.086 }]),
    ...conn({ c: '10.0.0.2', cp: 20, s: '10.0.0.99', sp: 80 }, 1.135, [{ from: 'c', seq: 0, data: 'a\r\nb\r\n', t: 1.136 }]),
  ];

  it('links each transfer to its data connection: bytes, direction, mode, real peer, type, flags', () => {
    const { rows, stats } = rowsOfPackets(pkts);
    const transfers = rows.filter((r) => ['RETR', 'STOR', 'NLST', 'LIST'].includes(r.command));
    expect(transfers.map(dataCols)).toEqual([
      ['RETR', 1000, 'download', 'passive', '10.0.0.1', 'archive:zip', ''],
      // the server's connection to the client (active) carries the upload
      ['STOR', 6, 'upload', 'active', '10.0.0.1', 'text', ''],
      // PORT to a third host: the server connected there, and sent the listing there
      ['NLST', 6, 'download', 'active', '10.0.0.99', 'text', 'third_host'],
      ['LIST', undefined, undefined, undefined, undefined, undefined, 'never_opened'],
      ['RETR', undefined, undefined, undefined, undefined, undefined, 'no_data_226'],
    ]);
    expect(rows.find((r) => r.command === 'RETR')?.data_duration).toBeCloseTo(0.003, 6); // SYN to the last FIN
    expect(stats['extract.data_linked']).toBe(3);
    // other rows have no data columns; the CSV carries them at the end, the dataset reader reads the file
    expect(rows.filter((r) => r.data_flags === undefined).every((r) => !['RETR', 'STOR', 'NLST', 'LIST'].includes(r.command))).toBe(true);
    const csv = csvHeader() + csvRows(rows);
    const lines = csv.trim().split('\n');
    expect(lines[0].endsWith(',reply_path,data_bytes,data_direction,data_duration,data_mode,data_peer,data_type,data_flags')).toBe(true);
    expect(lines.find((l) => l.includes(',RETR,a.zip,'))?.endsWith(',1000,download,0.003,passive,10.0.0.1,archive:zip,')).toBe(true);
    expect(parse(csv, { relax_column_count: false }).length).toBe(rows.length + 1); // every row has every column
    const sessions = parseDataset(csv);
    expect(sessions).toHaveLength(1);
    expect(sessions[0].exchanges.map((e) => e.command)).toEqual(rows.map((r) => r.command));
    // --format seed is the study's, unchanged: no data columns
    expect(seedRows(rows).split('\n').slice(0, 2)).toEqual(['10.0.0.1:40000-10.0.0.2:21,other,PASV,227', '10.0.0.1:40000-10.0.0.2:21,other,RETR,150']);
  });

  it('hostile: data records whose control flow never comes are held up to maxDataRecords, the oldest dropped, counted', () => {
    const d = recordsOf(writePcap([...pkts].sort((a, b) => a.tsUs - b.tsUs), 101)).find((r) => r.type === 'data') as DataRecord;
    const ex = createExchangeExtractor({ maxDataRecords: 10 }, () => {});
    for (let i = 0; i < 1000; i++) ex.pushData({ ...d, control: `F${i}` });
    ex.end();
    const c = ex.options.counters;
    expect([c.get('extract.data_records'), c.get('extract.data_dropped'), c.get('extract.data_unlinked')]).toEqual([1000, 990, 10]);
  });

  it('NDJSON through ftp-extract (the command) gives the same rows as in process', async () => {
    const { runExtract } = await import('../stages/extract.js');
    const { Readable, PassThrough } = await import('node:stream');
    const records = recordsOf(writePcap([...pkts].sort((a, b) => a.tsUs - b.tsUs), 101));
    const text = records.map((r) => (r.type === 'data' ? dataLine(r) : flowToJsonLine(r))).join('');
    expect(text.split('\n')[0].startsWith('{"type":"data"')).toBe(true);
    const out = new PassThrough();
    let csv = '';
    out.on('data', (d: Buffer) => (csv += d.toString()));
    await runExtract([{ name: 'x', stream: Readable.from([Buffer.from(text)]) }], out);
    expect(csv).toBe(csvHeader() + csvRows(rowsOfRecords(records).rows));
  });
});

/**
 * Each data connection tshark's FTP dissector links to a transfer command (ftp-data.command-frame)
 * is the one our row of that command links: its data_bytes equal tshark's follow bytes (both
 * ways) for that connection. samples/: 40 evenly spread per file (FTP_IDS_FULL_SAMPLES=1: all).
 */
function checkTransfers(file: string, limit: number): { checked: number; modes: Set<string> } {
  let bytes = readFileSync(file);
  if (file.endsWith('.gz')) bytes = gunzipSync(bytes);
  const { rows } = rowsOfRecords(recordsOf(bytes));
  const byCommand = new Map<string, ExchangeRow>();
  for (const r of rows) byCommand.set(`${r.client_ip}:${r.client_port}|${Math.round(r.ts_request * 1e6)}|${r.command}`, r);
  const all = tsharkTransfers(file);
  const pick = all.length <= limit ? all : Array.from({ length: limit }, (_, i) => all[Math.floor((i * all.length) / limit)]);
  const follow = new Map(tsharkFollowIds(file, pick.map((t) => t.stream)).map((s) => [s.stream, s]));
  const modes = new Set<string>();
  for (const t of pick) {
    // tshark links a data connection to the last command sent before it (SIZE, CWD when a client
    // pipelines them after PASV); ours is the transfer command, the next one of that session
    const row = TRANSFER_COMMANDS.has(t.command)
      ? byCommand.get(`${t.client}|${t.commandUs}|${t.command}`)
      : rows.find((r) => `${r.client_ip}:${r.client_port}` === t.client && TRANSFER_COMMANDS.has(r.command) && Math.round(r.ts_request * 1e6) >= t.commandUs);
    expect(row, `${file}: no row for ${t.command} at ${t.commandUs} from ${t.client}`).toBeDefined();
    const s = follow.get(t.stream)!;
    const theirs = s.bytes0.length + s.bytes1.length;
    expect([t.stream, t.command, row!.data_mode ?? row!.data_flags]).toEqual([t.stream, t.command, expect.stringMatching(/^(passive|active)$/)]);
    if (row!.data_flags?.includes('data_gap')) expect(row!.data_bytes).toBeGreaterThanOrEqual(theirs);
    else expect([t.stream, row!.data_bytes]).toEqual([t.stream, theirs]);
    modes.add(`${row!.data_mode}/${row!.client_ip.includes(':') ? 6 : 4}`);
  }
  return { checked: pick.length, modes };
}

describe.skipIf(!TSHARK)('transfer rows against tshark', () => {
  const corpus = capturesUnder(join(SHARED, 'corpus')).filter((f) => !f.includes('fuzz-'));
  it.skipIf(corpus.length === 0)('../shared/corpus: every transfer tshark links', () => {
    let checked = 0;
    const modes = new Set<string>();
    for (const f of corpus) {
      const r = checkTransfers(f, Infinity);
      checked += r.checked;
      for (const m of r.modes) modes.add(m);
    }
    expect(checked).toBeGreaterThanOrEqual(20);
    expect([...modes]).toEqual(expect.arrayContaining(['active/4', 'passive/4']));
  }, 300_000);

  const full = process.env.FTP_IDS_FULL_SAMPLES === '1';
  const modes = new Set<string>();
  for (const f of SAMPLE_FILES) {
    it(`samples: ${f.slice(SAMPLES.length)}`, () => {
      const r = checkTransfers(f, full ? Infinity : 40);
      expect(r.checked).toBeGreaterThan(0);
      for (const m of r.modes) modes.add(m);
    }, 300_000);
  }
  it('samples: active and passive, IPv4 and IPv6 among them', () => {
    expect([...modes].sort()).toEqual(expect.arrayContaining(['active/4', 'passive/4', 'active/6', 'passive/6']));
  });
});
