#!/usr/bin/env node
/**
 * The floor of capture reading in Node (issue 12's bench): a bare loop over a classic pcap's record
 * headers — the file read as ftp-flows reads it (1 MiB chunks), each record's captured length read and
 * skipped, records straddling chunks carried over. No decoding: what any capture tool in Node pays
 * before it looks at a packet. Prints `{"records":N,"bytes":N}` on stderr.
 *
 * usage: node dist/bench/floor.js CAPTURE.pcap
 */
import { createReadStream } from 'node:fs';
import { runCli } from '../src/common/cli.js';
import { FtpIdsError } from '../src/common/errors.js';

runCli('bench-floor', async () => {
  const file = process.argv[2];
  if (!file) throw new FtpIdsError('USAGE', 'usage: floor.js CAPTURE.pcap');
  let records = 0;
  let bytes = 0;
  let carry: Buffer = Buffer.alloc(0);
  let skip = 24; // the global header
  let lengthSum = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    let buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let p = 0;
    if (skip > 0) {
      const s = Math.min(skip, buf.length);
      p += s;
      skip -= s;
    }
    while (p + 16 <= buf.length) {
      const incl = buf.readUInt32LE(p + 8);
      if (p + 16 + incl > buf.length) break;
      lengthSum += buf.readUInt32LE(p + 12);
      p += 16 + incl;
      records++;
    }
    carry = buf.subarray(p);
    buf = carry;
  }
  process.stderr.write(JSON.stringify({ records, bytes, lengthSum }) + '\n');
});
