import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CORPUS, flowOf, flowsOfCapture, rowsOf, type Part } from './extract-helpers.js';
import type { ExchangeRow, FlowRecord } from '../src/extract/types.js';
import { argumentTags, pathClimbs, parsePortArg, parseEprtArg, sameAddress } from '../src/extract/tags.js';
import { seedRows } from '../src/extract/csv.js';
import { stripTelnet } from '../src/extract/lines.js';

const brief = (rows: ExchangeRow[]) => rows.map((r) => `${r.index} ${r.command} ${r.reply_codes}|${r.flags}`);
const trace = (p: string): FlowRecord[] => flowsOfCapture(join(CORPUS, p));

/** Re-cut one flow: each direction's bytes split into two chunks at byte `at`, other structure kept. */
function resplit(flow: FlowRecord, dir: 'c' | 's', at: number): FlowRecord {
  const chunks = [];
  let pos = 0;
  for (const ch of flow.chunks) {
    if (ch.dir !== dir || ch.data === undefined) {
      chunks.push(ch);
      continue;
    }
    const b = typeof ch.data === 'string' ? Buffer.from(ch.data, 'base64') : ch.data;
    if (at > pos && at < pos + b.length) {
      chunks.push({ ...ch, data: b.subarray(0, at - pos) }, { ...ch, data: b.subarray(at - pos) });
    } else chunks.push({ ...ch, data: b });
    pos += b.length;
  }
  return { ...flow, chunks };
}

/** Every direction's bytes one byte per chunk. */
function bytewise(flow: FlowRecord): FlowRecord {
  const chunks = flow.chunks.flatMap((ch) => {
    if (ch.data === undefined) return [ch];
    const b = typeof ch.data === 'string' ? Buffer.from(ch.data, 'base64') : ch.data;
    return [...b].map((x) => ({ ...ch, data: Buffer.from([x]) }));
  });
  return { ...flow, chunks };
}

const dialogue: Part[] = [
  ['s', '220-first line\r\n220-\xff\xfb\x01second\r\n220 ready\r\n'],
  ['c', 'user anonymous\nPASS x@y\r\nSYST\r\n'],
  ['s', '331 ok\r\n230-a\r\n 230 not the end\r\n230 done\r\n215 UNIX\r\n'],
  ['c', 'PORT 192,0,2,1,0,21\r\nRETR a\xff\xffb\r\nQUIT\r\n'],
  ['s', '200 ok\r\n150 open\r\n226 done\r\n221 bye\r\n'],
];

describe('extract: hand-computed dialogue', () => {
  const rows = rowsOf(flowOf(dialogue), { showPasswords: true });
  it('pairs greeting, commands, multi-line and preliminary replies', () => {
    expect(brief(rows)).toEqual([
      '0 <greeting> 220|multiline',
      '1 USER 331|',
      '2 PASS 230|multiline;pipelined',
      '3 SYST 215|pipelined',
      '4 PORT 200|',
      '5 RETR 150 226|pipelined',
      '6 QUIT 221|pipelined',
    ]);
  });
  it('keeps arguments, unescapes Telnet IAC IAC, tags PORT', () => {
    expect(rows[1].arg).toBe('anonymous');
    expect(rows[2].arg).toBe('x@y');
    expect(Buffer.from(rows[5].arg, 'utf8')).toEqual(Buffer.from('a\ufffdb', 'utf8')); // 0xFF is not UTF-8
    expect(rows[5].tags).toBe('arg_binary');
    expect(rows[4].tags).toBe('port_privileged'); // 0*256+21 = 21, the client's own address
  });
});

describe('extract: chunk boundaries', () => {
  const base = flowOf(dialogue);
  const expected = rowsOf(base).map(({ ts_request, ts_reply, ...r }) => r);
  const strip = (rows: ExchangeRow[]) => rows.map(({ ts_request, ts_reply, ...r }) => r);
  it('every split position of every direction gives the same rows (hand-built dialogue)', () => {
    for (const dir of ['c', 's'] as const) {
      const total = base.chunks.filter((c) => c.dir === dir).reduce((n, c) => n + Buffer.from(c.data as string, 'base64').length, 0);
      for (let at = 1; at < total; at++) expect(strip(rowsOf(resplit(base, dir, at))), `${dir}@${at}`).toEqual(expected);
    }
    expect(strip(rowsOf(bytewise(base)))).toEqual(expected);
  });
  it('every split position gives the same rows on real traces (zeek ipv4 multi-line, fake-server-delays-all)', () => {
    for (const p of ['zeek/ipv4/ipv4.pcap', 'zeek/fake-server-delays-all/fake-server-delays-all.pcap']) {
      const flow = trace(p)[0];
      const want = strip(rowsOf(flow));
      expect(strip(rowsOf(bytewise(flow)))).toEqual(want);
      for (const dir of ['c', 's'] as const) {
        const total = flow.bytes![dir];
        for (let at = 1; at < total; at += 1) expect(strip(rowsOf(resplit(flow, dir, at))), `${p} ${dir}@${at}`).toEqual(want);
      }
    }
  });
});

describe('extract: Zeek and Suricata traces', () => {
  it('multi-line: a 12-line 220 banner, one line per segment, is one greeting (zeek ipv6-multiline-reply)', () => {
    const rows = rowsOf(trace('zeek/ipv6-multiline-reply/ipv6-multiline-reply.pcap')[0]);
    expect(brief(rows).slice(0, 3)).toEqual(['0 <greeting> 220|multiline', '1 USER 331|', '2 PASS 230|']); // Zeek: <init> 220, USER 331, PASS 230
  });
  it('pipelining: all commands before any reply, paired FIFO (zeek fake-server-delays-all)', () => {
    const rows = rowsOf(trace('zeek/fake-server-delays-all/fake-server-delays-all.pcap')[0]);
    // replies are "Fake response <command>": the pairing can be read off the trace itself
    expect(brief(rows)).toEqual([
      '0 <greeting> 220|', '1 USER 230|', '2 PASS 230|pipelined', '3 SYST 215|pipelined', '4 TYPE 200|pipelined',
      '5 PASV 227|pipelined', '6 RETR 225|pipelined', '7 PORT 200|pipelined', '8 QUIT 221|pipelined',
    ]);
  });
  it('missing reply: 500 PORT commands never answered (zeek ftp-many-port-expected)', () => {
    const rows = rowsOf(trace('zeek/ftp-many-port-expected/ftp-many-port-expected.pcap.gz')[0]);
    const ports = rows.filter((r) => r.command === 'PORT');
    expect(ports.length).toBe(500);
    expect(ports.every((r) => r.flags.split(';').includes('unanswered') && r.final_code === '' && r.ts_reply === null)).toBe(true);
  });
  it('invalid reply code: "99 PASV invalid" answers PASV without a code, QUIT still gets 221 (zeek ftp-invalid-reply-code)', () => {
    const rows = rowsOf(trace('zeek/ftp-invalid-reply-code/ftp-invalid-reply-code.pcap')[0]);
    expect(brief(rows)).toEqual(['0 <greeting> 220|', '1 USER 230|', '2 PASS 230|', '3 PASV |invalid_reply', '4 QUIT 221|']);
  });
  it('missing reply code: "SYST not supported" (zeek ftp-missing-reply-code)', () => {
    const rows = rowsOf(trace('zeek/ftp-missing-reply-code/ftp-missing-reply-code.pcap')[0]);
    expect(brief(rows).slice(3)).toEqual(['3 SYST |invalid_reply', '4 QUIT 221|']);
  });
  it('missing space after the code: "230_no_space" is a 230, flagged (zeek ftp-missing-space-after-reply-code)', () => {
    const rows = rowsOf(trace('zeek/ftp-missing-space-after-reply-code/ftp-missing-space-after-reply-code.pcap')[0]);
    expect(brief(rows).slice(3)).toEqual(['3 RETR 230|invalid_reply', '4 QUIT 221|']);
  });
  it('over-long command words are kept and flagged, pairing stays in step (zeek fake-long-commands)', () => {
    const rows = rowsOf(trace('zeek/fake-long-commands/fake-long-commands.pcap')[0]);
    const long = rows.filter((r) => r.flags.includes('overlong'));
    expect(long.map((r) => [r.command.slice(0, 5), r.final_code])).toEqual([['TYPEE', '200'], ['SYSTT', '215']]);
    // the server's texts say which command it answered: "Response to RETR command" -> 225
    expect(rows.find((r) => r.command === 'RETR')!.final_code).toBe('225');
  });
  it('over-long command line cut at maxLineBytes like Suricata (ftp-too-long-command: RETR data 4091 bytes, next RETR intact)', () => {
    for (const p of ['suricata-verify/ftp-too-long-command/ftp-too-long-command.pcap', 'suricata-verify/ftp-too-long-command-first/ftp-too-long-command.pcap', 'suricata-verify/ftp-too-long-command-buffered/ftp-too-long-command.pcap']) {
      const rows = rowsOf(trace(p)[0], { maxLineBytes: 4096 });
      const retr = rows.filter((r) => r.command === 'RETR');
      expect(retr[0].arg.length).toBe(4091);
      expect(retr[0].flags).toContain('overlong');
      expect(retr[0].final_code).toBe('550');
      expect(retr[1].arg).toBe('index.html');
      expect(retr[1].flags).not.toContain('overlong');
    }
  });
  it('a higher limit keeps the long command whole (suricata ftp-too-long-command-higher-limit: no RETR truncated)', () => {
    const rows = rowsOf(trace('suricata-verify/ftp-too-long-command-higher-limit/ftp-too-long-command.pcap')[0]); // default 8192
    const retr = rows.filter((r) => r.command === 'RETR');
    expect(retr[0].arg.length).toBeGreaterThan(4091);
    expect(retr.map((r) => r.flags.includes('overlong'))).toEqual([false, false]);
  });
  it('over-long reply line (suricata ftp-too-long-response): PASV keeps its 227, flagged', () => {
    const rows = rowsOf(trace('suricata-verify/ftp-too-long-response/ftp-too-long-response.pcap')[0], { maxLineBytes: 4096 });
    const pasv = rows.find((r) => r.command === 'PASV')!;
    expect([pasv.final_code, pasv.flags]).toEqual(['227', 'overlong']);
    expect(rows.filter((r) => r.command === 'RETR').map((r) => r.final_code)).toEqual(['550', '550']);
  });
  it('AUTH TLS answered 234 ends extraction with <encrypted> (zeek ftp-auth-tls)', () => {
    const rows = rowsOf(trace('zeek/ftp-auth-tls/ftp-auth-tls.pcap')[0]);
    expect(rows.slice(-2).map((r) => `${r.command} ${r.arg} ${r.final_code}`)).toEqual(['AUTH TLS 234', '<encrypted>  ']);
  });
  it('capture starting mid-session: no greeting row, first reply answers the first command (zeek ftp-with-numbers-in-filename)', () => {
    const rows = rowsOf(trace('zeek/ftp-with-numbers-in-filename/ftp-with-numbers-in-filename.pcap')[0]);
    expect(rows.some((r) => r.command === '<greeting>')).toBe(false);
    expect(rows.find((r) => r.command === 'RETR')!.reply_codes).toBe('150 226'); // Zeek: RETR … 226
  });
});

describe('extract: pairing rules on hand-built flows', () => {
  it('a hole writes waiting commands as they stand, then <gap>; later replies are not given to them', () => {
    const rows = rowsOf(flowOf([['s', '220 hi\r\n'], ['c', 'RETR x\r\n'], ['s', '150 go\r\n'], ['s', { gap: 20 }], ['s', '226 ok\r\n'], ['c', 'NOOP\r\n'], ['s', '200 ok\r\n']]));
    expect(brief(rows)).toEqual(['0 <greeting> 220|', '1 RETR 150|gap', '2 <gap> |', '3 <unsolicited> 226|', '4 NOOP 200|']);
    expect(rows[2].arg).toBe('s:20');
  });
  it('rows stay in index order: a hole before the first reply means no greeting', () => {
    const rows = rowsOf(flowOf([['c', { gap: 5 }], ['s', '220 hi\r\n'], ['c', 'QUIT\r\n'], ['s', '221 bye\r\n']]));
    expect(brief(rows)).toEqual(['1 <gap> |', '2 <unsolicited> 220|', '3 QUIT 221|']);
    const silent = rowsOf(flowOf([['c', 'NOOP\r\nNOOP\r\n'], ['s', '220 late\r\n']]), { maxPendingCommands: 1 });
    // once row 1 is written the 220 cannot be the greeting (index 0): it answers the waiting NOOP
    expect(brief(silent)).toEqual(['1 NOOP |unanswered;pending_overflow', '2 NOOP 220|pipelined']);
  });
  it('a greeting that got only a 1xx is still written at the end, once', () => {
    expect(brief(rowsOf(flowOf([['s', '120 wait\r\n']])))).toEqual(['0 <greeting> 120|']);
    expect(brief(rowsOf(flowOf([['s', '120 wait\r\n'], ['c', 'USER a\r\n']])))).toEqual(['0 <greeting> 120|', '1 USER |unanswered']);
  });
  it('PASS is masked unless showPasswords; noArgs empties arguments', () => {
    const f = flowOf([['c', 'USER bob\r\nPASS secret\r\n']]);
    expect(rowsOf(f).map((r) => r.arg)).toEqual(['bob', '****']);
    expect(rowsOf(f, { showPasswords: true }).map((r) => r.arg)).toEqual(['bob', 'secret']);
    expect(rowsOf(f, { noArgs: true }).map((r) => r.arg)).toEqual(['', '']);
  });
  it('maxPendingCommands bounds the queue: the oldest is written unanswered', () => {
    const rows = rowsOf(flowOf([['s', '220 hi\r\n'], ['c', 'NOOP\r\nNOOP\r\nNOOP\r\n'], ['s', '200 a\r\n']]), { maxPendingCommands: 2 });
    expect(brief(rows).slice(1)).toEqual(['1 NOOP |unanswered;pending_overflow', '2 NOOP 200|pipelined', '3 NOOP |unanswered;pipelined']);
  });
  it('an invalid option is a coded error', () => {
    expect(() => rowsOf(flowOf([]), { maxLineBytes: 'x' })).toThrow(/maxLineBytes/);
  });
  it('Telnet commands are removed: IAC IP, IAC DM before ABOR, IAC SB … SE', () => {
    expect(stripTelnet(Buffer.from('\xff\xf4\xff\xf2ABOR', 'latin1')).toString('latin1')).toBe('ABOR');
    expect(stripTelnet(Buffer.from('A\xff\xfa\x18\x01\xff\xf0B\xff\xffC', 'latin1')).toString('latin1')).toBe('AB\xffC');
  });
});

describe('argument tags (hand-computed)', () => {
  it('PORT/EPRT', () => {
    expect(parsePortArg('10,0,0,9,0,80')).toEqual({ ip: '10.0.0.9', port: 80 });
    expect(parsePortArg('10,0,0,9,0')).toBeNull();
    expect(parseEprtArg('|2|::1|6275|')).toEqual({ ip: '::1', port: 6275 });
    expect(argumentTags('PORT', '10,0,0,9,4,0', '10.0.0.1')).toEqual(['port_foreign']);
    expect(argumentTags('PORT', '10,0,0,1,4,0', '10.0.0.1')).toEqual([]);
    expect(argumentTags('EPRT', '|2|2001:db8:0:0::1|21|', '2001:db8::1')).toEqual(['port_privileged']);
    expect(argumentTags('EPRT', '|1|192.0.2.7|80|', '::ffff:192.0.2.7')).toEqual(['port_privileged']);
    expect(sameAddress('2001:DB8::1', '2001:db8:0:0:0:0:0:1')).toBe(true);
  });
  it('path_climb', () => {
    expect(pathClimbs('../../etc/passwd')).toBe(true);
    expect(pathClimbs('/pub/../../x')).toBe(true);
    expect(pathClimbs('a/../b')).toBe(false);
    expect(pathClimbs('a/b/../../c')).toBe(false);
    expect(pathClimbs('..\\windows')).toBe(true);
    expect(argumentTags('CWD', '../', '1.1.1.1')).toEqual(['path_climb']);
    expect(argumentTags('USER', '..', '1.1.1.1')).toEqual([]);
    expect(argumentTags('STOR', 'a\x01b', '1.1.1.1')).toEqual(['arg_binary']);
  });
});

/** The study's expression, as published: `\r\n([a-zA-Z]+).*?\r\n(\d+) ` over both directions glued in capture order. */
function studyRegex(payload: string): string[] {
  const out: string[] = [];
  for (const m of payload.matchAll(/\r\n([a-zA-Z]+)[^\n]*?\r\n(\d+) /g)) out.push(`${m[1].trim()},${m[2].trim()}`);
  return out;
}
const seedOf = (parts: Part[]) =>
  seedRows(rowsOf(flowOf(parts), { showPasswords: true })).trim().split('\n').filter(Boolean).map((l) => l.split(',').slice(2).join(','));

describe('--format seed vs the study\'s regular expression', () => {
  it('an interactive session with single-line replies gives exactly the regex pairs (RETR → first code 150)', () => {
    const parts: Part[] = [
      ['s', '220 <domain> FTP server (Version wu-2.6.1-20) ready.\r\n'], ['c', 'USER anonymous\r\n'], ['s', '331 Guest login ok\r\n'],
      ['c', 'PASS guest\r\n'], ['s', '230 Guest login ok\r\n'], ['c', 'TYPE I\r\n'], ['s', '200 Type set to I.\r\n'],
      ['c', 'PASV\r\n'], ['s', '227 Entering Passive Mode (1,2,3,4,5,6)\r\n'], ['c', 'RETR x\r\n'], ['s', '150 Opening\r\n'],
      ['s', '226 Transfer complete.\r\n'], ['c', 'QUIT\r\n'], ['s', '221 Goodbye.\r\n'],
    ];
    const glued = parts.map((p) => p[1]).join('');
    expect(seedOf(parts)).toEqual(studyRegex(glued));
    expect(seedOf(parts)).toContain('RETR,150');
    const line = seedRows(rowsOf(flowOf(parts))).split('\n')[0];
    expect(line).toBe('192.0.2.1:40000-192.0.2.2:21,wu-ftpd,USER,331');
  });
  it('differs on purpose: a multi-line reply (the regex pairs a text line, or loses the command)', () => {
    const parts: Part[] = [['s', '220 hi\r\n'], ['c', 'PASS x\r\n'], ['s', '230-Welcome\r\nPlease behave\r\n230 ok\r\n']];
    expect(studyRegex(parts.map((p) => p[1]).join(''))).toEqual(['Please,230']); // a text line taken for a command
    expect(seedOf(parts)).toEqual(['PASS,230']);
  });
  it('differs on purpose: pipelined commands (the regex sees only the last one before a reply)', () => {
    const parts: Part[] = [['s', '220 hi\r\n'], ['c', 'USER a\r\nPASS b\r\n'], ['s', '331 ok\r\n230 ok\r\n']];
    expect(studyRegex(parts.map((p) => p[1]).join(''))).toEqual(['PASS,331']); // wrong pairing
    expect(seedOf(parts)).toEqual(['USER,331', 'PASS,230']);
  });
});

describe('CSV writer', () => {
  it('writes exactly what csv-stringify writes, for any field contents (fast-check)', async () => {
    const fc = (await import('fast-check')).default;
    const { stringify } = await import('csv-stringify/sync');
    const { csvRows } = await import('../src/extract/csv.js');
    const { EXCHANGE_COLUMNS } = await import('../src/extract/types.js');
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', ',', '"', '\r', '\n', ' ', '<', ';', '\u00e9', '1') });
    const row = fc.record({
      flow_id: text, community_id: text, client_ip: text, client_port: fc.nat(65535), server_ip: text, server_port: fc.nat(65535),
      label: text, index: fc.nat(), ts_request: fc.double({ min: 0, max: 2e9, noNaN: true }), ts_reply: fc.option(fc.double({ min: 0, max: 2e9, noNaN: true })),
      command: text, arg: text, reply_codes: text, final_code: text, flags: text, tags: text,
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 5 }), (rows) => {
        const ours = csvRows(rows as ExchangeRow[]);
        const theirs = rows.length ? stringify(rows, { columns: EXCHANGE_COLUMNS as string[], record_delimiter: 'unix', quoted_match: /[\r\n]/ }) : '';
        expect(ours).toBe(theirs);
      }),
      { numRuns: 500 },
    );
  });
});

describe('extract: properties over random dialogues (fast-check)', () => {
  it('any re-chunking gives the same rows; indices strictly increase', async () => {
    const fc = (await import('fast-check')).default;
    const clientLine = fc.constantFrom('USER a\r\n', 'PASS b\r\n', 'RETR f\r\n', 'noop\n', 'PORT 1,2,3,4,0,20\r\n', 'AUTH TLS\r\n', '\xff\xf4\xff\xf2ABOR\r\n', 'X'.repeat(40) + '\r\n', '\r\n');
    const serverLine = fc.constantFrom('220 hi\r\n', '331 ok\r\n', '150 go\r\n', '226 ok\r\n', '230-a\r\nb\r\n230 c\r\n', '99 bad\r\n', '\r\n', '234 tls\r\n', '500 no\r\n', '227Entering\r\n');
    const part = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.constant('c' as const), fc.array(clientLine, { minLength: 1, maxLength: 3 }).map((a) => a.join(''))) },
      { weight: 5, arbitrary: fc.tuple(fc.constant('s' as const), fc.array(serverLine, { minLength: 1, maxLength: 3 }).map((a) => a.join(''))) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('c' as const, 's' as const), fc.record({ gap: fc.integer({ min: 1, max: 9 }) })) },
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), (parts, cuts) => {
        const flow = flowOf(parts as Part[]);
        const opts = { maxLineBytes: 32, showPasswords: true };
        const want = rowsOf(flow, opts).map(({ ts_request, ts_reply, ...r }) => r);
        for (const cut of cuts) {
          const dir = cut % 2 ? 'c' : 's';
          const got = rowsOf(resplit(flow, dir, cut % 97), opts).map(({ ts_request, ts_reply, ...r }) => r);
          expect(got).toEqual(want);
        }
        const idx = want.map((r) => r.index);
        expect(idx).toEqual([...idx].sort((a, b) => a - b));
        expect(new Set(idx).size).toBe(idx.length);
      }),
      { numRuns: 300 },
    );
  });
});
