/**
 * A flow's kept payload: bytes in small blocks filled one after another, and per chunk five
 * numbers in one Float64Array (time, stream offset, block, offset in block, side + 2·length), so
 * a delivered segment costs a copy and five stores: no object per packet that would live (and be
 * promoted by the GC) until the flow ends. Blocks and the metadata array come from Node's Buffer
 * pool while they are small (no ArrayBuffer of their own: thousands of those per second push V8
 * into full collections).
 */
export const BLOCK = 2048;

/** numbers per chunk in `meta` */
const M = 5;
const M_TS = 0;
const M_STREAM = 1;
/** index into `blocks`, or -1 for a gap */
const M_BLK = 2;
const M_AT = 3;
/** side (0/1) + 2 · bytes (or gap size) */
const M_SIDELEN = 4;

const EMPTY = Buffer.alloc(0);
const NO_META = new Float64Array(0);

export class ChunkStore {
  blocks: Buffer[] = [];
  private cur: Buffer = EMPTY;
  // full, so the first add takes a block
  private curUsed = BLOCK;
  private meta: Float64Array = NO_META;
  count = 0;

  /** payload bytes `src[off, off+len)` (or a gap of `len` bytes when src is null) of side `side` */
  add(side: number, src: Buffer | null, off: number, len: number, stream: number, tsUs: number): void {
    if (this.count * M === this.meta.length) this.growMeta();
    const m = this.meta;
    const k = this.count * M;
    if (src) {
      if (len > BLOCK - this.curUsed) {
        this.cur = Buffer.allocUnsafe(len > BLOCK ? len : BLOCK);
        this.curUsed = 0;
        this.blocks.push(this.cur);
      }
      const dst = this.cur;
      const d0 = this.curUsed;
      if (len <= 64) {
        // Buffer.copy's argument checks cost more than a short loop
        for (let i = 0; i < len; i++) dst[d0 + i] = src[off + i];
      } else src.copy(dst, d0, off, off + len);
      m[k + M_BLK] = this.blocks.length - 1;
      m[k + M_AT] = d0;
      this.curUsed += len;
    } else {
      m[k + M_BLK] = -1;
      m[k + M_AT] = 0;
    }
    m[k + M_TS] = tsUs;
    m[k + M_STREAM] = stream;
    m[k + M_SIDELEN] = side + 2 * len;
    this.count++;
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
    return this.meta[i * M + M_BLK] < 0;
  }
  block(i: number): Buffer {
    return this.blocks[this.meta[i * M + M_BLK]];
  }
  at(i: number): number {
    return this.meta[i * M + M_AT];
  }
  data(i: number): Buffer {
    const at = this.at(i);
    return this.block(i).subarray(at, at + this.len(i));
  }

  private growMeta(): void {
    const n = this.meta.length === 0 ? 16 * M : this.meta.length * 2;
    const bytes = Buffer.allocUnsafe(n * 8);
    // pool slices are 8-byte aligned (Node aligns its pool offset); anything else gets its own memory
    const next = bytes.byteOffset % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset, n) : new Float64Array(n);
    next.set(this.meta);
    this.meta = next;
  }
}
