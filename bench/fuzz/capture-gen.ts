/**
 * Structure-aware capture generator for the fuzzer: valid-looking FTP control sessions (from the
 * synthetic session generator) cut into TCP segments, with hostile twists drawn per case —
 * segments split, merged, reordered, duplicated with other bytes, dropped; no handshake; RST
 * mid-session; time going backwards or jumping by years; lines far longer than any bound, no line
 * end, NUL and 8-bit bytes; IPv4 fragments, bad IP lengths, VLAN tags; several sessions
 * interleaved on one port pair — written as pcap (either byte order, µs or ns) or pcapng (µs, ns,
 * binary resolutions; EPB, SPB or the obsolete PB), raw IP or Linux cooked link layers.
 */
import { generateSession, Rng } from '../synthetic-ftp.js';
import { writePcap, writePcapng, type Packet } from '../../scripts/pcap-tools.js';
import { ipv4, ipv6, tcp } from '../packets.js';

interface Seg {
  client: boolean;
  flags: number;
  payload: Buffer;
  /** sequence offset relative to the side's ISN + 1 */
  rel: number;
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

export type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcapng';

export interface GeneratedCapture {
  bytes: Buffer;
  /** what the generator did (for the saved case's note) */
  twists: string[];
}

function hostileLine(rng: Rng, client: boolean): string {
  switch (rng.int(6)) {
    case 0:
      return `${client ? 'USER' : '331'} ${'A'.repeat(rng.range(100, 9000))}`;
    case 1:
      return `${client ? 'RETR' : '550'} ${Buffer.from(Array.from({ length: rng.range(1, 60) }, () => rng.int(256))).toString('latin1')}`;
    case 2:
      return client ? `PORT ${rng.int(300)},${rng.int(300)},0,1,${rng.int(300)},${rng.int(300)}` : `227 Entering Passive Mode (${rng.int(999)},1,1,1,${rng.int(999)},9)`;
    case 3:
      return client ? 'CWD ../../../../etc' : `${rng.int(1000)}-multi\r\n  continued\r\n${rng.int(1000)} end`;
    case 4:
      return client ? '\x00\x00\x00' : '220';
    default:
      return client ? 'SITE EXEC %p%p%p%n' : '421 bye';
  }
}

/** Client and server byte streams of one session, as lists of writes. */
function sessionWrites(rng: Rng, twists: string[]): { client: boolean; text: Buffer }[] {
  const s = generateSession(rng.u32(), rng.int(1 << 20));
  const writes: { client: boolean; text: Buffer }[] = [];
  const crlf = rng.chance(0.1) ? (rng.chance(0.5) ? '\n' : '\r') : '\r\n';
  if (crlf !== '\r\n') twists.push(`line end ${JSON.stringify(crlf)}`);
  writes.push({ client: false, text: Buffer.from(s.greeting.lines.join(crlf) + crlf, 'latin1') });
  const n = Math.min(s.exchanges.length, rng.range(1, 14));
  for (let i = 0; i < n; i++) {
    const e = s.exchanges[i];
    let line = e.line;
    if (rng.chance(0.06)) {
      line = hostileLine(rng, true);
      twists.push('hostile command');
    }
    writes.push({ client: true, text: Buffer.from(line + crlf, 'latin1') });
    for (const r of e.replies) {
      let text = r.lines.join(crlf);
      if (rng.chance(0.05)) {
        text = hostileLine(rng, false);
        twists.push('hostile reply');
      }
      writes.push({ client: false, text: Buffer.from(text + crlf, 'latin1') });
    }
  }
  if (rng.chance(0.05)) {
    twists.push('no line end at the end');
    writes.push({ client: true, text: Buffer.from('NOOP'.repeat(rng.range(1, 400))) });
  }
  return writes;
}

/** Writes → TCP segments with the twists of this case. */
function segments(rng: Rng, writes: { client: boolean; text: Buffer }[], twists: string[]): Seg[] {
  const segs: Seg[] = [];
  const rel = { c: 0, s: 0 };
  const handshake = !rng.chance(0.1);
  if (!handshake) twists.push('no handshake');
  else {
    segs.push({ client: true, flags: SYN, payload: Buffer.alloc(0), rel: -1 });
    segs.push({ client: false, flags: SYN | ACK, payload: Buffer.alloc(0), rel: -1 });
    segs.push({ client: true, flags: ACK, payload: Buffer.alloc(0), rel: 0 });
  }
  const mss = rng.chance(0.2) ? rng.range(1, 8) : rng.range(64, 1460);
  for (const w of writes) {
    const side = w.client ? 'c' : 's';
    for (let off = 0; off < w.text.length; ) {
      const len = Math.min(w.text.length - off, mss);
      segs.push({ client: w.client, flags: ACK | PSH, payload: w.text.subarray(off, off + len), rel: rel[side] });
      rel[side] += len;
      off += len;
    }
  }
  if (rng.chance(0.1)) {
    twists.push('RST');
    segs.splice(rng.int(segs.length + 1), 0, { client: rng.chance(0.5), flags: RST | ACK, payload: Buffer.alloc(0), rel: rel.c });
  } else if (!rng.chance(0.2)) {
    segs.push({ client: true, flags: FIN | ACK, payload: Buffer.alloc(0), rel: rel.c });
    segs.push({ client: false, flags: FIN | ACK, payload: Buffer.alloc(0), rel: rel.s });
  }
  const k = rng.int(4);
  for (let t = 0; t < k && segs.length > 0; t++) {
    const i = rng.int(segs.length);
    switch (rng.int(5)) {
      case 0: // reorder neighbours
        if (i + 1 < segs.length) [segs[i], segs[i + 1]] = [segs[i + 1], segs[i]];
        twists.push('reordered');
        break;
      case 1: // a retransmission, maybe with other bytes (overlap conflict)
        segs.splice(i, 0, { ...segs[i], payload: rng.chance(0.5) ? segs[i].payload : Buffer.from(segs[i].payload).fill(0x58) });
        twists.push('retransmitted');
        break;
      case 2: // a lost segment (a gap)
        segs.splice(i, 1);
        twists.push('dropped');
        break;
      case 3: // overlapping with a shifted start
        if (segs[i].payload.length > 2) segs.splice(i, 0, { ...segs[i], rel: segs[i].rel + 1, payload: segs[i].payload.subarray(1) });
        twists.push('overlap');
        break;
      default: // a wild sequence number
        segs[i] = { ...segs[i], rel: segs[i].rel + rng.pick([-1e6, 2 ** 31, 2 ** 32 - 5, 1e5]) };
        twists.push('wild seq');
    }
  }
  return segs;
}

/** One capture of 1–4 sessions in the format asked for. */
export function generateCapture(rng: Rng, format: CaptureFormat): GeneratedCapture {
  const twists: string[] = [];
  const v6 = rng.chance(0.25);
  const link = rng.pick([1, 1, 1, 101, 113]);
  const vlan = link === 1 && rng.chance(0.1);
  const fragment = !v6 && rng.chance(0.08);
  if (v6) twists.push('IPv6');
  if (vlan) twists.push('VLAN');
  if (fragment) twists.push('IPv4 fragments');
  twists.push(`link ${link}`);
  const nSessions = rng.chance(0.7) ? 1 : rng.range(2, 4);
  const samePorts = nSessions > 1 && rng.chance(0.3);
  if (samePorts) twists.push('port pair reused');
  const perSession: { l3: Buffer; client: boolean }[][] = [];
  let ipId = rng.int(65536);
  for (let k = 0; k < nSessions; k++) {
    const cport = samePorts ? 40000 : rng.range(1024, 65535);
    const sport = rng.chance(0.85) ? 21 : rng.pick([2121, 2221, 990, 80, cport]);
    const isn = { c: rng.u32(), s: rng.u32() };
    const c4 = Buffer.from([10, 0, rng.int(256), 1 + rng.int(254)]);
    const s4 = Buffer.from([10, 1, 0, 1 + rng.int(254)]);
    const c6 = Buffer.alloc(16, 0);
    const s6 = Buffer.alloc(16, 0);
    c6[0] = s6[0] = 0xfd;
    c6[15] = 1 + rng.int(254);
    s6[15] = 2;
    const pkts: { l3: Buffer; client: boolean }[] = [];
    for (const seg of segments(rng, sessionWrites(rng, twists), twists)) {
      const seq = (seg.client ? isn.c : isn.s) + 1 + seg.rel;
      const ack = (seg.client ? isn.s : isn.c) + 1;
      const t = seg.client ? tcp(cport, sport, seq, ack, seg.flags, seg.payload) : tcp(sport, cport, seq, ack, seg.flags, seg.payload);
      if (v6) pkts.push({ l3: ipv6(seg.client ? c6 : s6, seg.client ? s6 : c6, 6, t), client: seg.client });
      else if (fragment && t.length > 24 && rng.chance(0.5)) {
        // two fragments (8-byte aligned cut), maybe in reverse order
        const cut = 8 * (1 + rng.int(Math.max(1, Math.floor((t.length - 1) / 8))));
        const id = ipId++;
        const a = ipv4(seg.client ? c4 : s4, seg.client ? s4 : c4, 6, t.subarray(0, cut), id);
        a.writeUInt16BE(0x2000, 6); // more fragments
        const b = ipv4(seg.client ? c4 : s4, seg.client ? s4 : c4, 6, t.subarray(cut), id);
        b.writeUInt16BE((cut / 8) & 0x1fff, 6);
        if (rng.chance(0.5)) pkts.push({ l3: a, client: seg.client }, { l3: b, client: seg.client });
        else pkts.push({ l3: b, client: seg.client }, { l3: a, client: seg.client });
      } else pkts.push({ l3: ipv4(seg.client ? c4 : s4, seg.client ? s4 : c4, 6, t, ipId++), client: seg.client });
    }
    perSession.push(pkts);
  }
  // interleave the sessions (each keeps its order)
  const order: { l3: Buffer; client: boolean }[] = [];
  const at = perSession.map(() => 0);
  for (let left = perSession.reduce((n, p) => n + p.length, 0); left > 0; left--) {
    let k = rng.int(perSession.length);
    while (at[k] >= perSession[k].length) k = (k + 1) % perSession.length;
    order.push(perSession[k][at[k]++]);
  }
  // times: increasing, with a backwards step or a jump by years now and then
  let tsUs = (1_500_000_000 + rng.int(300_000_000)) * 1e6;
  const packets: Packet[] = [];
  const timeTwist = rng.int(10);
  if (timeTwist === 0) twists.push('time backwards');
  if (timeTwist === 1) twists.push('time jumps years');
  for (const p of order) {
    tsUs += rng.int(200_000);
    let t = tsUs;
    if (timeTwist === 0 && rng.chance(0.2)) t -= rng.int(4e14);
    if (timeTwist === 1 && rng.chance(0.2)) t += rng.int(2e14);
    let l3 = p.l3;
    if (rng.chance(0.01)) {
      l3 = Buffer.from(l3);
      l3.writeUInt16BE(rng.pick([0, 1, 19, 0xffff]), v6 ? 4 : 2); // a lying IP length
      twists.push('bad IP length');
    }
    packets.push({ tsUs: Math.max(0, Math.min(t, 4_294_967_295e6)), linkType: link, data: frame(link, l3, v6, vlan, p.client) });
  }
  const bytes =
    format === 'pcapng'
      ? writePcapng(packets, { bigEndian: rng.chance(0.3), tsresol: rng.pick([6, 6, 9, 0x80 | 20]), blockType: rng.pick([6, 6, 6, 3, 2] as const) })
      : writePcap(packets, link, { bigEndian: rng.chance(0.3), nanos: format === 'pcap-ns', snaplen: rng.chance(0.05) ? 64 : 262144 });
  return { bytes, twists };
}

function frame(link: number, l3: Buffer, v6: boolean, vlan: boolean, client: boolean): Buffer {
  const type = v6 ? 0x86dd : 0x0800;
  if (link === 101) return l3;
  if (link === 113) {
    const h = Buffer.alloc(16);
    h.writeUInt16BE(client ? 4 : 0, 0);
    h.writeUInt16BE(1, 2);
    h.writeUInt16BE(6, 4);
    h.writeUInt16BE(type, 14);
    return Buffer.concat([h, l3]);
  }
  const h = Buffer.alloc(vlan ? 18 : 14);
  h.fill(client ? 0x02 : 0x04, 0, 6);
  h.fill(client ? 0x04 : 0x02, 6, 12);
  if (vlan) {
    h.writeUInt16BE(0x8100, 12);
    h.writeUInt16BE(7, 14);
    h.writeUInt16BE(type, 16);
  } else h.writeUInt16BE(type, 12);
  return Buffer.concat([h, l3]);
}
