import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Byte chunks of one input (a file path, or "-" / undefined for stdin), gunzipped on the fly when
 * the first bytes are the gzip magic (1f 8b) — two corpus captures are .pcap.gz.
 */
export async function* captureChunks(path: string | undefined, highWaterMark = 1 << 20): AsyncGenerator<Buffer> {
  const src: Readable = path === undefined || path === '-' ? process.stdin : createReadStream(path, { highWaterMark });
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first = await it.next();
  if (first.done) return;
  // the gzip magic may straddle the first two chunks only on pathological pipes; look at 2 bytes
  while (first.value.length < 2) {
    const more = await it.next();
    if (more.done) break;
    first = { done: false, value: Buffer.concat([first.value, more.value]) };
  }
  const head = first.value as Buffer;
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    return;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  const gunzip = Readable.from(rest()).pipe(createGunzip({ chunkSize: 1 << 18 }));
  for await (const chunk of gunzip) yield chunk as Buffer;
}
