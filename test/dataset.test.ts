import { describe, it, expect } from 'vitest';
import { DatasetReader, parseDataset } from '../src/dataset/read.js';
import { exchangeItems, parseItemsSpec, DEFAULT_ITEMS } from '../src/dataset/items.js';
import { FtpIdsError } from '../src/common/errors.js';
import type { Session } from '../src/dataset/types.js';

const HEADER = 'flow_id,community_id,client_ip,client_port,server_ip,server_port,label,index,ts_request,ts_reply,command,arg,reply_codes,final_code,flags,tags';
const CSV = [
  HEADER,
  'F1,1:abc,10.0.0.1,40000,10.0.0.2,21,vsftpd,0,1.5,1.5,<greeting>,,220,220,multiline,',
  'F1,1:abc,10.0.0.1,40000,10.0.0.2,21,vsftpd,1,2,2.1,USER,anonymous,331,331,,',
  'F1,1:abc,10.0.0.1,40000,10.0.0.2,21,vsftpd,2,3,3.2,RETR,"a,b ""c"".txt",150 226,226,,path_climb;arg_binary',
  'F2,1:def,10.0.0.3,40001,10.0.0.2,21,other,1,4,,PORT,"10,0,0,9,0,80",,,unanswered,port_foreign',
  '',
].join('\r\n');

function readInChunks(text: string, cuts: number[]): Session[] {
  const out: Session[] = [];
  const r = new DatasetReader({}, (s) => out.push(s));
  let prev = 0;
  for (const c of [...cuts, text.length]) {
    r.push(text.slice(prev, c));
    prev = c;
  }
  r.end();
  return out;
}

describe('dataset reader', () => {
  it('groups rows into sessions by flow and parses every column', () => {
    const sessions = parseDataset(CSV);
    expect(sessions.map((s) => s.flowId)).toEqual(['F1', 'F2']);
    const [a, b] = sessions;
    expect(a.label).toBe('vsftpd');
    expect(a.clientPort).toBe(40000);
    expect(a.exchanges.map((e) => e.command)).toEqual(['<greeting>', 'USER', 'RETR']);
    expect(a.exchanges[2].arg).toBe('a,b "c".txt');
    expect(a.exchanges[2].replyCodes).toEqual(['150', '226']);
    expect(a.exchanges[2].tags).toEqual(['path_climb', 'arg_binary']);
    expect(a.exchanges[2].line).toBe(4);
    expect(b.exchanges[0].finalCode).toBe('');
    expect(Number.isNaN(b.exchanges[0].tsReply)).toBe(true);
    expect(b.exchanges[0].flags).toEqual(['unanswered']);
  });

  it('an index that is not a non-negative integer, or a time that is not finite, is an error naming the line', () => {
    // "1e400" as an index was Infinity as a transaction time: the windowed miner looped forever (fuzz, seed 23)
    const head = 'flow_id,index,ts_request,command,final_code\n';
    const err = (body: string): string => {
      try {
        parseDataset(head + body);
      } catch (e) {
        return `${(e as FtpIdsError).code}@${(e as FtpIdsError).where?.line}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    expect(err('F,0,1,USER,331\nF,1e400,2,PASS,230\n')).toBe('DATASET_VALUE@3: index must be a non-negative integer, got "1e400"');
    expect(err('F,-1,1,USER,331\n')).toMatch(/^DATASET_VALUE@2: index must be/);
    expect(err('F,0.5,1,USER,331\n')).toMatch(/^DATASET_VALUE@2: index must be/);
    expect(err('F,0,1e400,USER,331\n')).toBe('DATASET_VALUE@2: ts_request is not a finite time: "1e400"');
    expect(err('F,0,1,USER,331\nF,,2,PASS,230\n')).toBe('no error'); // an empty index is the row's position
  });

  it('gives the same sessions whatever the chunk boundaries', () => {
    const whole = JSON.stringify(parseDataset(CSV));
    for (let i = 0; i <= CSV.length; i++) {
      expect(JSON.stringify(readInChunks(CSV, [i]))).toBe(whole);
    }
    for (let i = 0; i + 7 <= CSV.length; i += 3) {
      expect(JSON.stringify(readInChunks(CSV, [i, i + 1, i + 7]))).toBe(whole);
    }
  });

  it('emits a session as soon as the next flow starts (streaming)', () => {
    const seen: string[] = [];
    const r = new DatasetReader({}, (s) => seen.push(s.flowId));
    const lines = CSV.split('\r\n');
    r.push(lines.slice(0, 4).join('\n') + '\n');
    expect(seen).toEqual([]);
    r.push(lines[4] + '\n');
    expect(seen).toEqual(['F1']);
    r.end();
    expect(seen).toEqual(['F1', 'F2']);
  });

  it('names the line of a malformed row, after emitting the sessions before it', () => {
    const bad = CSV.replace('F2,1:def,10.0.0.3,40001,10.0.0.2,21,other,1,4,,PORT', 'F3,x,1,2,3,4,5,6,7,8,NOOP,,,20,,\nF2,1:def,10.0.0.3,40001,10.0.0.2,21,other,1,4,,PORT');
    const seen: string[] = [];
    const r = new DatasetReader({}, (s) => seen.push(s.flowId));
    let err: unknown;
    try {
      r.push(bad);
      r.end();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FtpIdsError);
    expect((err as FtpIdsError).where.line).toBe(5);
    expect((err as FtpIdsError).message).toMatch(/final_code/);
    expect(seen).toEqual(['F1']);
  });

  it('refuses a header without the required columns and non-contiguous flows', () => {
    expect(() => parseDataset('a,b\n1,2\n')).toThrow(/missing column "flow_id"/);
    const lines = CSV.split('\r\n');
    const shuffled = [lines[0], lines[1], lines[4], lines[2]].join('\n');
    expect(() => parseDataset(shuffled)).toThrow(/not contiguous/);
    expect(() => parseDataset(HEADER + '\nF1,"unterminated')).toThrow(/inside a quoted field/);
  });

  it('bounds a record length', () => {
    const long = HEADER + '\nF1,' + 'x'.repeat(5000) + '\n';
    expect(() => parseDataset(long, { maxRecordChars: 1000 })).toThrow(FtpIdsError);
  });
});

describe('itemsets', () => {
  const [s] = parseDataset(CSV);
  it('encodes command and final code by default, sorted and distinct', () => {
    expect(exchangeItems(s.exchanges[2], DEFAULT_ITEMS, s.label)).toEqual(['226', 'RETR']);
  });
  it('supports all codes, classes, labels and tags', () => {
    expect(exchangeItems(s.exchanges[2], parseItemsSpec('command,code-all'), s.label)).toEqual(['150', '226', 'RETR']);
    expect(exchangeItems(s.exchanges[1], parseItemsSpec('code-class,label'), s.label)).toEqual(['3xx', 'label=vsftpd']);
    expect(exchangeItems(s.exchanges[2], parseItemsSpec('command,tags'), s.label)).toEqual(['RETR', 'tag=arg_binary', 'tag=path_climb']);
    expect(() => parseItemsSpec('command,bogus')).toThrow(/unknown item kind/);
  });
});

describe('ftp-extract CSV read back by the dataset reader', () => {
  it('a bare CR or LF inside a command or argument stays inside its field', async () => {
    const { csvHeader, csvRow } = await import('../src/extract/csv.js');
    const base = {
      flow_id: 'F9', community_id: '1:x', client_ip: '127.0.2.5', client_port: 5000, server_ip: '127.0.0.2', server_port: 21,
      label: 'other', ts_request: 1, ts_reply: 2, reply_codes: '500', final_code: '500', flags: '', tags: '',
    };
    const rows = [
      { ...base, index: 1, command: 'GET\r', arg: 'x' },
      { ...base, index: 2, command: 'NOOP', arg: 'a\rb\nc,"d"' },
    ];
    const text = csvHeader() + rows.map((r) => csvRow(r as never)).join('');
    const [s] = parseDataset(text);
    expect(s.exchanges.map((e) => [e.command, e.arg])).toEqual([
      ['GET\r', 'x'],
      ['NOOP', 'a\rb\nc,"d"'],
    ]);
  });
});

describe('dataset reader on bytes', () => {
  it('a UTF-8 character cut between two chunks is decoded whole', () => {
    const text = `${HEADER}\nF1,1:a,1.2.3.4,1,5.6.7.8,21,x,1,1,2,CWD,répertoire→ü,250,250,,\n`;
    const bytes = Buffer.from(text, 'utf8');
    const whole = JSON.stringify(parseDataset(text));
    for (let i = 0; i <= bytes.length; i++) {
      const out: Session[] = [];
      const r = new DatasetReader({}, (s) => out.push(s));
      r.push(bytes.subarray(0, i));
      r.push(bytes.subarray(i));
      r.end();
      expect(JSON.stringify(out)).toBe(whole);
    }
  });
});
