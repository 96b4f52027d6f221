import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmittingFlowReader } from '../src/flows/reader.js';

// The flow table makes its LRU moves in batches (FlowTable.touch). Batched or one by one, the list
// must order flows the same way wherever the order is read: evictions at --max-flows, idle expiry,
// shedding at --max-buffered-bytes, the end. So every line, and its place in the output, must match.

const SAMPLES = fileURLToPath(new URL('../samples/', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../shared/corpus/', import.meta.url));

function captures(): string[] {
  const out: string[] = [];
  for (const f of ['benign.pcap', 'attacks.pcap', 'ipv6.pcap']) if (existsSync(join(SAMPLES, f))) out.push(join(SAMPLES, f));
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap)$/.test(e) && statSync(p).size > 20000) out.push(p);
    }
  };
  walk(CORPUS);
  return out;
}

function lines(bytes: Buffer, options: Record<string, unknown>, touchLog: number): { out: string[]; stats: Record<string, number> } {
  const out: string[] = [];
  const r = createEmittingFlowReader(options, (e) => {
    const buf = Buffer.alloc(e.lineMaxBytes());
    out.push(buf.toString('latin1', 0, e.writeLine(buf, 0)));
  }, { touchLog });
  // odd chunks: moves are made at read boundaries too
  for (let at = 0; at < bytes.length; at += 7919) r.push(bytes.subarray(at, at + 7919));
  r.end();
  return { out, stats: r.stats() };
}

describe('LRU moves made in batches', () => {
  const files = captures();
  const OPTIONS: Record<string, unknown>[] = [
    { all: true, maxFlows: 3 },
    { all: true, maxFlows: 17 },
    { all: true, idleTimeout: '0.2s' },
    { all: true, idleTimeout: '2s', maxFlows: 8 },
    { maxBufferedBytes: 6000 },
    { all: true, maxBufferedBytes: 20000, idleTimeout: '1s' },
  ];

  it(`give the output of moves made one by one, on ${files.length} captures and ${OPTIONS.length} bound settings`, () => {
    expect(files.length).toBeGreaterThan(5);
    let evicted = 0;
    let idle = 0;
    let shed = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const o of OPTIONS) {
        const one = lines(bytes, o, 1);
        for (const batch of [5, 4096]) {
          const b = lines(bytes, o, batch);
          expect(b.out.length, `${f} ${JSON.stringify(o)} batch ${batch}`).toBe(one.out.length);
          for (let i = 0; i < one.out.length; i++) if (b.out[i] !== one.out[i]) expect.fail(`${f} ${JSON.stringify(o)} batch ${batch}: line ${i} differs`);
          expect(b.stats).toEqual(one.stats);
        }
        evicted += one.stats.evicted;
        idle += one.stats.ended_idle;
        shed += one.stats.evicted_buffer;
      }
    }
    // the bounds were really reached, so the order was read
    expect(evicted).toBeGreaterThan(100);
    expect(idle).toBeGreaterThan(50);
    expect(shed).toBeGreaterThan(10);
  });
});
