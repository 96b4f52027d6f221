/**
 * ftp-extract reading captures itself (issue 12): on every capture of ../shared/corpus and samples/,
 * `ftp-extract CAPTURE` writes byte for byte what `ftp-flows CAPTURE | ftp-extract` writes (the NDJSON
 * made here by the flow reader's own line writer, the code ftp-flows runs); gzip and stdin detected;
 * rows of closed sessions come out before the input ends; a damaged capture keeps what was complete.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync, gunzipSync } from 'node:zlib';
import { createEmittingFlowReader, createFlowReader } from '../src/flows/reader.js';
import { csvHeader, csvRowReference, csvRows } from '../src/extract/csv.js';
import { createExchangeExtractor } from '../src/extract/extractor.js';
import type { ExchangeRow, FlowRecord } from '../src/extract/types.js';
import { labelOf } from '../src/label/label.js';
import { DEFAULT_SIGNATURES } from '../src/label/signatures.js';
import { runExtract } from '../stages/extract.js';
import { CORPUS, SAMPLES, capturesUnder } from './extract-helpers.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXTRACT = join(ROOT, 'dist/bin/ftp-extract.js');
const FLOWS = join(ROOT, 'dist/bin/ftp-flows.js');

/** What ftp-flows writes for these capture bytes (its NDJSON line writer), and its error if any. */
function flowLines(bytes: Buffer, name: string): { text: string; error: string | null } {
  const lines: Buffer[] = [];
  const reader = createEmittingFlowReader({}, (f) => {
    const b = Buffer.allocUnsafe(f.lineMaxBytes());
    lines.push(b.subarray(0, f.writeLine(b, 0)));
  }, { withData: true });
  let error: string | null = null;
  try {
    reader.startFile(name);
    reader.push(bytes);
    reader.end();
  } catch (e) {
    error = (e as Error).message;
    reader.flushOpen();
  }
  return { text: Buffer.concat(lines).toString('utf8'), error };
}

/** The CSV of a capture as csv-stringify writes its rows (csvRowReference), extracted in-process. */
function referenceCsv(bytes: Buffer, name: string): string {
  const rows: ExchangeRow[] = [];
  const ex = createExchangeExtractor({ showPasswords: true, labelOf: labelOf(DEFAULT_SIGNATURES) }, (r) => rows.push(r));
  const reader = createFlowReader({}, (f) => ex.pushFlow(f as unknown as FlowRecord), (d) => ex.pushData(d));
  reader.startFile(name);
  reader.push(bytes);
  reader.end();
  ex.end();
  return csvHeader() + rows.map(csvRowReference).join('');
}

function sink(): { out: Writable; text: () => string } {
  let text = '';
  return {
    out: new Writable({
      write(chunk, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    }),
    text: () => text,
  };
}

async function extractOf(stream: Readable, name: string): Promise<{ text: string; error: string | null }> {
  const s = sink();
  let error: string | null = null;
  try {
    await runExtract([{ name, stream }], s.out, { extract: { showPasswords: true } });
  } catch (e) {
    error = (e as Error).message;
  }
  return { text: s.text(), error };
}

const captures = [...capturesUnder(CORPUS, true), ...capturesUnder(SAMPLES, true)];

describe('ftp-extract CAPTURE = ftp-flows CAPTURE | ftp-extract', () => {
  it('finds the corpus and the samples', () => {
    expect(captures.length).toBeGreaterThan(60);
  });
  it('every capture: the same CSV bytes', async () => {
    let rows = 0;
    let quoted = 0;
    for (const cap of captures) {
      const raw = readFileSync(cap);
      const bytes = cap.endsWith('.gz') ? gunzipSync(raw) : raw;
      const nd = flowLines(bytes, cap);
      const viaFlows = await extractOf(Readable.from([Buffer.from(nd.text)]), 'flows');
      // the capture as it is on disk (gzip included), in 64 KiB pieces as a pipe gives it
      const pieces: Buffer[] = [];
      for (let i = 0; i < raw.length; i += 65536) pieces.push(raw.subarray(i, i + 65536));
      const direct = await extractOf(Readable.from(pieces), cap);
      expect(direct.text, relative(ROOT, cap)).toBe(viaFlows.text);
      // the fast CSV writer against csv-stringify (the reference), row by row
      if (nd.error === null) expect(direct.text, `${relative(ROOT, cap)}: csv-stringify`).toBe(referenceCsv(bytes, cap));
      expect(direct.error === null, `${relative(ROOT, cap)}: ${direct.error} / ${nd.error}`).toBe(nd.error === null);
      rows += direct.text.split('\n').length - 2;
      quoted += (direct.text.match(/"/g) ?? []).length > 0 ? 1 : 0;
    }
    expect(rows).toBeGreaterThan(5000);
    expect(quoted).toBeGreaterThan(0); // some captures hold fields that need quoting
  });
});

describe('the CSV writer against csv-stringify', () => {
  it('any field contents, data columns included (fast-check)', async () => {
    const fc = (await import('fast-check')).default;
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', ',', '"', '\r', '\n', ' ', '<', ';', '\u00e9', '1', '\u2028') });
    const num = fc.option(fc.double({ min: 0, max: 2e9, noNaN: true }));
    const row = fc.record({
      flow_id: text, community_id: text, client_ip: text, client_port: fc.nat(65535), server_ip: text, server_port: fc.nat(65535),
      label: text, index: fc.nat(), ts_request: fc.double({ min: 0, max: 2e9, noNaN: true }), ts_reply: num,
      command: text, arg: text, reply_codes: text, final_code: text, flags: text, tags: text, flow_end: text, reply_path: text,
      data_bytes: num, data_direction: text, data_duration: num, data_mode: text, data_peer: text, data_type: text, data_flags: text,
    }, { requiredKeys: ['flow_id', 'community_id', 'client_ip', 'client_port', 'server_ip', 'server_port', 'label', 'index', 'ts_request', 'ts_reply', 'command', 'arg', 'reply_codes', 'final_code', 'flags', 'tags', 'flow_end', 'reply_path'] });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 6 }), (rows) => {
        // rows of one flow share their first columns: the writer reuses their text, which must not leak into the next flow
        const shared = rows.map((r, i) => (i > 0 && i % 2 ? { ...r, flow_id: rows[i - 1].flow_id, label: rows[i - 1].label } : r));
        expect(csvRows(shared as ExchangeRow[])).toBe(shared.map((r) => csvRowReference(r as ExchangeRow)).join(''));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('ftp-extract CLI on captures', () => {
  it('a file, a gzipped capture on stdin: the pipeline\'s bytes', () => {
    const f = join(SAMPLES, 'attacks.pcap');
    const pipe = spawnSync('bash', ['-c', `set -o pipefail; node ${FLOWS} ${f} | node ${EXTRACT}`], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(pipe.status).toBe(0);
    expect(pipe.stdout.split('\n').length).toBeGreaterThan(100);
    const direct = spawnSync('node', [EXTRACT, f], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(direct.status).toBe(0);
    expect(direct.stdout).toBe(pipe.stdout);
    const gz = spawnSync('node', [EXTRACT], { input: gzipSync(readFileSync(f)), encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(gz.status).toBe(0);
    expect(gz.stdout).toBe(pipe.stdout);
  });
  it('a capture cut in the middle of a record: a warning, every row still written', () => {
    const bytes = readFileSync(join(SAMPLES, 'benign.pcap'));
    const cut = bytes.subarray(0, bytes.length - 7);
    const direct = spawnSync('node', [EXTRACT, '-'], { input: cut, encoding: 'utf8', maxBuffer: 1 << 28 });
    const pipe = spawnSync('bash', ['-c', `node ${FLOWS} - | node ${EXTRACT}`], { input: cut, encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(direct.status).toBe(0);
    expect(direct.stderr).toMatch(/^ftp-extract: warning: .*byte offset \d+: /m);
    expect(direct.stdout).toBe(pipe.stdout);
  });
  it('damaged capture data: exit 2 naming the byte offset, the rows of every flow before it written', () => {
    const bytes = Buffer.from(readFileSync(join(SAMPLES, 'benign.pcap')));
    // a record length far beyond the snap length, two thirds into the file
    let p = 24;
    while (p < (bytes.length * 2) / 3) p += 16 + bytes.readUInt32LE(p + 8);
    bytes.writeUInt32LE(0x7fffffff, p + 8);
    const r = spawnSync('node', [EXTRACT, '-'], { input: bytes, encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`byte offset ${p}\\b`));
    const head = flowLines(bytes.subarray(0, p), 'x');
    const before = spawnSync('node', [EXTRACT], { input: head.text, encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.stdout.split('\n').length).toBeGreaterThan(10);
    expect(r.stdout).toBe(before.stdout);
    // the same capture as a file (read in blocks, not as a stream)
    const file = join(mkdtempSync(join(tmpdir(), 'ftp-extract-capture-')), 'damaged.pcap');
    writeFileSync(file, bytes);
    const f = spawnSync('node', [EXTRACT, file], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(f.status).toBe(2);
    expect(f.stderr).toMatch(new RegExp(`^ftp-extract: ${file}: byte offset ${p}\\b`));
    expect(f.stdout).toBe(r.stdout);
  });
});

describe('live: rows as sessions close', () => {
  it('the rows of a closed session are written before the input ends', async () => {
    const bytes = readFileSync(join(SAMPLES, 'benign.pcap'));
    const input = new PassThrough();
    const s = sink();
    const done = runExtract([{ name: 'stdin', stream: input }], s.out);
    input.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    for (let i = 0; i < 50 && s.text().split('\n').length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    const early = s.text();
    expect(early.split('\n').length).toBeGreaterThan(3); // the header and some rows
    input.end(bytes.subarray(Math.floor(bytes.length / 2)));
    await done;
    expect(s.text().startsWith(early)).toBe(true);
    expect(s.text().length).toBeGreaterThan(early.length);
  });
});

describe('timeText = String', () => {
  it('whole microseconds over the range it takes, its edges, and any double (fast-check)', async () => {
    const fc = (await import('fast-check')).default;
    const { timeText } = await import('../src/extract/csv.js');
    for (const t of [1e9, 4e9 - 1e-6, 1700000000, 1700000000.1, 1700000000.000001, 1700000000.999999, 1700000000.12345, 3999999999.999999, 999999999.999999, 4e9, 1.5, 0, -1, NaN, Infinity]) {
      expect(timeText(t)).toBe(String(t));
    }
    fc.assert(fc.property(fc.integer({ min: 1e15 - 10, max: 4e15 + 10 }), (us) => timeText(us / 1e6) === String(us / 1e6)), { numRuns: 200000 });
    fc.assert(fc.property(fc.double({ noNaN: false }), (t) => timeText(t) === String(t)), { numRuns: 20000 });
    fc.assert(fc.property(fc.double({ min: 1e9, max: 4e9 }), (t) => timeText(t) === String(t)), { numRuns: 50000 });
  });
});

describe('EmittedFlow.borrowRecord = toRecord', () => {
  it('every capture: the same head, and each chunk the same bytes from the table\'s pages (chunks split across pages copied)', () => {
    let chunks = 0;
    let split = 0;
    for (const cap of captures) {
      const raw = readFileSync(cap);
      const reader = createEmittingFlowReader({}, (e) => {
        const rec = e.toRecord();
        const b = e.borrowRecord();
        const { chunks: bc, ...bHead } = b;
        const { chunks: rc, ...rHead } = rec;
        expect(bHead, relative(ROOT, cap)).toEqual(rHead);
        expect(bc.length).toBe(rc.length);
        for (let i = 0; i < rc.length; i++) {
          const r = rc[i];
          const c = bc[i];
          expect([c.dir, c.ts, c.gap]).toEqual([r.dir, r.ts, r.gap]);
          if (r.data === undefined) expect(c.data).toBeUndefined();
          else {
            expect(c.data!.subarray(c.at, c.at + c.len).equals(r.data), `${relative(ROOT, cap)}: chunk ${i}`).toBe(true);
            if (c.len > 512 - 24 - 32) split++;
          }
          chunks++;
        }
      });
      reader.startFile(cap);
      reader.push(cap.endsWith('.gz') ? gunzipSync(raw) : raw);
      try {
        reader.end();
      } catch {
        reader.flushOpen();
      }
    }
    expect(chunks).toBeGreaterThan(10000);
    expect(split).toBeGreaterThan(0); // chunks longer than a page's room
  });
});
