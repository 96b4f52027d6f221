import type { Packet } from '../scripts/pcap-tools.js';
import { ipv4, tcp } from '../bench/packets.js';

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

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16 };

export function packet(srcIp: string, sport: number, dstIp: string, dport: number, g: Seg): Packet {
  const data = typeof g.data === 'string' ? Buffer.from(g.data, 'latin1') : (g.data ?? Buffer.alloc(0));
  let flags = 0;
  for (const f of g.flags ?? 'A') flags |= FLAG_BITS[f] ?? 0;
  return { tsUs: Math.round(g.t * 1e6), linkType: 101, data: ipv4(srcIp, dstIp, 6, tcp(sport, dport, g.seq, g.ack ?? 0, flags, data)) };
}
