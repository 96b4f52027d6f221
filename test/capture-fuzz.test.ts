import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureReader } from '../src/capture/reader.js';
import { FtpIdsError } from '../src/common/errors.js';
import { createEmittingFlowReader } from '../src/flows/reader.js';
import { flowToJsonLine } from '../src/flows/record.js';
import { readPackets, writePcap, writePcapng } from '../scripts/pcap-tools.js';

/**
 * Seeded mutation fuzzing: bit flips, overwritten length fields, inserted and deleted bytes,
 * truncation, fed in random chunk sizes. The only acceptable failure is an FtpIdsError; memory
 * held by the reader and the flow table stays under the configured bounds.
 */
const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const C = (p: string): string => join(SHARED, 'corpus', p);

let seed = 0x5eed;
const rnd = (n: number): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};

const v4 = readFileSync(C('zeek/ipv4/ipv4.pcap'));
const v6 = readFileSync(C('zeek/ipv6/ipv6.pcap'));
const bases = [
  v4,
  writePcapng(readPackets(v6), { bigEndian: true, tsresol: 9 }),
  writePcap(readPackets(readFileSync(C('suricata-verify/ftp-bounce/test.pcap'))).map((p) => ({ ...p, linkType: 101, data: p.data.subarray(14) })), 101),
  readFileSync(C('ndpi/fuzz-2006-06-26-2594/fuzz-2006-06-26-2594.pcap')),
];

function mutate(src: Buffer): Buffer {
  let b = Buffer.from(src);
  const n = 1 + rnd(8);
  for (let i = 0; i < n; i++) {
    const at = rnd(b.length);
    switch (rnd(6)) {
      case 0:
        b[at] ^= 1 << rnd(8);
        break;
      case 1: // a plausible-looking but wrong 32-bit length anywhere
        if (at + 4 <= b.length) b.writeUInt32LE([0, 1, 13, 0xffff, 0x7fffffff, 0xffffffff, rnd(70000)][rnd(7)], at);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + rnd(40) }, () => rnd(256))), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rnd(60)))]);
        break;
      case 4:
        b = b.subarray(0, Math.max(1, at));
        break;
      default: // overwrite a run of bytes with one value (zeroed or 0xff headers)
        b.fill(rnd(2) ? 0 : 0xff, at, Math.min(b.length, at + 1 + rnd(24)));
    }
  }
  return b;
}

/** FUZZ_CASES=5000 npx vitest run test/capture-fuzz for a longer run by hand */
const CASES = Number(process.env.FUZZ_CASES ?? 300);

describe('fuzzed captures', () => {
  it(`${CASES} mutated captures: only FtpIdsError (with a byte offset), bounded buffers and flow table`, () => {
    const opts = { all: true, maxRecordBytes: 65536, maxFlowBytes: 4096, maxBufferedBytes: 16384, maxFlows: 50, maxFragmentBytes: 8192 };
    let errors = 0;
    let flowsTotal = 0;
    for (let i = 0; i < CASES; i++) {
      const input = mutate(bases[i % bases.length]);
      let flows = 0;
      // both outputs of an emitted flow: the line written from the table, and the record's line
      const r = createEmittingFlowReader(opts, (e) => {
        const out = Buffer.alloc(e.lineMaxBytes());
        const line = out.toString('latin1', 0, e.writeLine(out, 0));
        if (line !== flowToJsonLine(e.toRecord())) throw new Error(`case ${i}: written line differs from the record's`);
        flows++;
      });
      try {
        for (let at = 0; at < input.length; ) {
          const n = 1 + rnd(3000);
          r.push(input.subarray(at, at + n));
          at += n;
        }
        r.end();
      } catch (e) {
        if (!(e instanceof FtpIdsError)) throw new Error(`case ${i}: ${(e as Error).stack}`);
        expect(typeof e.where.offset).toBe('number');
        errors++;
        r.flushOpen();
      }
      const s = r.stats();
      // one packet may land before the oldest flows are shed
      expect(s.buffered_bytes_peak).toBeLessThanOrEqual(opts.maxBufferedBytes + opts.maxRecordBytes);
      expect(s.flows_open).toBeLessThanOrEqual(opts.maxFlows);
      // every flow has been emitted and released: the byte account is back to zero, never below
      expect(s.flows_open).toBe(0);
      expect(s.buffered_bytes).toBe(0);
      // the table's rows and payload pages are bounded by the same options
      expect(s.flow_slots).toBeLessThanOrEqual(opts.maxFlows);
      expect(s.payload_pages_peak * 2048).toBeLessThanOrEqual(opts.maxBufferedBytes + opts.maxRecordBytes + 2048);
      flowsTotal += flows;
    }
    // the mutations really hit both paths
    expect(errors).toBeGreaterThan(20);
    expect(errors).toBeLessThan(CASES);
    expect(flowsTotal).toBeGreaterThan(100);
  });

  it('lying record lengths never grow the reader beyond maxRecordBytes', () => {
    for (let i = 0; i < 200; i++) {
      const input = mutate(bases[i % 2]);
      const r = new CaptureReader({ maxRecordBytes: 65536, strict: false, onPacket: () => undefined, onWarning: () => undefined });
      try {
        for (let at = 0; at < input.length; at += 7) r.push(input.subarray(at, at + 7));
        r.end();
      } catch (e) {
        expect(e).toBeInstanceOf(FtpIdsError);
      }
      expect(r.stashCapacity).toBeLessThanOrEqual(65536 + 64 + 16);
    }
  });
});
