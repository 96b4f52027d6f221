/**
 * The bench's capture generator: a small capture must be a valid pcap that tshark (the reference)
 * decodes without malformed packets or bad checksums, whose FTP control streams, as tshark
 * reassembles them, carry exactly the lines the generator says it wrote; same seed, same bytes.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { generateCapture, type CaptureStats, type SessionLog } from '../bench/gen-capture.js';
import { generateSession, syntheticSessions, sessionCsvRows, DATASET_COLUMNS } from '../bench/synthetic-ftp.js';

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'bench-gen-'));
const SIZE = 600 * 1024;
// high irregularity rates so that a small capture has split lines, reordering and retransmissions
const OPTIONS = { size: SIZE, seed: 11, concurrency: 8, dataRatio: 0.5, checksums: true, splitRate: 0.2, retransmitRate: 0.05, reorderRate: 0.05 };

function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Splits a byte stream into CRLF-terminated lines; a trailing unterminated piece is kept as is. */
function lines(bytes: Buffer): string[] {
  const text = bytes.toString('latin1');
  const parts = text.split('\r\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

describe('bench capture generator', () => {
  const file = join(dir, 'a.pcap');
  const logs: SessionLog[] = [];
  let stats: CaptureStats;

  beforeAll(() => {
    stats = generateCapture(file, { ...OPTIONS, onSession: (l: SessionLog) => logs.push(l) });
  });

  it('stays within the requested size and fills most of it', () => {
    const size = statSync(file).size;
    expect(size).toBe(stats.bytes);
    expect(size).toBeLessThanOrEqual(SIZE);
    expect(size).toBeGreaterThan(SIZE * 0.8);
    expect(logs.length).toBe(stats.controlSessions);
    expect(stats.controlSessions).toBeGreaterThan(20);
  });

  it('is deterministic: same seed, same bytes; another seed, other bytes', () => {
    const again = join(dir, 'b.pcap');
    generateCapture(again, OPTIONS);
    expect(readFileSync(again).equals(readFileSync(file))).toBe(true);
    const other = join(dir, 'c.pcap');
    generateCapture(other, { ...OPTIONS, seed: 12 });
    expect(readFileSync(other).equals(readFileSync(file))).toBe(false);
  });

  it('writes each session script as given, up to where the size bound cut it', () => {
    for (const l of logs) {
      const s = generateSession(OPTIONS.seed, l.session.index);
      expect(l.session).toEqual(s);
      const sent = s.exchanges.map((e) => e.line);
      if (l.cut) expect(sent.slice(0, l.clientLines.length)).toEqual(l.clientLines);
      else expect(l.clientLines).toEqual(sent);
      expect(l.serverLines.slice(0, s.greeting.lines.length)).toEqual(s.greeting.lines);
    }
    expect(logs.some((l) => !l.cut)).toBe(true);
  });

  it.skipIf(!hasTshark)('decodes in tshark without malformed packets and with good checksums', () => {
    // The FTP dissector is off here: it parses each segment alone (no line reassembly, see
    // ../shared/corpus/README.md), so a line split across segments shows as a "malformed" command to
    // it; that is checked below, where tshark's reassembled streams are compared instead.
    const rows = tshark(['-r', file, '--disable-protocol', 'ftp', '--disable-protocol', 'ftp-data', '-o', 'tcp.check_checksum:TRUE',
      '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', '_ws.malformed',
      '-e', '_ws.expert.severity']).split('\n').slice(0, -1).map((l) => l.split('\t'));
    expect(rows.length).toBe(stats.packets);
    // status 1 = Good for both checksums; no malformed marker; no expert info of severity Error (0x00800000)
    const bad = rows.filter(([ip, tcp, malformed, severity]) =>
      ip !== '1' || tcp !== '1' || malformed !== '' || (severity ?? '').split(',').some((v) => Number(v) >= 0x00800000));
    expect(bad).toEqual([]);
  });

  it.skipIf(!hasTshark)('carries, per control connection, the lines of the session log (tshark follow,tcp,raw)', () => {
    const syns = tshark(['-r', file, '-Y', 'tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==21', '-T', 'fields',
      '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'tcp.srcport']).trimEnd().split('\n').map((l) => l.split('\t'));
    expect(syns.length).toBe(logs.length);
    const follow = tshark(['-r', file, '-q', ...syns.flatMap(([stream]) => ['-z', `follow,tcp,raw,${stream}`])]);
    // blocks: "Filter: tcp.stream eq N", "Node 0: client", hex lines, server's indented by a tab
    const streams = new Map<string, { client: string; c: Buffer[]; s: Buffer[] }>();
    let cur: { client: string; c: Buffer[]; s: Buffer[] } | null = null;
    for (const line of follow.split('\n')) {
      if (line.startsWith('Node 0: ')) {
        cur = { client: line.slice(8), c: [], s: [] };
        streams.set(cur.client, cur);
      } else if (cur && /^\t?[0-9a-f]+$/.test(line)) {
        (line.startsWith('\t') ? cur.s : cur.c).push(Buffer.from(line.trim(), 'hex'));
      } else if (line.startsWith('=====')) cur = null;
    }
    let checked = 0;
    for (const l of logs) {
      const st = streams.get(`${l.clientIp}:${l.clientPort}`);
      expect(st, `${l.clientIp}:${l.clientPort}`).toBeDefined();
      expect(lines(Buffer.concat(st!.c))).toEqual(l.clientLines);
      expect(lines(Buffer.concat(st!.s))).toEqual(l.serverLines);
      checked += l.clientLines.length;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it.skipIf(!hasTshark)('has split lines, several lines per segment, retransmissions and reordering, as tshark sees them', () => {
    const flags = tshark(['-r', file, '-Y', 'tcp.port==21 && tcp.len>0', '-T', 'fields', '-e', 'tcp.analysis.retransmission',
      '-e', 'tcp.analysis.out_of_order', '-e', 'tcp.payload']).trimEnd().split('\n').map((l) => l.split('\t'));
    const retrans = flags.filter((f) => f[0] !== '').length;
    const ooo = flags.filter((f) => f[1] !== '').length;
    const payloads = flags.map((f) => Buffer.from(f[2], 'hex').toString('latin1'));
    const multiLine = payloads.filter((p) => p.split('\r\n').length > 2).length;
    const partial = payloads.filter((p) => !p.endsWith('\r\n')).length;
    expect(retrans).toBeGreaterThan(0);
    expect(ooo).toBeGreaterThan(0);
    expect(multiLine).toBeGreaterThan(0);
    expect(partial).toBeGreaterThan(0);
  });

  it.skipIf(!hasTshark)('puts most bytes in FTP-DATA connections, as dataRatio asks', () => {
    const rows = tshark(['-r', file, '-T', 'fields', '-e', 'tcp.port', '-e', 'frame.len']).trimEnd().split('\n');
    let control = 0;
    let total = 0;
    for (const r of rows) {
      const [ports, len] = r.split('\t');
      const n = Number(len) + 16;
      total += n;
      if (ports.split(',').includes('21')) control += n;
    }
    expect(total + 24).toBe(stats.bytes);
    expect(control).toBe(stats.controlBytes);
    // 0.5 asked; a 600 KB capture has only a few dozen transfers to even it out
    expect(1 - control / total).toBeGreaterThan(0.35);
    expect(1 - control / total).toBeLessThan(0.65);
  });
});

describe('exchange-level synthetic sessions', () => {
  it('are deterministic and independent of how many are generated', () => {
    const a = [...syntheticSessions(50, 5)];
    const b = [...syntheticSessions(80, 5)].slice(0, 50);
    expect(a).toEqual(b);
    expect(generateSession(5, 49)).toEqual(a[49]);
    expect([...syntheticSessions(50, 6)]).not.toEqual(a);
  });

  it('answer every command with well-formed replies (multi-line replies end with their code and a space)', () => {
    for (const s of syntheticSessions(2000, 9)) {
      for (const reply of [s.greeting, ...s.exchanges.flatMap((e) => e.replies)]) {
        const last = reply.lines[reply.lines.length - 1];
        expect(last.slice(0, 4)).toBe(`${reply.code} `);
        if (reply.lines.length > 1) expect(reply.lines[0].slice(0, 4)).toBe(`${reply.code}-`);
      }
      for (const e of s.exchanges) {
        expect(e.line).toBe(e.arg === '' ? e.command : `${e.command} ${e.arg}`);
        if (e.transfer) expect(e.replies.map((r) => Math.floor(r.code / 100))).toEqual([1, 2]);
      }
    }
  });

  it('write dataset rows with the documented columns, one per exchange plus the greeting', () => {
    const s = generateSession(3, 23); // an active-mode session: PORT arguments hold commas
    const rows: string[][] = parse(DATASET_COLUMNS.join(',') + '\n' + sessionCsvRows(s), { relaxColumnCount: false });
    expect(rows.length).toBe(s.exchanges.length + 2);
    const col = (name: string) => DATASET_COLUMNS.indexOf(name as (typeof DATASET_COLUMNS)[number]);
    expect(rows.slice(1).map((r) => r[col('command')])).toEqual(['<greeting>', ...s.exchanges.map((e) => e.command)]);
    expect(rows.slice(2).map((r) => r[col('arg')])).toEqual(s.exchanges.map((e) => (e.command === 'PASS' ? '****' : e.arg)));
    expect(rows.slice(2).map((r) => r[col('final_code')])).toEqual(s.exchanges.map((e) => String(e.replies[e.replies.length - 1].code)));
  });
});
