import { describe, it, expect } from 'vitest';
import { DatasetReader } from '../src/dataset/read.js';
import { DATASET_COLUMNS, type Session } from '../src/dataset/types.js';

/** DatasetReader.idle(): a live reader hands on the session it holds when its input pauses at a record's end. */
const header = DATASET_COLUMNS.join(',') + '\n';
const row = (flow: string, index: number, command: string, code: string): string =>
  DATASET_COLUMNS.map((c) =>
    ({ flow_id: flow, client_ip: '10.0.0.1', client_port: '40000', server_ip: '10.0.0.2', server_port: '21', label: 'x', index: String(index), ts_request: String(100 + index), ts_reply: String(100.5 + index), command, final_code: code, reply_codes: code, flow_end: 'fin' })[c as string] ?? '',
  ).join(',') + '\n';

describe('DatasetReader.idle', () => {
  it('hands on the held session at a record boundary, not inside a record; rows cut anywhere', () => {
    const text = header + row('F1', 0, '<greeting>', '220') + row('F1', 1, 'USER', '331') + row('F2', 0, '<greeting>', '220');
    for (let cut = 1; cut < text.length; cut++) {
      const got: Session[] = [];
      const r = new DatasetReader({}, (s) => got.push(s));
      r.push(text.slice(0, cut));
      r.idle();
      const atEnd = text[cut - 1] === '\n';
      // F1 is handed on by idle only once its last row is complete and nothing of the next has come
      const f1Whole = cut >= header.length + row('F1', 0, '<greeting>', '220').length + row('F1', 1, 'USER', '331').length;
      r.push(text.slice(cut));
      r.end();
      expect(got.map((s) => s.flowId).slice(-1)).toEqual(['F2']);
      if (atEnd && f1Whole) expect(got.map((s) => `${s.flowId}:${s.exchanges.length}`)).toEqual(['F1:2', 'F2:1']);
      // a pause inside F1 (after its first row) splits it: counted, not an error
      if (atEnd && !f1Whole && cut > header.length) {
        expect(got.map((s) => `${s.flowId}:${s.exchanges.length}`)).toEqual(['F1:1', 'F1:1', 'F2:1']);
        expect(r.counters.sessionsSplitByIdle).toBe(1);
      }
      if (!atEnd) expect(got.map((s) => `${s.flowId}:${s.exchanges.length}`)).toEqual(['F1:2', 'F2:1']);
    }
  });
  it('a flow_id that comes back after another session is still an error', () => {
    const r = new DatasetReader({}, () => {});
    r.push(header + row('F1', 0, '<greeting>', '220'));
    r.idle();
    r.push(row('F2', 0, '<greeting>', '220'));
    expect(() => r.push(row('F1', 1, 'USER', '331'))).toThrow(/not contiguous/);
  });
});
