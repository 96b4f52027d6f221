/**
 * Small capture helpers for tests, the speed script and sample making: read all packets of a
 * capture (copied out of the reader's reused view), write classic pcap (either byte order, µs or
 * ns) and pcapng (either byte order, any if_tsresol), and rewrite link layers.
 */
import { CaptureReader } from '../src/capture/reader.js';

export interface Packet {
  tsUs: number;
  linkType: number;
  data: Buffer;
  origLen?: number;
}

export function readPackets(capture: Buffer, maxRecordBytes = 1 << 20): Packet[] {
  const out: Packet[] = [];
  const r = new CaptureReader({
    maxRecordBytes,
    strict: true,
    onPacket: (p) =>
      out.push({ tsUs: p.tsUs, linkType: p.linkType, data: Buffer.from(p.data.subarray(p.offset, p.offset + p.caplen)), origLen: p.origLen }),
  });
  r.push(capture);
  r.end();
  return out;
}

export interface PcapWriteOptions {
  bigEndian?: boolean;
  nanos?: boolean;
  snaplen?: number;
}

export function writePcap(packets: Packet[], linkType: number, o: PcapWriteOptions = {}): Buffer {
  const le = !o.bigEndian;
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  const u32 = (b: Buffer, v: number, at: number): void => void (le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
  const u16 = (b: Buffer, v: number, at: number): void => void (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  u32(h, o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(h, 2, 4);
  u16(h, 4, 6);
  u32(h, o.snaplen ?? 262144, 16);
  u32(h, linkType, 20);
  parts.push(h);
  for (const p of packets) {
    const r = Buffer.alloc(16);
    const sec = Math.floor(p.tsUs / 1e6);
    const us = p.tsUs - sec * 1e6;
    u32(r, sec, 0);
    u32(r, o.nanos ? us * 1000 : us, 4);
    u32(r, p.data.length, 8);
    u32(r, p.origLen ?? p.data.length, 12);
    parts.push(r, p.data);
  }
  return Buffer.concat(parts);
}

export interface PcapngWriteOptions {
  bigEndian?: boolean;
  /** if_tsresol byte (6 = µs, 9 = ns, 0x80|k = 2^-k) */
  tsresol?: number;
  /** block type for packets: 6 EPB, 2 obsolete PB, 3 SPB (no timestamps) */
  blockType?: 2 | 3 | 6;
}

/** One section; packets of different link types get one interface each. */
export function writePcapng(packets: Packet[], o: PcapngWriteOptions = {}): Buffer {
  const le = !o.bigEndian;
  const resol = o.tsresol ?? 6;
  const parts: Buffer[] = [];
  const block = (type: number, body: Buffer): void => {
    const pad = (4 - (body.length % 4)) % 4;
    const len = 12 + body.length + pad;
    const b = Buffer.alloc(len);
    if (le) {
      b.writeUInt32LE(type, 0);
      b.writeUInt32LE(len, 4);
      b.writeUInt32LE(len, len - 4);
    } else {
      b.writeUInt32BE(type, 0);
      b.writeUInt32BE(len, 4);
      b.writeUInt32BE(len, len - 4);
    }
    body.copy(b, 8);
    parts.push(b);
  };
  const w = (size: number, fill: (b: Buffer) => void): Buffer => {
    const b = Buffer.alloc(size);
    fill(b);
    return b;
  };
  const U32 = (b: Buffer, v: number, at: number): void => void (le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
  const U16 = (b: Buffer, v: number, at: number): void => void (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  block(0x0a0d0d0a, w(16, (b) => {
    U32(b, 0x1a2b3c4d, 0);
    U16(b, 1, 4);
    U16(b, 0, 6);
    b.fill(0xff, 8, 16); // section length unknown
  }));
  const ifaceOf = new Map<number, number>();
  for (const p of packets) {
    if (ifaceOf.has(p.linkType)) continue;
    ifaceOf.set(p.linkType, ifaceOf.size);
    block(1, w(8 + 8 + 4, (b) => {
      U16(b, p.linkType, 0);
      U32(b, 262144, 4);
      U16(b, 9, 8); // if_tsresol
      U16(b, 1, 10);
      b[12] = resol;
      // opt_endofopt: 4 zero bytes
    }));
  }
  const perSec = resol & 0x80 ? 2n ** BigInt(resol & 0x7f) : 10n ** BigInt(resol);
  for (const p of packets) {
    const ticks = (BigInt(p.tsUs) * perSec) / 1000000n;
    const hi = Number(ticks >> 32n);
    const lo = Number(ticks & 0xffffffffn);
    const iface = ifaceOf.get(p.linkType) as number;
    const type = o.blockType ?? 6;
    if (type === 3) {
      block(3, w(4 + p.data.length, (b) => {
        U32(b, p.origLen ?? p.data.length, 0);
        p.data.copy(b, 4);
      }));
      continue;
    }
    block(type, w(20 + p.data.length, (b) => {
      if (type === 6) U32(b, iface, 0);
      else U16(b, iface, 0);
      U32(b, hi, 4);
      U32(b, lo, 8);
      U32(b, p.data.length, 12);
      U32(b, p.origLen ?? p.data.length, 16);
      p.data.copy(b, 20);
    }));
  }
  return Buffer.concat(parts);
}

/** Ethernet frame -> (ethertype, L3 bytes), skipping VLAN tags; null for non-IP. */
export function ethernetPayload(frame: Buffer): { type: number; l3: Buffer } | null {
  if (frame.length < 14) return null;
  let type = frame.readUInt16BE(12);
  let p = 14;
  while (type === 0x8100 || type === 0x88a8) {
    type = frame.readUInt16BE(p + 2);
    p += 4;
  }
  if (type !== 0x0800 && type !== 0x86dd) return null;
  return { type, l3: frame.subarray(p) };
}
