/**
 * Kept payload of the flow table: chunk records in the pages of one table-wide arena.
 *
 * A flow's chunks are records written one after another into a chain of 2 KiB pages: a 32-byte
 * header (time, stream offset, side/gap/length, where the previous record is) followed by the
 * bytes. The store is three ints of the owner's rows: the current page and the bytes used in it
 * (in the row every packet touches anyway), the first page (in a row read when the flow starts and
 * ends); the chunk count and the last record's place sit in the current page's header. So a
 * delivered segment costs one copy into a page whose cache lines the header shares: no object,
 * array or Buffer per flow or per chunk, and no other memory. (The first layout, a store object
 * per flow with its metadata in a Float64Array of its own, cost four dependent cache misses per
 * chunk: the profile's largest item after the flow lookup.) A chunk larger than what is left of a
 * page (loopback captures carry 64 KiB segments) continues in the next pages.
 * Pages go back to the arena when the flow is emitted; slabs are allocated once and reused.
 */
import { copyView, ViewCache } from '../common/views.js';
import { putChunkHead, putData, putGap } from './record.js';

export const PAGE = 512;
const PAGES_PER_SLAB = 512;
const PAGE_SHIFT = 9;
const SLAB_SHIFT = 9;
const IN_SLAB = PAGES_PER_SLAB - 1;

// page header: next page + 1 (0: none), bytes used in this page; in the store's current page also
// its chunk count and the page + 1 and offset of its last record
const PH_NEXT = 0;
const PH_END = 4;
const PH_COUNT = 8;
const PH_LAST_PAGE = 12;
const PH_LAST_AT = 16;
const PAGE_HDR = 24;
export const PAGE_HEADER_BYTES = PAGE_HDR;

// chunk record header (little-endian: the machine's order, no swaps); records start 8-aligned
const R_TS = 0;
const R_STREAM = 8;
/** side (0/1) + 2 · gap (0/1) + 4 · length */
const R_INFO = 16;
/** page + 1 (0: none) and offset in page of the flow's previous record */
const R_PREV_PAGE = 24;
const R_PREV_AT = 28;
const REC = 32;
export const RECORD_HEADER_BYTES = REC;
/** a record whose header and bytes fit here starts a new page rather than split */
const MAX_WHOLE = PAGE - PAGE_HDR;

// the store (all 0 = empty, so zeroed rows hold one): H[h] current page + 1, H[h + 1] bytes used
// in it; C[c] first page + 1
export const STORE_HOT_INTS = 2;

/** the view of the segment's source buffer (the capture's read block, nearly always) */
const sources = new ViewCache();
/** the view of the output block */
const outputs = new ViewCache();

export class PayloadArena {
  private slabs: Buffer[] = [];
  private views: DataView[] = [];
  private freePages = new Int32Array(0);
  private freeTop = 0;
  /** pages handed out right now / at most */
  pagesInUse = 0;
  pagesPeak = 0;

  slab(page: number): Buffer {
    return this.slabs[page >> SLAB_SHIFT];
  }

  view(page: number): DataView {
    return this.views[page >> SLAB_SHIFT];
  }

  /** offset of the page in its slab */
  base(page: number): number {
    return (page & IN_SLAB) << PAGE_SHIFT;
  }

  get bytes(): number {
    return this.slabs.length * PAGES_PER_SLAB * PAGE;
  }

  /** chunks in the store whose current page is H[h] */
  count(H: Int32Array, h: number): number {
    const cur = H[h] - 1;
    return cur < 0 ? 0 : this.views[cur >> SLAB_SHIFT].getInt32(((cur & IN_SLAB) << PAGE_SHIFT) + PH_COUNT, true);
  }

  /**
   * Append a chunk to the store (H[h], C[c]): payload bytes `src[off, off+len)` (or a gap of `len`
   * bytes when src is null) of side `side`, at stream offset `stream`, stamped `tsUs`.
   */
  append(H: Int32Array, h: number, C: Int32Array, c: number, side: number, src: Buffer | null, off: number, len: number, stream: number, tsUs: number): void {
    const bytes = src ? len : 0;
    let cur = H[h] - 1;
    let used = H[h + 1];
    let count = 0;
    let lastPage = 0;
    let lastAt = 0;
    if (cur >= 0) {
      const cv = this.views[cur >> SLAB_SHIFT];
      const cb = (cur & IN_SLAB) << PAGE_SHIFT;
      count = cv.getInt32(cb + PH_COUNT, true);
      lastPage = cv.getInt32(cb + PH_LAST_PAGE, true);
      lastAt = cv.getInt32(cb + PH_LAST_AT, true);
    }
    // a record that fits a page is never split; a larger one starts where its header fits
    if (cur < 0 || PAGE - used < (REC + bytes <= MAX_WHOLE ? REC + bytes : REC)) {
      cur = this.newPage(C, c, cur, used);
      used = PAGE_HDR;
    }
    let v = this.views[cur >> SLAB_SHIFT];
    let b = (cur & IN_SLAB) << PAGE_SHIFT;
    const at = b + used;
    v.setFloat64(at + R_TS, tsUs, true);
    v.setFloat64(at + R_STREAM, stream, true);
    v.setFloat64(at + R_INFO, side + (src ? 0 : 2) + 4 * len, true);
    v.setInt32(at + R_PREV_PAGE, lastPage, true);
    v.setInt32(at + R_PREV_AT, lastAt, true);
    lastPage = cur + 1;
    lastAt = used;
    used += REC;
    if (src) {
      const sv = sources.of(src);
      let n = Math.min(len, PAGE - used);
      copyView(sv, off, v, b + used, n);
      used += n;
      for (let done = n; done < len; done += n) {
        cur = this.newPage(C, c, cur, used);
        v = this.views[cur >> SLAB_SHIFT];
        b = (cur & IN_SLAB) << PAGE_SHIFT;
        n = Math.min(len - done, MAX_WHOLE);
        copyView(sv, off + done, v, b + PAGE_HDR, n);
        used = PAGE_HDR + n;
      }
    }
    used = (used + 7) & ~7;
    v.setInt32(b + PH_END, used, true);
    v.setInt32(b + PH_COUNT, count + 1, true);
    v.setInt32(b + PH_LAST_PAGE, lastPage, true);
    v.setInt32(b + PH_LAST_AT, lastAt, true);
    H[h] = cur + 1;
    H[h + 1] = used;
  }

  /** Give the store's pages back and empty it. */
  release(H: Int32Array, h: number, C: Int32Array, c: number): void {
    for (let p = C[c] - 1; p >= 0; ) {
      const next = this.views[p >> SLAB_SHIFT].getInt32(((p & IN_SLAB) << PAGE_SHIFT) + PH_NEXT, true) - 1;
      this.freePages[this.freeTop++] = p;
      this.pagesInUse--;
      p = next;
    }
    H[h] = 0;
    H[h + 1] = 0;
    C[c] = 0;
  }

  /** a page for the store, linked after `cur` (whose records end at `used`), or its first (C[c]) */
  private newPage(C: Int32Array, c: number, cur: number, used: number): number {
    if (this.freeTop === 0) this.addSlab();
    this.pagesInUse++;
    if (this.pagesInUse > this.pagesPeak) this.pagesPeak = this.pagesInUse;
    const p = this.freePages[--this.freeTop];
    const v = this.views[p >> SLAB_SHIFT];
    const b = (p & IN_SLAB) << PAGE_SHIFT;
    v.setInt32(b + PH_NEXT, 0, true);
    v.setInt32(b + PH_END, PAGE_HDR, true);
    if (cur >= 0) {
      const cb = (cur & IN_SLAB) << PAGE_SHIFT;
      const cv = this.views[cur >> SLAB_SHIFT];
      cv.setInt32(cb + PH_NEXT, p + 1, true);
      cv.setInt32(cb + PH_END, used, true);
    } else C[c] = p + 1;
    return p;
  }

  private addSlab(): void {
    const first = this.slabs.length * PAGES_PER_SLAB;
    const slab = Buffer.allocUnsafeSlow(PAGES_PER_SLAB * PAGE);
    this.slabs.push(slab);
    this.views.push(new DataView(slab.buffer, slab.byteOffset, slab.length));
    const free = new Int32Array(this.slabs.length * PAGES_PER_SLAB);
    free.set(this.freePages.subarray(0, this.freeTop));
    // lowest page on top: slabs fill in order
    for (let p = first + PAGES_PER_SLAB - 1; p >= first; p--) free[this.freeTop++] = p;
    this.freePages = free;
  }
}

/**
 * Reads the records of one store, forwards (first/next) or backwards (last/prev). After a move
 * that returned true the fields describe the record; `data()` makes its bytes readable as
 * `buf[at, at+len)` (the page itself, or a copy when the record continues in further pages).
 */
export class ChunkCursor {
  side = 0;
  gap = false;
  len = 0;
  tsUs = 0;
  stream = 0;
  /** after data(): the bytes are buf[at, at+len); view is a DataView over buf */
  buf: Buffer = Buffer.alloc(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  at = 0;
  /** after data(): buf is the cursor's scratch (the record continues in further pages), reused by the next split record */
  scratchData = false;
  private page = -1;
  /** offset of the record in its page */
  private off = 0;
  /** offset in `page` just past the record (forward reading) */
  private nextPage = -1;
  private nextOff = 0;
  /** what a split record's bytes are gathered into (grows to the largest split chunk, a segment) */
  private scratch = Buffer.alloc(0);
  private scratchView = new DataView(new ArrayBuffer(0));

  constructor(private readonly arena: PayloadArena) {}

  first(H: Int32Array, h: number, C: Int32Array, c: number): boolean {
    if (H[h] === 0) return false;
    this.nextPage = C[c] - 1;
    this.nextOff = PAGE_HDR;
    return this.next();
  }

  next(): boolean {
    let p = this.nextPage;
    if (p < 0) return false;
    const a = this.arena;
    let v = a.view(p);
    let b = a.base(p);
    if (this.nextOff >= v.getInt32(b + PH_END, true)) {
      p = v.getInt32(b + PH_NEXT, true) - 1;
      if (p < 0) return false;
      v = a.view(p);
      b = a.base(p);
      this.nextOff = PAGE_HDR;
    }
    this.read(p, this.nextOff);
    // where the next record starts: past this one's bytes (in a later page when it is split)
    let end = this.off + REC + (this.gap ? 0 : this.len);
    if (end > PAGE) {
      let rest = end - PAGE;
      for (;;) {
        p = a.view(p).getInt32(a.base(p) + PH_NEXT, true) - 1;
        if (rest <= MAX_WHOLE) break;
        rest -= MAX_WHOLE;
      }
      end = PAGE_HDR + rest;
    }
    this.nextPage = p;
    this.nextOff = (end + 7) & ~7;
    return true;
  }

  last(H: Int32Array, h: number): boolean {
    const cur = H[h] - 1;
    if (cur < 0) return false;
    const v = this.arena.view(cur);
    const b = this.arena.base(cur);
    this.read(v.getInt32(b + PH_LAST_PAGE, true) - 1, v.getInt32(b + PH_LAST_AT, true));
    return true;
  }

  prev(): boolean {
    const v = this.arena.view(this.page);
    const at = this.arena.base(this.page) + this.off;
    const p = v.getInt32(at + R_PREV_PAGE, true) - 1;
    if (p < 0) return false;
    this.read(p, v.getInt32(at + R_PREV_AT, true));
    return true;
  }

  /** make the record's bytes readable at buf[at, at+len) (not for a gap: it has none) */
  data(): void {
    const a = this.arena;
    const start = this.off + REC;
    if (start + this.len <= PAGE) {
      this.buf = a.slab(this.page);
      this.view = a.view(this.page);
      this.at = a.base(this.page) + start;
      this.scratchData = false;
      return;
    }
    if (this.scratch.length < this.len) {
      this.scratch = Buffer.allocUnsafe(this.len);
      this.scratchView = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.length);
    }
    let p = this.page;
    let n = PAGE - start;
    copyView(a.view(p), a.base(p) + start, this.scratchView, 0, n);
    for (let done = n; done < this.len; done += n) {
      p = a.view(p).getInt32(a.base(p) + PH_NEXT, true) - 1;
      n = Math.min(this.len - done, MAX_WHOLE);
      copyView(a.view(p), a.base(p) + PAGE_HDR, this.scratchView, done, n);
    }
    this.buf = this.scratch;
    this.view = this.scratchView;
    this.at = 0;
    this.scratchData = true;
  }

  private read(page: number, off: number): void {
    const v = this.arena.view(page);
    const at = this.arena.base(page) + off;
    this.page = page;
    this.off = off;
    const info = v.getFloat64(at + R_INFO, true);
    this.side = info % 2;
    this.gap = info % 4 >= 2;
    this.len = Math.floor(info / 4);
    this.tsUs = v.getFloat64(at + R_TS, true);
    this.stream = v.getFloat64(at + R_STREAM, true);
  }
}

/**
 * The chunk objects of the NDJSON line, comma-separated, for the store (H[h], C[c]) of a flow whose
 * client is side `client` (at emission the pages are cold: they are read once, in order).
 */
export function writeChunksJson(cur: ChunkCursor, H: Int32Array, h: number, C: Int32Array, c: number, out: Buffer, pos: number, client: number): number {
  const ov = outputs.of(out);
  for (let ok = cur.first(H, h, C, c), i = 0; ok; ok = cur.next(), i++) {
    if (i) out[pos++] = 0x2c; // ,
    pos = putChunkHead(out, ov, pos, cur.side === client, cur.tsUs);
    if (cur.gap) pos = putGap(out, pos, cur.len);
    else {
      cur.data();
      pos = putData(out, pos, cur.buf, cur.at, cur.at + cur.len, cur.view);
    }
  }
  return pos;
}
