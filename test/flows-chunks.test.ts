import { describe, it, expect } from 'vitest';
import { ChunkCursor, PAGE, PAGE_HEADER_BYTES, PayloadArena, RECORD_HEADER_BYTES, STORE_HOT_INTS, writeChunksJson } from '../src/flows/chunks.js';
import { putData, putGap, putTsUs, CHUNK_C, CHUNK_S, putBytes } from '../src/flows/record.js';

interface Chunk {
  side: number;
  /** base64 (deep equality on large Buffers is slow in vitest) */
  data: string | null;
  len: number;
  stream: number;
  ts: number;
}

/** a deterministic generator (tests must not depend on Math.random) */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** sizes on every edge of the page layout: empty, small, exactly filling, a page, several pages */
function chunkSizes(r: () => number): number {
  const whole = PAGE - PAGE_HEADER_BYTES - RECORD_HEADER_BYTES;
  const edges = [0, 1, 7, 8, 9, 100, whole - 8, whole - 1, whole, whole + 1, PAGE - PAGE_HEADER_BYTES, PAGE, PAGE + 1, 3 * PAGE + 5, 65535];
  return r() < 0.5 ? edges[Math.floor(r() * edges.length)] : Math.floor(r() * 300);
}

/** the rows holding stores: a store's hot part (current page, bytes used) and cold part (first page) */
class Rows {
  readonly H: Int32Array;
  readonly C: Int32Array;
  constructor(stores: number) {
    this.H = new Int32Array(stores * STORE_HOT_INTS);
    this.C = new Int32Array(stores);
  }
}
const h = (st: number): number => st * STORE_HOT_INTS;

/** several stores filled in interleaved order (as concurrent flows fill them), from one source buffer */
function fill(arena: PayloadArena, I: Rows, stores: number, perStore: number, seed: number): Chunk[][] {
  const r = rng(seed);
  const src = Buffer.alloc(70000);
  for (let i = 0; i < src.length; i++) src[i] = Math.floor(r() * 256);
  const want: Chunk[][] = Array.from({ length: stores }, () => []);
  const stream = [0, 0];
  for (let k = 0; k < stores * perStore; k++) {
    const st = Math.floor(r() * stores);
    const side = r() < 0.5 ? 0 : 1;
    const gap = r() < 0.1;
    const len = gap ? 1 + Math.floor(r() * 5000) : chunkSizes(r);
    const off = Math.floor(r() * (src.length - len));
    const ts = 1.7e15 + k * 13;
    arena.append(I.H, h(st), I.C, st, side, gap ? null : src, off, len, stream[side], ts);
    want[st].push({ side, data: gap ? null : src.toString('base64', off, off + len), len, stream: stream[side], ts });
    stream[side] += len;
  }
  return want;
}

function readForward(c: ChunkCursor, I: Rows, st: number): Chunk[] {
  const got: Chunk[] = [];
  for (let ok = c.first(I.H, h(st), I.C, st); ok; ok = c.next()) {
    let data: string | null = null;
    if (!c.gap) {
      c.data();
      data = c.buf.toString('base64', c.at, c.at + c.len);
    }
    got.push({ side: c.side, data, len: c.len, stream: c.stream, ts: c.tsUs });
  }
  return got;
}

describe('flows payload arena', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`chunks read back forwards and backwards as written, split across pages or not (seed ${seed})`, () => {
      const arena = new PayloadArena();
      const stores = 7;
      const I = new Rows(stores);
      const want = fill(arena, I, stores, 60, seed);
      const c = new ChunkCursor(arena);
      for (let st = 0; st < stores; st++) {
        expect(arena.count(I.H, h(st))).toBe(want[st].length);
        expect(readForward(c, I, st)).toEqual(want[st]);
        const back: Chunk[] = [];
        for (let ok = c.last(I.H, h(st)); ok; ok = c.prev()) {
          if (!c.gap) c.data();
          back.push({ side: c.side, data: c.gap ? null : c.buf.toString('base64', c.at, c.at + c.len), len: c.len, stream: c.stream, ts: c.tsUs });
        }
        expect(back.reverse()).toEqual(want[st]);
      }
      // the pages in use hold the records: headers and bytes, nothing per chunk beyond a page's tail
      const bytes = want.flat().reduce((n, ch) => n + 32 + (ch.data ? ch.len : 0), 0);
      expect(arena.pagesInUse * PAGE).toBeGreaterThanOrEqual(bytes);
      for (let st = 0; st < stores; st++) arena.release(I.H, h(st), I.C, st);
      expect(arena.pagesInUse).toBe(0);
      expect([...I.H, ...I.C].every((x) => x === 0)).toBe(true);
    });
  }

  it('a split chunk whose last piece fills its page exactly, then the next chunk', () => {
    const arena = new PayloadArena();
    const I = new Rows(1);
    const src = Buffer.alloc(10000);
    for (let i = 0; i < src.length; i++) src[i] = (i * 7 + 3) & 255;
    // first page: page header, record header, the first piece; second page: page header and the rest, exactly
    const first = PAGE - PAGE_HEADER_BYTES - RECORD_HEADER_BYTES;
    const sizes = [first + PAGE - PAGE_HEADER_BYTES, 5, first, 1];
    let stream = 0;
    for (const len of sizes) {
      arena.append(I.H, 0, I.C, 0, 0, src, 17, len, stream, 1e15);
      stream += len;
    }
    const c = new ChunkCursor(arena);
    const got = readForward(c, I, 0);
    expect(got.map((ch) => ch.len)).toEqual(sizes);
    expect(got.map((ch) => ch.data)).toEqual(sizes.map((len) => src.toString('base64', 17, 17 + len)));
    expect(arena.pagesInUse).toBe(5);
  });

  it('released pages are reused: a store filled again reads its own bytes, the arena does not grow', () => {
    const arena = new PayloadArena();
    const I = new Rows(3);
    fill(arena, I, 3, 80, 9);
    const peakBytes = arena.bytes;
    for (let st = 0; st < 3; st++) arena.release(I.H, h(st), I.C, st);
    // the same chunks again need the same pages, now from the free list (in another order)
    const again = fill(arena, I, 3, 80, 9);
    const c = new ChunkCursor(arena);
    for (let st = 0; st < 3; st++) expect(readForward(c, I, st)).toEqual(again[st]);
    expect(arena.bytes).toBe(peakBytes);
  });

  it('writeChunksJson writes what the record helpers write for each chunk, with dir from the client side', () => {
    const arena = new PayloadArena();
    const I = new Rows(2);
    const want = fill(arena, I, 2, 50, 5);
    for (const client of [0, 1]) {
      const out = Buffer.alloc(1 << 20);
      const end = writeChunksJson(new ChunkCursor(arena), I.H, h(1), I.C, 1, out, 0, client);
      const ref = Buffer.alloc(1 << 20);
      let pos = 0;
      want[1].forEach((ch, i) => {
        if (i) ref[pos++] = 0x2c;
        pos = putBytes(ref, pos, ch.side === client ? CHUNK_C : CHUNK_S);
        pos = putTsUs(ref, pos, ch.ts);
        pos = ch.data !== null ? putData(ref, pos, Buffer.from(ch.data, 'base64'), 0, ch.len) : putGap(ref, pos, ch.len);
      });
      expect(out.toString('latin1', 0, end)).toBe(ref.toString('latin1', 0, pos));
      expect(JSON.parse(`[${out.toString('latin1', 0, end)}]`).length).toBe(want[1].length);
    }
  });
});
