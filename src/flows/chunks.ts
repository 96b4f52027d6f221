/**
 * Kept payload of the flow table.
 *
 * Bytes live in pages of one table-wide arena (slabs of PAGES_PER_SLAB pages); a flow fills its
 * pages one after another and gives them back when it is emitted, so a capture of a million
 * connections allocates a few slabs once instead of a Buffer per flow for the GC to chase. A
 * chunk larger than a page (loopback captures carry 64 KiB segments) gets a Buffer of its own.
 *
 * Per chunk five numbers sit in one Float64Array (time, stream offset, page or big-buffer code,
 * offset, side + 2·length), so a delivered segment costs a copy and five stores.
 */
import { copyView, ViewCache } from '../common/views.js';
import { CHUNK_C, CHUNK_S, putBytes, putData, putGap, putTsUs } from './record.js';

export const PAGE = 2048;
const PAGES_PER_SLAB = 128;
const PAGE_SHIFT = 11;
const SLAB_SHIFT = 7;

/** numbers per chunk in `meta` */
const M = 5;
const M_TS = 0;
const M_STREAM = 1;
/** page (>= 0), -1 for a gap, -2 - k for the store's k-th big buffer */
const M_LOC = 2;
const M_AT = 3;
/** side (0/1) + 2 · bytes (or gap size) */
const M_SIDELEN = 4;
const LOC_GAP = -1;

const NO_META = new Float64Array(0);
const NO_PAGES: number[] = [];
const NO_BIGS: Buffer[] = [];

/** the view of the segment's source buffer (the capture's read block, nearly always) */
const sources = new ViewCache();

export class PayloadArena {
  private slabs: Buffer[] = [];
  private views: DataView[] = [];
  private freePages = new Int32Array(0);
  private freeTop = 0;
  /** pages handed out right now / at most */
  pagesInUse = 0;
  pagesPeak = 0;

  take(): number {
    if (this.freeTop === 0) this.addSlab();
    this.pagesInUse++;
    if (this.pagesInUse > this.pagesPeak) this.pagesPeak = this.pagesInUse;
    return this.freePages[--this.freeTop];
  }

  give(pages: number[]): void {
    for (let i = 0; i < pages.length; i++) this.freePages[this.freeTop++] = pages[i];
    this.pagesInUse -= pages.length;
  }

  slab(page: number): Buffer {
    return this.slabs[page >> SLAB_SHIFT];
  }

  view(page: number): DataView {
    return this.views[page >> SLAB_SHIFT];
  }

  /** offset of the page in its slab */
  base(page: number): number {
    return (page & (PAGES_PER_SLAB - 1)) << PAGE_SHIFT;
  }

  get bytes(): number {
    return this.slabs.length * PAGES_PER_SLAB * PAGE;
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

export class ChunkStore {
  private pages: number[] = NO_PAGES;
  private bigs: Buffer[] = NO_BIGS;
  /** current page and bytes used in it (PAGE: none yet) */
  private page = -1;
  private pageUsed = PAGE;
  private meta: Float64Array = NO_META;
  count = 0;

  constructor(private readonly arena: PayloadArena) {}

  /** payload bytes `src[off, off+len)` (or a gap of `len` bytes when src is null) of side `side` */
  add(side: number, src: Buffer | null, off: number, len: number, stream: number, tsUs: number): void {
    if (this.count * M === this.meta.length) this.growMeta();
    const m = this.meta;
    const k = this.count * M;
    if (!src) {
      m[k + M_LOC] = LOC_GAP;
      m[k + M_AT] = 0;
    } else if (len > PAGE) {
      if (this.bigs === NO_BIGS) this.bigs = [];
      this.bigs.push(Buffer.from(src.subarray(off, off + len)));
      m[k + M_LOC] = -1 - this.bigs.length;
      m[k + M_AT] = 0;
    } else {
      if (len > PAGE - this.pageUsed) {
        this.page = this.arena.take();
        if (this.pages === NO_PAGES) this.pages = [];
        this.pages.push(this.page);
        this.pageUsed = 0;
      }
      const d0 = this.arena.base(this.page) + this.pageUsed;
      copyView(sources.of(src), off, this.arena.view(this.page), d0, len);
      m[k + M_LOC] = this.page;
      m[k + M_AT] = d0;
      this.pageUsed += len;
    }
    m[k + M_TS] = tsUs;
    m[k + M_STREAM] = stream;
    m[k + M_SIDELEN] = side + 2 * len;
    this.count++;
  }

  /** Give the pages back and empty the store (its metadata array is kept for the next flow). */
  release(): void {
    if (this.pages !== NO_PAGES) {
      this.arena.give(this.pages);
      this.pages.length = 0;
    }
    this.bigs = NO_BIGS;
    this.page = -1;
    this.pageUsed = PAGE;
    this.count = 0;
  }

  /** chunks the metadata array holds without growing */
  get capacity(): number {
    return this.meta.length / M;
  }

  side(i: number): number {
    return this.meta[i * M + M_SIDELEN] % 2;
  }
  len(i: number): number {
    return Math.floor(this.meta[i * M + M_SIDELEN] / 2);
  }
  tsUs(i: number): number {
    return this.meta[i * M + M_TS];
  }
  stream(i: number): number {
    return this.meta[i * M + M_STREAM];
  }
  isGap(i: number): boolean {
    return this.meta[i * M + M_LOC] === LOC_GAP;
  }
  /** the buffer holding chunk i's bytes, from offset at(i) */
  buffer(i: number): Buffer {
    const loc = this.meta[i * M + M_LOC];
    return loc >= 0 ? this.arena.slab(loc) : this.bigs[-2 - loc];
  }
  at(i: number): number {
    return this.meta[i * M + M_AT];
  }

  /**
   * The chunk objects of the NDJSON line, comma-separated, for a flow whose client is side
   * `client` (one loop over the metadata: at emission it is cold, so it is read once, in order).
   */
  writeJson(out: Buffer, pos: number, client: number): number {
    const m = this.meta;
    const arena = this.arena;
    for (let i = 0, k = 0; i < this.count; i++, k += M) {
      if (i) out[pos++] = 0x2c; // ,
      const sideLen = m[k + M_SIDELEN];
      const side = sideLen % 2;
      const len = (sideLen - side) / 2;
      pos = putBytes(out, pos, side === client ? CHUNK_C : CHUNK_S);
      pos = putTsUs(out, pos, m[k + M_TS]);
      const loc = m[k + M_LOC];
      if (loc === LOC_GAP) pos = putGap(out, pos, len);
      else {
        const at = m[k + M_AT];
        // a slab's own DataView: consecutive chunks come from different slabs, a one-entry cache would miss
        pos = loc >= 0 ? putData(out, pos, arena.slab(loc), at, at + len, arena.view(loc)) : putData(out, pos, this.bigs[-2 - loc], at, at + len);
      }
    }
    return pos;
  }

  /** payload bytes kept (gaps excluded) */
  payloadBytes(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (!this.isGap(i)) n += this.len(i);
    return n;
  }

  private growMeta(): void {
    // a control connection carries about 50 chunks: most stores never grow
    const n = this.meta.length === 0 ? 64 * M : this.meta.length * 2;
    const bytes = Buffer.allocUnsafe(n * 8);
    // pool slices are 8-byte aligned (Node aligns its pool offset); anything else gets its own memory
    const next = bytes.byteOffset % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset, n) : new Float64Array(n);
    next.set(this.meta);
    this.meta = next;
  }
}
