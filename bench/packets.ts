/**
 * Packets built byte by byte, the one builder of the tests, the fuzz generator and the benches:
 * TCP conversations over IPv4 or IPv6, wrapped in Ethernet or in tunnels (IP-in-IP, GRE, VXLAN),
 * written with pcap-tools.
 */
import type { Packet } from '../scripts/pcap-tools.js';

export const SYN = 0x02;
export const ACK = 0x10;
export const PSH = 0x08;
export const FIN = 0x01;

/** An address: dotted IPv4 or full/compressed IPv6 text, or its bytes. */
export type Addr = string | Uint8Array;

/** dotted IPv4 or full/compressed IPv6 text → bytes (bytes as they are) */
export function addr(a: Addr): Buffer {
  if (typeof a !== 'string') return Buffer.from(a);
  const text = a;
  if (text.includes('.')) return Buffer.from(text.split('.').map(Number));
  const [head, tail] = text.split('::');
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  const b = Buffer.alloc(16);
  all.forEach((g, i) => b.writeUInt16BE(g, 2 * i));
  return b;
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length & 1) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** IPv4 header (checksummed; `id` set, and then no don't-fragment bit) around a payload */
export function ipv4(src: Addr, dst: Addr, proto: number, payload: Buffer, id?: number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  if (id === undefined) h.writeUInt16BE(0x4000, 6);
  else h.writeUInt16BE(id & 0xffff, 4);
  h[8] = 64;
  h[9] = proto;
  addr(src).copy(h, 12);
  addr(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}

export function ipv6(src: Addr, dst: Addr, next: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(payload.length, 4);
  h[6] = next;
  h[7] = 64;
  addr(src).copy(h, 8);
  addr(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}

/** IPv4 or IPv6 by the address form */
export function ip(src: string, dst: string, proto: number, payload: Buffer): Buffer {
  return src.includes(':') ? ipv6(src, dst, proto, payload) : ipv4(src, dst, proto, payload);
}

export function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  return Buffer.concat([h, payload]);
}

export function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Ethernet II frame around an L3 packet of `type` (0x0800, 0x86dd, …) */
export function eth(type: number, l3: Buffer): Buffer {
  const h = Buffer.from('001122334455' + '66778899aabb' + type.toString(16).padStart(4, '0'), 'hex');
  return Buffer.concat([h, l3]);
}

/** GRE (RFC 2784, no options; `key` adds the RFC 2890 key field) around a payload of EtherType `type` */
export function gre(type: number, payload: Buffer, key?: number): Buffer {
  const h = Buffer.alloc(key === undefined ? 4 : 8);
  if (key !== undefined) {
    h[0] = 0x20;
    h.writeUInt32BE(key, 4);
  }
  h.writeUInt16BE(type, 2);
  return Buffer.concat([h, payload]);
}

/** VXLAN header (RFC 7348) around an Ethernet frame */
export function vxlan(vni: number, frame: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x08;
  h.writeUIntBE(vni, 4, 3);
  return Buffer.concat([h, frame]);
}

export interface Conversation {
  client: string;
  server: string;
  cport: number;
  sport: number;
  /** [sender, text, seconds after the previous step] */
  steps: ['c' | 's', string, number][];
  t0?: number;
  /** SYN handshake before, FIN exchange after (default true) */
  handshake?: boolean;
  /** FIN exchange at the end (default: as handshake) */
  close?: boolean;
  /** only the client's packets (the server's half not captured) */
  clientOnly?: boolean;
}

/** The conversation's packets as L3 (IP) bytes with µs times. */
export function conversation(c: Conversation): { tsUs: number; l3: Buffer }[] {
  const out: { tsUs: number; l3: Buffer }[] = [];
  let t = Math.round((c.t0 ?? 1_700_000_000) * 1e6);
  let cseq = 1000;
  let sseq = 5000;
  const send = (dir: 'c' | 's', flags: number, data: Buffer = Buffer.alloc(0)): void => {
    if (dir === 's' && c.clientOnly) return;
    const seg = dir === 'c' ? tcp(c.cport, c.sport, cseq, sseq, flags, data) : tcp(c.sport, c.cport, sseq, cseq, flags, data);
    out.push({ tsUs: t, l3: dir === 'c' ? ip(c.client, c.server, 6, seg) : ip(c.server, c.client, 6, seg) });
  };
  const hs = c.handshake ?? true;
  if (hs) {
    send('c', SYN);
    cseq++;
    t += 100;
    send('s', SYN | ACK);
    sseq++;
    t += 100;
    send('c', ACK);
  } else {
    cseq++;
    sseq++;
  }
  for (const [dir, text, dt] of c.steps) {
    t += Math.round(dt * 1e6);
    const data = Buffer.from(text, 'latin1');
    send(dir, PSH | ACK, data);
    if (dir === 'c') cseq += data.length;
    else sseq += data.length;
  }
  if (c.close ?? hs) {
    t += 1000;
    send('c', FIN | ACK);
    cseq++;
    t += 100;
    send('s', FIN | ACK);
    sseq++;
    t += 100;
    send('c', ACK);
  }
  return out;
}

/** IP packets as Ethernet frames (pcap link type 1) */
export function ethernetPackets(pk: { tsUs: number; l3: Buffer }[]): Packet[] {
  return pk.map((p) => ({ tsUs: p.tsUs, linkType: 1, data: eth((p.l3[0] >> 4) === 6 ? 0x86dd : 0x0800, p.l3) }));
}
