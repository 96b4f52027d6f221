import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FtpIdsError } from '../common/errors.js';

export interface CaptureChunksOptions {
  /** read size for files (bytes) */
  highWaterMark?: number;
  /**
   * The gzip stream ends before its end (a .pcap.gz cut short): called with a message and the
   * compressed byte offset where it ends, after every decompressed byte was yielded — the caller
   * warns, or throws under --strict, as for a plain capture cut short. Without it that is an error.
   */
  onTruncated?: (message: string, offset: number) => void;
  /** the input's name in error messages when `path` is a stream */
  name?: string;
}

/**
 * Byte chunks of one input (a file path, or "-" / undefined for stdin), gunzipped on the fly when
 * the first bytes are the gzip magic (1f 8b) — two corpus captures are .pcap.gz.
 *
 * Damaged gzip data is an FtpIdsError (BAD_GZIP) naming the compressed byte offset; everything
 * decompressed before it was yielded (partial results are flushed by the caller). zlib tells no
 * exact position: the offset is the compressed bytes zlib had consumed without complaint, so the
 * damage lies at or after it (the bytes of one engine pass, 16 KiB of output, at most).
 */
export async function* captureChunks(path: string | undefined | Readable, options: CaptureChunksOptions | number = {}): AsyncGenerator<Buffer> {
  const opts: CaptureChunksOptions = typeof options === 'number' ? { highWaterMark: options } : options;
  // (a stream: the caller opened it, ftp-extract's inputs)
  const src: Readable =
    typeof path === 'object' ? path : path === undefined || path === '-' ? process.stdin : createReadStream(path, { highWaterMark: opts.highWaterMark ?? 1 << 20 });
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first = await it.next();
  if (first.done) return;
  // the gzip magic may straddle the first two chunks only on pathological pipes; look at 2 bytes
  while (first.value.length < 2) {
    const more = await it.next();
    if (more.done) break;
    // (a stream of strings: text given to ftp-extract in tests)
    first = { done: false, value: Buffer.concat([Buffer.from(first.value), Buffer.from(more.value)]) };
  }
  const head = first.value as Buffer;
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    return;
  }
  const file = typeof path === 'object' ? opts.name : path === undefined || path === '-' ? undefined : path;
  let compressed = 0;
  async function* rest(): AsyncGenerator<Buffer> {
    compressed += head.length;
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      compressed += r.value.length;
      yield r.value;
    }
  }
  // 16 KiB of output per engine pass: the offset of damaged data is known to that precision
  const gunzip = createGunzip({ chunkSize: GZIP_PASS });
  Readable.from(rest()).pipe(gunzip);
  let out = 0;
  try {
    for await (const chunk of gunzip) {
      out += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    const what = e instanceof Error ? e.message : String(e);
    if (code === 'Z_BUF_ERROR') {
      // the input ended inside the gzip stream: a capture cut short (what a partial download or a
      // full disk leaves), not damage
      const message = `gzip stream cut short at compressed byte ${compressed} (${out} bytes decompressed; capture cut short?)`;
      if (!opts.onTruncated) throw new FtpIdsError('TRUNCATED', message, { file, offset: compressed });
      opts.onTruncated(message, compressed);
      return;
    }
    if (code !== undefined && code.startsWith('Z_')) {
      throw new FtpIdsError(
        'BAD_GZIP',
        `damaged gzip data at or after this compressed byte, before byte ${compressed} (zlib: ${what}; ${out} bytes decompressed before it)`,
        { file, offset: gunzip.bytesWritten },
      );
    }
    throw e;
  }
}

/** gunzip output per engine pass (bytes) */
const GZIP_PASS = 1 << 14;
