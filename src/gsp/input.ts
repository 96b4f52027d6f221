import { FtpIdsError } from '../common/errors.js';
import { exchangeItems, type ItemsConfig } from '../dataset/items.js';
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
    for (const ex of s.exchanges) {
      const is = exchangeItems(ex, items, s.label);
      // an exchange without items (e.g. --items code and no reply) cannot hold any pattern item;
      // with index times the gaps it leaves still count, so dropping it changes no result
      if (is.length === 0) continue;
      let t: number;
      if (time === 'index') t = ex.index;
      else {
        t = ex.tsRequest;
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
 * SPMF sequences straight into a FlatInput (a char-code scanner: the benchmark files have 10^5
 * lines and per-token strings/arrays would dominate the run time).
 */
export function parseSpmf(text: string, file?: string): ParsedInput {
  const f: FlatInput = { dict: [], seqStart: [], txStart: [], txTime: [], txItems: [], names: [], labels: [] };
  const itemNames = new Map<string, string>();
  const local = new Map<number, number>();
  const n = text.length;
  let i = 0;
  let lineNo = 0;
  while (i < n) {
    lineNo++;
    let e = text.indexOf('\n', i);
    if (e < 0) e = n;
    const lineStart = i;
    const lineEnd = e > i && text.charCodeAt(e - 1) === 13 ? e - 1 : e;
    i = e + 1;
    let p = lineStart;
    while (p < lineEnd && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
    if (p === lineEnd) continue;
    const c0 = text.charCodeAt(p);
    const where = { file, line: lineNo };
    if (c0 === 35 /* # */ || c0 === 37 /* % */) continue;
    if (c0 === 64 /* @ */) {
      const line = text.slice(p, lineEnd).trim();
      const m = /^@ITEM=(-?\d+)=(.*)$/.exec(line);
      if (m) itemNames.set(String(Number(m[1])), m[2]);
      else if (!/^@CONVERTED_FROM_TEXT\b/.test(line)) throw new FtpIdsError('SPMF_LINE', `unknown directive "${line.slice(0, 40)}"`, where);
      continue;
    }
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
      let c = text.charCodeAt(p);
      if (c === 32 || c === 9) {
        p++;
        continue;
      }
      const tokStart = p;
      while (p < lineEnd && (c = text.charCodeAt(p)) !== 32 && c !== 9) p++;
      if (ended) throw new FtpIdsError('SPMF_LINE', `data after -2 ("${text.slice(tokStart, p).slice(0, 40)}")`, where);
      if (text.charCodeAt(tokStart) === 60 /* < */) {
        const tok = text.slice(tokStart, p);
        const ts = /^<(\d+(?:\.\d+)?)>$/.exec(tok);
        if (!ts) throw new FtpIdsError('SPMF_LINE', `bad timestamp "${tok.slice(0, 40)}"`, where);
        if (inItemset) throw new FtpIdsError('SPMF_LINE', `timestamp ${tok} inside an itemset`, where);
        curTime = Number(ts[1]);
        continue;
      }
      let q = tokStart;
      let neg = false;
      if (text.charCodeAt(q) === 45) {
        neg = true;
        q++;
      }
      let v = 0;
      if (q === p) throw new FtpIdsError('SPMF_LINE', `expected an integer item, -1 or -2, got "${text.slice(tokStart, p)}"`, where);
      for (; q < p; q++) {
        const d = text.charCodeAt(q) - 48;
        if (d < 0 || d > 9 || v > 1e14) {
          throw new FtpIdsError('SPMF_LINE', `expected an integer item, -1 or -2, got "${text.slice(tokStart, p).slice(0, 40)}"`, where);
        }
        v = v * 10 + d;
      }
      if (neg) {
        if (v === 1) {
          if (!inItemset) throw new FtpIdsError('SPMF_LINE', 'empty itemset (-1 without items)', where);
          const t = Number.isNaN(curTime) ? f.txStart.length - seqTx : curTime;
          if (t < lastTime) throw new FtpIdsError('SPMF_LINE', `timestamp ${t} goes backwards`, where);
          lastTime = t;
          f.txStart.push(itemsetStart);
          f.txTime.push(t);
          inItemset = false;
          curTime = NaN;
        } else if (v === 2) {
          if (inItemset) throw new FtpIdsError('SPMF_LINE', 'itemset not closed by -1 before -2', where);
          ended = true;
        } else throw new FtpIdsError('SPMF_LINE', `negative item -${v}`, where);
        continue;
      }
      if (!inItemset) {
        inItemset = true;
        itemsetStart = f.txItems.length;
      }
      let x = local.get(v);
      if (x === undefined) {
        x = f.dict.length;
        local.set(v, x);
        f.dict.push(String(v));
      }
      f.txItems.push(x);
    }
    if (!ended) throw new FtpIdsError('SPMF_LINE', 'sequence does not end with -2', where);
  }
  return { flat: f, itemNames };
}

export function parseJsonLines(text: string, file?: string): ParsedInput {
  const sequences: RawSequence[] = [];
  const lines = text.split('\n');
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
          is.map((x) => {
            if (typeof x === 'string' && x !== '' && !/[\s,{}]/.test(x)) return x;
            if (typeof x === 'number' && Number.isInteger(x)) return String(x);
            throw new FtpIdsError('JSONL_LINE', `item ${JSON.stringify(x)} in itemset ${i}: expected a word without blanks, commas or braces, or an integer`, where);
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
