import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeGspConfig } from '../src/gsp/config.js';
import { buildDb, finishDb, type RawSequence, type SeqDb, type Taxonomy } from '../src/gsp/db.js';
import { parseSpmf } from '../src/gsp/input.js';
import { minePatterns, type MineRunOptions } from '../src/gsp/mine.js';
import { okey, oracleFilter, oracleMine, type OracleConstraints } from './gsp-oracle.js';

/**
 * --threads: the depth-first search split among worker threads gives exactly one thread's output
 * (same patterns, supports, supporting sequences, order). The workers run the compiled miner
 * (dist/src/gsp/mine-worker.js, built by `npm test`). `parallelAfterNodes` hands the search to
 * the workers at a chosen node, so the split falls anywhere in the tree: deep paths are rebuilt
 * by joins in the worker, siblings at every open depth are shared out.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const WORKER = join(ROOT, 'dist/src/gsp/mine-worker.js');
const GSP = join(ROOT, 'dist/bin/ftp-gsp.js');
const FLOWS = join(ROOT, 'dist/bin/ftp-flows.js');
const EXTRACT = join(ROOT, 'dist/bin/ftp-extract.js');
const haveWorker = existsSync(WORKER);

type Cfg = Record<string, unknown>;

const havePipeline = existsSync(GSP) && existsSync(FLOWS) && existsSync(EXTRACT) && existsSync(join(ROOT, 'samples/benign.pcap'));
let csvCache: Buffer | null = null;
/** samples/benign.pcap through ftp-flows | ftp-extract (our own capture) */
function benignCsv(): Buffer {
  if (!csvCache) {
    const flows = execFileSync('node', [FLOWS, join(ROOT, 'samples/benign.pcap')], { maxBuffer: 1 << 30 });
    csvCache = execFileSync('node', [EXTRACT], { input: flows, maxBuffer: 1 << 30 });
  }
  return csvCache;
}

/** The patterns as handed out, in order: items, support, supporting sequences. */
function mineList(db: SeqDb, cfg: Cfg, run: MineRunOptions): { list: string[]; threads: number } {
  const list: string[] = [];
  const r = minePatterns(db, normalizeGspConfig({ sids: true, ...cfg }), (fp) => list.push(`${okey(fp.pattern)} #${fp.support} [${fp.sids?.join(' ')}]`), undefined, run);
  return { list, threads: r.threads };
}

const itemset = fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }).map((a) => a.sort((x, y) => x - y));
const database = fc.array(fc.array(itemset, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 9 });
const constraints = fc.constantFrom<OracleConstraints>(
  { minGap: null, maxGap: Infinity, window: 0 },
  { minGap: null, maxGap: Infinity, window: 0 },
  { minGap: 0, maxGap: Infinity, window: 0 },
  { minGap: null, maxGap: 2, window: 0 },
  { minGap: 1, maxGap: 3, window: 0 },
);

describe.skipIf(!haveWorker)('--threads: worker threads give one thread’s output', () => {
  it('random databases: identical to one thread and to the brute-force oracle, split at any node', () => {
    fc.assert(
      fc.property(
        database,
        constraints,
        fc.constantFrom<'maximal' | 'closed'>('maximal', 'closed'),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 12 }),
        fc.boolean(),
        (seqs, c, output, minCount, splitAt, taxonomy) => {
          const raw: RawSequence[] = seqs.map((itemsets, i) => ({ name: i, label: '', itemsets: itemsets.map((e) => e.map(String)), times: itemsets.map((_, j) => j) }));
          const parents = new Map<number, number[]>(taxonomy ? [[0, [10]], [1, [10]], [10, [11]]] : []);
          const tax: Taxonomy | undefined = taxonomy ? new Map([...parents].map(([k, v]) => [String(k), v.map(String)])) : undefined;
          const db = buildDb(raw, tax);
          const cfg = { minSupport: minCount, minGap: c.minGap, maxGap: c.maxGap, output, algorithm: 'vertical' };
          const one = mineList(db, cfg, { threads: 1 });
          const two = mineList(db, cfg, { threads: 2, parallelAfterNodes: splitAt });
          expect(two.list).toEqual(one.list);
          // and the set is the oracle's (items are strings of numbers: map back)
          const got = new Map<string, number>();
          minePatterns(db, normalizeGspConfig(cfg), (fp) => got.set(okey(fp.pattern.map((e) => e.map((x) => Number(db.items[x])))), fp.support), undefined, {
            threads: 2,
            parallelAfterNodes: splitAt,
          });
          // the oracle enumerates every pattern up to the longest sequence's item count (no pattern
          // is longer; with the taxonomy an element is an antichain, no larger than its transaction)
          const longest = Math.max(...seqs.map((s) => s.reduce((n, e) => n + e.length, 0)));
          if (longest <= 6) {
            const all = oracleMine(
              seqs.map((itemsets) => ({ itemsets, times: itemsets.map((_, j) => j) })),
              taxonomy ? [0, 1, 2, 3, 4, 10, 11] : [0, 1, 2, 3, 4],
              minCount,
              longest,
              c,
              parents,
            );
            expect(got).toEqual(new Map([...oracleFilter(all, output, parents)].map(([k, v]) => [k, v.support])));
          }
        },
      ),
      { numRuns: 60, seed: 13 },
    );
  });

  const datasets: [string, string, 'maximal' | 'closed'][] = [
    ['SIGN.txt', '0.4', 'maximal'],
    ['SIGN.txt', '0.4', 'closed'],
    ['LEVIATHAN.txt', '0.1', 'maximal'],
    ['BMS1.txt', '0.005', 'closed'],
  ];
  for (const [file, sup, output] of datasets) {
    it.skipIf(!existsSync(join(SHARED, 'gsp-datasets', file)))(`../shared/gsp-datasets/${file} at ${sup}, ${output}`, () => {
      const db = finishDb(parseSpmf(readFileSync(join(SHARED, 'gsp-datasets', file)), file).flat);
      const one = mineList(db, { minSupport: sup, output }, { threads: 1 });
      expect(one.list.length).toBeGreaterThan(10);
      for (const splitAt of [0, 37]) {
        const two = mineList(db, { minSupport: sup, output }, { threads: 2, parallelAfterNodes: splitAt });
        expect(two.threads).toBe(2);
        expect(two.list).toEqual(one.list);
      }
    });
  }

  it.skipIf(!havePipeline)('ftp-gsp on samples/benign.pcap: --threads 2 writes the bytes --threads 1 does', () => {
    const csv = benignCsv();
    const run = (threads: string): string => execFileSync('node', [GSP, '-s', '0.3', '--no-profiles', '--threads', threads], { input: csv, maxBuffer: 1 << 30, encoding: 'utf8' });
    const one = run('1');
    expect(JSON.parse(one).models['*'].patterns.length).toBeGreaterThan(10);
    expect(run('2')).toBe(one);
    const bad = spawnSync('node', [GSP, '--threads', '0'], { input: csv, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/option threads/);
  });

  it.skipIf(!havePipeline)('the calibration mines (profiles and detector) on --threads 2 give the model --threads 1 does', () => {
    // each fold mines ~420 sessions at 0.3 (about a second): past PARALLEL_AFTER_MS, so the workers run
    const csv = benignCsv();
    const run = (threads: string): string => execFileSync('node', [GSP, '-s', '0.3', '--folds', '3', '--threads', threads], { input: csv, maxBuffer: 1 << 30, encoding: 'utf8' });
    const one = run('1');
    const model = JSON.parse(one) as { detector?: { references?: unknown } };
    expect(model.detector?.references).toBeTruthy();
    expect(run('2')).toBe(one);
  });
});

describe.skipIf(!haveWorker)('--time-budget: a long run stops with what it found, marked incomplete', () => {
  it('library: a budget of 0 stops at once (one thread and several), without it the run is complete', () => {
    const db = finishDb(parseSpmf("1 -1 2 -1 3 -1 -2\n1 -1 3 -1 2 -1 -2\n2 3 -1 1 -1 -2\n").flat);
    for (const threads of [1, 2]) {
      const cut = minePatterns(db, normalizeGspConfig({ minSupport: 1, output: 'maximal' }), () => {}, undefined, { threads, timeBudgetMs: 0, parallelAfterNodes: 0 });
      expect(cut.incomplete).toBe(true);
      const full = minePatterns(db, normalizeGspConfig({ minSupport: 1, output: 'maximal' }), () => {}, undefined, { threads, timeBudgetMs: 60_000 });
      expect(full.incomplete).toBe(false);
      expect(full.patterns).toBeGreaterThan(cut.patterns);
    }
    // a window with max-gap runs the level-wise engine (without gaps the depth-first window engine)
    const lw = minePatterns(db, normalizeGspConfig({ minSupport: 1, output: 'all', window: 1, maxGap: 5 }), () => {}, undefined, { timeBudgetMs: 0 });
    expect(lw.engine).toBe('levelwise');
    expect(lw.stats.incomplete).toBe(true);
  });

  it.skipIf(!havePipeline)('ftp-gsp -s 0.1 --time-budget 0.5s: exit 3, "incomplete" in the model and the text, every pattern frequent', () => {
    const csv = benignCsv();
    const r = spawnSync('node', [GSP, '-s', '0.1', '--time-budget', '0.5s'], { input: csv, maxBuffer: 1 << 30, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/time budget reached/);
    const model = JSON.parse(r.stdout);
    expect(model.incomplete).toBe(true);
    expect(model.models['*'].stats.incomplete).toBe(true);
    expect(model.profiles).toBeUndefined(); // no calibration after the budget is spent
    for (const p of model.models['*'].patterns) expect(p.support).toBeGreaterThanOrEqual(model.models['*'].minSupportCount);
    const t = spawnSync('node', [GSP, '-s', '0.1', '--time-budget', '300ms', '-f', 'text', '--threads', '1'], { input: csv, maxBuffer: 1 << 30, encoding: 'utf8' });
    expect(t.status).toBe(3);
    expect(t.stdout.trimEnd().split('\n').at(-1)).toMatch(/^# incomplete: model \* stopped at the time budget/);
    // a budget the run stays within changes nothing, byte for byte, and exits 0
    const full = (extra: string[]): ReturnType<typeof spawnSync> => spawnSync('node', [GSP, '-s', '0.4', '--no-profiles', ...extra], { input: csv, maxBuffer: 1 << 30, encoding: 'utf8' });
    const a = full([]);
    const b = full(['--time-budget', '10m']);
    expect(b.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(String(a.stdout)).not.toMatch(/incomplete/);
    const bad = spawnSync('node', [GSP, '--time-budget', 'soon'], { input: csv, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/option time-budget/);
  });
});

const haveScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
describe.skipIf(!haveWorker || !haveScript)('progress of a long run', () => {
  it.skipIf(!havePipeline)('on a terminal (script(1) gives ftp-gsp a pty): patterns visited, rate and depth on stderr; none in a pipe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsp-progress-'));
    const csv = join(dir, 'benign.csv');
    writeFileSync(csv, benignCsv());
    const out = join(dir, 'model.json');
    const cmd = `node ${GSP} -s 0.1 --time-budget 2s < ${csv} > ${out}`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status).toBe(3); // the budget: script passes the exit code on (-e)
    expect(r.stdout).toMatch(/ftp-gsp: model \*: \d+ patterns visited \(\d+\/s\), depth \d+/);
    expect(JSON.parse(readFileSync(out, 'utf8')).incomplete).toBe(true);
    const piped = spawnSync('node', [GSP, '-s', '0.1', '--time-budget', '1s'], { input: benignCsv(), encoding: 'utf8', maxBuffer: 1 << 30 });
    expect(piped.stderr).not.toMatch(/patterns visited/);
  });
});
