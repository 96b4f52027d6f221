/**
 * Test helpers for ftp-extract: flow records from byte strings, flows from corpus captures (via
 * ftp-flows' library), and the independent reference built from tshark's reassembled streams
 * (`<capture>.tshark-follow-lines.tsv`, see ../shared/corpus/README.md).
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFlowReader } from '../src/flows/index.js';
import { createExchangeExtractor } from '../src/extract/extractor.js';
import type { ExchangeRow, FlowChunk, FlowRecord } from '../src/extract/types.js';

export const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
export const CORPUS = join(SHARED, 'corpus');
export const SAMPLES = fileURLToPath(new URL('../samples/', import.meta.url));

export type Part = ['c' | 's', string] | ['c' | 's', { gap: number }];

/** A flow record whose chunks are the given byte strings (latin1), one chunk each, ts 1, 2, 3 … */
export function flowOf(parts: Part[], extra: Partial<FlowRecord> = {}): FlowRecord {
  const chunks: FlowChunk[] = parts.map(([dir, p], i) =>
    typeof p === 'string' ? { dir, ts: i + 1, data: Buffer.from(p, 'latin1').toString('base64') } : { dir, ts: i + 1, gap: p.gap },
  );
  return {
    type: 'flow',
    v: 1,
    id: 'Ftest',
    community_id: '1:test',
    client: { ip: '192.0.2.1', port: 40000 },
    server: { ip: '192.0.2.2', port: 21 },
    first_ts: 1,
    last_ts: chunks.length,
    flags: [],
    chunks,
    ...extra,
  };
}

export function rowsOf(flow: FlowRecord, options: Record<string, unknown> = {}): ExchangeRow[] {
  const rows: ExchangeRow[] = [];
  createExchangeExtractor(options, (r) => rows.push(r)).pushFlow(flow);
  return rows;
}

/** Captures (with their tshark-follow-lines reference, unless `any`) under a folder, recursively. */
export function capturesUnder(dir: string, any = false): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(pcap|pcapng)(\.gz)?$/.test(name) && (any || existsSync(`${p}.tshark-follow-lines.tsv`))) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export function flowsOfCapture(path: string): FlowRecord[] {
  let bytes = readFileSync(path);
  if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
  const flows: FlowRecord[] = [];
  const reader = createFlowReader({ ports: [21, 2811] }, (f) => flows.push(f as unknown as FlowRecord));
  reader.push(bytes);
  reader.end();
  return flows;
}

/** One exchange as the comparison sees it. */
export interface Step {
  command: string;
  codes: string;
}

export interface ReferenceStream {
  client: string;
  server: string;
  steps: Step[];
}

function endpointKey(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
export function flowKey(f: FlowRecord): string {
  return `${endpointKey(f.client.ip, f.client.port)}|${endpointKey(f.server.ip, f.server.port)}`;
}

/**
 * The (command, reply codes) sequence of each connection from tshark's per-line listing, paired
 * by the rules of docs/ARCHITECTURE.md "ftp-label / ftp-extract": FIFO, 1xx preliminary, the first
 * reply is the greeting (unless the flow has no SYN and it is not a 220 answering nothing), an RFC 959
 * multi-line reply ends at `ddd ` with its opening code, a line without a code outside a multi-line
 * reply is an (invalid) reply, a gap writes the waiting commands and a `<gap>`, AUTH TLS + 234 stops.
 * Tshark's own line kinds are used only to find the code / verb of a line.
 */
export function referenceFromFollowLines(tsv: string, noSynOf: (key: string) => boolean): Map<string, ReferenceStream[]> {
  const byStream = new Map<string, string[][]>();
  for (const line of tsv.split('\n').slice(1)) {
    if (line === '') continue;
    const f = line.split('\t');
    let list = byStream.get(f[0]);
    if (!list) byStream.set(f[0], (list = []));
    list.push(f);
  }
  const out = new Map<string, ReferenceStream[]>();
  for (const lines of byStream.values()) {
    const client = lines[0][1];
    const server = lines[0][2];
    const key = `${client}|${server}`;
    const steps = pairLines(lines, noSynOf(key));
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push({ client, server, steps });
  }
  return out;
}

function pairLines(lines: string[][], noSyn: boolean): Step[] {
  interface P { command: string; codes: string[]; arg: string; replies: number }
  const steps: Step[] = [];
  const queue: P[] = [];
  let greetingDone = false;
  let greeting: P | null = null;
  let multi: string | null = null;
  const emit = (p: P): void => {
    if (p !== greeting && !greetingDone) {
      const g = greeting;
      greeting = null;
      greetingDone = true;
      if (g) emit(g);
    }
    steps.push({ command: p.command, codes: p.codes.join(' ') });
  };
  for (const f of lines) {
    const dir = f[4];
    const kind = f[5].replace(/-after-gap$/, '');
    const verb = f[6];
    const text = f[7] ?? '';
    if (kind === 'gap') {
      if (dir === 'S') {
        multi = null;
        if (!greeting) greetingDone = true;
      }
      if (greeting) {
        emit(greeting);
        greeting = null;
        greetingDone = true;
      }
      while (queue.length) emit(queue.shift()!);
      emit({ command: '<gap>', codes: [], arg: '', replies: 0 });
      continue;
    }
    if (kind === 'unterminated' || kind === 'partial-before-gap' || kind === 'cmd-empty') continue;
    if (dir === 'C') {
      let command: string;
      if (kind === 'cmd') command = verb.toUpperCase();
      else if (kind === 'binary') command = '?';
      else command = text.split(/[ \t]/)[0].toUpperCase().slice(0, 200); // texts over 200 chars are cut
      queue.push({ command, codes: [], arg: kind === 'cmd' ? text : '', replies: 0 });
      continue;
    }
    // server line: code of the line
    const code = kind === 'reply' || kind === 'reply-multi' ? verb : '';
    let reply: { code: string } | null = null;
    if (multi !== null) {
      if (kind === 'reply' && code === multi && (text !== '' || true)) {
        reply = { code };
        multi = null;
      }
    } else if (kind === 'reply-multi') multi = code;
    else if (kind === 'reply') reply = { code };
    else if (kind === 'reply-cont' && text === '') continue;
    else reply = { code: '' }; // reply-cont / binary outside a multi-line reply: a reply without a code
    if (!reply) continue;
    const preliminary = reply.code.startsWith('1');
    const attach = (p: P): void => {
      if (reply!.code) p.codes.push(reply!.code);
      p.replies++;
    };
    if (!greetingDone) {
      if (!greeting) {
        if (noSyn && !(queue.length === 0 && reply.code === '220')) greetingDone = true;
        else greeting = { command: '<greeting>', codes: [], arg: '', replies: 0 };
      }
      if (greeting) {
        attach(greeting);
        if (!preliminary) {
          emit(greeting);
          greeting = null;
          greetingDone = true;
        }
        continue;
      }
    }
    if (queue.length === 0) {
      const p = { command: '<unsolicited>', codes: [], arg: '', replies: 0 };
      attach(p);
      emit(p);
      continue;
    }
    const head = queue[0];
    attach(head);
    if (preliminary) continue;
    queue.shift();
    emit(head);
    if (head.command === 'AUTH' && reply.code === '234' && /^\s*(TLS|SSL)/i.test(head.arg)) {
      while (queue.length) emit(queue.shift()!);
      emit({ command: '<encrypted>', codes: [], arg: '', replies: 0 });
      break;
    }
  }
  if (greeting) {
    const g = greeting;
    greeting = null;
    greetingDone = true;
    emit(g);
  }
  while (queue.length) emit(queue.shift()!);
  return steps;
}

export function stepsOf(rows: ExchangeRow[]): Step[] {
  // a connection that never talked (`<empty>`) has no line for tshark to follow
  return rows.filter((r) => r.command !== '<empty>').map((r) => ({ command: r.command.slice(0, 200), codes: r.command === '<gap>' || r.command === '<encrypted>' ? '' : r.reply_codes }));
}

/** Zeek ftp.log rows (TSV with #fields). */
export function readZeekFtpLog(path: string): Record<string, string>[] {
  let fields: string[] = [];
  const rows: Record<string, string>[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('#fields\t')) fields = line.split('\t').slice(1);
    if (line === '' || line.startsWith('#')) continue;
    const v = line.split('\t');
    rows.push(Object.fromEntries(fields.map((f, i) => [f, v[i]])));
  }
  return rows;
}

/**
 * For a capture without a stored `.tshark-follow-lines.tsv` (samples/): build the same per-line
 * listing from tshark's reassembled streams (`tshark -q -z follow,tcp,raw,N`, one run for all
 * streams), for the connections ftp-flows found. Lines split on LF, one CR before it dropped, in
 * the order their LF arrived; `[N bytes missing …]` markers become `gap` lines. Null without tshark.
 * `maxStreams` bounds the test time on big captures (an evenly spread subset of connections).
 */
let tsharkPresent: boolean | undefined;
export function haveTshark(): boolean {
  tsharkPresent ??= spawnSync('tshark', ['-v']).status === 0;
  return tsharkPresent;
}

export function followLinesViaTshark(capture: string, flows: FlowRecord[], maxStreams = Infinity): string | null {
  if (!haveTshark()) return null;
  const wanted = new Set(flows.map((f) => flowKey(f)));
  const fields = spawnSync('tshark', ['-r', capture, '-T', 'fields', '-E', 'separator=\t', '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.dstport', '-Y', 'tcp.flags.syn == 1 && tcp.flags.ack == 0'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const streams = new Map<string, string>(); // stream -> flow key (client|server)
  for (const line of fields.stdout.split('\n')) {
    const [st, s4, s6, sp, d4, d6, dp] = line.split('\t');
    if (!st || streams.has(st)) continue;
    const a = endpointKey(s4 || s6, Number(sp));
    const b = endpointKey(d4 || d6, Number(dp));
    if (wanted.has(`${a}|${b}`)) streams.set(st, `${a}|${b}`);
    else if (wanted.has(`${b}|${a}`)) streams.set(st, `${b}|${a}`);
  }
  // one tshark tap per stream costs a pass over the capture each: take every k-th stream when asked
  const all = [...streams.keys()];
  const step = Math.max(1, Math.ceil(all.length / maxStreams));
  const ids = all.filter((_, i) => i % step === 0);
  if (ids.length === 0) return 'header\n';
  const follow = spawnSync('tshark', ['-r', capture, '-q', ...ids.flatMap((id) => ['-z', `follow,tcp,raw,${id}`])], { encoding: 'utf8', maxBuffer: 1 << 30 });
  let out = 'tcp.stream\tclient\tserver\tseq\tdir\tkind\tverb_or_code\targ_or_text\n';
  const blocks = follow.stdout.split(/^=+\n/m);
  for (const block of blocks) {
    const m = /^Filter: tcp\.stream eq (\d+)\nNode 0: (.*)\nNode 1: (.*)\n/m.exec(block);
    if (!m) continue;
    const key = streams.get(m[1])!;
    const [client, server] = key.split('|');
    const node0IsClient = m[2] === client;
    const pending: Record<'C' | 'S', Buffer> = { C: Buffer.alloc(0), S: Buffer.alloc(0) };
    let seq = 0;
    const emit = (dir: 'C' | 'S', kind: string, verb: string, text: string): void => {
      out += `${m[1]}\t${client}\t${server}\t${++seq}\t${dir}\t${kind}\t${verb}\t${text}\n`;
    };
    for (const raw of block.split('\n').slice(4)) {
      if (raw === '') continue;
      const node1 = raw.startsWith('\t');
      const dir: 'C' | 'S' = node1 === node0IsClient ? 'S' : 'C';
      const body = raw.trim();
      if (body.startsWith('[')) {
        pending[dir] = Buffer.alloc(0);
        emit(dir, 'gap', '', body);
        continue;
      }
      let buf = Buffer.concat([pending[dir], Buffer.from(body, 'hex')]);
      for (let lf = buf.indexOf(10); lf >= 0; lf = buf.indexOf(10)) {
        let line = buf.subarray(0, lf);
        if (line.length && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
        buf = buf.subarray(lf + 1);
        // tshark does not interpret Telnet commands inside FTP; remove them as RFC 854 says (and as
        // the extractor does): IAC IAC is 0xFF, IAC WILL/WONT/DO/DONT x, IAC SB … IAC SE, IAC x
        const text = line
          .toString('latin1')
          .replace(/\xff(\xff|[\xfb-\xfe][\s\S]?|\xfa[\s\S]*?\xff\xf0|[\s\S]?)/g, (_m, g: string) => (g === '\xff' ? '\xff' : ''))
          .replace(/[\t\n]/g, ' ');
        if (dir === 'C') {
          if (text === '') emit(dir, 'cmd-empty', '', '');
          else {
            const sp = text.search(/[ \t]/);
            emit(dir, 'cmd', sp < 0 ? text : text.slice(0, sp), sp < 0 ? '' : text.slice(sp + 1));
          }
        } else {
          const c = /^(\d{3})(-?)/.exec(text);
          if (c) emit(dir, c[2] ? 'reply-multi' : 'reply', c[1], text.slice(4));
          else emit(dir, 'reply-cont', '', text);
        }
      }
      pending[dir] = buf;
    }
  }
  return out;
}
