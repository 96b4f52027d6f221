/**
 * The fuzzer's inputs: for every input family a structure-aware generator (valid-looking input
 * with hostile values in its fields) and the mutators applied on top (bit flips, interesting
 * bytes, inserted/deleted/duplicated runs, splices with another input of the family, truncation,
 * corrupted 16/32-bit length fields, and for text: line and token operations, hostile JSON values
 * such as arrays nested 10,000 deep). Case k of seed s is always the same input (`caseInput`).
 */
import { gzipSync } from 'node:zlib';
import { DatasetReader } from '../../src/dataset/read.js';
import type { Session } from '../../src/dataset/types.js';
import { trainModelText } from '../../src/ids/train.js';
import { generateSession, mixSeed, Rng, sessionCsvRows, syntheticDatasetCsv, DATASET_COLUMNS, type SyntheticSession } from '../synthetic-ftp.js';
import { generateCapture } from './capture-gen.js';

export const FAMILIES = [
  'pcap', 'pcap-ns', 'pcapng', 'gzip', 'flows', 'csv', 'spmf', 'jsonl', 'zeek', 'eve', 'model', 'signatures', 'labels', 'taxonomy',
] as const;
/**
 * `selftest` (never in the default list): a target that crashes on inputs holding CRASH, loops on
 * HANG and allocates without end on MEM — the harness's own test that it classifies, bounds and
 * minimizes (test/fuzz.test.ts).
 */
export type Family = (typeof FAMILIES)[number] | 'selftest';
export const ALL_FAMILIES: readonly Family[] = [...FAMILIES, 'selftest'];

export interface FuzzCase {
  index: number;
  family: Family;
  /** how the input was made: generated (structure-aware) and/or mutated */
  how: string;
  /** chunking and variant choices of the target (a number the worker draws from) */
  variant: number;
  data: Buffer;
}

const MAX_INPUT = 256 * 1024;

let trained: string | null = null;
/**
 * A model as ftp-ids train writes it (patterns, profiles, calibrated detector), trained on
 * synthetic sessions: the matcher's model in every worker, and the seed of the model family.
 */
export function fuzzModelText(): string {
  if (trained === null) {
    const sessions: Session[] = [];
    const reader = new DatasetReader({}, (s) => sessions.push(s));
    for (const piece of syntheticDatasetCsv(40, 7)) reader.push(piece);
    reader.end();
    trained = trainModelText(sessions, { gsp: { minSupport: '0.4', items: 'command,code' }, calibrate: { folds: 2 } });
  }
  return trained;
}

/** Case `index` of `seed`: family, generator, mutations — deterministic. */
export function caseInput(seed: number, index: number, families: readonly Family[] = FAMILIES): FuzzCase {
  const rng = new Rng(mixSeed(seed, index));
  const family = families[rng.int(families.length)];
  const variant = rng.u32();
  let data = generate(rng, family);
  let how = 'generated';
  const r = rng.float();
  if (r < 0.65) {
    const n = 1 + rng.int(rng.chance(0.2) ? 16 : 4);
    const other = rng.chance(0.15) ? generate(rng, family) : null;
    data = mutate(rng, data, n, other, isText(family));
    how = `generated+${n} mutations`;
  } else if (r < 0.7 && family === 'gzip') {
    data = data.subarray(0, rng.int(data.length));
    how = 'generated gzip, cut';
  }
  if (data.length > MAX_INPUT) data = data.subarray(0, MAX_INPUT);
  return { index, family, how, variant, data };
}

const isText = (f: Family): boolean => !['pcap', 'pcap-ns', 'pcapng', 'gzip'].includes(f);

function session(rng: Rng): SyntheticSession {
  return generateSession(rng.u32(), rng.int(1 << 24));
}

/** A hostile JSON value (as text): deep nesting, huge or odd numbers, long strings, wrong types. */
export function hostileJson(rng: Rng): string {
  switch (rng.int(12)) {
    case 0: {
      const d = rng.range(1000, 12000);
      return '['.repeat(d) + ']'.repeat(d);
    }
    case 1: {
      const d = rng.range(1000, 6000);
      return '{"a":'.repeat(d) + '1' + '}'.repeat(d);
    }
    case 2:
      return rng.pick(['1e400', '-1e400', '-0', '1e-400', '9007199254740993', '-1', '0.5', '4294967296']);
    case 3:
      return JSON.stringify('x'.repeat(rng.range(1000, 100000)));
    case 4:
      return rng.pick(['null', 'true', 'false', '{}', '[]', '""', '[null]', '[[]]', '[{}]']);
    case 5:
      return JSON.stringify(rng.pick(['\u0000', '\uFEFF', '\r\n', '\ud800', '<*>', '%n%n', 'a,b', '{x}', '../../..', '\u2028']));
    case 6:
      return '[' + Array.from({ length: rng.range(1000, 20000) }, () => '1').join(',') + ']';
    case 7:
      return '{"__proto__":{"x":1},"constructor":{"prototype":{}}}';
    case 8:
      return JSON.stringify(['USER', '331', 7, null]);
    case 9:
      return String(rng.int(1 << 30));
    case 10:
      return JSON.stringify('A'.repeat(rng.range(1, 30)));
    default:
      return '[' + '"x",'.repeat(rng.range(1, 2000)) + '"y"]';
  }
}

/** A JSON document with one value (picked by a token position) replaced by a hostile one. */
function jsonValueSwap(rng: Rng, text: string | undefined): string {
  if (!text) return text ?? '';
  const spots: number[] = [];
  for (let i = 0; i < text.length && spots.length < 4000; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a /* : */ || c === 0x5b /* [ */ || c === 0x2c /* , */) spots.push(i + 1);
  }
  if (spots.length === 0) return text;
  const at = spots[rng.int(spots.length)];
  // the value that starts there ends at the next , ] } at the same depth (strings skipped)
  let depth = 0;
  let end = at;
  for (; end < text.length; end++) {
    const c = text[end];
    if (c === '"') {
      for (end++; end < text.length && text[end] !== '"'; end++) if (text[end] === '\\') end++;
    } else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) break;
  }
  return text.slice(0, at) + hostileJson(rng) + text.slice(end);
}

function flowRecordLine(rng: Rng, s: SyntheticSession): string {
  const t0 = 1_700_000_000 + rng.int(1e8);
  const chunks: unknown[] = [];
  let t = t0;
  const add = (dir: 'c' | 's', text: string): void => {
    t += rng.int(1000) / 1000;
    if (rng.chance(0.03)) chunks.push({ dir, ts: t, gap: rng.int(5000) });
    chunks.push({ dir, ts: rng.chance(0.03) ? t - rng.int(1e8) : t, data: Buffer.from(text, 'latin1').toString('base64') });
  };
  add('s', s.greeting.lines.join('\r\n') + '\r\n');
  for (const e of s.exchanges.slice(0, rng.range(1, 12))) {
    add('c', e.line + '\r\n');
    for (const r of e.replies) add('s', r.lines.join('\r\n') + '\r\n');
  }
  const rec: Record<string, unknown> = {
    type: 'flow', v: 1, id: `F${rng.u32().toString(16)}`, community_id: '1:abc=',
    client: { ip: s.client.ip, port: s.client.port }, server: { ip: s.server.ip, port: s.server.port },
    first_ts: t0, last_ts: t, packets: { c: 9, s: 9 }, bytes: { c: 100, s: 300 },
    end: rng.pick(['fin', 'rst', 'idle', 'evicted', 'eof']),
    flags: rng.chance(0.3) ? [rng.pick(['no_syn', 'gap', 'truncated_c', 'truncated_s', 'evicted', 'overlap_conflict'])] : [],
    chunks,
  };
  if (rng.chance(0.3)) {
    rec.label = s.kind;
    rec.greeting = s.greeting.lines.join('\r\n') + '\r\n';
  }
  return JSON.stringify(rec);
}

const SIG_JSON = (rng: Rng): string => {
  const list = Array.from({ length: rng.range(1, 6) }, () => ({ prefix: rng.pick(['220 <*> FTP', '220 (vsFTPd <n>)', '220-<domain>', '220 ProFTPD']), label: `l${rng.int(9)}` }));
  return rng.chance(0.5) ? JSON.stringify(list, null, rng.chance(0.5) ? 1 : 0) : JSON.stringify({ case_sensitive: rng.chance(0.5), signatures: list });
};

/** A structure-aware input of the family. */
export function generate(rng: Rng, family: Family): Buffer {
  switch (family) {
    case 'pcap':
    case 'pcap-ns':
    case 'pcapng':
      return generateCapture(rng, family).bytes;
    case 'gzip':
      return gzipSync(generateCapture(rng, rng.pick(['pcap', 'pcap-ns', 'pcapng'] as const)).bytes, { level: 1 });
    case 'flows': {
      const lines = Array.from({ length: rng.range(1, 4) }, () => flowRecordLine(rng, session(rng)));
      if (rng.chance(0.5)) {
        const i = rng.int(lines.length);
        lines[i] = jsonValueSwap(rng, lines[i]);
      }
      return Buffer.from(lines.join(rng.chance(0.1) ? '\r\n' : '\n') + (rng.chance(0.8) ? '\n' : ''));
    }
    case 'csv': {
      const cols = rng.chance(0.8) ? DATASET_COLUMNS.join(',') : 'flow_id,command,final_code,ts_request,index';
      let rows = Array.from({ length: rng.range(1, 4) }, () => sessionCsvRows(session(rng))).join('');
      if (rng.chance(0.3)) {
        const lines = rows.split('\n');
        const i = rng.int(lines.length);
        const f = lines[i].split(',');
        f[rng.int(f.length)] = rng.pick(['"a\nb"', '"x""y"', '-1', '1e400', 'NaN', '', '"unterminated', 'x'.repeat(rng.range(10, 5000)), '\uFEFF', '99999999999999999999']);
        lines[i] = f.join(',');
        rows = lines.join('\n');
      }
      return Buffer.from((rng.chance(0.05) ? '\uFEFF' : '') + cols + '\n' + rows);
    }
    case 'spmf': {
      const ids = new Map<string, number>();
      const id = (w: string): number => {
        let v = ids.get(w);
        if (v === undefined) ids.set(w, (v = ids.size + 1));
        return v;
      };
      const lines: string[] = [];
      for (let k = rng.range(1, 6); k > 0; k--) {
        const s = session(rng);
        const times = rng.chance(0.3);
        lines.push(s.exchanges.slice(0, 12).map((e, i) => `${times ? `<${i * rng.int(3)}> ` : ''}${id(e.command)} ${id(String(e.replies.at(-1)?.code ?? 0))} -1`).join(' ') + ' -2');
      }
      const names = rng.chance(0.3) ? [...ids].map(([w, v]) => `@ITEM=${v}=${w}`) : [];
      return Buffer.from([...(rng.chance(0.2) ? ['@CONVERTED_FROM_TEXT', '# comment'] : []), ...names, ...lines].join('\n') + '\n');
    }
    case 'jsonl': {
      const lines: string[] = [];
      for (let k = rng.range(1, 6); k > 0; k--) {
        const s = session(rng);
        const seq = s.exchanges.slice(0, 10).map((e) => [e.command, String(e.replies.at(-1)?.code ?? 0)]);
        lines.push(rng.chance(0.5) ? JSON.stringify(seq) : JSON.stringify({ sid: `s${k}`, label: s.kind, sequence: seq, times: seq.map((_, i) => i * 2) }));
      }
      if (rng.chance(0.5)) {
        const i = rng.int(lines.length);
        lines[i] = jsonValueSwap(rng, lines[i]);
      }
      return Buffer.from(lines.join('\n') + '\n');
    }
    case 'zeek': {
      const s = session(rng);
      const uid = `C${rng.u32().toString(36)}`;
      const rows = s.exchanges.slice(0, 10).map((e, i) => ({
        ts: 1_600_000_000 + i, uid, 'id.orig_h': s.client.ip, 'id.orig_p': s.client.port, 'id.resp_h': s.server.ip, 'id.resp_p': 21,
        user: 'anonymous', password: '-', command: e.command, arg: e.arg || '-', reply_code: e.replies.at(-1)?.code ?? '-', reply_msg: 'ok',
      }));
      if (rng.chance(0.5)) {
        const lines = rows.map((r) => JSON.stringify(r));
        const i = rng.int(lines.length);
        if (rng.chance(0.6)) lines[i] = jsonValueSwap(rng, lines[i]);
        return Buffer.from(lines.join('\n') + '\n');
      }
      const fields = Object.keys(rows[0] ?? { ts: 0, uid: 0, command: 0 });
      const head = ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tftp', `#fields\t${fields.join('\t')}`];
      return Buffer.from([...head, ...rows.map((r) => fields.map((f) => String((r as Record<string, unknown>)[f])).join('\t')), '#close\t2020'].join('\n') + '\n');
    }
    case 'eve': {
      const s = session(rng);
      const flow = rng.int(1e9);
      const ev = (ftp: Record<string, unknown>, i: number): string =>
        JSON.stringify({ timestamp: `2020-01-01T00:00:${String(i % 60).padStart(2, '0')}.000000+0000`, flow_id: flow, event_type: 'ftp', src_ip: s.client.ip, src_port: s.client.port, dest_ip: s.server.ip, dest_port: 21, proto: 'TCP', ftp });
      const lines = [ev({ completion_code: ['220'], reply: s.greeting.lines, reply_received: 'yes' }, 0)];
      s.exchanges.slice(0, 10).forEach((e, i) => lines.push(ev({ command: e.command, command_data: e.arg, completion_code: e.replies.map((r) => String(r.code)), reply: e.replies.flatMap((r) => r.lines), reply_received: 'yes' }, i + 1)));
      if (rng.chance(0.2)) lines.push(JSON.stringify({ event_type: 'flow', flow_id: flow }));
      if (rng.chance(0.6)) {
        const i = rng.int(lines.length);
        lines[i] = jsonValueSwap(rng, lines[i]);
      }
      return Buffer.from(lines.join('\n') + '\n');
    }
    case 'model': {
      if (rng.chance(0.5)) {
        let t = fuzzModelText();
        for (let k = rng.int(3); k >= 0; k--) t = jsonValueSwap(rng, t);
        return Buffer.from(t);
      }
      const n = rng.range(1, 20);
      const pats = Array.from({ length: n }, () => {
        const s = session(rng);
        const el = s.exchanges.slice(0, rng.range(1, 4)).map((e) => [e.command, String(e.replies.at(-1)?.code ?? 0)]);
        return `\n${JSON.stringify({ pattern: el, support: rng.range(1, 9), fraction: rng.float() })}`;
      });
      let text =
        `{"format":"ftp-ids-model","version":1,"generator":"fuzz","params":{"minSupport":"0.3","items":"${rng.pick(['command,code', 'command', 'code', 'command,code,label'])}","time":"index","minGap":null,"maxGap":null,"window":0,"taxonomy":"none"},` +
        `"dataset":{"sequences":9},"models":{\n"*":{"sequences":9,"minSupportCount":2,"patterns":[${pats.join(',')}]}}}\n`;
      if (rng.chance(0.1)) text = '\uFEFF' + text;
      if (rng.chance(0.6)) text = jsonValueSwap(rng, text);
      return Buffer.from(text);
    }
    case 'signatures': {
      if (rng.chance(0.5)) {
        let t = SIG_JSON(rng);
        if (rng.chance(0.5)) t = jsonValueSwap(rng, t);
        return Buffer.from(t);
      }
      const rows = Array.from({ length: rng.range(1, 6) }, () => `${rng.pick(['220 <*> FTP', '"220 a,b"', '220\\r\\n', '<n>'])},l${rng.int(9)}`);
      return Buffer.from([...(rng.chance(0.5) ? ['# case_sensitive: false'] : []), 'prefix,label', ...rows].join('\n') + '\n');
    }
    case 'labels': {
      const rows = Array.from({ length: rng.range(1, 6) }, () => {
        const s = session(rng);
        return `${s.client.ip},${s.client.port},${s.server.ip},21,${rng.pick(['benign', 'attack', 'Benign', 'x'])},${s.profile},${s.kind}`;
      });
      return Buffer.from(['client_ip,client_port,server_ip,server_port,class,scenario,server', ...rows].join('\n') + '\n');
    }
    case 'selftest': {
      // lower-case noise around at most one trigger word
      const noise = (): string => Array.from({ length: rng.range(10, 100) }, () => String.fromCharCode(97 + rng.int(26))).join('');
      return Buffer.from(noise() + rng.pick(['', 'BAD', 'CRASH', 'HANG', 'MEM']) + noise());
    }
    case 'taxonomy': {
      const words = ['USER', 'PASS', 'RETR', 'auth', 'transfer', 'cmd', 'x'];
      const lines = Array.from({ length: rng.range(1, 8) }, () => `${rng.pick(words)} ${rng.pick(words)}${rng.chance(0.3) ? ` ${rng.pick(words)}` : ''}`);
      return Buffer.from(['# taxonomy', ...lines].join('\n') + '\n');
    }
  }
}

const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 65535 + 20];
const TOKENS = [
  '\n', '\r', '\r\n', ',', '"', '""', '\\', '{', '}', '[', ']', ':', '-1', '-2', '<', '>', '#', '@ITEM=1=', '\t', '\uFEFF',
  '1e400', 'NaN', 'null', '\u0000', '%', '<*>', '<n>', '"flags":1', '"v":2', '"label":[]', '"type":"flow"',
];

/** `n` mutations of `src` (text families also get line and token operations and hostile JSON). */
export function mutate(rng: Rng, src: Buffer, n: number, other: Buffer | null, text: boolean): Buffer {
  let b = Buffer.from(src);
  for (let i = 0; i < n; i++) {
    if (b.length === 0) b = Buffer.from([rng.int(256)]);
    const at = rng.int(b.length);
    const op = rng.int(text ? 14 : 10);
    switch (op) {
      case 0:
        b[at] ^= 1 << rng.int(8);
        break;
      case 1:
        b[at] = rng.pick([0, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x20, 0x22]);
        break;
      case 2: // a length field: 32 bits, either byte order
        if (at + 4 <= b.length) {
          const v = rng.chance(0.7) ? rng.pick(INTERESTING_32) : rng.u32();
          if (rng.chance(0.5)) b.writeUInt32LE(v >>> 0, at);
          else b.writeUInt32BE(v >>> 0, at);
        }
        break;
      case 3: // 16 bits
        if (at + 2 <= b.length) b.writeUInt16BE(rng.pick([0, 1, 0xffff, 0x8000, rng.int(65536)]), at);
        break;
      case 4: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + rng.int(32) }, () => rng.int(256))), b.subarray(at)]);
        break;
      case 5: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(rng.chance(0.2) ? 2000 : 40)))]);
        break;
      case 6: // duplicate a run
        {
          const len = 1 + rng.int(Math.min(4000, b.length - at));
          b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
        }
        break;
      case 7: // truncate
        b = b.subarray(0, at);
        break;
      case 8: // splice with another input of the family
        if (other && other.length) b = Buffer.concat([b.subarray(0, at), other.subarray(rng.int(other.length))]);
        else b.fill(rng.chance(0.5) ? 0 : 0xff, at, Math.min(b.length, at + 1 + rng.int(24)));
        break;
      case 9: // fill a run
        b.fill(rng.chance(0.5) ? 0 : 0xff, at, Math.min(b.length, at + 1 + rng.int(24)));
        break;
      case 10: // insert a token
        b = Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(TOKENS)), b.subarray(at)]);
        break;
      case 11: {
        // line operations: swap, duplicate, drop
        const lines = b.toString('latin1').split('\n');
        const i = rng.int(lines.length);
        const j = rng.int(lines.length);
        const k = rng.int(3);
        if (k === 0) [lines[i], lines[j]] = [lines[j], lines[i]];
        else if (k === 1) lines.splice(i, 0, lines[j]);
        else lines.splice(i, 1);
        b = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
      case 12: // a hostile JSON value somewhere
        b = Buffer.from(jsonValueSwap(rng, b.toString('utf8')));
        break;
      default: // a very long line
        b = Buffer.concat([b.subarray(0, at), Buffer.alloc(rng.range(1000, 70000), rng.pick([0x41, 0x2c, 0x20, 0x5b])), b.subarray(at)]);
    }
  }
  return b;
}
