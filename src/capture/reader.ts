import { FtpIdsError } from '../common/errors.js';
import { ViewCache } from '../common/views.js';

/**
 * Capture reader: classic pcap (both byte orders, µs and ns magic) and pcapng (SHB/IDB/EPB/SPB/PB,
 * several sections and interfaces, per-interface if_tsresol/if_tsoffset, both byte orders).
 *
 * A plain state machine: push(chunk) / end(); packets go out through `onPacket` as ONE reused
 * mutable view whose `data` is either the pushed chunk or the reader's stash — valid only during
 * the callback (copy what you keep). Whole records are parsed straight out of the pushed chunk;
 * only a record split across chunks is copied, once, into a stash sized for that record, so the
 * cost is linear whatever the chunking and memory is bounded by `maxRecordBytes`.
 */

export interface CapturedPacket {
  /** LINKTYPE_* of the interface the packet came from */
  linkType: number;
  /** capture time in integer microseconds since the epoch (ns captures truncated to µs) */
  tsUs: number;
  /** backing buffer; captured bytes are data[offset, offset+caplen) */
  data: Buffer;
  offset: number;
  caplen: number;
  origLen: number;
  /** byte offset of the record's header in the input */
  fileOffset: number;
  interfaceId: number;
}

export interface CaptureReaderOptions {
  /** a record or block larger than this is an error (never buffered) */
  maxRecordBytes: number;
  /** truncated last record is an error rather than a warning */
  strict: boolean;
  onPacket: (pkt: CapturedPacket) => void;
  onWarning?: (message: string, offset: number) => void;
}

export type CaptureFormat = 'pcap' | 'pcapng' | 'unknown';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

interface PcapngInterface {
  linkType: number;
  snaplen: number;
  /** ticks per second as 10^k (k >= 0) or -1 when binary */
  decExp: number;
  binExp: number;
  /** whole seconds to add (if_tsoffset) */
  offsetSec: number;
}

const ST_MAGIC = 0;
const ST_PCAP = 1;
const ST_PCAPNG = 2;

export class CaptureReader {
  private readonly opts: CaptureReaderOptions;
  private readonly pkt: CapturedPacket = {
    linkType: 0, tsUs: 0, data: Buffer.alloc(0), offset: 0, caplen: 0, origLen: 0, fileOffset: 0, interfaceId: 0,
  };
  private readonly views = new ViewCache();
  private state = ST_MAGIC;
  private le = true;
  private nanos = false;
  private linkType = 0;
  private ifaces: PcapngInterface[] = [];
  /** bytes needed from the start of the next unit before it can be parsed */
  private need = 4;
  private stash: Buffer = Buffer.alloc(0);
  private stashLen = 0;
  private stashOffset = 0;
  /** absolute input offset of the next pushed byte */
  private inputOffset = 0;
  private ended = false;
  format: CaptureFormat = 'unknown';
  /** bytes of the buffer that holds a record split across chunks (bounded by maxRecordBytes) */
  get stashCapacity(): number {
    return this.stash.length;
  }
  packets = 0;
  bytes = 0;

  constructor(opts: CaptureReaderOptions) {
    this.opts = opts;
  }

  push(chunk: Buffer): void {
    if (this.ended) throw new FtpIdsError('INTERNAL', 'push after end');
    let pos = 0;
    const len = chunk.length;
    while (this.stashLen > 0) {
      const take = Math.min(this.need - this.stashLen, len - pos);
      chunk.copy(this.stash, this.stashLen, pos, pos + take);
      this.stashLen += take;
      pos += take;
      if (this.stashLen < this.need) {
        this.inputOffset += len;
        return;
      }
      const used = this.parse(this.stash, 0, this.stashLen, this.stashOffset);
      if (used === 0) {
        this.growStash(this.need);
        continue;
      }
      // the stash holds exactly `need` bytes, so a unit consumes all of them
      this.stashOffset += used;
      this.stashLen -= used;
      if (this.stashLen > 0) this.stash.copy(this.stash, 0, used, used + this.stashLen);
    }
    const stop = this.parse(chunk, pos, len, this.inputOffset + pos);
    if (stop < len) {
      const rest = len - stop;
      this.growStash(Math.max(this.need, rest));
      chunk.copy(this.stash, 0, stop, len);
      this.stashLen = rest;
      this.stashOffset = this.inputOffset + stop;
    }
    this.inputOffset += len;
  }

  /** End of input: a partial record left over is a truncated capture. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.state === ST_MAGIC && this.inputOffset === 0) {
      this.warnOrThrow('empty input (no capture file header)', 0);
      return;
    }
    if (this.stashLen > 0) {
      const what = this.state === ST_MAGIC ? 'capture file header' : this.state === ST_PCAP ? 'packet record' : 'pcapng block';
      this.warnOrThrow(
        `truncated ${what}: ${this.stashLen} of ${this.need} bytes present at end of input (capture cut short?)`,
        this.stashOffset,
      );
      this.stashLen = 0;
    }
  }

  private warnOrThrow(message: string, offset: number): void {
    if (this.opts.strict || !this.opts.onWarning) throw new FtpIdsError('TRUNCATED', message, { offset });
    this.opts.onWarning(message, offset);
  }

  private growStash(n: number): void {
    if (this.stash.length >= n) return;
    const next = Buffer.allocUnsafe(Math.max(n, Math.min(2 * this.stash.length, this.opts.maxRecordBytes + 64), 256));
    this.stash.copy(next, 0, 0, this.stashLen);
    this.stash = next;
  }

  /** Parse units from buf[pos, end); returns where it stopped (sets this.need when incomplete). */
  private parse(buf: Buffer, pos: number, end: number, abs: number): number {
    const start = pos;
    for (;;) {
      const avail = end - pos;
      const at = abs + (pos - start);
      if (this.state === ST_PCAP) {
        if (avail < 16) {
          this.need = 16;
          return pos;
        }
        const le = this.le;
        // DataView reads inline (Buffer#readUInt32LE is a call with its own checks): 4 per packet
        const dv = this.views.of(buf);
        const incl = dv.getUint32(pos + 8, le);
        if (incl > this.opts.maxRecordBytes) {
          throw new FtpIdsError(
            'BAD_CAPTURE',
            `packet record claims ${incl} captured bytes, more than maxRecordBytes ${this.opts.maxRecordBytes} (corrupt file or garbage)`,
            { offset: at },
          );
        }
        if (avail < 16 + incl) {
          this.need = 16 + incl;
          return pos;
        }
        const sec = dv.getUint32(pos, le);
        const frac = dv.getUint32(pos + 4, le);
        const p = this.pkt;
        p.linkType = this.linkType;
        p.tsUs = sec * 1e6 + (this.nanos ? Math.floor(frac / 1000) : frac);
        p.data = buf;
        p.offset = pos + 16;
        p.caplen = incl;
        p.origLen = dv.getUint32(pos + 12, le);
        p.fileOffset = at;
        p.interfaceId = 0;
        this.packets++;
        this.bytes += incl;
        pos += 16 + incl;
        this.opts.onPacket(p);
        continue;
      }
      if (this.state === ST_PCAPNG) {
        if (avail < 12) {
          this.need = 12;
          return pos;
        }
        const type = this.le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
        if (type === PCAPNG_SHB) {
          // a new section may switch byte order: re-read the length with the section's own BOM
          const n = this.readShb(buf, pos, avail, at);
          if (n === 0) return pos;
          pos += n;
          continue;
        }
        const blen = this.le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
        this.checkBlockLength(blen, at);
        if (avail < blen) {
          this.need = blen;
          return pos;
        }
        const trail = this.le ? buf.readUInt32LE(pos + blen - 4) : buf.readUInt32BE(pos + blen - 4);
        if (trail !== blen) {
          throw new FtpIdsError('BAD_CAPTURE', `pcapng block length ${blen} does not match trailing length ${trail} (corrupt file)`, { offset: at });
        }
        this.block(type, buf, pos, blen, at);
        pos += blen;
        continue;
      }
      // ST_MAGIC: file header
      if (avail < 4) {
        this.need = 4;
        return pos;
      }
      const magicLE = buf.readUInt32LE(pos);
      const magicBE = buf.readUInt32BE(pos);
      if (magicLE === PCAPNG_SHB) {
        const n = this.readShb(buf, pos, avail, at);
        if (n === 0) return pos;
        this.format = 'pcapng';
        pos += n;
        continue;
      }
      let le: boolean;
      let nanos: boolean;
      if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS) {
        le = true;
        nanos = magicLE === PCAP_MAGIC_NS;
      } else if (magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) {
        le = false;
        nanos = magicBE === PCAP_MAGIC_NS;
      } else {
        const hint = buf[pos] === 0x1f && buf[pos + 1] === 0x8b ? ' (gzip-compressed: decompress first)' : '';
        throw new FtpIdsError(
          'BAD_CAPTURE',
          `not a pcap or pcapng capture: unknown magic 0x${magicBE.toString(16).padStart(8, '0')}${hint}`,
          { offset: at },
        );
      }
      if (avail < 24) {
        this.need = 24;
        return pos;
      }
      this.le = le;
      this.nanos = nanos;
      // upper bits of the link-type field carry FCS information (pcap spec); the type is the low 16 bits
      this.linkType = (le ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20)) & 0xffff;
      this.state = ST_PCAP;
      this.format = 'pcap';
      pos += 24;
    }
  }

  private checkBlockLength(blen: number, at: number): void {
    if (blen < 12 || blen % 4 !== 0) {
      throw new FtpIdsError('BAD_CAPTURE', `impossible pcapng block length ${blen} (corrupt file or garbage)`, { offset: at });
    }
    if (blen > this.opts.maxRecordBytes + 64) {
      throw new FtpIdsError(
        'BAD_CAPTURE',
        `pcapng block of ${blen} bytes is larger than maxRecordBytes ${this.opts.maxRecordBytes} (corrupt file or garbage)`,
        { offset: at },
      );
    }
  }

  /** Section header: returns bytes consumed, 0 when more input is needed. */
  private readShb(buf: Buffer, pos: number, avail: number, at: number): number {
    if (avail < 12) {
      this.need = 12;
      return 0;
    }
    const bom = buf.readUInt32LE(pos + 8);
    let le: boolean;
    if (bom === PCAPNG_BOM) le = true;
    else if (buf.readUInt32BE(pos + 8) === PCAPNG_BOM) le = false;
    else throw new FtpIdsError('BAD_CAPTURE', `pcapng section header with unknown byte-order magic 0x${bom.toString(16)}`, { offset: at });
    const blen = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
    if (blen < 28) throw new FtpIdsError('BAD_CAPTURE', `impossible pcapng section header length ${blen}`, { offset: at });
    this.checkBlockLength(blen, at);
    if (avail < blen) {
      this.need = blen;
      return 0;
    }
    const major = le ? buf.readUInt16LE(pos + 12) : buf.readUInt16BE(pos + 12);
    if (major !== 1) throw new FtpIdsError('BAD_CAPTURE', `unsupported pcapng major version ${major}`, { offset: at });
    this.le = le;
    this.ifaces = [];
    this.state = ST_PCAPNG;
    return blen;
  }

  private u32(buf: Buffer, o: number): number {
    return this.le ? buf.readUInt32LE(o) : buf.readUInt32BE(o);
  }

  private block(type: number, buf: Buffer, pos: number, blen: number, at: number): void {
    switch (type) {
      case 1: // IDB
        this.readIdb(buf, pos, blen, at);
        return;
      case 6: // EPB
      case 2: {
        // obsolete PB: 16-bit interface id + 16-bit drops count in place of EPB's 32-bit interface id
        if (blen < 32) throw new FtpIdsError('BAD_CAPTURE', `packet block too short (${blen} bytes)`, { offset: at });
        const ifId = type === 6 ? this.u32(buf, pos + 8) : this.le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8);
        const iface = this.ifaces[ifId];
        if (!iface) throw new FtpIdsError('BAD_CAPTURE', `packet block names interface ${ifId}, which was not described`, { offset: at });
        const caplen = this.u32(buf, pos + 20);
        if (caplen > blen - 32) {
          throw new FtpIdsError('BAD_CAPTURE', `packet block captured length ${caplen} exceeds block length ${blen}`, { offset: at });
        }
        this.emit(iface, ifId, this.u32(buf, pos + 12), this.u32(buf, pos + 16), buf, pos + 28, caplen, this.u32(buf, pos + 24), at);
        return;
      }
      case 3: {
        // SPB: no timestamp, interface 0, captured length = min(original length, snaplen, room in block)
        const iface = this.ifaces[0];
        if (!iface) throw new FtpIdsError('BAD_CAPTURE', 'simple packet block before any interface description', { offset: at });
        if (blen < 16) throw new FtpIdsError('BAD_CAPTURE', `simple packet block too short (${blen} bytes)`, { offset: at });
        const orig = this.u32(buf, pos + 8);
        let caplen = Math.min(orig, blen - 16);
        if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
        this.emit(iface, 0, 0, 0, buf, pos + 12, caplen, orig, at);
        return;
      }
      default:
        // NRB, ISB, DSB, custom and unknown blocks carry nothing we need
        return;
    }
  }

  private readIdb(buf: Buffer, pos: number, blen: number, at: number): void {
    if (blen < 20) throw new FtpIdsError('BAD_CAPTURE', `interface description block too short (${blen} bytes)`, { offset: at });
    const iface: PcapngInterface = {
      linkType: this.le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8),
      snaplen: this.u32(buf, pos + 12),
      decExp: 6,
      binExp: 0,
      offsetSec: 0,
    };
    let o = pos + 16;
    const end = pos + blen - 4;
    while (o + 4 <= end) {
      const code = this.le ? buf.readUInt16LE(o) : buf.readUInt16BE(o);
      const olen = this.le ? buf.readUInt16LE(o + 2) : buf.readUInt16BE(o + 2);
      if (code === 0) break;
      if (o + 4 + olen > end) break;
      if (code === 9 && olen >= 1) {
        const r = buf[o + 4];
        if (r & 0x80) {
          iface.decExp = -1;
          iface.binExp = r & 0x7f;
        } else {
          iface.decExp = r;
        }
      } else if (code === 14 && olen >= 8) {
        const hi = this.le ? buf.readInt32LE(o + 8) : buf.readInt32BE(o + 4);
        const lo = this.le ? buf.readUInt32LE(o + 4) : buf.readUInt32BE(o + 8);
        iface.offsetSec = hi * 4294967296 + lo;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    this.ifaces.push(iface);
  }

  private emit(iface: PcapngInterface, ifId: number, hi: number, lo: number, buf: Buffer, off: number, caplen: number, orig: number, at: number): void {
    if (caplen > this.opts.maxRecordBytes) {
      throw new FtpIdsError('BAD_CAPTURE', `packet of ${caplen} bytes exceeds maxRecordBytes ${this.opts.maxRecordBytes}`, { offset: at });
    }
    const p = this.pkt;
    p.linkType = iface.linkType;
    p.tsUs = pcapngTimeUs(hi, lo, iface) + iface.offsetSec * 1e6;
    p.data = buf;
    p.offset = off;
    p.caplen = caplen;
    p.origLen = orig;
    p.fileOffset = at;
    p.interfaceId = ifId;
    this.packets++;
    this.bytes += caplen;
    this.opts.onPacket(p);
  }
}

const TWO32 = 4294967296;

/** 64-bit tick count -> integer µs, exact (BigInt only where a double would lose digits). */
export function pcapngTimeUs(hi: number, lo: number, iface: { decExp: number; binExp: number }): number {
  const k = iface.decExp;
  if (k === 6) return hi * TWO32 + lo;
  if (k >= 0 && k < 6) return (hi * TWO32 + lo) * 10 ** (6 - k);
  if (k > 6 && k <= 12) {
    // value / div with value = hi*2^32 + lo, split so every intermediate stays below 2^53
    const div = 10 ** (k - 6);
    const q = Math.floor(TWO32 / div);
    const r = TWO32 - q * div;
    const rest = hi * r + lo;
    return hi * q + Math.floor(rest / div);
  }
  const ticks = (BigInt(hi) << 32n) | BigInt(lo);
  const perSec = k >= 0 ? 10n ** BigInt(k) : 1n << BigInt(iface.binExp);
  return Number((ticks * 1000000n) / perSec);
}
