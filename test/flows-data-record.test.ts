import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createFlowReader } from '../src/flows/reader.js';
import type { DataRecord } from '../src/common/ftp-data.js';
import { capturesUnder } from './extract-helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FLOWS = join(ROOT, 'dist/bin/ftp-flows.js');
const captures = [...capturesUnder(join(ROOT, 'samples'), true), ...capturesUnder(join(ROOT, '..', 'shared', 'corpus'), true)];

/**
 * In process (ftp-extract reading a capture, createFlowReader's onData) a data record is built as an
 * object from the flow table's row; ftp-flows writes the same record as an NDJSON line straight from
 * the row. Both must say the same thing: the object equals JSON.parse of the line, field for field and
 * in the same order of records, on every capture we have.
 */
describe('data records: the in-process object is the NDJSON line parsed', () => {
  it('on every capture of samples/ and ../shared/corpus with data connections', () => {
    let records = 0;
    let withData = 0;
    for (const file of captures) {
      let bytes = readFileSync(file);
      if (file.endsWith('.gz')) bytes = gunzipSync(bytes);
      const objects: DataRecord[] = [];
      const r = createFlowReader({}, () => {}, (d) => objects.push(d));
      r.push(bytes);
      r.end();
      const lines = execFileSync(process.execPath, [FLOWS, file], { maxBuffer: 1 << 30 })
        .toString('latin1')
        .split('\n')
        .filter((l) => l.startsWith('{"type":"data"'))
        .map((l) => JSON.parse(l) as DataRecord);
      expect(objects, file).toEqual(lines);
      records += objects.length;
      if (objects.length) withData++;
    }
    expect(withData).toBeGreaterThanOrEqual(10);
    expect(records).toBeGreaterThanOrEqual(1000);
  }, 600_000);
});
