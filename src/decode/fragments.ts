/**
 * IP fragment reassembly (IPv4 and IPv6), bounded: at most `maxDatagrams` datagrams in progress,
 * `maxBytes` fragment bytes held in total, and a datagram whose first fragment is older than
 * `timeoutUs` of capture time is dropped. Overlapping fragments: the first copy wins.
 */
export interface FragmentLimits {
  maxDatagrams: number;
  maxBytes: number;
  timeoutUs: number;
}

export interface FragmentCounters {
  fragments: number;
  reassembled: number;
  dropped_timeout: number;
  dropped_limit: number;
  dropped_invalid: number;
}

interface Pending {
  firstUs: number;
  /** sorted, non-overlapping pieces of the transport payload */
  pieces: { off: number; data: Buffer }[];
  /** total length once the last fragment is seen, else -1 */
  total: number;
  held: number;
  /** IPv6: next-header value carried by the first fragment (-1 until seen) */
  first: number;
}

export class FragmentReassembler {
  private readonly table = new Map<string, Pending>();
  private held = 0;
  readonly counters: FragmentCounters = { fragments: 0, reassembled: 0, dropped_timeout: 0, dropped_limit: 0, dropped_invalid: 0 };

  constructor(private readonly limits: FragmentLimits) {}

  /**
   * Add one fragment (offset in bytes into the transport payload). Returns the whole transport
   * payload when this fragment completed the datagram, else null.
   */
  add(
    key: string,
    tsUs: number,
    off: number,
    more: boolean,
    buf: Buffer,
    start: number,
    len: number,
    first = -1,
  ): { data: Buffer; first: number } | null {
    this.counters.fragments++;
    this.expire(tsUs);
    let p = this.table.get(key);
    if (!p) {
      if (this.table.size >= this.limits.maxDatagrams) {
        this.counters.dropped_limit++;
        return null;
      }
      p = { firstUs: tsUs, pieces: [], total: -1, held: 0, first: -1 };
      this.table.set(key, p);
    }
    if (off === 0 && p.first < 0) p.first = first;
    const end = off + len;
    if (!more) {
      if (p.total >= 0 && p.total !== end) {
        this.drop(key, p);
        this.counters.dropped_invalid++;
        return null;
      }
      p.total = end;
    }
    if (end > 65535 + 65535) {
      this.drop(key, p);
      this.counters.dropped_invalid++;
      return null;
    }
    // insert keeping only bytes no earlier piece covers (first copy wins)
    let cur = off;
    const pieces = p.pieces;
    let i = 0;
    while (cur < end) {
      while (i < pieces.length && pieces[i].off + pieces[i].data.length <= cur) i++;
      const nextStart = i < pieces.length ? pieces[i].off : Infinity;
      if (nextStart <= cur) {
        cur = pieces[i].off + pieces[i].data.length;
        continue;
      }
      const stop = Math.min(end, nextStart);
      if (this.held + (stop - cur) > this.limits.maxBytes) {
        this.drop(key, p);
        this.counters.dropped_limit++;
        return null;
      }
      const copy = Buffer.from(buf.subarray(start + (cur - off), start + (stop - off)));
      pieces.splice(i, 0, { off: cur, data: copy });
      p.held += copy.length;
      this.held += copy.length;
      i++;
      cur = stop;
    }
    if (p.total < 0) return null;
    let have = 0;
    for (const piece of pieces) {
      if (piece.off !== have) return null;
      have += piece.data.length;
    }
    if (have < p.total) return null;
    this.drop(key, p);
    this.counters.reassembled++;
    return { data: Buffer.concat(pieces.map((x) => x.data), p.total), first: p.first };
  }

  get pending(): number {
    return this.table.size;
  }

  private drop(key: string, p: Pending): void {
    this.held -= p.held;
    this.table.delete(key);
  }

  private expire(nowUs: number): void {
    // Map iteration is insertion order = order of first fragment, so stop at the first young one
    for (const [key, p] of this.table) {
      if (nowUs - p.firstUs <= this.limits.timeoutUs) break;
      this.drop(key, p);
      this.counters.dropped_timeout++;
    }
  }
}
