/**
 * Hostile and odd capture input (issue 11): each case checks the rows or counters that come out,
 * built from ../shared/repro (reproducers) or from captures this file makes.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSessions } from '../stages/match.js';
import type { Session } from '../src/dataset/types.js';
import { FtpIdsError } from '../src/common/errors.js';
import { Counters } from '../src/common/bounds.js';
import { createExchangeExtractor } from '../src/extract/extractor.js';
import type { ExchangeRow, FlowRecord as ExtractFlow } from '../src/extract/types.js';
import type { FlowRecord } from '../src/flows/record.js';
import { BoundedMap } from '../src/flows/bounded-map.js';
import { createFlowReader } from '../src/flows/reader.js';
import { readPackets, writePcap } from '../scripts/pcap-tools.js';
import { conversation, eth, ethernetPackets, gre, ip, ipv4, ipv6, udp, vxlan, type Conversation } from '../bench/packets.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const REPRO = fileURLToPath(new URL('../../shared/repro/', import.meta.url));
const have = existsSync(join(REPRO, 'README.md'));
const bin = (name: string): string => join(ROOT, 'dist/bin', `${name}.js`);

function run(name: string, args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin(name), ...args], { input, maxBuffer: 1 << 28, encoding: 'latin1' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** files this test writes (captures given to the commands) */
const TMP = mkdtempSync(join(tmpdir(), 'ftp-ids-hostile-'));
const havePython = spawnSync('python3', ['--version']).status === 0;
const haveTshark = spawnSync('tshark', ['--version']).status === 0;

/** flows of a capture (in-process, pushed in 64 KiB chunks) and the reader's counters */
function flowsOf(capture: Buffer, options: Record<string, unknown> = {}): { flows: FlowRecord[]; stats: Record<string, number> } {
  const flows: FlowRecord[] = [];
  const r = createFlowReader(options, (f) => flows.push(f));
  for (let i = 0; i < capture.length; i += 1 << 16) r.push(capture.subarray(i, i + (1 << 16)));
  r.end();
  return { flows, stats: r.stats() };
}

/** exchange rows of flows, with the extractor's counters and warnings */
function rowsOf(flows: FlowRecord[], options: Record<string, unknown> = {}): { rows: ExchangeRow[]; counters: Counters; warnings: string[] } {
  const rows: ExchangeRow[] = [];
  const counters = new Counters();
  const warnings: string[] = [];
  const ex = createExchangeExtractor({ ...options, counters, onWarning: (m: string) => warnings.push(m) }, (row) => rows.push(row));
  for (const f of flows) ex.pushFlow(f as unknown as ExtractFlow);
  return { rows, counters, warnings };
}

/** "command arg→codes|flags" of each row */
const brief = (rows: ExchangeRow[]): string[] => rows.map((r) => `${r.command}${r.arg ? ' ' + r.arg : ''}→${r.reply_codes}|${r.flags}`);

const pcapOf = (...convs: Conversation[]): Buffer => writePcap(ethernetPackets(convs.flatMap(conversation).sort((a, b) => a.tsUs - b.tsUs)), 1);

/** an error as runCli reports it: one line on stderr, no stack, an error exit (not success, not the crash code) */
function expectOneLineError(r: { status: number | null; stderr: string }, re: RegExp): void {
  expect(r.status).not.toBe(0);
  expect(r.status).not.toBe(70);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(re);
}

describe.skipIf(!have)('gzip input: damaged and cut short', () => {
  const corrupt = join(REPRO, 'corrupt-gzip.pcap');
  const truncated = join(REPRO, 'truncated.pcap.gz');

  it('damaged gzip data: one line with the byte offset, from a file and from stdin (ftp-flows)', () => {
    expectOneLineError(run('ftp-flows', [corrupt]), /^ftp-flows: .*corrupt-gzip\.pcap: byte offset \d+: damaged gzip data .*invalid block type/);
    expectOneLineError(run('ftp-flows', [], readFileSync(corrupt)), /^ftp-flows: byte offset \d+: damaged gzip data/);
  });

  it('a .pcap.gz cut short: the flows before the cut, the truncation warning, exit 0; --strict: an error after the same flows', () => {
    const r = run('ftp-flows', [truncated]);
    expect(r.status).toBe(0);
    const flows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(flows.length).toBeGreaterThan(0);
    // control flows, and the data connections they announced (issue 16)
    expect(flows.every((f) => f.type === 'flow' || f.type === 'data')).toBe(true);
    expect(flows.some((f) => f.type === 'flow')).toBe(true);
    expect(r.stderr).toMatch(/^ftp-flows: warning: .*truncated\.pcap\.gz: byte offset 20000: gzip stream cut short at compressed byte 20000/m);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    const s = run('ftp-flows', ['--strict', truncated]);
    expect(s.stdout).toBe(r.stdout);
    expectOneLineError(s, /^ftp-flows: .*truncated\.pcap\.gz: byte offset 20000: gzip stream cut short/);
  });

  it('ftp-match and ftp-ids detect: the same one-line error, and the warning with exit 0', () => {
    const dir = TMP;
    const model = join(dir, 'model.json');
    const m = spawnSync('bash', ['-o', 'pipefail', '-c', `node ${bin('ftp-flows')} - | node ${bin('ftp-extract')} | node ${bin('ftp-gsp')} -s 0.5 --no-profiles > ${model}`], {
      input: pcapOf({ client: '10.0.0.1', server: '10.0.0.2', cport: 40000, sport: 21, steps: [['s', '220 hi\r\n', 0.1], ['c', 'USER a\r\n', 1], ['s', '331 pw\r\n', 0.1]] }),
    });
    expect(m.status).toBe(0);
    expectOneLineError(run('ftp-match', ['--model', model, '--baseline', 'study', corrupt]), /^ftp-match: .*corrupt-gzip\.pcap: byte offset \d+: damaged gzip data/);
    expectOneLineError(run('ftp-ids', ['detect', '--model', model, '--baseline', 'study', corrupt]), /^ftp-ids: .*corrupt-gzip\.pcap: byte offset \d+: damaged gzip data/);
    const t = run('ftp-ids', ['detect', '--model', model, '--baseline', 'study', truncated]);
    expect(t.status).toBe(0);
    expect(t.stderr).toMatch(/byte offset 20000: gzip stream cut short/);
    expect(t.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('the reader ftp-match and ftp-ids detect share: sessions before the cut, a warning; damaged data an FtpIdsError', async () => {
    const sessions: Session[] = [];
    const warnings: string[] = [];
    await runSessions([truncated], { warn: (m) => warnings.push(m) }, (s) => sessions.push(s));
    expect(sessions.length).toBe(run('ftp-flows', [truncated]).stdout.trim().split('\n').filter((l) => JSON.parse(l).type === 'flow').length);
    expect(warnings[0]).toMatch(/byte offset 20000: gzip stream cut short/);
    const err = await runSessions([corrupt], { warn: () => {} }, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FtpIdsError);
    expect((err as FtpIdsError).code).toBe('BAD_GZIP');
    expect((err as FtpIdsError).where.offset).toBeTypeOf('number');
  });
});

describe.skipIf(!have)('time going backwards: replies paired in stream order', () => {
  it('timewarp-1session: 550 answers RETR, 221 answers QUIT, one warning, a counter', () => {
    const { flows } = flowsOf(readFileSync(join(REPRO, 'timewarp-1session.pcap')));
    expect(flows).toHaveLength(1);
    // the same flow twice: warned about once, counted twice
    const { rows, counters, warnings } = rowsOf([flows[0]!, flows[0]!]);
    expect(brief(rows.slice(0, 5))).toEqual(['<greeting>→220|', 'USER bob→331|', 'PASS ****→230|', 'RETR /etc/passwd→550|', 'QUIT→221|']);
    // the rows keep the capture's own times (the 550 stamped years before its command)
    expect(rows[3]!.ts_reply).toBeLessThan(rows[3]!.ts_request);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/time goes backwards.*stream order/);
    expect(counters.get('extract.time_backwards_flows')).toBe(2);
  });

  it('a capture whose times only go forward is not warned about', () => {
    const cap = pcapOf({ client: '10.0.0.1', server: '10.0.0.2', cport: 40000, sport: 21, steps: [['s', '220 hi\r\n', 0.1], ['c', 'USER a\r\n', 1], ['s', '331 pw\r\n', 0.1]] });
    const { rows, warnings, counters } = rowsOf(flowsOf(cap).flows);
    expect(brief(rows)).toEqual(['<greeting>→220|', 'USER a→331|']);
    expect(warnings).toEqual([]);
    expect(counters.get('extract.time_backwards_flows')).toBe(0);
  });
});

describe('a line cut by --max-flow-bytes ends at the cut', () => {
  it('USER with a 300 kB argument, client direction kept to 64 KiB: USER gets 331, flagged overlong and truncated', () => {
    const long = 'USER ' + 'A'.repeat(300_000) + '\r\n';
    const steps: Conversation['steps'] = [['s', '220 hostile test server ready\r\n', 0.001]];
    for (let i = 0; i < long.length; i += 60_000) steps.push(['c', long.slice(i, i + 60_000), 0.00001]);
    steps.push(['s', '331 password please\r\n', 0.001], ['c', 'QUIT\r\n', 0.001], ['s', '221 bye\r\n', 0.001]);
    const { flows } = flowsOf(pcapOf({ client: '10.0.0.1', server: '10.0.0.2', cport: 40000, sport: 21, steps }), { maxFlowBytes: 65536 });
    expect(flows).toHaveLength(1);
    expect(flows[0]!.flags).toContain('truncated_c');
    const { rows } = rowsOf(flows);
    expect(rows.map((r) => `${r.command}→${r.reply_codes}|${r.flags}`)).toEqual([
      '<greeting>→220|',
      'USER→331|overlong;truncated',
      // QUIT lies beyond the cut: its reply has no command
      '<unsolicited>→221|',
    ]);
    expect(rows[1]!.arg).toBe('A'.repeat(8192 - 5));
  });

  it.skipIf(!have || !havePython)('gen_hostile.py line16m through ftp-flows | ftp-extract', () => {
    const cap = spawnSync('python3', [join(REPRO, 'gen_hostile.py'), 'line16m'], { maxBuffer: 1 << 26 }).stdout;
    const { rows } = rowsOf(flowsOf(cap).flows);
    expect(rows.map((r) => `${r.command}→${r.reply_codes}|${r.flags}`)).toEqual(['<greeting>→220|', 'USER→331|overlong;truncated', '<unsolicited>→221|']);
  });
});

describe('eviction under load: an evicted FTP flow\'s continuation stays FTP', () => {
  /** n sessions greeted, all kept open, then one USER each (gen_hostile.py sessions200k, in small) */
  function openSessions(n: number): Buffer {
    const convs: Conversation[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = 1_700_000_000 + i * 0.0005;
      const userAt = 1_700_000_000 + n * 0.0005 + i * 0.0005;
      convs.push({
        client: `12.0.${i >> 8}.${i & 255}`, server: '10.0.0.2', cport: 1024 + i, sport: 21, t0, close: false,
        steps: [['s', '220 FTP server ready\r\n', 0.0001], ['c', 'USER anonymous\r\n', userAt - t0 - 0.0003]],
      });
    }
    return pcapOf(...convs);
  }

  it('more open sessions than the payload bound holds: every USER reaches the rows, the continuations counted', () => {
    const n = 600;
    // 128 pages of the arena: about 128 flows at a time
    const { flows, stats } = flowsOf(openSessions(n), { maxFlows: 5000, maxBufferedBytes: 128 * 512 });
    expect(stats.evicted_buffer).toBeGreaterThan(n / 2);
    expect(stats.flows_not_emitted).toBe(0);
    expect(stats.continued_after_eviction).toBeGreaterThan(n / 2);
    const continued = flows.filter((f) => f.flags.includes('no_syn'));
    expect(continued.length).toBe(stats.continued_after_eviction);
    const { rows } = rowsOf(flows);
    const users = rows.filter((r) => r.command === 'USER');
    expect(users).toHaveLength(n);
    expect(new Set(users.map((r) => r.client_ip)).size).toBe(n);
    // the client stays the client in the continuation (the server is known from the evicted flow)
    expect(users.every((r) => r.server_ip === '10.0.0.2' && r.server_port === 21 && r.arg === 'anonymous')).toBe(true);
  });

  it('the payload bound charges 512-byte pages: 3000 open sessions fit in the bytes of 3000 pages (no eviction)', () => {
    const { stats } = flowsOf(openSessions(3000), { maxFlows: 5000, maxBufferedBytes: 3000 * 512 + 512 });
    expect(stats.evicted).toBe(0);
    expect(stats.payload_pages_peak).toBe(3000);
  });

  it.skipIf(!have || !havePython)('gen_hostile.py sessions200k 3000 with --max-flows 5000 --max-buffered-bytes 1M: 3000 USER rows', () => {
    const cap = spawnSync('python3', [join(REPRO, 'gen_hostile.py'), 'sessions200k', '3000'], { maxBuffer: 1 << 26 }).stdout;
    const { flows, stats } = flowsOf(cap, { maxFlows: 5000, maxBufferedBytes: '1M' });
    expect(stats.flows_not_emitted).toBe(0);
    expect(stats.payload_pages_peak * 512).toBeLessThanOrEqual((1 << 20) + 512);
    const users = rowsOf(flows).rows.filter((r) => r.command === 'USER');
    expect(users).toHaveLength(3000);
  });
});

describe('the same connection twice', () => {
  const conv = (handshake: boolean): Conversation => ({
    client: '10.0.0.1', server: '10.0.0.2', cport: 40000, sport: 21, handshake, close: true,
    steps: [['s', '220 hi\r\n', 0.1], ['c', 'USER bob\r\n', 1], ['s', '331 pw\r\n', 0.1], ['c', 'PASS x\r\n', 1], ['s', '230 ok\r\n', 0.1], ['c', 'QUIT\r\n', 1], ['s', '221 bye\r\n', 0.1]],
  });
  // closes 20 s before the capture ends: its closed entry is gone when the copy starts
  const later: Conversation = { client: '10.0.0.9', server: '10.0.0.2', cport: 40001, sport: 21, t0: 1_700_000_030, steps: [['s', '220 hi\r\n', 0.1]] };

  it('a file given twice: the replayed connection is a retransmission (counted), not a second record', () => {
    const once = pcapOf(conv(true), later);
    const twice = Buffer.concat([once, once.subarray(24)]); // the same packets again, time going back
    const a = flowsOf(once);
    const b = flowsOf(twice);
    expect(b.flows.map((f) => f.id)).toEqual(a.flows.map((f) => f.id));
    expect(b.stats.replayed_flows).toBe(1);
    expect(b.stats.retransmitted).toBeGreaterThanOrEqual(7);
    expect(brief(rowsOf(b.flows).rows)).toEqual(brief(rowsOf(a.flows).rows));
    // merged with itself (mergecap a a: every packet twice in a row): the same record
    const merged = flowsOf(writePcap(readPackets(once).flatMap((p) => [p, p]), 1));
    expect(merged.flows.map((f) => f.id)).toEqual(a.flows.map((f) => f.id));
    expect(brief(rowsOf(merged.flows).rows)).toEqual(brief(rowsOf(a.flows).rows));
  });

  it('a connection picked up mid-stream, twice (no SYN tells the copies apart): two records with distinct ids, each whole', () => {
    const once = pcapOf(conv(false), later);
    const { flows: all, stats } = flowsOf(Buffer.concat([once, once.subarray(24)]));
    const flows = all.filter((f) => f.client.port === 40000);
    expect(flows).toHaveLength(2);
    expect(new Set(flows.map((f) => f.id)).size).toBe(2);
    expect(flows[0]!.first_ts).toBe(flows[1]!.first_ts);
    expect(stats.flow_id_repeats).toBe(1);
    const { rows } = rowsOf(flows);
    expect(brief(rows)).toEqual([...Array(2)].flatMap(() => ['<greeting>→220|', 'USER bob→331|', 'PASS ****→230|', 'QUIT→221|']));
  });

  it('ftp-flows f f | ftp-extract | ftp-gsp: the rows of each flow id are contiguous and the model is mined', () => {
    const once = pcapOf(conv(true), later, { ...conv(false), cport: 40002 });
    const dir = TMP;
    const f = join(dir, 'twice.pcap');
    writeFileSync(f, once);
    const csv = join(dir, 'twice.csv');
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `node ${bin('ftp-flows')} ${f} ${f} | node ${bin('ftp-extract')} | tee ${csv} | node ${bin('ftp-gsp')} -s 0.5 --no-profiles`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // the SYN-less connection came twice (a record each), the others once
    const ids = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]!);
    const blocks = ids.filter((id, i) => i === 0 || ids[i - 1] !== id);
    expect(blocks).toHaveLength(4);
    expect(new Set(blocks).size).toBe(4);
    const model = JSON.parse(r.stdout) as { dataset: { sequences: number }; models: Record<string, { patterns: { pattern: string[][] }[] }> };
    expect(model.dataset.sequences).toBe(4);
    expect(model.models['*']!.patterns[0]!.pattern).toEqual([['<greeting>', '220'], ['USER', '331'], ['PASS', '230'], ['QUIT', '221']]);
  });

  it('the reader ftp-match shares: one session per record, distinct ids, no error', async () => {
    const f = join(TMP, 'twice.pcap');
    if (!existsSync(f)) writeFileSync(f, pcapOf(conv(true), later, { ...conv(false), cport: 40002 }));
    const sessions: Session[] = [];
    await runSessions([f, f], { warn: () => {} }, (s) => sessions.push(s));
    expect(sessions).toHaveLength(4);
    expect(new Set(sessions.map((s) => s.flowId)).size).toBe(4);
  });
});

describe('which connections are FTP: SMTP greeting 220, client-only halves', () => {
  it('a 220 … ESMTP server probed with VRFY (no EHLO) is not FTP; an FTP server probed alike is', () => {
    const smtp: Conversation = { client: '10.0.0.1', server: '10.0.0.3', cport: 40000, sport: 25, steps: [['s', '220 mx.example.org ESMTP Postfix\r\n', 0.1], ['c', 'VRFY root\r\n', 1], ['s', '550 5.1.1 <root>: Recipient address rejected\r\n', 0.1], ['c', 'QUIT\r\n', 1], ['s', '221 2.0.0 Bye\r\n', 0.1]] };
    // the same probe, but the server greets without naming SMTP and the client's first word is no SMTP verb
    const smtpQuiet: Conversation = { ...smtp, cport: 40001, steps: [['s', '220 mx.example.org ESMTP\r\n', 0.1], ['c', 'QUIT\r\n', 1], ['s', '221 Bye\r\n', 0.1]] };
    const ftp: Conversation = { client: '10.0.0.1', server: '10.0.0.2', cport: 40002, sport: 21, steps: [['s', '220 (vsFTPd 3.0.3)\r\n', 0.1], ['c', 'USER root\r\n', 1], ['s', '331 pw\r\n', 0.1]] };
    const { flows, stats } = flowsOf(pcapOf(smtp, smtpQuiet, ftp));
    expect(flows.map((f) => f.server.port)).toEqual([21]);
    expect(stats.flows_other).toBe(2);
    expect(brief(rowsOf(flows).rows)).toEqual(['<greeting>→220|', 'USER root→331|']);
  });

  it('a client-only half on port 21 is an FTP flow, its commands unanswered and not pipelined', () => {
    const half: Conversation = {
      client: '192.168.1.10', server: '198.51.100.7', cport: 51000, sport: 21, clientOnly: true,
      steps: [['s', '220 hi\r\n', 0.1], ['c', 'USER anonymous\r\n', 2], ['s', '331 pw\r\n', 0.1], ['c', 'PASS guest@\r\n', 3], ['c', 'SYST\r\n', 4], ['c', 'PASV\r\n', 2], ['c', 'QUIT\r\n', 5]],
    };
    // not FTP: a client-only half on port 21 whose first word is not an FTP command, and one on another port
    const other: Conversation = { ...half, cport: 51001, steps: [['c', 'GET / HTTP/1.0\r\n', 1]] };
    const otherPort: Conversation = { ...half, cport: 51002, sport: 2100 };
    const { flows } = flowsOf(pcapOf(half, other, otherPort));
    expect(flows).toHaveLength(1);
    expect(flows[0]!.client).toEqual({ ip: '192.168.1.10', port: 51000 });
    expect(flows[0]!.server).toEqual({ ip: '198.51.100.7', port: 21 });
    expect(brief(rowsOf(flows).rows)).toEqual(['USER anonymous→|unanswered', 'PASS ****→|unanswered', 'SYST→|unanswered', 'PASV→|unanswered', 'QUIT→|unanswered']);
  });

  it('commands that really overlap are still pipelined (sent before the reply to the one before)', () => {
    const piped: Conversation = {
      client: '10.0.0.1', server: '10.0.0.2', cport: 40000, sport: 21,
      steps: [['s', '220 hi\r\n', 0.1], ['c', 'USER a\r\nPASS b\r\nSYST\r\n', 1], ['s', '331 pw\r\n230 ok\r\n', 0.1], ['s', '215 UNIX\r\n', 0.1]],
    };
    expect(brief(rowsOf(flowsOf(pcapOf(piped)).flows).rows)).toEqual(['<greeting>→220|', 'USER a→331|', 'PASS ****→230|pipelined', 'SYST→215|pipelined']);
  });
});

describe('tunnels: IP-in-IP, GRE, VXLAN decoded through to the FTP inside', () => {
  const ftpIn = (client: string, server: string, cport: number): Conversation => ({
    client, server, cport, sport: 21,
    steps: [['s', '220 hi\r\n', 0.1], ['c', `USER u${cport}\r\n`, 1], ['s', '331 pw\r\n', 0.1], ['c', 'QUIT\r\n', 1], ['s', '221 bye\r\n', 0.1]],
  });
  const o4 = ['192.0.2.1', '192.0.2.2'] as const;
  const o6 = ['2001:db8::1', '2001:db8::2'] as const;
  // each kind: the inner conversation and how one inner IP packet is wrapped into an Ethernet frame
  const kinds: [string, Conversation, (l3: Buffer) => Buffer][] = [
    ['tunnel_4in4', ftpIn('10.1.0.1', '10.1.0.2', 40001), (l3) => eth(0x0800, ipv4(o4[0], o4[1], 4, l3))],
    ['tunnel_6in4', ftpIn('fd00::1', 'fd00::2', 40002), (l3) => eth(0x0800, ipv4(o4[0], o4[1], 41, l3))],
    ['tunnel_4in6', ftpIn('10.1.0.1', '10.1.0.2', 40003), (l3) => eth(0x86dd, ipv6(o6[0], o6[1], 4, l3))],
    ['tunnel_gre_ip', ftpIn('10.1.0.1', '10.1.0.2', 40004), (l3) => eth(0x0800, ipv4(o4[0], o4[1], 47, gre(0x0800, l3, 7)))],
    ['tunnel_gre_eth', ftpIn('10.1.0.1', '10.1.0.2', 40005), (l3) => eth(0x0800, ipv4(o4[0], o4[1], 47, gre(0x6558, eth(0x0800, l3))))],
    ['tunnel_vxlan', ftpIn('10.1.0.1', '10.1.0.2', 40006), (l3) => eth(0x0800, ip(o4[0], o4[1], 17, udp(50000, 4789, vxlan(42, eth(0x0800, l3)))))],
  ];
  const build = (): { capture: Buffer; packets: Record<string, number> } => {
    const all: { tsUs: number; data: Buffer }[] = [];
    const packets: Record<string, number> = {};
    for (const [kind, conv, wrap] of kinds) {
      const pk = conversation(conv);
      packets[kind] = pk.length;
      for (const p of pk) all.push({ tsUs: p.tsUs, data: wrap(p.l3) });
    }
    all.sort((a, b) => a.tsUs - b.tsUs);
    return { capture: writePcap(all.map((p) => ({ ...p, linkType: 1 })), 1), packets };
  };

  it('every kind gives its FTP flow, whole, with the inner addresses; --stats counts packets per kind', () => {
    const { capture, packets } = build();
    const { flows, stats } = flowsOf(capture);
    expect(flows.map((f) => f.client.port).sort()).toEqual([40001, 40002, 40003, 40004, 40005, 40006]);
    for (const f of flows) expect(f.server.ip).toBe(f.client.port === 40002 ? 'fd00::2' : '10.1.0.2');
    const rows = rowsOf(flows).rows;
    for (const [, conv] of kinds) {
      expect(brief(rows.filter((r) => r.client_port === conv.cport))).toEqual(['<greeting>→220|', `USER u${conv.cport}→331|`, 'QUIT→221|']);
    }
    for (const [kind] of kinds) expect(stats[kind], kind).toBe(packets[kind]);
    expect(stats.skipped_non_tcp).toBe(0);
  });

  it.skipIf(!haveTshark)('tshark decodes the same FTP commands from the same capture', () => {
    const { capture } = build();
    const dir = TMP;
    const f = join(dir, 'tunnels.pcap');
    writeFileSync(f, capture);
    const t = spawnSync('tshark', ['-r', f, '-Y', 'ftp.request.command', '-T', 'fields', '-e', 'tcp.srcport', '-e', 'ftp.request.command', '-e', 'ftp.request.arg'], { encoding: 'utf8' });
    const theirs = t.stdout.trim().split('\n').map((l) => l.replace(/\t+$/, '').replace(/\t/g, ' ')).sort();
    const ours = rowsOf(flowsOf(capture).flows).rows.filter((r) => !r.command.startsWith('<')).map((r) => `${r.client_port} ${r.command}${r.arg ? ' ' + r.arg : ''}`).sort();
    expect(ours).toHaveLength(12);
    expect(ours).toEqual(theirs);
  });

  it('a nest deeper than the bound is skipped and counted, not recursed without end', () => {
    const pk = conversation(ftpIn('10.1.0.1', '10.1.0.2', 40010));
    let deep = (l3: Buffer): Buffer => l3;
    for (let i = 0; i < 6; i++) {
      const inner = deep;
      deep = (l3) => ipv4(o4[0], o4[1], 4, inner(l3));
    }
    const { flows, stats } = flowsOf(writePcap(pk.map((p) => ({ tsUs: p.tsUs, linkType: 1, data: eth(0x0800, deep(p.l3)) })), 1));
    expect(flows).toHaveLength(0);
    expect(stats.skipped_tunnel).toBe(pk.length);
  });
});

describe('BoundedMap (remembered connections)', () => {
  it('drops the oldest insertion beyond its bound, counts it, and a deleted key set again gets a new age', () => {
    const m = new BoundedMap<string, number>(3);
    for (const k of ['a', 'b', 'c']) m.set(k, 1);
    m.set('a', 2); // present: keeps its age
    m.set('d', 1);
    expect([m.get('a'), m.get('b'), m.get('c'), m.get('d')]).toEqual([undefined, 1, 1, 1]);
    expect(m.dropped).toBe(1);
    m.delete('b');
    m.set('b', 5); // b is now the newest
    m.set('e', 1); // drops c, the oldest now
    expect([m.get('b'), m.get('c'), m.get('d'), m.get('e')]).toEqual([5, undefined, 1, 1]);
    expect(m.size).toBe(3);
    for (let i = 0; i < 100_000; i++) m.set(`k${i}`, i);
    expect(m.size).toBe(3);
    expect(m.get('k99999')).toBe(99_999);
  });
});
