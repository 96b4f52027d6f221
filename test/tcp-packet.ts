import type { Packet } from '../scripts/pcap-tools.js';

/** A hand-built TCP/IPv4 segment (raw IP link type): who sends it, sequence/ack numbers, flags, payload, time. */
export interface Seg {
  from: 'c' | 's';
  seq: number;
  ack?: number;
  flags?: string;
  data?: string | Buffer;
  t: number;
}

export const ip = (s: string): Buffer => Buffer.from(s.split('.').map(Number));

export function packet(srcIp: string, sport: number, dstIp: string, dport: number, g: Seg): Packet {
  const data = typeof g.data === 'string' ? Buffer.from(g.data, 'latin1') : (g.data ?? Buffer.alloc(0));
  const b = Buffer.alloc(40 + data.length);
  b[0] = 0x45;
  b.writeUInt16BE(40 + data.length, 2);
  b[8] = 64;
  b[9] = 6;
  ip(srcIp).copy(b, 12);
  ip(dstIp).copy(b, 16);
  b.writeUInt16BE(sport, 20);
  b.writeUInt16BE(dport, 22);
  b.writeUInt32BE(g.seq >>> 0, 24);
  b.writeUInt32BE((g.ack ?? 0) >>> 0, 28);
  b[32] = 0x50;
  const f = g.flags ?? 'A';
  b[33] = (f.includes('F') ? 1 : 0) | (f.includes('S') ? 2 : 0) | (f.includes('R') ? 4 : 0) | (f.includes('P') ? 8 : 0) | (f.includes('A') ? 16 : 0);
  data.copy(b, 40);
  return { tsUs: Math.round(g.t * 1e6), linkType: 101, data: b };
}
