import { describe, it, expect } from 'vitest';
import _ from 'highland';
import { Readable, PassThrough } from 'node:stream';
import { extractStage, runExtract, detectInputKind } from '../stages/extract.js';
import { labelStage } from '../stages/label.js';
import { ZeekFtpLogReader, SuricataEveReader, parseEveTimestamp } from '../src/extract/sensor-logs.js';
import type { ExchangeRow, FlowRecord, LabelledFlowRecord } from '../src/extract/types.js';
import { flowOf } from './extract-helpers.js';

const flowA = flowOf([['s', '220 h.example.org FTP server (Version 6.4/OpenBSD/Linux-ftpd-0.17) ready\r\n'], ['c', 'USER a\r\nPASS b\r\n'], ['s', '331 ok\r\n230 ok\r\n']], { id: 'A' });
const flowB = flowOf([['s', '220 x\r\n'], ['c', 'QUIT\r\n'], ['s', '221 bye\r\n']], { id: 'B' });

describe('highland stages', () => {
  it('labelStage then extractStage, in one process', async () => {
    const labelled = await _([flowA, flowB]).through(labelStage()).collect().toPromise(Promise);
    expect((labelled as LabelledFlowRecord[]).map((f) => f.label)).toEqual(['bsd-ftpd', 'other']);
    const rows = (await _<FlowRecord>(labelled).through(extractStage()).collect().toPromise(Promise)) as ExchangeRow[];
    expect(rows.map((r) => `${r.flow_id} ${r.index} ${r.command} ${r.final_code} ${r.label}`)).toEqual([
      'A 0 <greeting> 220 bsd-ftpd', 'A 1 USER 331 bsd-ftpd', 'A 2 PASS 230 bsd-ftpd', 'B 0 <greeting> 220 other', 'B 1 QUIT 221 other',
    ]);
  });
});

async function run(text: string, opts = {}): Promise<string> {
  const out = new PassThrough();
  let s = '';
  out.on('data', (d) => (s += d));
  await runExtract([{ name: 'in', stream: Readable.from([Buffer.from(text)]) }], out, opts);
  return s;
}

describe('runExtract', () => {
  it('--format seed: no header, the study\'s layout', async () => {
    const out = await run(JSON.stringify(flowA) + '\n', { format: 'seed' });
    expect(out).toBe('192.0.2.1:40000-192.0.2.2:21,bsd-ftpd,USER,331\n192.0.2.1:40000-192.0.2.2:21,bsd-ftpd,PASS,230\n');
  });
  it('lines cut anywhere across input chunks give the same output', async () => {
    const text = JSON.stringify(flowA) + '\r\n\n' + JSON.stringify(flowB) + '\n';
    const whole = await run(text);
    for (const at of [1, 17, text.length >> 1, text.length - 2]) {
      const out = new PassThrough();
      let s = '';
      out.on('data', (d) => (s += d));
      await runExtract([{ name: 'in', stream: Readable.from([Buffer.from(text.slice(0, at)), Buffer.from(text.slice(at))]) }], out);
      expect(s, `cut at ${at}`).toBe(whole);
    }
    expect(whole.split('\n').length).toBe(1 + 5 + 1);
  });
  it('detects the input kind from the first line', () => {
    expect(detectInputKind('#separator \\x09')).toBe('zeek');
    expect(detectInputKind('{"ts":1.5,"uid":"C1","command":"RETR"}')).toBe('zeek');
    expect(detectInputKind('{"timestamp":"x","event_type":"ftp"}')).toBe('eve');
    expect(detectInputKind(JSON.stringify(flowA))).toBe('flows');
  });
});

describe('sensor logs', () => {
  it('Zeek JSON lines: rows per uid in first-seen order, PASS masked, tags computed', () => {
    const rows: ExchangeRow[] = [];
    const r = new ZeekFtpLogReader({}, (x) => rows.push(x));
    const base = { 'id.orig_h': '10.0.0.1', 'id.orig_p': 5000, 'id.resp_h': '10.0.0.2', 'id.resp_p': 21 };
    r.line(JSON.stringify({ ts: 1.5, uid: 'C1', ...base, command: 'PASS', arg: 'pw', reply_code: 230 }), 1);
    r.line(JSON.stringify({ ts: 1.6, uid: 'C2', ...base, 'id.orig_p': 5001, command: 'RETR', arg: 'ftp://10.0.0.2/x' }), 2);
    r.line(JSON.stringify({ ts: 1.7, uid: 'C1', ...base, command: 'PORT', arg: '10,0,0,9,0,20', reply_code: 200 }), 3);
    r.end();
    expect(rows.map((x) => `${x.flow_id} ${x.index} ${x.command} ${x.arg} ${x.final_code} ${x.flags} ${x.tags}`)).toEqual([
      'C1 1 PASS **** 230  ', 'C1 2 PORT 10,0,0,9,0,20 200  port_foreign;port_privileged', 'C2 1 RETR ftp://10.0.0.2/x  unanswered ',
    ]);
  });
  it('row numbers continue across buffer flushes (maxBufferedRows)', () => {
    const rows: ExchangeRow[] = [];
    const r = new ZeekFtpLogReader({ maxBufferedRows: 1 }, (x) => rows.push(x));
    for (let i = 0; i < 3; i++) r.line(JSON.stringify({ ts: i, uid: 'C1', 'id.orig_h': '10.0.0.1', 'id.orig_p': 1, 'id.resp_h': '10.0.0.2', 'id.resp_p': 21, command: 'PASV', reply_code: 227 }), i + 1);
    r.end();
    expect(rows.map((x) => x.index)).toEqual([1, 2, 3]);
  });
  it('Zeek TSV: a record with the wrong number of fields names the line', () => {
    const r = new ZeekFtpLogReader({ file: 'ftp.log' }, () => {});
    r.line('#separator \\x09', 1);
    r.line('#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tcommand', 2);
    expect(() => r.line('1.0\tC1\t10.0.0.1', 3)).toThrow(/expected 7 fields, got 3/);
  });
  it('Suricata: a transaction logged from the server side is turned round; bad JSON names the line', () => {
    const rows: ExchangeRow[] = [];
    const r = new SuricataEveReader({}, (x) => rows.push(x));
    r.line(JSON.stringify({ timestamp: '2020-01-01T00:00:00Z', flow_id: 1, event_type: 'ftp', src_ip: '10.0.0.2', src_port: 21, dest_ip: '10.0.0.1', dest_port: 6000, ftp: { command: 'stor', command_data: '../../x', completion_code: ['150', '226'], reply: ['a', 'b'] } }), 1);
    r.end();
    expect([rows[0].client_ip, rows[0].client_port, rows[0].command, rows[0].reply_codes, rows[0].tags, rows[0].ts_request]).toEqual(['10.0.0.1', 6000, 'STOR', '150 226', 'path_climb', 1577836800]);
    expect(() => r.line('{"event_type":', 7)).toThrow(/invalid JSON/);
    expect(parseEveTimestamp('2019-10-10T11:06:06.373524+0200')).toBeCloseTo(1570698366.373524, 6);
  });
});

describe('Zeek ftp.log baselines as input', () => {
  it('every baseline ftp.log reads into one row per record with its command and reply code', async () => {
    const { readdirSync, existsSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { CORPUS, readZeekFtpLog } = await import('./extract-helpers.js');
    const { parse } = await import('csv-parse/sync');
    let files = 0;
    for (const cap of readdirSync(join(CORPUS, 'zeek'))) {
      const dir = join(CORPUS, 'zeek', cap);
      for (const b of readdirSync(dir)) {
        const log = join(dir, b, 'ftp.log');
        if (!existsSync(log)) continue;
        files++;
        const want = readZeekFtpLog(log);
        const rows = parse(await run(readFileSync(log, 'utf8')), { columns: true }) as Record<string, string>[];
        const key = (c: string, code: string, uid: string) => `${uid} ${c} ${code === '-' ? '' : code}`;
        expect(rows.map((r) => key(r.command, r.final_code, r.flow_id)).sort(), log).toEqual(want.map((z) => key(z.command, z.reply_code, z.uid)).sort());
      }
    }
    expect(files).toBeGreaterThanOrEqual(15);
  });
});
