import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDataset } from '../src/dataset/read.js';
import type { Session } from '../src/dataset/types.js';
import { normalizeGspConfig } from '../src/gsp/config.js';
import { buildDb } from '../src/gsp/db.js';
import { minePatterns } from '../src/gsp/mine.js';

/**
 * ftp-gsp against Weka 3.6's GeneralizedSequentialPatterns, the miner of the original study.
 *
 * How Weka sees the data (read from weka.associations.gsp.*): the first ARFF attribute is the
 * sequence id; every other row is one itemset whose items are (attribute, value) pairs — here
 * command and final reply code. Weka 3.6 refuses missing values ("Cannot handle missing
 * values"), so an exchange without a reply gets the code value NOREPLY — on both sides: ftp-gsp
 * is given the same itemsets {command, code-or-NOREPLY}.
 * Weka prints an element as its values in attribute order, `<{PASS,230}{QUIT}> (12)`.
 * Threshold: Weka keeps sequences with support >= Math.round(S·N) (not ceil), so ftp-gsp is
 * given that absolute count. No time constraints (Weka has none).
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const WEKA_JAR = '/usr/share/java/weka.jar';
const haveJava = spawnSync('java', ['-version']).status === 0;
const haveWeka = haveJava && existsSync(WEKA_JAR);
const FLOWS = join(ROOT, 'dist/bin/ftp-flows.js');
const EXTRACT = join(ROOT, 'dist/bin/ftp-extract.js');
const havePipeline = existsSync(FLOWS) && existsSync(EXTRACT);
if (!haveWeka) console.warn('gsp-weka: Weka not installed (apt-get install weka) — comparison skipped');

const code = (e: { finalCode: string }): string => e.finalCode || 'NOREPLY';
const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function toArff(sessions: Session[]): string {
  const cmds = [...new Set(sessions.flatMap((s) => s.exchanges.map((e) => e.command)))];
  const codes = [...new Set(sessions.flatMap((s) => s.exchanges.map(code)))];
  const lines = [
    '@relation ftp',
    `@attribute flow {${sessions.map((s) => quote(s.flowId)).join(',')}}`,
    `@attribute command {${cmds.map(quote).join(',')}}`,
    `@attribute code {${codes.map(quote).join(',')}}`,
    '@data',
  ];
  for (const s of sessions) for (const e of s.exchanges) lines.push(`${quote(s.flowId)},${quote(e.command)},${quote(code(e))}`);
  return lines.join('\n') + '\n';
}

const norm = (elements: string[][]): string => elements.map((e) => [...e].sort().join(',')).join('|');

function runWeka(sessions: Session[], support: number): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'gsp-weka-'));
  const arff = join(dir, 'data.arff');
  writeFileSync(arff, toArff(sessions));
  const out = execFileSync(
    'java',
    ['-Xmx1g', '-cp', WEKA_JAR, 'weka.associations.GeneralizedSequentialPatterns', '-S', String(support), '-I', '0', '-F', '-1', '-t', arff],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const total = /Total number of frequent sequences: (\d+)/.exec(out);
  const found = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^\[\d+\] <\{(.*)\}> \((\d+)\)$/.exec(line.trim());
    if (m) found.set(norm(m[1].split('}{').map((e) => e.split(','))), Number(m[2]));
  }
  expect(total, 'Weka output has a total').not.toBeNull();
  expect(found.size, 'every pattern Weka counted was parsed').toBe(Number(total![1]));
  return found;
}

function runOurs(sessions: Session[], support: number): Map<string, number> {
  const db = buildDb(
    sessions.map((s, i) => ({
      name: i,
      label: s.label,
      itemsets: s.exchanges.map((e) => [e.command, code(e)]),
      times: s.exchanges.map((_, j) => j),
    })),
  );
  const count = Math.floor(support * sessions.length + 0.5); // Java Math.round
  const found = new Map<string, number>();
  minePatterns(db, normalizeGspConfig({ minSupport: Math.max(1, count), output: 'all' }), (fp) =>
    found.set(norm(fp.pattern.map((e) => e.map((x) => db.items[x]))), fp.support),
  );
  return found;
}

/** exchange CSV of captures via ftp-flows | ftp-extract; a flow seen again (same capture stored twice in the corpus) is kept once */
function extract(pcaps: string[]): Session[] {
  const flows = execFileSync('node', [FLOWS, ...pcaps], { maxBuffer: 1 << 30 });
  const csv = execFileSync('node', [EXTRACT], { input: flows, maxBuffer: 1 << 30, encoding: 'utf8' });
  const lines = csv.split('\n');
  const header = lines[0];
  const seen = new Set<string>();
  const keep: string[] = [header];
  let cur = '';
  let skipping = false;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const id = line.slice(0, line.indexOf(','));
    if (id !== cur) {
      cur = id;
      skipping = seen.has(id);
      seen.add(id);
    }
    if (!skipping) keep.push(line);
  }
  return parseDataset(keep.join('\n') + '\n');
}

function findPcaps(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap)$/.test(name)) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

const notes: Session[] = [
  [['USER', '331'], ['PASS', '230'], ['SYST', '215'], ['QUIT', '221']],
  [['USER', '331'], ['PASS', '230'], ['PWD', '257'], ['QUIT', '221']],
  [['USER', '331'], ['PASS', '530'], ['USER', '331'], ['PASS', '230'], ['QUIT', '221']],
  [['USER', '331'], ['PASS', '530'], ['QUIT', ''], ['QUIT', '221']],
].map((ex, i) => ({
  flowId: `s${i}`,
  communityId: '',
  clientIp: '',
  clientPort: 0,
  serverIp: '',
  serverPort: 0,
  label: 'other',
  exchanges: ex.map(([command, finalCode], j) => ({
    index: j,
    tsRequest: j,
    tsReply: j,
    command,
    arg: '',
    replyCodes: finalCode ? [finalCode] : [],
    finalCode,
    flags: [],
    tags: [],
    line: j + 2,
  })),
}));

describe.skipIf(!haveWeka)('ftp-gsp equals Weka GeneralizedSequentialPatterns', () => {
  it('the FTP example of gsp-notes (with an unanswered command) at 0.75 and 0.5', () => {
    for (const s of [0.75, 0.5]) {
      const weka = runWeka(notes, s);
      expect(weka.size).toBeGreaterThan(10);
      expect(runOurs(notes, s)).toEqual(weka);
    }
  }, 60_000);

  it.skipIf(!havePipeline || !existsSync(join(ROOT, 'samples/benign.pcap')))(
    'samples/benign.pcap (ftp-flows | ftp-extract) at 0.8',
    () => {
      const sessions = extract([join(ROOT, 'samples/benign.pcap')]);
      expect(sessions.length).toBeGreaterThan(100);
      const weka = runWeka(sessions, 0.8);
      expect(weka.size).toBeGreaterThan(100);
      expect(runOurs(sessions, 0.8)).toEqual(weka);
    },
    300_000,
  );

  it.skipIf(!havePipeline || findPcaps(join(SHARED, 'corpus')).length === 0)(
    'the corpus captures (ftp-flows | ftp-extract) at 0.4',
    () => {
      const sessions = extract(findPcaps(join(SHARED, 'corpus')));
      expect(sessions.length).toBeGreaterThan(20);
      const weka = runWeka(sessions, 0.4);
      expect(weka.size).toBeGreaterThan(10);
      expect(runOurs(sessions, 0.4)).toEqual(weka);
    },
    300_000,
  );
});
