/**
 * The miner's bench. `runGspBench(report)` is called by bench/run.ts (npm run bench); standalone:
 * `node dist/bench/gsp.js [--quick]`. Every measurement runs in a child process
 * (`node dist/bench/gsp.js --one <json>`) so its peak RSS is its own; times are wall seconds of
 * the mining child including Node start and reading the input (SPMF's figures include the JVM).
 *
 * Sections:
 *  1. public benchmarks (../shared/gsp-datasets) next to SPMF's timings from SOURCES.md;
 *     also the level-wise engine on the small ones (the counting-structure decision);
 *  2. synthetic FTP sessions (bench/synthetic-ftp.ts): 10k, 100k and 1M sessions at 10 and 5 % (output
 *     maximal), threads 1 and every core, each mining run stopped after FTP_BUDGET_S wall seconds;
 *     then 10k and 100k at 10 % side by side with SPMF's VMSP and MaxSP when SPMF_JAR is set
 *     (bench/gsp-spmf.ts);
 *  3. IBM Quest-style databases (bench/gsp-quest.ts) at several sizes and supports;
 *  4. Weka 3.6 GeneralizedSequentialPatterns side by side on samples/benign.pcap (when installed);
 *  5. R arulesSequences' cSPADE side by side with time constraints (bench/gsp-cspade.ts; when the
 *     programs are built outside the repository, see $CSPADE_DIR there);
 *  6. `--window 1` and `--taxonomy ftp` against plain maximal mining on samples/benign.pcap (CPU ratio).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minSupportCount, normalizeGspConfig } from '../src/gsp/config.js';
import { dropInfrequent, finishDb, flatBuilder, mergeIdentical, type FlatInput } from '../src/gsp/db.js';
import { parseSpmf } from '../src/gsp/input.js';
import { minePatterns } from '../src/gsp/mine.js';
import { cspadeSideBySide, timed } from './gsp-cspade.js';
import { spmfMaximalRows } from './gsp-spmf.js';
import { generateQuest, QUEST_DEFAULT, type QuestParams } from './gsp-quest.js';

const HERE = fileURLToPath(new URL('.', import.meta.url)); // dist/bench/
const ROOT = join(HERE, '../../');
const SHARED = join(ROOT, '../shared/');
const SELF = fileURLToPath(import.meta.url);

type Row = Record<string, string | number>;
type Report = (section: string, rows: Row[]) => void;

/** SOURCES.md: patterns, SPMF GSP s, SPMF PrefixSpan s, SPMF CM-SPADE s */
const SPMF: Record<string, [number, number, number, number]> = {
  'SIGN 0.5': [173, 1.15, 0.62, 0.72],
  'SIGN 0.4': [518, 1.75, 0.74, 0.76],
  'LEVIATHAN 0.1': [651, 6.55, 1.46, 2.26],
  'LEVIATHAN 0.05': [3698, 32.9, 1.86, 1.79],
  'BMS1 0.005': [201, 94.0, 0.65, 1.91],
  'BMS1 0.002': [798, 461.6, 0.94, 2.55],
};

interface Job {
  kind: 'spmf' | 'ftp' | 'quest';
  file?: string;
  sessions?: number;
  quest?: Partial<QuestParams>;
  minSupport: string;
  output: 'all' | 'maximal';
  algorithm?: 'auto' | 'levelwise';
  maxGap?: number;
  minGap?: number;
  /** ftp jobs: stop mining after this many seconds (--time-budget) and report how far it got */
  budgetSeconds?: number;
  /** ftp jobs: mining threads (default 1) */
  threads?: number;
}
interface JobResult {
  sequences: number;
  patterns: number;
  frequent: number;
  loadSeconds: number;
  mineSeconds: number;
  maxRssMB: number;
}

/** Synthetic FTP sessions as a FlatInput: {command, final code} per exchange, greeting included (as ftp-extract does). */
async function syntheticFlat(n: number, seed: number): Promise<FlatInput | null> {
  const modPath = join(HERE, 'synthetic-ftp.js');
  if (!existsSync(modPath)) return null;
  const mod = (await import(modPath)) as {
    syntheticSessions?: (n: number, seed: number) => Iterable<{ kind: string; greeting: { code: number }; exchanges: { command: string; replies: { code: number }[] }[] }>;
  };
  if (typeof mod.syntheticSessions !== 'function') return null;
  const { flat: f, intern } = flatBuilder();
  let i = 0;
  for (const s of mod.syntheticSessions(n, seed)) {
    f.seqStart.push(f.txStart.length);
    f.names.push(i++);
    f.labels.push(s.kind);
    f.txStart.push(f.txItems.length);
    f.txTime.push(0);
    f.txItems.push(intern('<greeting>'), intern(String(s.greeting.code)));
    s.exchanges.forEach((ex, j) => {
      f.txStart.push(f.txItems.length);
      f.txTime.push(j + 1);
      f.txItems.push(intern(ex.command));
      const last = ex.replies[ex.replies.length - 1];
      if (last) f.txItems.push(intern(String(last.code)));
    });
  }
  return f;
}

/** The child: load, mine, print one JSON line. */
async function runJob(job: Job): Promise<JobResult | FtpJobResult> {
  if (job.kind === 'ftp') return runFtpJob(job);
  const t0 = performance.now();
  let flat: FlatInput | null;
  if (job.kind === 'spmf') flat = parseSpmf(readFileSync(job.file!)).flat; // bytes, as ftp-gsp reads them
  else if (job.kind === 'quest') flat = generateQuest({ ...QUEST_DEFAULT, ...job.quest });
  else flat = await syntheticFlat(job.sessions!, 1);
  if (!flat) throw new Error('bench/synthetic-ftp.ts does not export syntheticSessions');
  const db = finishDb(flat);
  flat = null;
  const t1 = performance.now();
  let patterns = 0;
  const r = minePatterns(
    db,
    normalizeGspConfig({ minSupport: job.minSupport, output: job.output, algorithm: job.algorithm ?? 'auto', maxGap: job.maxGap, minGap: job.minGap }),
    () => patterns++,
  );
  const t2 = performance.now();
  return {
    sequences: db.n,
    patterns,
    frequent: r.frequent,
    loadSeconds: (t1 - t0) / 1000,
    mineSeconds: (t2 - t1) / 1000,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function child(job: Job, timeoutMs: number): (JobResult & { wallSeconds: number }) | string {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', SELF, '--one', JSON.stringify(job)], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 20,
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.error || r.status !== 0) return r.error ? `timeout after ${Math.round(timeoutMs / 1000)} s` : `failed: ${r.stderr.trim().split('\n').pop()}`;
  return { ...(JSON.parse(r.stdout) as JobResult), wallSeconds };
}

/** Wall budget of one synthetic-sessions mining run (the target: 1M sessions at 10 % within a minute on 2 cores). */
const FTP_BUDGET_S = 120;

interface FtpJobResult extends JobResult {
  finished: boolean;
  /** sequences after merging identical ones (what the miner scans) */
  distinct: number;
  /** threads the search ran on */
  threads: number;
  loadCpuSeconds: number;
  mineCpuSeconds: number;
}

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Synthetic FTP sessions, mined with a CPU budget (checked at every progress call of the miner). */
async function runFtpJob(job: Job): Promise<FtpJobResult> {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const flat = await syntheticFlat(job.sessions!, 1);
  if (!flat) throw new Error('bench/synthetic-ftp.ts does not export syntheticSessions');
  const db = finishDb(flat);
  const c1 = cpuSeconds();
  const t1 = performance.now();
  let patterns = 0;
  // wall budget (the miner's --time-budget); CPU seconds are reported beside (all threads)
  const r = minePatterns(db, normalizeGspConfig({ minSupport: job.minSupport, output: job.output }), () => patterns++, undefined, {
    threads: job.threads ?? 1,
    timeBudgetMs: job.budgetSeconds !== undefined ? job.budgetSeconds * 1000 : undefined,
  });
  const visited = r.frequent;
  const finished = !r.incomplete;
  const threadsUsed = r.threads;
  const c2 = cpuSeconds();
  const maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  // what the miner scans: distinct sequences once the infrequent items are gone (after measuring)
  const config = normalizeGspConfig({ minSupport: job.minSupport });
  const minCount = minSupportCount(config.minSupport, db.n);
  const pruned = dropInfrequent(db, minCount);
  return {
    sequences: db.n,
    distinct: mergeIdentical(pruned)?.db.n ?? pruned.n,
    patterns,
    frequent: visited,
    finished,
    loadSeconds: (t1 - t0) / 1000,
    mineSeconds: (performance.now() - t1) / 1000,
    threads: threadsUsed,
    loadCpuSeconds: c1 - c0,
    mineCpuSeconds: c2 - c1,
    maxRssMB,
  };
}

function ftpChild(job: Job): FtpJobResult | string {
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', SELF, '--one', JSON.stringify(job)], {
    encoding: 'utf8',
    timeout: 900_000,
    maxBuffer: 1 << 20,
  });
  if (r.error || r.status !== 0) return r.error ? 'timeout after 900 s' : `failed: ${r.stderr.trim().split('\n').pop()}`;
  return JSON.parse(r.stdout) as FtpJobResult;
}

const s3 = (x: number): number => Math.round(x * 1000) / 1000;

export async function runGspBench(report: Report, opts: { quick?: boolean } = {}): Promise<void> {
  // bench/run.ts calls runGspBench(report) only: follow its --quick flag
  const quick = opts.quick ?? process.argv.includes('--quick');
  // 1. public benchmarks
  const rows: Row[] = [];
  for (const [name, s] of [
    ['SIGN', '0.5'],
    ['SIGN', '0.4'],
    ['LEVIATHAN', '0.1'],
    ['LEVIATHAN', '0.05'],
    ['BMS1', '0.005'],
    ['BMS1', '0.002'],
  ]) {
    const file = join(SHARED, 'gsp-datasets', `${name}.txt`);
    if (!existsSync(file)) continue;
    const [expect, gsp, prefixspan, cmspade] = SPMF[`${name} ${s}`];
    const r = child({ kind: 'spmf', file, minSupport: s, output: 'all' }, 600_000);
    if (typeof r === 'string') {
      rows.push({ dataset: name, minsup: s, result: r });
      continue;
    }
    rows.push({
      dataset: name,
      minsup: s,
      patterns: r.patterns,
      'SOURCES.md patterns': expect,
      'ftp-gsp wall s': s3(r.wallSeconds),
      'ftp-gsp mine s': s3(r.mineSeconds),
      'peak RSS MB': r.maxRssMB,
      'SPMF GSP s': gsp,
      'SPMF PrefixSpan s': prefixspan,
      'SPMF CM-SPADE s': cmspade,
      'x faster than SPMF GSP': Math.round((gsp / r.wallSeconds) * 10) / 10,
      'PrefixSpan / ftp-gsp': Math.round((prefixspan / r.wallSeconds) * 100) / 100,
    });
  }
  report('gsp: public benchmarks (output all; wall time includes Node start and parsing)', rows);

  // the counting-structure decision: level-wise GSP (join/prune + contains on sid-list intersections) vs vertical DFS
  const cmp: Row[] = [];
  for (const [name, s, gap] of [
    ['SIGN', '0.5', undefined],
    ['SIGN', '0.4', undefined],
    ['LEVIATHAN', '0.1', undefined],
    ['SIGN', '0.4', 10],
    ['LEVIATHAN', '0.05', 5],
  ] as [string, string, number | undefined][]) {
    const file = join(SHARED, 'gsp-datasets', `${name}.txt`);
    if (!existsSync(file)) continue;
    const row: Row = { dataset: name, minsup: s, 'max-gap': gap ?? '-' };
    for (const algorithm of ['auto', 'levelwise'] as const) {
      const r = child({ kind: 'spmf', file, minSupport: s, output: 'all', algorithm, maxGap: gap }, 300_000);
      const label = algorithm === 'auto' ? 'vertical' : 'level-wise';
      if (typeof r === 'string') row[`${label} mine s`] = r;
      else {
        row[`${label} mine s`] = s3(r.mineSeconds);
        row[`${label} patterns`] = r.patterns;
        row[`${label} RSS MB`] = r.maxRssMB;
      }
    }
    cmp.push(row);
  }
  report('gsp: counting structure — vertical id-lists (DFS) vs level-wise candidates + contains test', cmp);

  // 2. synthetic FTP sessions: growth with sessions and with 1/support, on one thread and on every
  // core (--threads), each mining run given a wall budget (--time-budget FTP_BUDGET_S); a run
  // over it reports how many patterns it had visited. CPU seconds count every thread: on a shared
  // machine they are the comparable figure, wall seconds the user's.
  const ftp: Row[] = [];
  const cores = availableParallelism();
  const plan: [number, string[]][] = quick
    ? [[10_000, ['0.1', '0.05']], [100_000, ['0.1']]]
    : [[10_000, ['0.1', '0.05']], [100_000, ['0.1', '0.05']], [1_000_000, ['0.1', '0.05']]];
  for (const [n, supports] of plan) {
    for (const s of supports) {
      let one: FtpJobResult | null = null;
      for (const threads of cores > 1 ? [1, cores] : [1]) {
        const r = ftpChild({ kind: 'ftp', sessions: n, minSupport: s, output: 'maximal', budgetSeconds: FTP_BUDGET_S, threads });
        if (typeof r === 'string') {
          ftp.push({ sessions: n, minsup: s, threads, result: r });
          continue;
        }
        if (threads === 1) one = r;
        ftp.push({
          sessions: n,
          minsup: s,
          threads: r.threads === threads ? threads : `${threads} (ran on ${r.threads})`,
          'distinct sequences': r.distinct,
          'mining wall s': r.finished ? s3(r.mineSeconds) : `> ${FTP_BUDGET_S} (stopped)`,
          'mining CPU s': s3(r.mineCpuSeconds),
          'wall speed-up': one && threads > 1 && one.finished && r.finished ? Math.round((one.mineSeconds / r.mineSeconds) * 100) / 100 : '-',
          'maximal patterns': r.finished ? r.patterns : '-',
          'visited patterns': r.frequent,
          'visited / CPU s': Math.round(r.frequent / r.mineCpuSeconds),
          'generate+load CPU s': s3(r.loadCpuSeconds),
          'peak RSS MB': r.maxRssMB,
        });
      }
    }
  }
  report(`gsp: synthetic FTP sessions (items {command, final code}; output maximal; threads 1 and ${cores}; mining budget ${FTP_BUDGET_S} s wall)`, ftp);

  // the same sessions through SPMF's maximal miners (SPMF_JAR; whole processes, same SPMF file)
  const side: Row[] = [];
  for (const n of quick ? [10_000] : [10_000, 100_000]) {
    const flat = await syntheticFlat(n, 1);
    if (flat) side.push(...spmfMaximalRows(ROOT, flat, n, '0.1'));
  }
  report('gsp: SPMF VMSP / MaxSP vs ftp-gsp on the synthetic FTP sessions (maximal, 10 %; whole processes)', side);

  // 3. Quest
  const quest: Row[] = [];
  for (const D of quick ? [10_000] : [10_000, 100_000]) {
    for (const s of ['0.01', '0.0075', '0.005', '0.0033', '0.0025']) {
      const r = child({ kind: 'quest', quest: { D }, minSupport: s, output: 'all' }, 300_000);
      if (typeof r === 'string') quest.push({ D, minsup: s, result: r });
      else
        quest.push({
          database: `C10-T2.5-S4-I1.25-D${D / 1000}K`,
          minsup: s,
          'frequent patterns': r.patterns,
          'generate s': s3(r.loadSeconds),
          'mine s': s3(r.mineSeconds),
          'peak RSS MB': r.maxRssMB,
        });
    }
  }
  report('gsp: IBM Quest-style databases (NS 5000, NI 25000, N 10000; output all)', quest);

  // 4. Weka side by side
  report('gsp: Weka 3.6 GeneralizedSequentialPatterns vs ftp-gsp on samples/benign.pcap', wekaSideBySide(quick));

  // 6. (before cSPADE, which may be absent) the window and the taxonomy against plain mining
  report('gsp: --window 1 and --taxonomy ftp vs plain maximal mining on samples/benign.pcap (whole processes, one thread)', constraintsOnSamples(quick));

  // 5. cSPADE (R arulesSequences) with time constraints; "ftp-gsp mine s" = in-process mining only
  report(
    'gsp: R arulesSequences cSPADE vs ftp-gsp, output all, with min-gap / max-gap (whole processes, best of 3)',
    cspadeSideBySide(ROOT, SHARED, quick, (c) => {
      const r = child({ kind: 'spmf', file: c.file, minSupport: c.minSupport, output: 'all', maxGap: c.maxgap, minGap: c.mingap ? c.mingap - 1 : undefined }, 300_000);
      return typeof r === 'string' ? r : s3(r.mineSeconds);
    }),
  );
}

/** samples/benign.pcap through ftp-flows | ftp-extract into dir/benign.csv (null when the pipeline is not built). */
function samplesCsv(dir: string): string | null {
  const pcap = join(ROOT, 'samples/benign.pcap');
  const flows = join(ROOT, 'dist/bin/ftp-flows.js');
  const extract = join(ROOT, 'dist/bin/ftp-extract.js');
  if (!existsSync(pcap) || !existsSync(flows) || !existsSync(extract)) return null;
  const csv = join(dir, 'benign.csv');
  writeFileSync(csv, execFileSync('node', [extract], { input: execFileSync('node', [flows, pcap], { maxBuffer: 1 << 30 }), maxBuffer: 1 << 30 }));
  return csv;
}

/**
 * The target "--window 1 and --taxonomy ftp maximal mining within 3× the unconstrained time on
 * the samples at 30 % and 20 %": whole ftp-gsp processes (GNU time's user+sys, one thread, a 60 s
 * budget each), alternating plain / window / taxonomy so that load changes hit all three alike.
 */
export function constraintsOnSamples(quick: boolean): Row[] {
  const dir = mkdtempSync(join(tmpdir(), 'gsp-bench-'));
  const csv = samplesCsv(dir);
  const gsp = join(ROOT, 'dist/bin/ftp-gsp.js');
  if (!csv) return [{ result: 'not available (samples or pipeline missing)' }];
  const variants: [string, string[]][] = [
    ['plain', []],
    ['--window 1', ['--window', '1']],
    ['--taxonomy ftp', ['--taxonomy', 'ftp']],
  ];
  const out: Row[] = [];
  for (const s of quick ? ['0.3'] : ['0.3', '0.2']) {
    let plainCpu = NaN;
    for (const [name, extra] of variants) {
      const t = timed([process.execPath, gsp, '-s', s, '--no-profiles', '-f', 'text', '--threads', '1', '--time-budget', '60', ...extra, csv], dir);
      const lines = t.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      const finished = !t.stdout.includes('# incomplete');
      if (!t.ok && finished) {
        out.push({ minsup: s, run: name, result: `failed: ${t.err}` });
        continue;
      }
      if (name === 'plain') plainCpu = t.cpu;
      out.push({
        minsup: s,
        run: name,
        'maximal patterns': finished ? lines.length : `${lines.length} (not finished in 60 s)`,
        'CPU s': s3(t.cpu),
        'wall s': s3(t.wall),
        '× plain CPU': Math.round((t.cpu / plainCpu) * 100) / 100,
      });
    }
  }
  return out;
}

function wekaSideBySide(quick: boolean): Row[] {
  const jar = '/usr/share/java/weka.jar';
  const pcap = join(ROOT, 'samples/benign.pcap');
  const flows = join(ROOT, 'dist/bin/ftp-flows.js');
  const extract = join(ROOT, 'dist/bin/ftp-extract.js');
  const gsp = join(ROOT, 'dist/bin/ftp-gsp.js');
  if (!existsSync(jar) || !existsSync(pcap) || !existsSync(flows) || !existsSync(extract)) return [{ result: 'not available (weka, samples or pipeline missing)' }];
  const dir = mkdtempSync(join(tmpdir(), 'gsp-bench-'));
  const csv = samplesCsv(dir)!;
  // ARFF: flow id, command, code (NOREPLY for an unanswered command: Weka refuses missing values)
  const rows = readFileSync(csv, 'utf8').trim().split('\n');
  const head = rows[0].split(',');
  const iF = head.indexOf('flow_id');
  const iC = head.indexOf('command');
  const iK = head.indexOf('final_code');
  const recs = rows.slice(1).map((l) => l.split(',')).filter((f) => f.length === head.length); // rows with quoted commas skipped for ARFF only
  const q = (s: string): string => `'${s.replace(/'/g, "\\'")}'`;
  const uniq = (i: number, d = ''): string[] => [...new Set(recs.map((f) => f[i] || d))];
  const arff = join(dir, 'benign.arff');
  writeFileSync(
    arff,
    `@relation ftp\n@attribute flow {${uniq(iF).map(q).join(',')}}\n@attribute command {${uniq(iC).map(q).join(',')}}\n@attribute code {${uniq(iK, 'NOREPLY').map(q).join(',')}}\n@data\n` +
      recs.map((f) => `${q(f[iF])},${q(f[iC])},${q(f[iK] || 'NOREPLY')}`).join('\n') +
      '\n',
  );
  const jsonl = join(dir, 'benign.jsonl');
  const bySession = new Map<string, string[][]>();
  for (const f of recs) {
    const list = bySession.get(f[iF]) ?? [];
    list.push([f[iC], f[iK] || 'NOREPLY']);
    bySession.set(f[iF], list);
  }
  writeFileSync(jsonl, [...bySession.values()].map((s) => JSON.stringify(s)).join('\n') + '\n');
  const out: Row[] = [];
  for (const s of quick ? ['0.8'] : ['0.8', '0.6', '0.5']) {
    const t0 = performance.now();
    const w = spawnSync('java', ['-Xmx2g', '-cp', jar, 'weka.associations.GeneralizedSequentialPatterns', '-S', s, '-I', '0', '-F', '-1', '-t', arff], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      timeout: 900_000,
    });
    const wekaS = (performance.now() - t0) / 1000;
    const wekaN = /Total number of frequent sequences: (\d+)/.exec(w.stdout ?? '')?.[1] ?? 'failed';
    const count = Math.floor(Number(s) * bySession.size + 0.5); // Weka: Math.round(S·N)
    const t1 = performance.now();
    const g = spawnSync('node', [gsp, '--min-count', String(count), '--output', 'all', '-f', 'spmf', jsonl], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const gspS = (performance.now() - t1) / 1000;
    out.push({
      sessions: bySession.size,
      minsup: s,
      'Weka patterns': wekaN,
      'ftp-gsp patterns': g.stdout.split('\n').filter(Boolean).length,
      'Weka wall s': s3(wekaS),
      'ftp-gsp wall s': s3(gspS),
      'x faster': Math.round((wekaS / gspS) * 10) / 10,
    });
  }
  return out;
}

// standalone / child entry
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--one');
  if (i > 0) {
    runJob(JSON.parse(process.argv[i + 1]) as Job).then(
      (r) => process.stdout.write(JSON.stringify(r) + '\n'),
      (e: unknown) => {
        process.stderr.write(String((e as Error).stack ?? e) + '\n');
        process.exitCode = 1;
      },
    );
  } else {
    const quick = process.argv.includes('--quick');
    const all: Record<string, Row[]> = {};
    void runGspBench(
      (section, rows) => {
        all[section] = rows;
        process.stdout.write(`\n## ${section}\n`);
        console.table(rows);
      },
      { quick },
    ).then(() => {
      const outDir = join(ROOT, 'bench/out');
      if (existsSync(outDir)) writeFileSync(join(outDir, 'gsp.json'), JSON.stringify(all, null, 1));
    });
  }
}
