/**
 * Compare ftp-flows (--all) with tshark's follow,tcp,raw for every TCP stream of a capture.
 *
 *   node dist/scripts/compare-follow.js capture.pcap [...]   -> mismatches, one per line
 *
 * Streams are matched by endpoint pair and order of appearance (tshark numbers streams in order of
 * their first packet, ftp-flows emits... in its own order, so both sides are sorted by first packet).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createFlowReader } from '../src/flows/reader.js';
import { flowToJsonLine, type FlowRecord } from '../src/flows/record.js';
import { dataLine } from '../src/flows/table.js';
import type { DataRecord } from '../src/common/ftp-data.js';
import { tsharkFollow, type TsharkStream } from './tshark-follow.js';

export interface FollowMismatch {
  file: string;
  stream: number;
  pair: string;
  what: string;
}

export function readCaptureFile(file: string): Buffer {
  const raw = readFileSync(file);
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

/** All flows of a capture (in-process, whole file in one push). */
export function flowsOf(bytes: Buffer, options: Record<string, unknown> = {}): FlowRecord[] {
  const flows: FlowRecord[] = [];
  const r = createFlowReader(options, (f) => flows.push(f));
  r.push(bytes);
  r.end();
  return flows;
}

/** Flow and data records of a capture in the order ftp-flows writes them (in-process, one push). */
export function recordsOf(bytes: Buffer, options: Record<string, unknown> = {}): (FlowRecord | DataRecord)[] {
  const out: (FlowRecord | DataRecord)[] = [];
  const r = createFlowReader(options, (f) => out.push(f), (d) => out.push(d));
  r.push(bytes);
  r.end();
  return out;
}

/** ftp-flows' NDJSON text of a capture, built from the library's records. */
export function recordLinesOf(bytes: Buffer, options: Record<string, unknown> = {}, flowLine: (f: FlowRecord) => string = flowToJsonLine): string {
  return recordsOf(bytes, options).map((r) => (r.type === 'data' ? dataLine(r) : flowLine(r))).join('');
}

/**
 * One direction as tshark's follow,tcp,raw prints it: a hole becomes tshark's own marker text,
 * "[N bytes missing in capture file]" with its C string terminator, at the hole's place.
 */
export function tsharkStyleBytes(f: FlowRecord, dir: 'c' | 's'): Buffer {
  const parts: Buffer[] = [];
  for (const c of f.chunks) {
    if (c.dir !== dir) continue;
    parts.push(c.data ?? Buffer.from(`[${c.gap} bytes missing in capture file]\0`, 'latin1'));
  }
  return Buffer.concat(parts);
}

const ep = (e: { ip: string; port: number }): string => `${e.ip}:${e.port}`;
const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

export function compareWithTshark(file: string, reference: TsharkStream[] = tsharkFollow(file)): {
  mismatches: FollowMismatch[];
  streams: number;
  flows: number;
} {
  const flows = flowsOf(readCaptureFile(file), { all: true, maxFlowBytes: '64M', maxBufferedBytes: '1G' });
  const byPair = new Map<string, FlowRecord[]>();
  for (const f of [...flows].sort((a, b) => a.first_ts - b.first_ts)) {
    const k = pairKey(ep(f.client), ep(f.server));
    const list = byPair.get(k) ?? [];
    list.push(f);
    byPair.set(k, list);
  }
  const used = new Map<string, number>();
  const mismatches: FollowMismatch[] = [];
  for (const t of reference) {
    const k = pairKey(t.node0, t.node1);
    const i = used.get(k) ?? 0;
    used.set(k, i + 1);
    const f = byPair.get(k)?.[i];
    if (!f) {
      // a stream tshark lists without payload and we never saw as a flow is no difference in bytes
      if (t.bytes0.length || t.bytes1.length) mismatches.push({ file, stream: t.stream, pair: k, what: 'no flow' });
      continue;
    }
    const node0IsClient = ep(f.client) === t.node0;
    const mine0 = tsharkStyleBytes(f, node0IsClient ? 'c' : 's');
    const mine1 = tsharkStyleBytes(f, node0IsClient ? 's' : 'c');
    for (const [name, a, b] of [
      ['node0', mine0, t.bytes0],
      ['node1', mine1, t.bytes1],
    ] as const) {
      if (!a.equals(b)) {
        let at = 0;
        while (at < a.length && at < b.length && a[at] === b[at]) at++;
        mismatches.push({ file, stream: t.stream, pair: k, what: `${name}: ours ${a.length} bytes, tshark ${b.length}, first difference at ${at}` });
      }
    }
  }
  for (const [k, list] of byPair) {
    const n = used.get(k) ?? 0;
    for (const f of list.slice(n)) {
      if (f.bytes.c || f.bytes.s) mismatches.push({ file, stream: -1, pair: k, what: `extra flow ${f.id} with payload` });
    }
  }
  return { mismatches, streams: reference.length, flows: flows.length };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let bad = 0;
  for (const file of process.argv.slice(2)) {
    const r = compareWithTshark(file);
    bad += r.mismatches.length;
    process.stdout.write(`${file}: ${r.streams} streams, ${r.flows} flows, ${r.mismatches.length} mismatches\n`);
    for (const m of r.mismatches) process.stdout.write(`  stream ${m.stream} ${m.pair}: ${m.what}\n`);
  }
  process.exitCode = bad ? 1 : 0;
}
