/**
 * What the fuzzer runs on each input: the library cores the commands use, in process, fed in
 * chunks of random sizes (the variant number draws them). An FtpIdsError is the expected outcome
 * of bad input; any other exception is a crash. A few cheap oracles turn silent corruption into
 * exceptions too (ftp-flows' direct line writer must equal flowToJsonLine of the same flow).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { Counters } from '../../src/common/bounds.js';
import { FtpIdsError } from '../../src/common/errors.js';
import { DatasetReader } from '../../src/dataset/read.js';
import type { Session } from '../../src/dataset/types.js';
import { csvRows } from '../../src/extract/csv.js';
import { createExchangeExtractor } from '../../src/extract/extractor.js';
import { parseFlowLine } from '../../src/extract/flow-line.js';
import { SuricataEveReader, ZeekFtpLogReader } from '../../src/extract/sensor-logs.js';
import type { ExchangeRow, FlowRecord as ExtractFlow } from '../../src/extract/types.js';
import { createEmittingFlowReader } from '../../src/flows/reader.js';
import { flowToJsonLine } from '../../src/flows/record.js';
import { normalizeGspConfig } from '../../src/gsp/config.js';
import { flatFromRaw } from '../../src/gsp/db.js';
import { parseJsonLines, parseSpmf, sessionsToSequences } from '../../src/gsp/input.js';
import { runGsp, type GspInput } from '../../src/gsp/run.js';
import { parseTaxonomy } from '../../src/gsp/taxonomy.js';
import { detectKind, SessionSource } from '../../src/ids/source.js';
import { parseLabels } from '../../src/ids/labels.js';
import { labelFlow, labelOf } from '../../src/label/label.js';
import { DEFAULT_SIGNATURES, parseSignatureFile } from '../../src/label/signatures.js';
import { createMatcher } from '../../src/match/matcher.js';
import { parseModelText, type MatchModel } from '../../src/match/model.js';
import { runSessions } from '../../stages/match.js';
import { detectInputKind } from '../../stages/extract.js';
import { Rng } from '../synthetic-ftp.js';
import type { Family } from './inputs.js';

/** A broken invariant (not bad input): counted as a crash. */
export class InvariantError extends Error {
  override name = 'InvariantError';
}

export interface TargetContext {
  /** a model for the matcher (the ftp-match path) */
  model: MatchModel;
  tmp: string;
}

export function createContext(modelText: string): TargetContext {
  return { model: parseModelText(modelText, 'fuzz-model.json'), tmp: mkdtempSync(join(tmpdir(), `ftp-ids-fuzz-${process.pid}-${threadId}-`)) };
}

export function disposeContext(ctx: TargetContext): void {
  rmSync(ctx.tmp, { recursive: true, force: true });
}

/** Pieces of `data` in random sizes: 1 byte, small, large, or whole. */
function* pieces(data: Buffer, rng: Rng): Generator<Buffer> {
  const mode = rng.int(4);
  if (mode === 0 || data.length === 0) {
    yield data;
    return;
  }
  for (let at = 0; at < data.length; ) {
    const len = mode === 1 ? 1 + rng.int(7) : mode === 2 ? 1 + rng.int(600) : 1 + rng.int(65536);
    yield data.subarray(at, at + len);
    at += len;
  }
}

const SMALL_FLOWS = { maxFlows: 8, maxFlowBytes: '16k', maxBufferedBytes: '256k', maxRecordBytes: '64k', maxFragmentDatagrams: 4, maxFragmentBytes: '16k' };
const SMALL_EXTRACT = { maxLineBytes: 512, maxCommandBytes: 64, maxReplyLines: 4, maxPendingCommands: 4 };

function matchSessions(ctx: TargetContext, sessions: Iterable<Session>, rng: Rng): void {
  const m = createMatcher(ctx.model, rng.chance(0.5) ? { mode: 'study' } : { judgeUnknownServers: true, maxMatchExchanges: 50 }, () => {});
  for (const s of sessions) m.pushSession(s);
  m.end();
}

/** ftp-flows | ftp-extract: the flow table's own line writer, read back as ftp-extract reads it. */
function flowsThenExtract(data: Buffer, rng: Rng, small: boolean): void {
  const lines: string[] = [];
  const reader = createEmittingFlowReader(small ? SMALL_FLOWS : {}, (e) => {
    const out = Buffer.alloc(e.lineMaxBytes());
    const line = out.toString('utf8', 0, e.writeLine(out, 0));
    if (line !== flowToJsonLine(e.toRecord())) throw new InvariantError('ftp-flows: writeLine differs from flowToJsonLine of the same flow');
    lines.push(line);
  });
  reader.startFile('fuzz');
  for (const p of pieces(data, rng)) reader.push(p);
  reader.end();
  const rows: ExchangeRow[] = [];
  const ex = createExchangeExtractor({ ...(small ? SMALL_EXTRACT : {}), labelOf: labelOf(DEFAULT_SIGNATURES), counters: new Counters() }, (r) => rows.push(r));
  lines.forEach((l, i) => ex.pushFlow(parseFlowLine(l.slice(0, -1), i + 1, 'fuzz')));
  csvRows(rows);
}

/** ftp-match's reading path in process: SessionSource (detected kind) → matcher. */
function sessionSource(ctx: TargetContext, data: Buffer, rng: Rng, small: boolean): void {
  const sessions: Session[] = [];
  const src = new SessionSource({ flows: small ? SMALL_FLOWS : {}, extract: small ? SMALL_EXTRACT : {}, dataset: small ? { maxRecordChars: 4096, maxExchangesPerSession: 20 } : {} }, (s) => sessions.push(s));
  src.startFile('fuzz', detectKind(data));
  for (const p of pieces(data, rng)) src.push(p);
  src.endFile();
  src.end();
  matchSessions(ctx, sessions, rng);
}

// patterns of at most two items: enough to reach every code path of the miner on hostile items
// and time stamps, while the number of patterns (and the time) stays small on any input
const MINE = normalizeGspConfig({ minSupport: '0.5', maxLength: 2, output: 'all' });
const MINE_MAXIMAL = normalizeGspConfig({ minSupport: '0.4', maxLength: 2, output: 'maximal', window: 1, maxGap: 3 });

function mine(input: GspInput, rng: Rng): void {
  runGsp(input, { config: rng.chance(0.5) ? MINE : MINE_MAXIMAL, output: rng.chance(0.5) ? 'text' : 'model', write: () => {} });
}

/** Lines as bin/ftp-extract splits them (LF; a CR before it dropped). */
function lines(data: Buffer): string[] {
  return data.toString('utf8').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export async function runTarget(family: Family, data: Buffer, variant: number, ctx: TargetContext): Promise<void> {
  const rng = new Rng(variant);
  const small = rng.chance(0.5);
  switch (family) {
    case 'pcap':
    case 'pcap-ns':
    case 'pcapng':
      if (rng.chance(0.5)) flowsThenExtract(data, rng, small);
      else sessionSource(ctx, data, rng, small);
      return;
    case 'gzip': {
      // exactly ftp-match's input path: a file, gunzipped on the fly by captureChunks
      const f = join(ctx.tmp, 'case.pcap.gz');
      writeFileSync(f, data);
      const sessions: Session[] = [];
      await runSessions([f], { warn: () => {}, flows: small ? SMALL_FLOWS : {} }, (s) => sessions.push(s));
      matchSessions(ctx, sessions, rng);
      return;
    }
    case 'flows': {
      // ftp-label: parse, label, write back
      for (const [i, l] of lines(data).entries()) if (l.trim() !== '') JSON.stringify(labelFlow(parseFlowLine(l, i + 1, 'fuzz'), { relabel: rng.chance(0.3) }));
      sessionSource(ctx, data, rng, small);
      return;
    }
    case 'csv': {
      const sessions: Session[] = [];
      const reader = new DatasetReader(small ? { maxRecordChars: 4096, maxExchangesPerSession: 20 } : {}, (s) => sessions.push(s));
      for (const p of pieces(data, rng)) reader.push(p);
      reader.end();
      matchSessions(ctx, sessions, rng);
      const time = rng.chance(0.5) ? 'index' : 'seconds';
      mine({ flat: flatFromRaw(sessionsToSequences(sessions, MINE.items, time, 'fuzz')), itemNames: new Map(), format: 'csv', sessions }, rng);
      return;
    }
    case 'spmf':
      mine({ ...parseSpmf(data, 'fuzz'), format: 'spmf' }, rng);
      return;
    case 'jsonl':
      mine({ ...parseJsonLines(data.toString('utf8'), 'fuzz'), format: 'jsonl' }, rng);
      return;
    case 'zeek':
    case 'eve': {
      // as runExtract: the first non-blank line says which log it is
      const rows: ExchangeRow[] = [];
      const o = { signatures: DEFAULT_SIGNATURES, counters: new Counters(), maxBufferedRows: small ? 4 : undefined, file: 'fuzz' };
      let reader: ZeekFtpLogReader | SuricataEveReader | null = null;
      for (const [i, l] of lines(data).entries()) {
        if (!reader) {
          if (l.trim() === '') continue;
          const kind = detectInputKind(l);
          if (kind === 'flows') return; // ftp-extract would read flow records: the flows family covers them
          reader = kind === 'zeek' ? new ZeekFtpLogReader(o, (r) => rows.push(r)) : new SuricataEveReader(o, (r) => rows.push(r));
        }
        reader.line(l, i + 1);
      }
      reader?.end();
      csvRows(rows);
      return;
    }
    case 'model': {
      const model = parseModelText(data.toString('utf8'), 'fuzz', { maxModelPatterns: 5000 });
      const sessions: Session[] = [];
      const reader = new DatasetReader({}, (s) => sessions.push(s));
      reader.push('flow_id,command,final_code,ts_request\nF1,<greeting>,220,1\nF1,USER,331,2\nF1,PASS,230,3\nF2,USER,530,4\n');
      reader.end();
      for (const mode of ['study', 'full']) {
        const m = createMatcher(model, { mode, judgeUnknownServers: true }, () => {});
        for (const s of sessions) m.pushSession(s);
        m.end();
      }
      return;
    }
    case 'signatures': {
      const set = parseSignatureFile(data.toString('utf8'), rng.pick(['s.json', 's.csv', 'signatures']));
      for (const g of ['220 (vsFTPd 3.0.3)\r\n', '220 x FTP server ready\r\n', '']) set.match(g);
      return;
    }
    case 'labels':
      parseLabels(data.toString('utf8'), 'fuzz');
      return;
    case 'taxonomy':
      parseTaxonomy(data.toString('utf8'), 'fuzz');
      return;
    case 'selftest': {
      const t = data.toString('latin1');
      if (t.includes('CRASH')) throw new TypeError('selftest crash');
      if (t.includes('BAD')) throw new FtpIdsError('SELFTEST', 'an expected error');
      if (t.includes('HANG')) for (;;);
      if (t.includes('MEM')) {
        const keep: string[][] = [];
        for (;;) keep.push(Array.from({ length: 1 << 16 }, (_, i) => `${i}`));
      }
      return;
    }
  }
}
