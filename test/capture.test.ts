import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureReader, pcapngTimeUs } from '../src/capture/reader.js';
import { FtpIdsError } from '../src/common/errors.js';
import { flowToJsonLine } from '../src/flows/record.js';
import { createFlowReader } from '../src/flows/reader.js';
import { flowsOf, readCaptureFile } from '../scripts/compare-follow.js';
import { readPackets, writePcap, writePcapng, type Packet } from '../scripts/pcap-tools.js';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const C = (p: string): string => join(SHARED, 'corpus', p);
const IPV4 = C('zeek/ipv4/ipv4.pcap');
const IPV6 = C('zeek/ipv6/ipv6.pcap');
const SMALL = C('arkime/ftp/ftp.pcap');

const hasEditcap = ((): boolean => {
  try {
    execFileSync('editcap', ['-h'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function collect(input: Buffer | Buffer[], opts: Partial<{ strict: boolean; maxRecordBytes: number }> = {}) {
  const packets: Packet[] = [];
  const warnings: { message: string; offset: number }[] = [];
  const offsets: number[] = [];
  const r = new CaptureReader({
    maxRecordBytes: opts.maxRecordBytes ?? 262144,
    strict: opts.strict ?? false,
    onPacket: (p) => {
      packets.push({ tsUs: p.tsUs, linkType: p.linkType, data: Buffer.from(p.data.subarray(p.offset, p.offset + p.caplen)) });
      offsets.push(p.fileOffset);
    },
    onWarning: (message, offset) => warnings.push({ message, offset }),
  });
  let error: unknown;
  try {
    for (const b of Array.isArray(input) ? input : [input]) r.push(b);
    r.end();
  } catch (e) {
    error = e;
  }
  return { packets, warnings, offsets, error, reader: r };
}

const flowsText = (buf: Buffer, o: Record<string, unknown> = { all: true }): string => flowsOf(buf, o).map(flowToJsonLine).join('');

describe('classic pcap', () => {
  it('agrees with pcap-parser on packet count, timestamps and bytes', async () => {
    const require = createRequire(import.meta.url);
    const pcapp = require('pcap-parser');
    for (const file of [IPV4, IPV6, C('suricata-verify/ftp-port-memcap/input.pcap'), C('ndpi/fuzz-2006-06-26-2594/fuzz-2006-06-26-2594.pcap')]) {
      const theirs: { ts: number; data: Buffer }[] = await new Promise((resolve, reject) => {
        const out: { ts: number; data: Buffer }[] = [];
        const p = pcapp.parse(file);
        p.on('packet', (pk: { header: { timestampSeconds: number; timestampMicroseconds: number }; data: Buffer }) =>
          out.push({ ts: pk.header.timestampSeconds * 1e6 + pk.header.timestampMicroseconds, data: Buffer.from(pk.data) }),
        );
        p.on('end', () => resolve(out));
        p.on('error', reject);
      });
      const ours = collect(readFileSync(file));
      expect(ours.error).toBeUndefined();
      expect(ours.packets.length).toBe(theirs.length);
      expect(ours.packets.map((p) => p.tsUs)).toEqual(theirs.map((p) => p.ts));
      expect(ours.packets.every((p, i) => p.data.equals(theirs[i].data))).toBe(true);
    }
  });

  it('the same file with every header byte-swapped (big-endian pcap) gives the same flows', () => {
    const orig = readFileSync(IPV4);
    const be = Buffer.from(orig);
    const swap32 = (at: number): void => void be.writeUInt32BE(orig.readUInt32LE(at), at);
    const swap16 = (at: number): void => void be.writeUInt16BE(orig.readUInt16LE(at), at);
    swap32(0);
    swap16(4);
    swap16(6);
    for (const at of [8, 12, 16, 20]) swap32(at);
    for (let pos = 24; pos < orig.length; pos += 16 + orig.readUInt32LE(pos + 8)) for (let k = 0; k < 16; k += 4) swap32(pos + k);
    expect(be.subarray(0, 4).toString('hex')).toBe('a1b2c3d4');
    expect(flowsText(be)).toBe(flowsText(orig));
  });

  it('reads big-endian and nanosecond pcap (built from the same packets) to the same flows', () => {
    const orig = readFileSync(IPV6);
    const pk = readPackets(orig);
    const ref = flowsText(orig);
    expect(ref.length).toBeGreaterThan(1000);
    for (const o of [{ bigEndian: true }, { nanos: true }, { bigEndian: true, nanos: true }]) {
      const variant = writePcap(pk, 1, o);
      expect(variant.equals(orig)).toBe(false);
      expect(flowsText(variant)).toBe(ref);
    }
  });

  it.skipIf(!hasEditcap)('editcap -F pcapng / nsecpcap / pcap give identical flows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-flows-'));
    for (const file of [IPV4, IPV6, C('zeek/bruteforce/bruteforce.pcap'), C('suricata-verify/ftp-port-memcap/input.pcap')]) {
      const ref = flowsText(readFileSync(file));
      for (const fmt of ['pcapng', 'nsecpcap']) {
        const out = join(dir, `x.${fmt}`);
        execFileSync('editcap', ['-F', fmt, file, out], { stdio: 'ignore' });
        const conv = readFileSync(out);
        expect(conv.subarray(0, 4).equals(readFileSync(file).subarray(0, 4))).toBe(false);
        expect(flowsText(conv)).toBe(ref);
      }
    }
  });
});

describe('pcapng', () => {
  const pk = readPackets(readFileSync(IPV4));
  const ref = flowsText(readFileSync(IPV4));

  it('either byte order, µs / ns / binary if_tsresol, EPB and obsolete PB', () => {
    for (const o of [
      {},
      { bigEndian: true },
      { tsresol: 9 },
      { tsresol: 9, bigEndian: true, blockType: 2 as const },
      { tsresol: 0x80 | 20 },
      { tsresol: 3 },
    ]) {
      const buf = writePcapng(pk, o);
      const got = collect(buf);
      expect(got.error).toBeUndefined();
      expect(got.packets.length).toBe(pk.length);
      if (o.tsresol === 3) {
        // millisecond clock: timestamps are the µs ones truncated to ms
        expect(got.packets.map((p) => p.tsUs)).toEqual(pk.map((p) => Math.floor(p.tsUs / 1000) * 1000));
      } else if (o.tsresol === (0x80 | 20)) {
        // 2^-20 s ticks: within one tick of the original
        expect(got.packets.every((p, i) => Math.abs(p.tsUs - pk[i].tsUs) <= 1)).toBe(true);
      } else {
        expect(flowsText(buf)).toBe(ref);
      }
    }
  });

  it('simple packet blocks carry the bytes (no timestamps)', () => {
    const got = collect(writePcapng(pk, { blockType: 3 }));
    expect(got.packets.length).toBe(pk.length);
    expect(got.packets.every((p, i) => p.data.equals(pk[i].data) && p.tsUs === 0)).toBe(true);
  });

  it('several sections (mixed byte order) and interfaces with their own link types read as one capture', () => {
    const half = pk.length >> 1;
    // second section: same packets but as raw IPv4 (link type 228) on a separate interface
    const raw = pk.slice(half).map((p) => ({ ...p, linkType: 228, data: p.data.subarray(14) }));
    const mixed = [...pk.slice(half, half + 3), ...raw.slice(3)];
    const buf = Buffer.concat([writePcapng(pk.slice(0, half)), writePcapng(mixed, { bigEndian: true, tsresol: 9 })]);
    expect(flowsText(buf)).toBe(ref);
  });

  it('exact 64-bit timestamp arithmetic', () => {
    // 2026-11-28 in ns: above 2^53, a plain double would lose the last digits
    const ns = 1795900000123456789n;
    const hi = Number(ns >> 32n);
    const lo = Number(ns & 0xffffffffn);
    expect(pcapngTimeUs(hi, lo, { decExp: 9, binExp: 0 })).toBe(1795900000123456);
    expect(pcapngTimeUs(hi, lo, { decExp: 12, binExp: 0 })).toBe(Number((ns * 1000000n) / 10n ** 12n));
    expect(pcapngTimeUs(0, 1 << 20, { decExp: -1, binExp: 20 })).toBe(1000000);
  });
});

describe('damaged input', () => {
  const whole = readFileSync(IPV4);
  const all = collect(whole);
  const lastOff = all.offsets[all.offsets.length - 1];

  it('truncated last record: everything before it, then a warning naming its byte offset', () => {
    for (const cut of [lastOff + 5, lastOff + 16, whole.length - 1]) {
      const got = collect(whole.subarray(0, cut));
      expect(got.error).toBeUndefined();
      expect(got.packets.length).toBe(all.packets.length - 1);
      expect(got.warnings).toHaveLength(1);
      expect(got.warnings[0].offset).toBe(lastOff);
      expect(got.warnings[0].message).toMatch(/truncated/);
    }
  });

  it('truncated last record with strict is an error with the byte offset', () => {
    const got = collect(whole.subarray(0, whole.length - 3), { strict: true });
    expect(got.error).toBeInstanceOf(FtpIdsError);
    expect((got.error as FtpIdsError).code).toBe('TRUNCATED');
    expect((got.error as FtpIdsError).where.offset).toBe(lastOff);
    expect(got.packets.length).toBe(all.packets.length - 1);
  });

  it('an impossible record length is an error at that record, after all earlier packets', () => {
    const k = 40;
    const bad = Buffer.from(whole);
    bad.writeUInt32LE(0x7fffffff, all.offsets[k] + 8);
    const got = collect(bad);
    expect((got.error as FtpIdsError).code).toBe('BAD_CAPTURE');
    expect((got.error as FtpIdsError).where.offset).toBe(all.offsets[k]);
    expect(got.packets.length).toBe(k);
  });

  it('a record above maxRecordBytes fails at its header, before its body is buffered', () => {
    const hdr = Buffer.alloc(24 + 16);
    hdr.writeUInt32LE(0xa1b2c3d4, 0);
    hdr.writeUInt32LE(1, 20);
    hdr.writeUInt32LE(70000, 24 + 8);
    const r = new CaptureReader({ maxRecordBytes: 65536, strict: false, onPacket: () => undefined });
    expect(() => r.push(hdr)).toThrow(/maxRecordBytes/);
  });

  it('garbage in a pcapng block length is an error naming the block', () => {
    const ng = writePcapng(readPackets(whole).slice(0, 5));
    const offs = collect(ng).offsets;
    const bad = Buffer.from(ng);
    bad.writeUInt32LE(13, offs[3] + 4);
    const got = collect(bad);
    expect((got.error as FtpIdsError).where.offset).toBe(offs[3]);
    expect(got.packets.length).toBe(3);
  });

  it('not a capture: unknown magic is an error at offset 0; gzip is named', () => {
    expect((collect(Buffer.from('hello world, not a pcap')).error as FtpIdsError).where.offset).toBe(0);
    expect(String(collect(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0])).error)).toMatch(/gzip/);
  });
});

describe('chunk boundaries', () => {
  it('every cut position of a small capture gives the same packets', () => {
    const buf = readFileSync(SMALL);
    const ref = collect(buf).packets;
    for (let i = 0; i <= buf.length; i++) {
      const got = collect([buf.subarray(0, i), buf.subarray(i)]).packets;
      expect(got.length).toBe(ref.length);
      expect(got.every((p, j) => p.tsUs === ref[j].tsUs && p.data.equals(ref[j].data))).toBe(true);
    }
    // and the flows: every cut position gives the same NDJSON
    const refFlows = flowsText(buf);
    for (let i = 0; i <= buf.length; i++) {
      const out: string[] = [];
      const r = createFlowReader({ all: true }, (f) => out.push(flowToJsonLine(f)));
      r.push(buf.subarray(0, i));
      r.push(buf.subarray(i));
      r.end();
      expect(out.join('')).toBe(refFlows);
    }
    // one byte at a time
    const bytes = [...buf].map((b) => Buffer.from([b]));
    expect(collect(bytes).packets.map((p) => p.data.toString('hex'))).toEqual(ref.map((p) => p.data.toString('hex')));
  });

  it('random cuts of larger captures (pcap and pcapng) give identical flow output', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (const buf of [readFileSync(IPV4), writePcapng(readPackets(readFileSync(IPV6)), { bigEndian: true }), readCaptureFile(C('zeek/cwd-navigation/cwd-navigation.pcap'))]) {
      const ref = flowsText(buf);
      for (let round = 0; round < 5; round++) {
        const pieces: Buffer[] = [];
        for (let at = 0; at < buf.length; ) {
          const n = 1 + rnd(round % 2 ? 64 : 4096);
          pieces.push(buf.subarray(at, at + n));
          at += n;
        }
        const out: string[] = [];
        const r = createFlowReader({ all: true }, (f) => out.push(flowToJsonLine(f)));
        for (const p of pieces) r.push(p);
        r.end();
        expect(out.join('')).toBe(ref);
      }
    }
  });
});
