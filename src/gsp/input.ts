import { describeValue, FtpIdsError, stripBom } from '../common/errors.js';
import { sessionTransactions, type ItemsConfig } from '../dataset/items.js';
import type { Session } from '../dataset/types.js';
import { flatFromRaw, type FlatInput, type RawSequence } from './db.js';

/**
 * The miner's three input formats, all to RawSequence (strings outside):
 *  - the exchange CSV of ftp-extract (read by src/dataset/read.ts; converted here),
 *  - SPMF's sequence format: integers, `-1` ends an itemset, `-2` ends a sequence, optional
 *    `<t>` timestamps before itemsets, `@ITEM=id=name` name lines, `#`/`%` comment lines,
 *  - JSON lines: `[["a","b"],["c"]]` or `{"sid":…, "label":…, "sequence":[…], "times":[…]}`.
 * Malformed input is an FtpIdsError naming the line; nothing is dropped silently.
 * Blank lines: skipped in every format (they hold no data). Unlike SPMF's GSP loader, a blank
 * line does NOT end the database.
 */
export type InputFormat = 'csv' | 'spmf' | 'jsonl';

export interface ParsedInput {
  flat: FlatInput;
  /** display names of items (SPMF @ITEM lines); items without an entry print as themselves */
  itemNames: Map<string, string>;
}

/** Guess the format from the first non-blank, non-comment line. */
export function sniffFormat(text: string): InputFormat {
  for (const raw of text.split('\n', 200)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('[') || line.startsWith('{')) return 'jsonl';
    if (line.startsWith('@') || line.startsWith('#') || line.startsWith('%')) return 'spmf';
    if (/^(<\d+(\.\d+)?>\s*)?-?\d+(\s|$)/.test(line)) return 'spmf';
    return 'csv';
  }
  return 'csv';
}

/** Sessions of the exchange CSV as sequences: one transaction per exchange with a non-empty itemset. */
export function sessionsToSequences(sessions: readonly Session[], items: ItemsConfig, time: 'index' | 'seconds', file?: string): RawSequence[] {
  return sessions.map((s) => {
    const itemsets: string[][] = [];
    const times: number[] = [];
    const lines: number[] = [];
    const lastEx = s.exchanges[s.exchanges.length - 1];
    for (const { items: is, exchange } of sessionTransactions(s, items)) {
      // an exchange without items (e.g. --items code and no reply) cannot hold any pattern item;
      // with index times the gaps it leaves still count, so dropping it changes no result
      if (is.length === 0) continue;
      // the end transaction comes right after the last exchange (index + 1, its last time)
      const ex = exchange ?? lastEx!;
      let t: number;
      if (time === 'index') {
        t = exchange ? ex.index : ex.index + 1;
        if (!Number.isFinite(t)) throw new FtpIdsError('DATASET_ROW', `index ${ex.index} is not a finite number`, { file, line: ex.line });
      } else {
        t = exchange ? ex.tsRequest : Math.max(ex.tsRequest, Number.isFinite(ex.tsReply) ? ex.tsReply : -Infinity);
        if (!Number.isFinite(t)) {
          throw new FtpIdsError('DATASET_ROW', '--time seconds needs ts_request, which is empty', { file, line: ex.line });
        }
      }
      if (times.length > 0 && !(t >= times[times.length - 1])) {
        throw new FtpIdsError(
          'DATASET_ROW',
          `transaction time ${t} is before the previous one (${times[times.length - 1]}) in flow ${s.flowId}`,
          { file, line: ex.line },
        );
      }
      itemsets.push(is);
      times.push(t);
      lines.push(ex.line);
    }
    return { name: s.flowId, label: s.label, itemsets, times, lines };
  });
}

/**
 * SPMF sequences straight into a FlatInput, scanning the bytes (the benchmark files have 10^5
 * lines: per-line or per-token strings would dominate the run time; a string input is encoded
 * first). The hot path (integers, -1, -2, blanks) is one small loop; timestamps, directives,
 * comments and errors are handled off it.
 */
export function parseSpmf(input: string | Uint8Array, file?: string): ParsedInput {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const f: FlatInput = { dict: [], seqStart: [], txStart: [], txTime: [], txItems: [], names: [], labels: [] };
  const sc = new SpmfScanner(buf, f, file);
  sc.run();
  return { flat: f, itemNames: sc.itemNames };
}

const SMALL_ITEM = 1 << 16;

class SpmfScanner {
  readonly itemNames = new Map<string, string>();
  /** SPMF item -> dictionary index (+1; 0 = not yet seen) for small items, a Map beyond */
  private readonly smallIds = new Int32Array(SMALL_ITEM);
  private readonly largeIds = new Map<number, number>();
  private lineNo = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly f: FlatInput,
    private readonly file?: string,
  ) {}

  private text(a: number, b: number): string {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + a, b - a).toString('utf8');
  }

  private fail(message: string): never {
    throw new FtpIdsError('SPMF_LINE', message, { file: this.file, line: this.lineNo });
  }

  private intern(v: number): number {
    const f = this.f;
    if (v < SMALL_ITEM) {
      const x = this.smallIds[v];
      if (x !== 0) return x - 1;
      this.smallIds[v] = f.dict.length + 1;
    } else {
      const x = this.largeIds.get(v);
      if (x !== undefined) return x;
      this.largeIds.set(v, f.dict.length);
    }
    f.dict.push(String(v));
    return f.dict.length - 1;
  }

  run(): void {
    const buf = this.buf;
    const n = buf.length;
    let i = 0;
    while (i < n) {
      this.lineNo++;
      // a plain loop: Buffer#indexOf is a native call whose fixed cost dominates on short lines
      let e = i;
      while (e < n && buf[e] !== 10) e++;
      const lineEnd = e > i && buf[e - 1] === 13 ? e - 1 : e;
      let p = i;
      i = e + 1;
      while (p < lineEnd && (buf[p] === 32 || buf[p] === 9)) p++;
      if (p === lineEnd) continue;
      const c0 = buf[p];
      if (c0 === 35 /* # */ || c0 === 37 /* % */) continue;
      if (c0 === 64 /* @ */) this.directive(p, lineEnd);
      else this.sequence(p, lineEnd);
    }
  }

  private directive(p: number, lineEnd: number): void {
    const line = this.text(p, lineEnd).trim();
    const m = /^@ITEM=(-?\d+)=(.*)$/.exec(line);
    if (m) this.itemNames.set(String(Number(m[1])), m[2]);
    else if (!/^@CONVERTED_FROM_TEXT\b/.test(line)) this.fail(`unknown directive "${line.slice(0, 40)}"`);
  }

  /** One sequence line: items, -1 (end of itemset), -2 (end of sequence), <t> timestamps. */
  private sequence(p: number, lineEnd: number): void {
    const buf = this.buf;
    const f = this.f;
    const seqTx = f.txStart.length;
    f.seqStart.push(seqTx);
    f.names.push(f.names.length);
    f.labels.push('');
    let inItemset = false;
    let curTime = NaN;
    let ended = false;
    let lastTime = -Infinity;
    let itemsetStart = f.txItems.length;
    while (p < lineEnd) {
      let c = buf[p];
      if (c === 32 || c === 9) {
        p++;
        continue;
      }
      const tokStart = p;
      while (p < lineEnd && (c = buf[p]) !== 32 && c !== 9) p++;
      if (ended) this.fail(`data after -2 ("${this.text(tokStart, p).slice(0, 40)}")`);
      if (buf[tokStart] === 60 /* < */) {
        if (inItemset) this.fail(`timestamp ${this.text(tokStart, p)} inside an itemset`);
        curTime = this.timestamp(tokStart, p);
        continue;
      }
      let q = tokStart;
      const neg = buf[q] === 45;
      if (neg) q++;
      let v = 0;
      if (q === p) this.badItem(tokStart, p);
      for (; q < p; q++) {
        const d = buf[q] - 48;
        if (d < 0 || d > 9 || v > 1e14) this.badItem(tokStart, p);
        v = v * 10 + d;
      }
      if (neg) {
        if (v === 1) {
          if (!inItemset) this.fail('empty itemset (-1 without items)');
          const t = Number.isNaN(curTime) ? f.txStart.length - seqTx : curTime;
          if (t < lastTime) this.fail(`timestamp ${t} goes backwards`);
          lastTime = t;
          f.txStart.push(itemsetStart);
          f.txTime.push(t);
          inItemset = false;
          curTime = NaN;
        } else if (v === 2) {
          if (inItemset) this.fail('itemset not closed by -1 before -2');
          ended = true;
        } else this.fail(`negative item -${v}`);
        continue;
      }
      if (!inItemset) {
        inItemset = true;
        itemsetStart = f.txItems.length;
      }
      f.txItems.push(this.intern(v));
    }
    if (!ended) this.fail('sequence does not end with -2');
  }

  private timestamp(a: number, b: number): number {
    const tok = this.text(a, b);
    const ts = /^<(\d+(?:\.\d+)?)>$/.exec(tok);
    const t = ts ? Number(ts[1]) : NaN;
    // 400 digits parse as Infinity, which no window or gap arithmetic survives
    if (!Number.isFinite(t)) this.fail(`bad timestamp "${tok.slice(0, 40)}"`);
    return t;
  }

  private badItem(a: number, b: number): never {
    this.fail(`expected an integer item, -1 or -2, got "${this.text(a, b).slice(0, 40)}"`);
  }
}

export function parseJsonLines(text: string, file?: string): ParsedInput {
  const sequences: RawSequence[] = [];
  const lines = stripBom(text).split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].trim();
    if (line === '') continue;
    const where = { file, line: ln + 1 };
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new FtpIdsError('JSONL_LINE', `not JSON: ${(e as Error).message}`, where);
    }
    let seq: unknown = v;
    let name: string | number = sequences.length;
    let label = '';
    let times: unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      seq = o.sequence;
      if (o.sid !== undefined) {
        if (typeof o.sid !== 'string' && typeof o.sid !== 'number') throw new FtpIdsError('JSONL_LINE', 'sid must be a string or number', where);
        name = o.sid;
      }
      if (o.label !== undefined) {
        if (typeof o.label !== 'string') throw new FtpIdsError('JSONL_LINE', 'label must be a string', where);
        label = o.label;
      }
      times = o.times;
    }
    if (!Array.isArray(seq)) throw new FtpIdsError('JSONL_LINE', 'expected an array of itemsets (or an object with "sequence")', where);
    const itemsets: string[][] = seq.map((is, i) => {
      if (!Array.isArray(is) || is.length === 0) throw new FtpIdsError('JSONL_LINE', `itemset ${i} must be a non-empty array`, where);
      return [
        ...new Set(
          is.map((x, j) => {
            if (typeof x === 'string' && x !== '' && !/[\s,{}]/.test(x)) return x;
            if (typeof x === 'number' && Number.isInteger(x)) return String(x);
            // never the value whole in the message: an item may be an array nested 10,000 deep
            if (typeof x !== 'string') throw new FtpIdsError('JSONL_LINE', `item is not a string or an integer (itemset ${i}, item ${j}: ${describeValue(x)})`, where);
            throw new FtpIdsError('JSONL_LINE', `item ${describeValue(x)} in itemset ${i}: expected a word without blanks, commas or braces, or an integer`, where);
          }),
        ),
      ];
    });
    let ts: number[];
    if (times === undefined) ts = itemsets.map((_, i) => i);
    else {
      if (!Array.isArray(times) || times.length !== itemsets.length || !times.every((t) => typeof t === 'number' && Number.isFinite(t))) {
        throw new FtpIdsError('JSONL_LINE', 'times must be one finite number per itemset', where);
      }
      ts = times as number[];
      for (let i = 1; i < ts.length; i++) if (ts[i] < ts[i - 1]) throw new FtpIdsError('JSONL_LINE', `times go backwards at itemset ${i}`, where);
    }
    sequences.push({ name, label, itemsets, times: ts, lines: itemsets.map(() => ln + 1) });
  }
  return { flat: flatFromRaw(sequences), itemNames: new Map() };
}
