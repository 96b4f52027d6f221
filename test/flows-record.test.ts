import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flowsOf, readCaptureFile, recordLinesOf } from '../scripts/compare-follow.js';
import { createEmittingFlowReader } from '../src/flows/reader.js';
import {
  CHUNK_C, CHUNK_S, flowHeadJson, flowToJsonLine, putBytes, putChunkHead, putData, putGap, putTs, putTsUs, type FlowHead, type FlowRecord,
} from '../src/flows/record.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));

/** the reference: the record as plain JSON.stringify prints it, payloads as base64 */
const reference = (f: FlowRecord): string =>
  JSON.stringify({
    ...f,
    chunks: f.chunks.map((c) => (c.data ? { dir: c.dir, ts: c.ts, data: c.data.toString('base64') } : c)),
  }) + '\n';

/** every flow of a capture as the table writes it, next to its FlowRecord */
function emitted(bytes: Buffer, options: Record<string, unknown>): { line: string; rec: FlowRecord }[] {
  const out: { line: string; rec: FlowRecord }[] = [];
  const r = createEmittingFlowReader(options, (e) => {
    const max = e.lineMaxBytes();
    const buf = Buffer.alloc(max + 16, 0x55);
    const end = e.writeLine(buf, 8);
    expect(end - 8).toBeLessThanOrEqual(max);
    expect(buf[7]).toBe(0x55); // nothing written before pos
    out.push({ line: buf.toString('latin1', 8, end), rec: e.toRecord() });
  });
  r.push(bytes);
  r.end();
  return out;
}

describe('the NDJSON line the table writes (ftp-flows\' serialiser)', () => {
  it('writes the bytes of JSON.stringify for IPv6, gaps, flags, truncation, many chunk sizes', () => {
    const files = [
      'zeek/ipv6/ipv6.pcap',
      'zeek/ipv4/ipv4.pcap',
      'zeek/ftp-many-port-expected/ftp-many-port-expected.pcap.gz',
    ].map((p) => join(SHARED, 'corpus', p));
    const flows: { line: string; rec: FlowRecord }[] = [];
    for (const f of files) flows.push(...emitted(readCaptureFile(f), { all: true, maxFlowBytes: '1k' }));
    flows.push(...emitted(readFileSync(join(ROOT, 'samples/attacks.pcap')), {}));
    expect(flows.some((f) => f.rec.client.ip.includes(':'))).toBe(true);
    expect(flows.some((f) => f.rec.flags.length > 0)).toBe(true);
    expect(flows.length).toBeGreaterThan(400);
    for (const f of flows) {
      expect(f.line).toBe(reference(f.rec));
      expect(f.line).toBe(flowToJsonLine(f.rec));
    }
  });

  it('base64 of every length 0..700 at every alignment, with and without the caller\'s DataView', () => {
    const big = Buffer.alloc(4096);
    for (let i = 0; i < big.length; i++) big[i] = (i * 181 + 13) & 255;
    const view = new DataView(big.buffer, big.byteOffset, big.length);
    const out = Buffer.alloc(2048);
    for (let len = 0; len <= 700; len++) {
      const at = len % 11;
      const want = `,"data":"${big.toString('base64', at, at + len)}"}`;
      expect(out.toString('latin1', 0, putData(out, 0, big, at, at + len))).toBe(want);
      expect(out.toString('latin1', 0, putData(out, 0, big, at, at + len, view))).toBe(want);
    }
  });

  it('records keep their payload after the table has reused its pages for later flows', () => {
    // the payload arena hands a finished flow's pages to the next ones: a record must own its bytes
    const kept = emitted(readFileSync(join(ROOT, 'samples/benign.pcap')), {});
    expect(kept.length).toBeGreaterThan(400);
    for (const { rec, line } of kept) expect(flowToJsonLine(rec)).toBe(line);
  });

  it('hand-made head: several flags, fractional times, IPv6 and IPv4 ends; a gap chunk', () => {
    const head: FlowHead = {
      type: 'flow', v: 1, id: 'F0123456789abcdef', community_id: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
      client: { ip: '2001:db8::1', port: 49152 }, server: { ip: '10.0.0.1', port: 21 },
      first_ts: 1700000000.123456, last_ts: 1700000004.5, packets: { c: 3, s: 4 }, bytes: { c: 5, s: 0 },
      end: 'evicted', flags: ['no_syn', 'gap', 'truncated_s', 'evicted', 'overlap_conflict'],
    };
    const out = Buffer.alloc(64);
    const gap = out.toString('latin1', 0, putGap(out, 0, 1448));
    expect(flowHeadJson(head) + `{"dir":"s","ts":1700000001${gap}]}`).toBe(
      JSON.stringify({ ...head, chunks: [{ dir: 's', ts: 1700000001, gap: 1448 }] }),
    );
    expect(flowHeadJson({ ...head, flags: [] }) + ']}').toBe(JSON.stringify({ ...head, flags: [], chunks: [] }));
  });
});

describe('putTs prints times as String() does', () => {
  it('putTsUs(us) writes what putTs(us / 1e6) writes', () => {
    const out = Buffer.alloc(64);
    const a = (us: number): string => out.toString('latin1', 0, putTsUs(out, 0, us));
    const b = (us: number): string => out.toString('latin1', 0, putTs(out, 0, us / 1e6));
    let x = 12345;
    for (let i = 0; i < 20000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const us = [x, 1700000000e6 + (x % 1e9), (x % 1000) * 1e6, 8589934591e6 + (x % 1e6), 0, 1e6, 999999][i % 7];
      expect(a(us)).toBe(b(us));
      expect(a(us)).toBe(String(us / 1e6));
    }
  });

  it('putChunkHead writes the chunk prefix and time as putBytes + putTsUs, whatever came before', () => {
    const out = Buffer.alloc(96);
    const ov = new DataView(out.buffer, out.byteOffset, out.length);
    const ref = Buffer.alloc(96);
    let x = 777;
    // the cached seconds change, repeat, change digit count; fractions with and without trailing zeros
    const times = [1700000000123456, 1700000000123456, 1700000000000000, 1700000001500000, 0, 5, 999999, 1e6, 86400e6 + 10,
      8589934591e6 + 999999, 8589934592e6, 1.5, -1e6, 1e30, NaN, 1700000000e6 + 1];
    for (let i = 0; i < 4000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const us = i < times.length ? times[i] : [1700000000e6 + (x % 3e6), (x % 100000) * 1000, x][i % 3];
      const client = (x & 1) === 1;
      const at = 3 + (x % 5);
      out.fill(0x55);
      const end = putChunkHead(out, ov, at, client, us);
      const refEnd = putTsUs(ref, putBytes(ref, at, client ? CHUNK_C : CHUNK_S), us);
      expect(end - at).toBe(refEnd - at);
      expect(out.toString('latin1', at, end)).toBe(ref.toString('latin1', at, refEnd));
      expect(out[at - 1]).toBe(0x55); // nothing before pos
      // at most five bytes past the end (the caller writes on from there)
      expect(out.subarray(end + 5).every((b) => b === 0x55)).toBe(true);
    }
  });

  it('microsecond quotients of every magnitude, edges, and non-quotients (fallback)', () => {
    const out = Buffer.alloc(64);
    const text = (ts: number): string => out.toString('latin1', 0, putTs(out, 0, ts));
    const edges = [0, 1, 9, 10, 999999, 1e6, 1000001, 1e12, 1700000000123456, 1699999999999999, 2 ** 33 * 1e6 - 1, 2 ** 33 * 1e6];
    for (const us of edges) expect(text(us / 1e6)).toBe(String(us / 1e6));
    for (const x of [-1, 5e-8, 1e30, 1.23456789, 0.1 + 0.2, 1700000000 + 0.1234567]) expect(text(x)).toBe(String(x));
    let seed = 12345;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 200000; i++) {
      const us = Math.floor(rnd() * 2 ** (1 + Math.floor(rnd() * 53)));
      const ts = us / 1e6;
      if (text(ts) !== String(ts)) expect(text(ts)).toBe(String(ts));
    }
  });
});

describe('ftp-flows command reads large files in blocks', () => {
  it('a capture longer than one read block gives the library\'s flows', () => {
    const file = join(ROOT, 'samples/benign.pcap');
    expect(statSync(file).size).toBeGreaterThan(1 << 22); // spans two 4 MiB reads
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/bin/ftp-flows.js'), '--all', file], {
      maxBuffer: 1 << 28,
      encoding: 'latin1',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(recordLinesOf(readFileSync(file), { all: true }, reference));
  });
});

interface ArkimeTest {
  sessions3: { body: { ipProtocol: number; network: { community_id: string } } }[];
}

describe('community_id (one-shot SHA-1)', () => {
  it('equals Arkime\'s community_id for every session of its FTP captures', () => {
    for (const name of ['ftp', 'arkime_synthetic']) {
      const dir = join(SHARED, 'corpus/arkime', name);
      const sessions = (JSON.parse(readFileSync(join(dir, `${name}.test`), 'utf8')) as ArkimeTest).sessions3;
      const theirs = sessions.filter((x) => x.body.ipProtocol === 6).map((x) => x.body.network.community_id);
      expect(theirs.length).toBeGreaterThan(0);
      const ours = new Set(flowsOf(readFileSync(join(dir, `${name}.pcap`)), { all: true }).map((f) => f.community_id));
      const missing = theirs.filter((cid) => !ours.has(cid));
      expect(missing).toEqual([]);
    }
  });
});

describe('ftp-flows on a live stdin', () => {
  it('writes a finished session before stdin ends (tcpdump -w - | ftp-flows)', async () => {
    const capture = readFileSync(join(SHARED, 'corpus/zeek/ipv4/ipv4.pcap'));
    const want = recordLinesOf(capture, {}, reference);
    expect(want.length).toBeGreaterThan(0);
    const child = spawn(process.execPath, [join(ROOT, 'dist/bin/ftp-flows.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.write(capture); // stdin stays open
    let got = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.length >= want.length) resolve();
      });
    });
    expect(child.exitCode).toBe(null); // still running: the output did not wait for the end of input
    child.stdin.end();
    await new Promise((resolve) => child.on('close', resolve));
    expect(got).toBe(want);
  }, 20000);
});
