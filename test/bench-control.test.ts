/**
 * The control-heavy bench capture (bench/gen-control.ts): within its size bound, the same bytes for a
 * seed, every packet an FTP control packet, and ftp-extract finds exactly the exchanges it wrote —
 * fields that need CSV quoting included.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { generateControlCapture } from '../bench/gen-control.js';
import { Counters } from '../src/common/bounds.js';
import { runExtract } from '../stages/extract.js';

const dir = mkdtempSync(join(tmpdir(), 'gen-control-'));

describe('gen-control', () => {
  it('a capture within its bound, the same bytes for a seed, every exchange found by ftp-extract', async () => {
    const a = join(dir, 'a.pcap');
    const b = join(dir, 'b.pcap');
    const size = 3 << 20;
    const stats = generateControlCapture(a, { size, seed: 7, concurrency: 300 });
    generateControlCapture(b, { size, seed: 7, concurrency: 300 });
    expect(statSync(a).size).toBe(stats.bytes);
    expect(stats.bytes).toBeLessThanOrEqual(size);
    expect(stats.bytes).toBeGreaterThan(size * 0.9);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(stats.controlSessions).toBeGreaterThan(300); // sessions replaced as others end
    let text = '';
    const out = new Writable({ write(c, _e, cb) { text += c.toString(); cb(); } });
    const counters = new Counters();
    await runExtract([{ name: a, stream: Readable.from([readFileSync(a)]) }], out, { counters });
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows.length).toBe(stats.expectedRows);
    expect(counters.get('flows.flows_other')).toBe(0); // every connection FTP control
    expect(counters.get('flows.flows_data')).toBe(0);
    expect(counters.get('extract.flows')).toBe(stats.controlSessions);
    expect(rows.filter((r) => r.command === '<greeting>').length).toBe(stats.controlSessions);
    expect(rows.every((r) => r.command === '<greeting>' || /^[A-Z]+$/.test(r.command))).toBe(true);
    expect(rows.some((r) => r.flags.includes('pipelined'))).toBe(true);
    expect(rows.some((r) => r.flags.includes('multiline'))).toBe(true);
    expect(rows.filter((r) => /[",]/.test(r.arg)).length).toBe(stats.quotedArgs);
    expect(stats.quotedArgs).toBeGreaterThan(0);
  });
});
