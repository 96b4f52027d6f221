/**
 * parseRecordBytes (flow NDJSON read as bytes, issue 12) against parseRecordLine (JSON.parse and the
 * documented checks): the same record — chunk payloads compared as bytes — or the same error, on every
 * line ftp-flows writes for the samples, and on those lines mutated the ways a writer or an attacker
 * could: bytes changed, keys reordered or repeated, escapes, non-canonical base64, unknown fields.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecordBytes, parseRecordLine } from '../src/extract/flow-line.js';
import { createEmittingFlowReader } from '../src/flows/reader.js';
import { SAMPLES } from './extract-helpers.js';

function linesOf(capture: string): string[] {
  const out: string[] = [];
  const reader = createEmittingFlowReader({}, (f) => {
    const b = Buffer.allocUnsafe(f.lineMaxBytes());
    out.push(b.toString('utf8', 0, f.writeLine(b, 0) - 1));
  }, { withData: true });
  reader.push(readFileSync(capture));
  reader.end();
  return out;
}

/** the record with payloads as base64 text whatever form they came in, or the error message */
function outcome(f: () => unknown): unknown {
  try {
    const r = f() as { type: string; chunks?: { data?: string | Buffer; at?: number; len?: number }[] };
    if (r.type !== 'flow') return r;
    // (a chunk's bytes may be given as data[at, at + len))
    const bytes = (c: { data?: string | Buffer; at?: number; len?: number }): Buffer =>
      typeof c.data === 'string' ? Buffer.from(c.data, 'base64') : c.at !== undefined ? c.data!.subarray(c.at, c.at + c.len!) : c.data!;
    return { ...r, chunks: r.chunks!.map(({ at: _at, len: _len, ...c }) => (c.data === undefined ? c : { ...c, data: bytes({ ...c, at: _at, len: _len }).toString('hex') })) };
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

function same(text: string): void {
  const buf = Buffer.from(`xx${text}yy`); // offsets inside a larger buffer
  expect(outcome(() => parseRecordBytes(buf, 2, buf.length - 2, 7, 'f')), text.slice(0, 200)).toEqual(outcome(() => parseRecordLine(text, 7, 'f')));
}

const lines = [...linesOf(join(SAMPLES, 'benign.pcap')), ...linesOf(join(SAMPLES, 'attacks.pcap'))];

describe('parseRecordBytes = parseRecordLine', () => {
  it('every line ftp-flows writes for the samples', () => {
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.some((l) => l.includes('"type":"data"'))).toBe(true);
    for (const l of lines) same(l);
  });
  it('chunk times: any decimal (digits, places, both sides of 15 digits), read as Number reads it (fast-check)', async () => {
    const fc = (await import('fast-check')).default;
    const flow = lines.find((l) => l.includes('"data":"'))!;
    const digits = (min: number, max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
    const ts = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 9 }), digits(0, 15), fc.option(digits(1, 8))).map(([a, b, f]) => `${a}${b}${f === null ? '' : '.' + f}`),
      fc.integer({ min: 1e15, max: 4e15 }).map((us) => String(us / 1e6)),
      fc.double({ min: 0, max: 1e12, noNaN: true }).map(String),
    );
    fc.assert(fc.property(ts, (t) => same(flow.replace(/"ts":[\d.]+/, `"ts":${t}`))), { numRuns: 5000 });
  });
  it('lines changed in the ways that must fall back or fail alike', () => {
    const flow = lines.find((l) => l.includes('"data":"') && l.includes('"gap":')) ?? lines.find((l) => l.includes('"data":"'))!;
    const variants = [
      flow.replace('"chunks":[', '"chunks" : ['),
      flow.replace('"chunks":[', '"x":{"chunks":[{"dir":"c","ts":1,"data":"QQ=="}]},"chunks":['),
      flow.replace(/\}$/, ',"chunks":[]}'),
      flow.replace(/\}$/, ',"zz":{"deep":[1,2,{"chunks":[]}]}}'),
      flow.replace(/"data":"([^"]*)"/, '"data":"$1\\u0041"'),
      flow.replace(/"data":"([A-Za-z0-9+/]{4})/, '"data":"$1 '),
      flow.replace(/"data":"([^"]*)"/, '"data":"QR=="'), // unused bits set: Node decodes leniently
      flow.replace(/"data":"([^"]*)"/, '"data":"QQ"'), // no padding
      flow.replace(/"ts":(\d+)/, '"ts":0$1'),
      flow.replace(/"ts":([\d.]+)/, '"ts":1e400'),
      flow.replace(/"ts":([\d.]+)/, '"ts":"2026-12-06T18:55:30.123456Z"'),
      flow.replace(/"ts":([\d.]+)/, '"ts":-0.5e-3'),
      flow.replace(/"dir":"c"/, '"dir":"x"'),
      flow.replace(/\{"dir":"(.)","ts":([\d.]+),/, '{"ts":$2,"dir":"$1",'),
      flow.replace(/\]\}$/, ',]}'),
      flow.replace(/\]\}$/, ']'),
      flow.replace(/\]\}$/, ']}}'),
      flow.replace('"v":1', '"v":2'),
      flow.replace('"type":"flow"', '"type":"flow","extra":"a\\"b,\\"chunks\\":[}"'),
      flow.replace(/"gap":(\d+)/, '"gap":9007199254740993'),
      flow.replace(/"gap":(\d+)/, '"gap":01'),
      flow.replace(/"gap":(\d+)/, '"gap":1.0'),
      flow.replace(/"data":"[^"]*"/, '"data":""'),
      flow.replace('"chunks":[', '"chunks":[]'),
      '{"type":"flow","v":1,"id":"F","client":{"ip":"1.2.3.4","port":1},"server":{"ip":"5.6.7.8","port":21},"chunks":[]}',
    ];
    for (const v of variants) same(v);
    // every byte of a short line replaced by a few others
    const short = lines.reduce((a, b) => (b.includes('"data":"') && b.length < a.length ? b : a), flow).slice(0, 2000);
    for (let i = 0; i < short.length; i += 3) for (const c of ['"', '{', ']', ',', '\\', 'A', '=', '9']) same(short.slice(0, i) + c + short.slice(i + 1));
  });
});
