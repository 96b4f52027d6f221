import { Transform, type TransformCallback } from 'node:stream';
import type { FlowOptions } from '../src/flows/options.js';
import { createFlowReader, type FlowReader } from '../src/flows/reader.js';
import { flowToJsonLine, type FlowRecord } from '../src/flows/record.js';

export { createFlowReader, normalizeFlowOptions } from '../src/flows/index.js';

/**
 * Stage wrapper: capture bytes in, FlowRecord objects out (Node Transform, object mode on the
 * readable side). Node streams rather than highland here: the core is synchronous per chunk, so
 * a Transform adds one callback per chunk and nothing per packet.
 */
export class FlowStream extends Transform {
  readonly reader: FlowReader;
  constructor(options: Record<string, unknown> | FlowOptions = {}) {
    super({ readableObjectMode: true, writableObjectMode: false });
    this.reader = createFlowReader(options, (f) => this.push(f));
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.reader.push(chunk);
      cb();
    } catch (e) {
      this.reader.flushOpen();
      cb(e as Error);
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.reader.end();
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}

export function flowStream(options: Record<string, unknown> | FlowOptions = {}): FlowStream {
  return new FlowStream(options);
}

/** FlowRecord objects in, NDJSON text out. */
export function ndjsonStream(): Transform {
  return new Transform({
    writableObjectMode: true,
    transform(flow: FlowRecord, _enc, cb) {
      cb(null, flowToJsonLine(flow));
    },
  });
}
