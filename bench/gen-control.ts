#!/usr/bin/env node
/**
 * Control-heavy capture for the bench (issue 12): every packet belongs to an FTP control connection —
 * no data connection is ever opened — with thousands of sessions open at once and many short
 * exchanges each, the traffic where extraction (not packet decoding) is the work. Its shape is its
 * own, not bench/gen-capture.ts's (whose sessions come from synthetic-ftp.ts and whose bytes are mostly
 * data connections): sessions are scripted here from a weighted command mix (CWD PWD TYPE NOOP SIZE
 * MDTM SYST FEAT STAT PASV OPTS HELP MKD DELE RNFR/RNTO, unknown verbs, failed logins), replies are
 * single- or multi-line, a few arguments need CSV quoting (`,` and `"` in file names), and one command in
 * a hundred is pipelined with the next in one segment.
 *
 * Interleaving: `concurrency` sessions are open; each step one of them, picked at random, sends its
 * next segment (the handshake, a command, its reply, the closing FIN exchange), and a session that
 * ends is replaced by a new one until the size bound is near. Acknowledgements ride on the next
 * segment, so nearly every byte of the file is an FTP line or its headers. Classic pcap through
 * gen-capture's PcapWriter (Ethernet/IPv4/TCP, µs times); deterministic for a seed; constant memory.
 *
 * usage: node dist/bench/gen-control.js --size 100M [--seed N] [--concurrency N] -o F.pcap
 */
import { closeSync, openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { optInt, optSize } from '../src/common/options.js';
import { runCli } from '../src/common/cli.js';
import { Conn, PcapWriter } from './gen-capture.js';
import { mixSeed, Rng } from './synthetic-ftp.js';

export interface ControlCaptureOptions {
  /** upper bound of the file size in bytes */
  size: number;
  seed: number;
  /** control sessions open at once */
  concurrency: number;
}

export interface ControlCaptureStats {
  bytes: number;
  packets: number;
  controlSessions: number;
  dataConnections: 0;
  /** exchange rows a correct extractor writes: the greeting and one per command, per session */
  expectedRows: number;
  /** commands written with a CSV-special character in their argument */
  quotedArgs: number;
}

export function normalizeControlOptions(raw: Record<string, unknown>): ControlCaptureOptions {
  const size = optSize(raw, 'size', 100 * 1024 * 1024);
  return {
    size,
    seed: optInt(raw, 'seed', 1, 0, 0xffffffff),
    concurrency: optInt(raw, 'concurrency', 4000, 1, 60000),
  };
}

const FIN = 0x01;
const SYN = 0x02;
const PSH = 0x08;
const ACK = 0x10;
/** file bytes of a packet besides its payload: pcap record, Ethernet, IPv4, TCP headers */
const HEADERS = 16 + 14 + 20 + 20;

const GREETINGS = [
  ['220 (vsFTPd 3.0.3)'],
  ['220 ProFTPD Server (Debian) [::ffff:10.9.0.1]'],
  ['220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------', '220-You are user number 3 of 50 allowed.', '220 This is a private system - No anonymous login'],
  ['220 Microsoft FTP Service'],
  ['220-Welcome to the archive.', '220-All transfers are logged.', '220 FTP server ready.'],
];
const WORDS = ['pub', 'incoming', 'data', 'logs', 'backup', 'src', 'docs', 'images', 'tmp', 'mirror', 'releases', 'www'];
const EXTS = ['.txt', '.tar.gz', '.iso', '.zip', '.pdf', '.log', '.c', '.html'];

/** One session's segments in order: who sends, the payload. */
interface Segment {
  fromClient: boolean;
  text: string;
}

function fileName(rng: Rng, quoted: { n: number }): string {
  const base = `${rng.pick(WORDS)}${rng.int(1000)}${rng.pick(EXTS)}`;
  if (!rng.chance(0.004)) return base;
  quoted.n++;
  return rng.chance(0.5) ? `report, ${base}` : `"${base}"`;
}

function path(rng: Rng): string {
  const depth = rng.range(1, 3);
  let p = '';
  for (let i = 0; i < depth; i++) p += '/' + rng.pick(WORDS);
  return p;
}

/** The session's script; `commands` counts the client lines (one exchange row each). */
function script(rng: Rng, serverIp: number, quoted: { n: number }): { segments: Segment[]; commands: number } {
  const segs: Segment[] = [];
  let commands = 0;
  const greeting = rng.pick(GREETINGS);
  segs.push({ fromClient: false, text: greeting.map((l) => l + '\r\n').join('') });
  const ex = (cmd: string, reply: string): void => {
    commands++;
    segs.push({ fromClient: true, text: cmd + '\r\n' }, { fromClient: false, text: reply + '\r\n' });
  };
  const user = rng.chance(0.3) ? 'anonymous' : `user${rng.int(500)}`;
  ex(`USER ${user}`, '331 Please specify the password.');
  if (rng.chance(0.08)) {
    ex('PASS guess' + rng.int(100000), '530 Login incorrect.');
    if (rng.chance(0.5)) {
      ex('QUIT', '221 Goodbye.');
      return { segments: segs, commands };
    }
    ex(`USER ${user}`, '331 Please specify the password.');
  }
  ex(`PASS secret${rng.int(100000)}`, '230 Login successful.');
  let cwd = '/';
  const n = rng.logUniform(4, 120);
  for (let i = 0; i < n; i++) {
    const r = rng.int(100);
    if (r < 16) {
      const d = path(rng);
      if (rng.chance(0.85)) {
        cwd = d;
        ex(`CWD ${d}`, '250 Directory successfully changed.');
      } else ex(`CWD ${d}`, '550 Failed to change directory.');
    } else if (r < 26) ex('PWD', `257 "${cwd}" is the current directory`);
    else if (r < 32) ex(`TYPE ${rng.chance(0.7) ? 'I' : 'A'}`, '200 Switching to Binary mode.');
    else if (r < 40) ex('NOOP', '200 NOOP ok.');
    else if (r < 52) {
      const f = fileName(rng, quoted);
      ex(`SIZE ${f}`, rng.chance(0.8) ? `213 ${rng.int(1 << 30)}` : '550 Could not get file size.');
    } else if (r < 60) ex(`MDTM ${fileName(rng, quoted)}`, `213 2023${String(rng.range(101, 1231)).padStart(4, '0')}${String(rng.int(240000)).padStart(6, '0')}`);
    else if (r < 63) ex('SYST', '215 UNIX Type: L8');
    else if (r < 66) ex('FEAT', '211-Features:\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End');
    else if (r < 68) ex('STAT', '211-FTP server status:\r\n     Connected to 10.8.0.1\r\n     Logged in as ftp\r\n     TYPE: BINARY\r\n211 End of status');
    else if (r < 74) {
      const port = rng.range(30000, 60000);
      ex('PASV', `227 Entering Passive Mode (10,9,${(serverIp >>> 8) & 255},${serverIp & 255},${port >> 8},${port & 255}).`);
    } else if (r < 77) ex('OPTS UTF8 ON', '200 Always in UTF8 mode.');
    else if (r < 79) ex('HELP', '214-The following commands are recognized.\r\n ABOR ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD\r\n214 Help OK.');
    else if (r < 83) ex(`MKD ${cwd === '/' ? '' : cwd}/${rng.pick(WORDS)}${rng.int(100)}`, rng.chance(0.6) ? `257 "${cwd}/new" created` : '550 Create directory operation failed.');
    else if (r < 87) ex(`DELE ${fileName(rng, quoted)}`, rng.chance(0.7) ? '250 Delete operation successful.' : '550 Delete operation failed.');
    else if (r < 90) {
      ex(`RNFR ${fileName(rng, quoted)}`, '350 Ready for RNTO.');
      ex(`RNTO ${fileName(rng, quoted)}`, '250 Rename successful.');
    } else if (r < 93) ex(rng.pick(['XYZZY', 'SITE EXEC id', 'CLNT x', 'HOST a']), '500 Unknown command.');
    else if (r < 94) {
      // pipelined: two commands in one segment, their replies in one
      commands += 2;
      segs.push({ fromClient: true, text: 'TYPE I\r\nNOOP\r\n' }, { fromClient: false, text: '200 Switching to Binary mode.\r\n200 NOOP ok.\r\n' });
    } else ex(`CDUP`, '250 Directory successfully changed.');
  }
  ex('QUIT', '221 Goodbye.');
  return { segments: segs, commands };
}

/** An open session: its connection and where it is in its script (-3…-1 handshake, then segments, then close). */
interface Open {
  conn: Conn;
  segments: Segment[];
  step: number;
}

export function generateControlCapture(file: string, raw: Record<string, unknown> | ControlCaptureOptions): ControlCaptureStats {
  const o = normalizeControlOptions(raw as Record<string, unknown>);
  const rng = new Rng(mixSeed(o.seed, 0xc0de));
  const fd = openSync(file, 'w');
  const out = new PcapWriter(fd, false);
  const quoted = { n: 0 };
  let sessions = 0;
  let expectedRows = 0;
  let now = 1_700_000_000 * 1e6;
  const open: Open[] = [];
  let full = false;
  /** a new session, or null once one does not fit in the size bound any more */
  const start = (): Open | null => {
    if (full) return null;
    const k = sessions;
    // 16 servers, clients spread over 10.8.0.0/16 with ports cycling above 1024
    const server = (10 << 24) | (9 << 16) | (1 + (k % 16));
    const client = (10 << 24) | (8 << 16) | ((k >>> 6) & 0xffff);
    const sessionQuoted = { n: 0 };
    const s = script(rng, server, sessionQuoted);
    let bytes = 6 * HEADERS;
    for (const seg of s.segments) bytes += HEADERS + seg.text.length;
    if (committed + bytes > o.size) {
      full = true;
      return null;
    }
    committed += bytes;
    sessions++;
    expectedRows += 1 + s.commands;
    quoted.n += sessionQuoted.n; // (a session that did not fit is not written)
    return { conn: new Conn(client, 1024 + ((k * 97) % 64000), server, 21, false, rng), segments: s.segments, step: -3 };
  };
  // the size bound: the bytes of every session started (its script is made when it starts); the first
  // session that would not fit ends the starting
  let committed = 24;
  try {
    for (let i = 0; i < o.concurrency; i++) {
      const s = start();
      if (!s) break;
      open.push(s);
    }
    while (open.length > 0) {
      const i = rng.int(open.length);
      const s = open[i];
      const c = s.conn;
      now += rng.range(1, 40);
      if (s.step === -3) out.packet(now, c, true, SYN, (c.seqA - 1) >>> 0, 0, null, 0, 0);
      else if (s.step === -2) out.packet(now, c, false, SYN | ACK, (c.seqB - 1) >>> 0, c.seqA, null, 0, 0);
      else if (s.step === -1) out.packet(now, c, true, ACK, c.seqA, c.seqB, null, 0, 0);
      else if (s.step < s.segments.length) {
        const seg = s.segments[s.step];
        const bytes = Buffer.from(seg.text, 'latin1');
        if (seg.fromClient) {
          out.packet(now, c, true, ACK | PSH, c.seqA, c.seqB, bytes, 0, bytes.length);
          c.seqA = (c.seqA + bytes.length) >>> 0;
        } else {
          out.packet(now, c, false, ACK | PSH, c.seqB, c.seqA, bytes, 0, bytes.length);
          c.seqB = (c.seqB + bytes.length) >>> 0;
        }
      } else {
        const k = s.step - s.segments.length;
        // the server closes after 221 (as vsftpd does), the client answers
        if (k === 0) out.packet(now, c, false, FIN | ACK, c.seqB, c.seqA, null, 0, 0);
        else if (k === 1) out.packet(now, c, true, FIN | ACK, c.seqA, (c.seqB + 1) >>> 0, null, 0, 0);
        else out.packet(now, c, false, ACK, (c.seqB + 1) >>> 0, (c.seqA + 1) >>> 0, null, 0, 0);
        if (k === 2) {
          const next = start();
          if (next) open[i] = next;
          else {
            open[i] = open[open.length - 1];
            open.pop();
          }
          continue;
        }
      }
      s.step++;
    }
    out.flush();
  } finally {
    closeSync(fd);
  }
  return { bytes: out.bytes, packets: out.packets, controlSessions: sessions, dataConnections: 0, expectedRows, quotedArgs: quoted.n };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '100M' },
      seed: { type: 'string', default: '1' },
      concurrency: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
  });
  const file = values.output ?? `bench/out/control-${values.size}-s${values.seed}.pcap`;
  const t = process.hrtime.bigint();
  const stats = generateControlCapture(file, { size: values.size, seed: values.seed, concurrency: values.concurrency });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  process.stderr.write(`gen-control: ${file}: ${(stats.bytes / 1e6).toFixed(1)} MB, ${stats.packets} packets, ${stats.controlSessions} sessions, ${stats.expectedRows} rows expected, ${secs.toFixed(1)} s\n`);
  process.stdout.write(JSON.stringify(stats) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runCli('gen-control', main);
