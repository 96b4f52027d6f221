import type { CapturedPacket } from '../capture/reader.js';
import { FragmentReassembler, type FragmentLimits } from './fragments.js';

/**
 * Link layer -> IPv4/IPv6 -> TCP. One mutable `TcpSegmentView` is reused for every packet (no
 * per-packet objects); its fields point into the captured bytes (or into a reassembled IP
 * datagram) and are valid only until the next decode().
 */

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface TcpSegmentView {
  tsUs: number;
  ipVersion: 4 | 6;
  /** buffer holding the addresses */
  addrBuf: Buffer;
  srcOff: number;
  dstOff: number;
  /** 4 or 16 */
  addrLen: number;
  srcPort: number;
  dstPort: number;
  /** sequence and acknowledgement numbers as signed 32-bit (small integers for V8; compare by difference) */
  seq: number;
  ack: number;
  /** TCP flag byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16) */
  flags: number;
  /** buffer holding the TCP payload */
  payBuf: Buffer;
  payOff: number;
  payLen: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export interface DecodeCounters {
  packets: number;
  tcp: number;
  /** per link type, packets seen */
  linkTypes: Record<string, number>;
  skipped_linktype: number;
  skipped_non_ip: number;
  skipped_non_tcp: number;
  skipped_malformed: number;
  ip_options: number;
  ipv6_ext_headers: number;
  vlan_tagged: number;
  /** packets decoded through a tunnel, per kind (outer → inner; a tunnel in a tunnel counts each) */
  tunnel_4in4: number;
  tunnel_6in4: number;
  tunnel_4in6: number;
  tunnel_6in6: number;
  tunnel_gre_ip: number;
  tunnel_gre_eth: number;
  tunnel_erspan: number;
  tunnel_vxlan: number;
  /** tunnels nested deeper than MAX_TUNNEL_DEPTH, and GRE versions/flags not decoded */
  skipped_tunnel: number;
}

/** tunnel kinds as counted in DecodeCounters (tunnel_<kind>) */
export const TUNNEL_COUNTERS = ['tunnel_4in4', 'tunnel_6in4', 'tunnel_4in6', 'tunnel_6in6', 'tunnel_gre_ip', 'tunnel_gre_eth', 'tunnel_erspan', 'tunnel_vxlan', 'skipped_tunnel'] as const;

/** tunnels inside tunnels decoded at most this deep (each level is a header of a few bytes: a hostile nest is cheap but pointless) */
const MAX_TUNNEL_DEPTH = 4;
/** IANA: VXLAN's UDP port (RFC 7348), the one tshark and Zeek decode by default */
const VXLAN_PORT = 4789;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;

export class PacketDecoder {
  readonly view: TcpSegmentView = {
    tsUs: 0, ipVersion: 4, addrBuf: Buffer.alloc(0), srcOff: 0, dstOff: 0, addrLen: 4,
    srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, payBuf: Buffer.alloc(0), payOff: 0, payLen: 0,
  };
  readonly counters: DecodeCounters = {
    packets: 0, tcp: 0, linkTypes: {}, skipped_linktype: 0, skipped_non_ip: 0, skipped_non_tcp: 0,
    skipped_malformed: 0, ip_options: 0, ipv6_ext_headers: 0, vlan_tagged: 0,
    tunnel_4in4: 0, tunnel_6in4: 0, tunnel_4in6: 0, tunnel_6in6: 0, tunnel_gre_ip: 0, tunnel_gre_eth: 0, tunnel_erspan: 0, tunnel_vxlan: 0,
    skipped_tunnel: 0,
  };
  /** tunnel levels entered by the current packet */
  private depth = 0;
  readonly fragments: FragmentReassembler;
  private readonly linkCounts = new Int32Array(300);
  private readonly otherLinkCounts = new Map<number, number>();

  constructor(fragmentLimits: FragmentLimits) {
    this.fragments = new FragmentReassembler(fragmentLimits);
  }

  /** Decode one captured packet; true when it is a TCP segment (then `view` is filled). */
  decode(pkt: CapturedPacket): boolean {
    this.counters.packets++;
    const lt = pkt.linkType;
    if (lt < 300) this.linkCounts[lt]++;
    else this.otherLinkCounts.set(lt, (this.otherLinkCounts.get(lt) ?? 0) + 1);
    const buf = pkt.data;
    const off = pkt.offset;
    const end = off + pkt.caplen;
    this.view.tsUs = pkt.tsUs;
    this.depth = 0;
    switch (lt) {
      case LINKTYPE.ETHERNET:
        // fast path: untagged Ethernet + IPv4 without options or fragments + TCP
        if (end - off >= 54 && buf[off + 12] === 0x08 && buf[off + 13] === 0x00 && buf[off + 14] === 0x45) {
          const ip = off + 14;
          if ((buf[ip + 6] & 0x3f) === 0 && buf[ip + 7] === 0 && buf[ip + 9] === 6) {
            const total = (buf[ip + 2] << 8) | buf[ip + 3];
            if (total >= 40) {
              const v = this.view;
              v.ipVersion = 4;
              v.addrBuf = buf;
              v.addrLen = 4;
              v.srcOff = ip + 12;
              v.dstOff = ip + 16;
              return this.tcp(buf, ip + 20, Math.min(end, ip + total));
            }
          }
        }
        return this.ether(buf, off, end);
      case LINKTYPE.LINUX_SLL:
        if (end - off < 16) return this.malformed();
        return this.ethertype(buf.readUInt16BE(off + 14), buf, off + 16, end);
      case LINKTYPE.LINUX_SLL2:
        if (end - off < 20) return this.malformed();
        return this.ethertype(buf.readUInt16BE(off), buf, off + 20, end);
      case LINKTYPE.RAW:
      case LINKTYPE.RAW_12:
      case LINKTYPE.RAW_14:
        return this.rawIp(buf, off, end);
      case LINKTYPE.IPV4:
        return this.ipv4(buf, off, end);
      case LINKTYPE.IPV6:
        return this.ipv6(buf, off, end);
      case LINKTYPE.NULL:
      case LINKTYPE.LOOP:
        return this.loopback(lt, buf, off, end);
      default:
        this.counters.skipped_linktype++;
        return false;
    }
  }

  /** counters snapshot with the per-link-type table filled in */
  snapshot(): DecodeCounters {
    const linkTypes: Record<string, number> = {};
    for (let i = 0; i < this.linkCounts.length; i++) if (this.linkCounts[i]) linkTypes[String(i)] = this.linkCounts[i];
    for (const [k, v] of this.otherLinkCounts) linkTypes[String(k)] = v;
    return { ...this.counters, linkTypes };
  }

  private malformed(): boolean {
    this.counters.skipped_malformed++;
    return false;
  }

  private ether(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 14) return this.malformed();
    let type = buf.readUInt16BE(off + 12);
    let p = off + 14;
    // 802.1Q, 802.1ad (QinQ) and the old 0x9100 QinQ tag, any depth
    while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
      if (end - p < 4) return this.malformed();
      this.counters.vlan_tagged++;
      type = buf.readUInt16BE(p + 2);
      p += 4;
    }
    return this.ethertype(type, buf, p, end);
  }

  private ethertype(type: number, buf: Buffer, off: number, end: number): boolean {
    if (type === ETH_IPV4) return this.ipv4(buf, off, end);
    if (type === ETH_IPV6) return this.ipv6(buf, off, end);
    this.counters.skipped_non_ip++;
    return false;
  }

  private rawIp(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 1) return this.malformed();
    const v = buf[off] >> 4;
    if (v === 4) return this.ipv4(buf, off, end);
    if (v === 6) return this.ipv6(buf, off, end);
    this.counters.skipped_non_ip++;
    return false;
  }

  private loopback(lt: number, buf: Buffer, off: number, end: number): boolean {
    if (end - off < 4) return this.malformed();
    // NULL: address family in the capturing host's byte order; LOOP: network byte order
    let fam = lt === LINKTYPE.LOOP ? buf.readUInt32BE(off) : buf.readUInt32LE(off);
    if (fam > 0xffff) fam = buf.readUInt32BE(off);
    if (fam === 2) return this.ipv4(buf, off + 4, end);
    // AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux)
    if (fam === 24 || fam === 28 || fam === 30 || fam === 10) return this.ipv6(buf, off + 4, end);
    this.counters.skipped_non_ip++;
    return false;
  }

  private ipv4(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 20 || buf[off] >> 4 !== 4) return this.malformed();
    const ihl = (buf[off] & 0x0f) * 4;
    if (ihl < 20 || end - off < ihl) return this.malformed();
    if (ihl > 20) this.counters.ip_options++;
    const total = buf.readUInt16BE(off + 2);
    if (total < ihl) return this.malformed();
    // trailing link-layer padding is not payload; a snaplen-cut packet keeps what was captured
    const ipEnd = Math.min(end, off + total);
    const proto = buf[off + 9];
    const fragField = buf.readUInt16BE(off + 6);
    const more = (fragField & 0x2000) !== 0;
    const fragOff = (fragField & 0x1fff) * 8;
    const v = this.view;
    v.ipVersion = 4;
    if (more || fragOff !== 0) {
      if (proto !== 6) {
        this.counters.skipped_non_tcp++;
        return false;
      }
      const key = `4${buf.toString('latin1', off + 12, off + 20)}${buf.readUInt16BE(off + 4)}`;
      const whole = this.fragments.add(key, v.tsUs, fragOff, more, buf, off + ihl, ipEnd - off - ihl);
      if (!whole) return false;
      return this.reassembled(buf, off + 12, 4, whole.data);
    }
    if (proto !== 6) return this.ipPayload(proto, 4, buf, off + ihl, ipEnd);
    v.addrBuf = buf;
    v.addrLen = 4;
    v.srcOff = off + 12;
    v.dstOff = off + 16;
    return this.tcp(buf, off + ihl, ipEnd);
  }

  private ipv6(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 40 || buf[off] >> 4 !== 6) return this.malformed();
    const plen = buf.readUInt16BE(off + 4);
    // payload length 0 = jumbogram: use what was captured
    const ipEnd = plen === 0 ? end : Math.min(end, off + 40 + plen);
    const v = this.view;
    v.ipVersion = 6;
    v.addrBuf = buf;
    v.addrLen = 16;
    v.srcOff = off + 8;
    v.dstOff = off + 24;
    return this.ipv6Chain(buf[off + 6], buf, off + 40, ipEnd, true);
  }

  /** Walk IPv6 extension headers from `p` (addresses already in the view) to TCP. */
  private ipv6Chain(next: number, buf: Buffer, p: number, ipEnd: number, mayFragment: boolean): boolean {
    for (;;) {
      if (next === 6) return this.tcp(buf, p, ipEnd);
      if (next === 0 || next === 43 || next === 60 || next === 51) {
        // hop-by-hop, routing, destination options: (len+1)*8; AH: (len+2)*4
        if (ipEnd - p < 8) return this.malformed();
        this.counters.ipv6_ext_headers++;
        const hlen = next === 51 ? (buf[p + 1] + 2) * 4 : (buf[p + 1] + 1) * 8;
        next = buf[p];
        p += hlen;
        if (p > ipEnd) return this.malformed();
        continue;
      }
      if (next === 44 && mayFragment) {
        if (ipEnd - p < 8) return this.malformed();
        this.counters.ipv6_ext_headers++;
        const f = buf.readUInt16BE(p + 2);
        const fragOff = f & 0xfff8;
        const more = (f & 1) !== 0;
        const fragId = buf.readUInt32BE(p + 4);
        next = buf[p];
        p += 8;
        if (fragOff === 0 && !more) continue; // atomic fragment: an ordinary packet
        const v = this.view;
        const ab = v.addrBuf;
        const key = `6${ab.toString('latin1', v.srcOff, v.srcOff + 32)}${fragId}`;
        // the first fragment's next-header field names the reassembled payload's first header
        const whole = this.fragments.add(key, v.tsUs, fragOff, more, buf, p, ipEnd - p, fragOff === 0 ? next : -1);
        if (!whole) return false;
        const b = Buffer.allocUnsafe(32 + whole.data.length);
        ab.copy(b, 0, v.srcOff, v.srcOff + 32);
        whole.data.copy(b, 32);
        v.addrBuf = b;
        v.srcOff = 0;
        v.dstOff = 16;
        return this.ipv6Chain(whole.first, b, 32, b.length, false);
      }
      return this.ipPayload(next, 6, buf, p, ipEnd);
    }
  }

  /**
   * An IP payload other than TCP: a tunnel (IP-in-IP, 6in4 = protocol 41, GRE, VXLAN over UDP)
   * is decoded through to its inner packet, as tshark and Zeek do; anything else is not TCP.
   */
  private ipPayload(proto: number, outer: 4 | 6, buf: Buffer, off: number, end: number): boolean {
    if (proto === 4 || proto === 41 || proto === 47 || proto === 17) {
      if (this.depth >= MAX_TUNNEL_DEPTH) {
        this.counters.skipped_tunnel++;
        return false;
      }
      this.depth++;
      const c = this.counters;
      if (proto === 4) {
        if (outer === 4) c.tunnel_4in4++;
        else c.tunnel_4in6++;
        return this.ipv4(buf, off, end);
      }
      if (proto === 41) {
        if (outer === 4) c.tunnel_6in4++;
        else c.tunnel_6in6++;
        return this.ipv6(buf, off, end);
      }
      if (proto === 47) return this.gre(buf, off, end);
      if (end - off >= 8 && ((buf[off + 2] << 8) | buf[off + 3]) === VXLAN_PORT) {
        // VXLAN (RFC 7348): 8-byte header, flag I (0x08) set, then an Ethernet frame
        if (end - off < 16 || !(buf[off + 8] & 0x08)) return this.malformed();
        c.tunnel_vxlan++;
        return this.ether(buf, off + 16, end);
      }
      this.depth--;
    }
    this.counters.skipped_non_tcp++;
    return false;
  }

  /**
   * GRE (RFC 2784, key and sequence of RFC 2890) version 0 carrying IPv4, IPv6, Ethernet (0x6558,
   * transparent bridging) or ERSPAN type II/III (mirrored Ethernet). Version 1 (PPTP) and the
   * obsolete routing field (RFC 1701) are not decoded (skipped_tunnel).
   */
  private gre(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 4) return this.malformed();
    const fl = buf[off];
    if ((buf[off + 1] & 0x07) !== 0 || fl & 0x40) {
      this.counters.skipped_tunnel++;
      return false;
    }
    const type = (buf[off + 2] << 8) | buf[off + 3];
    const p = off + 4 + (fl & 0x80 ? 4 : 0) + (fl & 0x20 ? 4 : 0) + (fl & 0x10 ? 4 : 0);
    if (p > end) return this.malformed();
    const c = this.counters;
    if (type === ETH_IPV4 || type === ETH_IPV6) {
      c.tunnel_gre_ip++;
      return this.ethertype(type, buf, p, end);
    }
    if (type === 0x6558) {
      c.tunnel_gre_eth++;
      return this.ether(buf, p, end);
    }
    if (type === 0x88be || type === 0x22eb) {
      // ERSPAN type II: 8-byte header; type III: 12 bytes, 8 more when its O flag is set
      const h = type === 0x88be ? 8 : 12 + (end - p >= 12 && buf[p + 11] & 0x01 ? 8 : 0);
      if (end - p < h) return this.malformed();
      c.tunnel_erspan++;
      return this.ether(buf, p + h, end);
    }
    this.counters.skipped_non_ip++;
    return false;
  }

  /** A reassembled datagram gets its own buffer: [src][dst][transport bytes]. */
  private reassembled(buf: Buffer, addrOff: number, alen: number, whole: Buffer): boolean {
    const b = Buffer.allocUnsafe(2 * alen + whole.length);
    buf.copy(b, 0, addrOff, addrOff + 2 * alen);
    whole.copy(b, 2 * alen);
    const v = this.view;
    v.addrBuf = b;
    v.addrLen = alen;
    v.srcOff = 0;
    v.dstOff = alen;
    return this.tcp(b, 2 * alen, b.length);
  }

  private tcp(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 20) return this.malformed();
    const doff = (buf[off + 12] >> 4) * 4;
    if (doff < 20 || end - off < doff) return this.malformed();
    const v = this.view;
    v.srcPort = (buf[off] << 8) | buf[off + 1];
    v.dstPort = (buf[off + 2] << 8) | buf[off + 3];
    v.seq = (buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7];
    v.ack = (buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11];
    v.flags = buf[off + 13];
    v.payBuf = buf;
    v.payOff = off + doff;
    v.payLen = end - off - doff;
    this.counters.tcp++;
    return true;
  }
}
