#!/usr/bin/env node
/**
 * `npm run bench`: one run, one capture, every tool side by side.
 *
 * 1. Generates a synthetic FTP capture (bench/gen-capture.ts; default 1 GiB, --quick 50 MiB), cached
 *    under bench/out/ by size, seed, ratio, concurrency and a hash of the generator's code.
 * 2. Times on that same file, one after the other:
 *      ftp-flows F > /dev/null
 *      tshark -r F -q -z conv,tcp
 *      tshark -r F -Y ftp -T fields -e tcp.stream -e ftp.request.command -e ftp.response.code
 *      ftp-flows F | ftp-extract > /dev/null          (capture → CSV, two processes)
 *      ftp-extract F > /dev/null                      (capture → CSV, one process)
 *    Each command runs under GNU time (`/usr/bin/time -f '%e %U %S %M'`, one per process of a
 *    pipeline): CPU seconds and peak RSS (max resident set of that process) come from the kernel's
 *    rusage; wall time is taken around the whole command.
 * 3. Runs the miner's bench (bench/gsp.ts, another helper's) when it has been built.
 * 4. Runs the hostile captures (bench/hostile.ts: gen_hostile.py's captures, time, peak RSS, counters).
 *
 * Prints a table on stdout, progress on stderr, and writes bench/out/results.json.
 * Options: --quick (50M), --size 1G, --seed N, --repeat N (runs of our commands, median kept; 3, --quick 1),
 *          --skip-tshark, --skip-gsp, --skip-capture (GSP only),
 *          --only-capture (generate the capture and stop), --concurrency N, --data-ratio R, --skip-hostile,
 *          --skip-capture-csv (bench/capture-csv.ts: capture → CSV on a control-heavy and a data-heavy capture).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runCli } from '../src/common/cli.js';
import { optNumber, optSize, optInt } from '../src/common/options.js';
import { generateCapture, normalizeCaptureOptions, type CaptureStats } from './gen-capture.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = resolve(HERE, '../..');
const OUT = join(ROOT, 'bench', 'out');
const GNU_TIME = '/usr/bin/time';
const MB = 1e6;

interface CaptureMeta extends CaptureStats {
  file: string;
  size: number;
  seed: number;
  concurrency: number;
  dataRatio: number;
  generator: string;
  /** exchange rows a correct extractor writes: greeting + one per command, per control session */
  expectedRows: number;
  generateSeconds?: number;
}

interface StageUsage {
  user: number;
  sys: number;
  rssKb: number;
  exitCode: number;
}

interface RunResult {
  name: string;
  command: string;
  wallSeconds: number;
  cpuSeconds: number | null;
  peakRssMb: number | null;
  /** for pipelines: the sum of the processes' peaks (they run at the same time) */
  sumRssMb: number | null;
  rssSource: string;
  mbPerSecond: number;
  mbPerCpuSecond: number | null;
  packetsPerSecond: number;
  loadBefore: number;
  output: string;
  ok: boolean;
  vsTsharkFtp?: number;
  /** the same ratio on CPU seconds */
  vsTsharkFtpCpu?: number;
  vsTsharkConv?: number;
  /** when the command ran several times: every run (the row shows the median by CPU time) */
  repeats?: { wallSeconds: number; cpuSeconds: number | null; peakRssMb: number | null }[];
}

function progress(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function generatorHash(): string {
  const h = createHash('sha1');
  for (const f of ['gen-capture.js', 'synthetic-ftp.js']) h.update(readFileSync(join(HERE, f)));
  return h.digest('hex').slice(0, 8);
}

/** The capture for these options, generated unless an identical one is cached. */
function ensureCapture(size: number, seed: number, concurrency: number | undefined, dataRatio: number | undefined): CaptureMeta {
  mkdirSync(OUT, { recursive: true });
  const opts = normalizeCaptureOptions({ size, seed, concurrency, dataRatio });
  const hash = generatorHash();
  const stem = `capture-${size}-s${seed}`;
  const name = `${stem}-r${opts.dataRatio}-c${opts.concurrency}-${hash}`;
  const file = join(OUT, `${name}.pcap`);
  const metaFile = join(OUT, `${name}.json`);
  if (existsSync(file) && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as CaptureMeta;
    if (statSync(file).size === meta.bytes) {
      progress(`using cached capture ${file} (${(meta.bytes / MB).toFixed(0)} MB)`);
      return meta;
    }
  }
  // a capture of the same size and seed from an older generator is stale: remove it (they are large)
  for (const f of readdirSync(OUT)) if (f.startsWith(stem + '-') && !f.startsWith(name)) unlinkSync(join(OUT, f));
  progress(`generating ${file} (${(size / MB).toFixed(0)} MB bound, ${opts.concurrency} sessions open at once) ...`);
  let expectedRows = 0;
  const t = process.hrtime.bigint();
  const stats = generateCapture(file, { ...opts, onSession: (l) => (expectedRows += 1 + l.commands.length) });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  const meta: CaptureMeta = {
    ...stats, file, size, seed, concurrency: opts.concurrency, dataRatio: opts.dataRatio, generator: hash, expectedRows, generateSeconds: secs,
  };
  writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
  progress(`generated in ${secs.toFixed(1)} s (${(stats.bytes / MB / secs).toFixed(0)} MB/s)`);
  return meta;
}

/**
 * Runs `stages` as a pipeline (`a | b | c`), stdout of the last to `stdoutFile`, each stage under GNU
 * time when installed. Progress ticks on stderr every 30 s.
 */
async function timed(label: string, stages: string[][], stdoutFile: string, errFile: string): Promise<{ wall: number; usage: StageUsage[] | null; stderr: string }> {
  const useTime = existsSync(GNU_TIME);
  const timeFiles = stages.map((_, i) => join(OUT, `.time-${i}`));
  for (const f of timeFiles) if (existsSync(f)) unlinkSync(f);
  const cmd = stages
    .map((argv, i) => (useTime ? [GNU_TIME, '-o', timeFiles[i], '-f', '%e %U %S %M', ...argv] : argv).map(shellQuote).join(' '))
    .join(' | ') + ` > ${shellQuote(stdoutFile)} 2> ${shellQuote(errFile)}`;
  const t0 = process.hrtime.bigint();
  const tick = setInterval(() => progress(`  ${label}: ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(0)} s ...`), 30_000);
  const code = await new Promise<number>((res) => spawn('sh', ['-c', cmd], { stdio: 'ignore' }).on('close', (c) => res(c ?? 1)));
  clearInterval(tick);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const stderr = existsSync(errFile) ? readFileSync(errFile, 'utf8') : '';
  if (!useTime) return { wall, usage: code === 0 ? null : [{ user: 0, sys: 0, rssKb: 0, exitCode: code }], stderr };
  const usage = timeFiles.map((f) => {
    const lines = existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : ['0 0 0 0'];
    const [, user, sys, rss] = lines[lines.length - 1].split(' ').map(Number);
    const m = /exited with non-zero status (\d+)/.exec(lines.join('\n'));
    const killed = /terminated by signal (\d+)/.exec(lines.join('\n'));
    return { user, sys, rssKb: rss, exitCode: m ? Number(m[1]) : killed ? 128 + Number(killed[1]) : 0 };
  });
  return { wall, usage, stderr };
}

/** JSON objects printed on stderr (the --stats lines), merged. */
function statsFrom(stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      Object.assign(out, JSON.parse(line));
    } catch {
      // not a stats line
    }
  }
  return out;
}

async function measure(
  name: string, stages: string[][], meta: CaptureMeta, describeOutput: (stdoutFile: string, stderr: string) => string, keepOutput = false,
): Promise<RunResult> {
  const stdoutFile = keepOutput ? join(OUT, `out-${name.replace(/[^\w]+/g, '-')}.txt`) : '/dev/null';
  const errFile = join(OUT, `err-${name.replace(/[^\w]+/g, '-')}.txt`);
  const command = stages.map((a) => a.map(shellQuote).join(' ')).join(' | ');
  const loadBefore = loadavg()[0];
  progress(`running ${name}: ${command}`);
  const { wall, usage, stderr } = await timed(name, stages, stdoutFile, errFile);
  const ok = !usage || usage.every((u) => u.exitCode === 0);
  const cpu = usage ? usage.reduce((s, u) => s + u.user + u.sys, 0) : null;
  const peak = usage ? Math.max(...usage.map((u) => u.rssKb)) / 1024 : null;
  const sum = usage && usage.length > 1 ? usage.reduce((s, u) => s + u.rssKb, 0) / 1024 : null;
  let output = ok ? describeOutput(stdoutFile, stderr) : `FAILED (exit ${usage!.map((u) => u.exitCode).join('/')}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
  if (!ok) progress(`  ${name} failed: ${stderr.trim().split('\n').slice(-5).join('\n    ')}`);
  else progress(`  ${name}: ${wall.toFixed(1)} s wall, ${(meta.bytes / MB / wall).toFixed(1)} MB/s; ${output}`);
  if (!existsSync(GNU_TIME)) output += ' (CPU and RSS not measured: GNU time missing, apt-get install time)';
  return {
    name, command, wallSeconds: wall, cpuSeconds: cpu, peakRssMb: peak, sumRssMb: sum,
    rssSource: usage ? 'GNU time %M (ru_maxrss of each process)' : 'not measured',
    mbPerSecond: meta.bytes / MB / wall, mbPerCpuSecond: cpu ? meta.bytes / MB / cpu : null,
    packetsPerSecond: meta.packets / wall, loadBefore, output, ok,
  };
}

/**
 * The command `repeat` times; the run with the median CPU time (wall when CPU is not measured) is the
 * result. A short command run once measures the machine's mood as much as the code: on this shared
 * machine one ftp-flows run varies by ±20 % from minute to minute, a three-minute tshark run much less.
 */
async function measureMedian(
  name: string, stages: string[][], meta: CaptureMeta, describeOutput: (stdoutFile: string, stderr: string) => string, repeat: number,
): Promise<RunResult> {
  const all: RunResult[] = [];
  for (let i = 0; i < repeat; i++) {
    const r = await measure(name, stages, meta, describeOutput);
    all.push(r);
    if (!r.ok) return r;
  }
  const key = (r: RunResult): number => r.cpuSeconds ?? r.wallSeconds;
  const sorted = [...all].sort((a, b) => key(a) - key(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (repeat > 1) median.repeats = all.map((r) => ({ wallSeconds: r.wallSeconds, cpuSeconds: r.cpuSeconds, peakRssMb: r.peakRssMb }));
  return median;
}

function lineCount(file: string): number {
  if (!existsSync(file)) return 0;
  const b = readFileSync(file);
  let n = 0;
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  return n;
}

function fmt(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function toolVersion(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : 'not installed';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      size: { type: 'string' },
      seed: { type: 'string', default: '1' },
      concurrency: { type: 'string' },
      'data-ratio': { type: 'string' },
      'skip-tshark': { type: 'boolean', default: false },
      'skip-gsp': { type: 'boolean', default: false },
      'skip-report': { type: 'boolean', default: false },
      'skip-capture': { type: 'boolean', default: false },
      'skip-hostile': { type: 'boolean', default: false },
      'skip-capture-csv': { type: 'boolean', default: false },
      'only-capture': { type: 'boolean', default: false },
      repeat: { type: 'string' },
    },
  });
  const size = optSize(values, 'size', values.quick ? 50 * 1024 * 1024 : 1024 * 1024 * 1024);
  const seed = optInt(values, 'seed', 1, 0, 0xffffffff);
  const dataRatio = values['data-ratio'] === undefined ? undefined : optNumber(values, 'data-ratio', 0.8, 0, 0.98);
  const concurrency = values.concurrency === undefined ? undefined : optInt(values, 'concurrency', 2000, 1, 60000);
  mkdirSync(OUT, { recursive: true });
  const hasTshark = toolVersion(['tshark', '--version']) !== 'not installed';
  const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  // our commands take seconds, so each runs several times and the median counts (--quick: once)
  const repeat = optInt(values, 'repeat', values.quick ? 1 : 3, 1, 99);
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    // the code measured: a checkout's HEAD, or BENCH_COMMIT when run from an exported tree
    commit: process.env.BENCH_COMMIT ?? (spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || 'unknown'),
    mode: values.quick ? 'quick' : 'full',
    machine: {
      cpus: cpus().length, model: cpus()[0]?.model ?? '?', memoryGb: +(totalmem() / 2 ** 30).toFixed(1), node: process.version,
      tshark: toolVersion(['tshark', '--version']), gnuTime: existsSync(GNU_TIME), loadAtStart: loadavg(),
    },
    units: 'MB = 10^6 bytes of the capture file; MB/s = file bytes / wall seconds; MB/CPU-s = file bytes / (user+sys) seconds of all processes',
  };
  const resultsFile = join(OUT, 'results.json');
  const save = () => writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');

  if (!values['skip-capture']) {
    const meta = ensureCapture(size, seed, concurrency, dataRatio);
    if (values['only-capture']) return;
    results.capture = meta;
    // the cache may have been filled from another checkout sharing bench/out
    const F = join(OUT, basename(meta.file));
    // read the file once so that the first tool measured does not pay for the disk
    progress('warming the page cache ...');
    await timed('warm', [['cat', F]], '/dev/null', join(OUT, '.warm-err'));

    const node = process.execPath;
    const flowsBin = join(ROOT, 'dist/bin/ftp-flows.js');
    const extractBin = join(ROOT, 'dist/bin/ftp-extract.js');
    const runs: RunResult[] = [];
    const notAvailable: string[] = [];
    const flowsOut = (_f: string, err: string) => {
      const s = statsFrom(err);
      return `${s.flows_emitted ?? '?'} control flows (generator wrote ${meta.controlSessions})`;
    };
    const rowsOut = (_f: string, err: string) => {
      const s = statsFrom(err);
      return `${s['extract.rows'] ?? s.rows ?? '?'} exchange rows (generator: ${meta.expectedRows})`;
    };

    if (existsSync(flowsBin)) {
      runs.push(await measureMedian('ftp-flows', [[node, flowsBin, '--stats', F]], meta, flowsOut, repeat));
      // the same without data channels (control lines not read, no data records): their cost as a ratio in
      // this run (issue 16's budget: within 10 % of ftp-flows before data channels, docs/BENCHMARKS.md)
      runs.push(await measureMedian('ftp-flows --max-expected-data 0', [[node, flowsBin, '--stats', '--max-expected-data', '0', F]], meta, flowsOut, repeat));
      // one core for every thread of the process (V8's GC and compiler threads included): MB/s on one core
      if (hasTaskset) runs.push(await measureMedian('ftp-flows, one core', [['taskset', '-c', '0', node, flowsBin, '--stats', F]], meta, flowsOut, repeat));
    } else notAvailable.push('ftp-flows (dist/bin/ftp-flows.js not built)');
    if (hasTshark && !values['skip-tshark']) {
      const est = (mbps: number) => {
        const secs = meta.bytes / MB / mbps;
        return secs < 120 ? `${Math.ceil(secs)} s` : `${Math.ceil(secs / 60)} min`;
      };
      progress(`tshark reads about 3-10 MB/s here: expect ${est(10)}-${est(3)} for each of the next two runs`);
      runs.push(await measure('tshark conv,tcp', [['tshark', '-r', F, '-q', '-z', 'conv,tcp']], meta,
        // 5 header lines and a closing rule around one line per conversation
        (f) => `${Math.max(0, lineCount(f) - 6)} conversations listed`, true));
      runs.push(await measure('tshark -Y ftp fields', [['tshark', '-r', F, '-Y', 'ftp', '-T', 'fields', '-e', 'tcp.stream', '-e', 'ftp.request.command',
        '-e', 'ftp.response.code']], meta, (f) => `${lineCount(f)} FTP packets listed`, true));
    } else notAvailable.push(hasTshark ? 'tshark (--skip-tshark)' : 'tshark (not installed)');
    if (existsSync(flowsBin) && existsSync(extractBin)) {
      runs.push(await measureMedian('ftp-flows | ftp-extract', [[node, flowsBin, F], [node, extractBin, '--stats']], meta, rowsOut, repeat));
    } else notAvailable.push('ftp-flows | ftp-extract (not built)');
    if (existsSync(extractBin)) runs.push(await measureMedian('capture->CSV in one process', [[node, extractBin, '--stats', F]], meta, rowsOut, repeat));
    else notAvailable.push('ftp-extract F (not built)');

    const tsharkFtp = runs.find((r) => r.name === 'tshark -Y ftp fields' && r.ok);
    const tsharkConv = runs.find((r) => r.name === 'tshark conv,tcp' && r.ok);
    for (const r of runs) {
      if (!r.ok) continue;
      if (tsharkFtp) r.vsTsharkFtp = tsharkFtp.wallSeconds / r.wallSeconds;
      if (tsharkFtp?.cpuSeconds && r.cpuSeconds) r.vsTsharkFtpCpu = tsharkFtp.cpuSeconds / r.cpuSeconds;
      if (tsharkConv) r.vsTsharkConv = tsharkConv.wallSeconds / r.wallSeconds;
    }
    results.runs = runs;
    results.notAvailable = notAvailable;
    results.loadAtEnd = loadavg();
    save();

    const title = `Capture bench/out/${basename(F)}: ${(meta.bytes / MB).toFixed(1)} MB, ${meta.packets} packets, ` +
      `${meta.controlSessions} FTP control sessions (${meta.concurrency} open at once), ${meta.dataConnections} data connections, ` +
      `${((100 * meta.dataBytes) / meta.bytes).toFixed(0)}% of bytes in data connections`;
    process.stdout.write(`\n${title}\nCode: ${results.commit}. Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, ` +
      `${(results.machine as { tshark: string }).tshark}; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n\n`);
    process.stdout.write(table(
      ['command', 'wall s', 'CPU s', 'MB/s', 'MB/CPU-s', 'kpkt/s', 'peak RSS MB', '× tshark -Y ftp', '(CPU)', '× tshark conv', 'output'],
      runs.map((r) => !r.ok ? [r.name, ...Array(9).fill('-'), r.output] : [
        r.name, fmt(r.wallSeconds), fmt(r.cpuSeconds), fmt(r.mbPerSecond), fmt(r.mbPerCpuSecond), fmt(r.packetsPerSecond / 1000),
        r.sumRssMb !== null ? `${fmt(r.peakRssMb, 0)} (sum ${fmt(r.sumRssMb, 0)})` : fmt(r.peakRssMb, 0),
        fmt(r.vsTsharkFtp), fmt(r.vsTsharkFtpCpu), fmt(r.vsTsharkConv), r.output,
      ]),
    ) + '\n');
    const withData = runs.find((r) => r.name === 'ftp-flows' && r.ok);
    const withoutData = runs.find((r) => r.name === 'ftp-flows --max-expected-data 0' && r.ok);
    if (withData?.cpuSeconds && withoutData?.cpuSeconds) {
      results.dataChannelsCpuRatio = withData.cpuSeconds / withoutData.cpuSeconds;
      process.stdout.write(`\ndata channels: ftp-flows CPU × ${fmt(withData.cpuSeconds / withoutData.cpuSeconds, 2)} of ftp-flows --max-expected-data 0 (budget: × 1.10)\n`);
    }
    if (meta.generateSeconds) process.stdout.write(`\ngen-capture: ${fmt(meta.generateSeconds)} s (${fmt(meta.bytes / MB / meta.generateSeconds, 0)} MB/s)\n`);
    if (notAvailable.length) process.stdout.write(`not available: ${notAvailable.join('; ')}\n`);
    if (repeat > 1) process.stdout.write(`our commands: the median of ${repeat} runs by CPU time (every run in bench/out/results.json); tshark: one run\n`);
    process.stdout.write(`peak RSS: ${existsSync(GNU_TIME) ? 'GNU time %M per process (pipelines: the largest, and the sum)' : 'not measured'}\n`);
  }

  if (!values['skip-gsp']) await runGsp(results, save, values.quick === true);
  if (!values['skip-capture-csv'] && !values['only-capture']) {
    // capture → CSV on a control-heavy and a data-heavy capture (bench/capture-csv.ts; bench/out/capture-csv.json)
    const args = [join(HERE, 'capture-csv.js'), ...(values.quick ? ['--quick'] : []), ...(values['skip-tshark'] ? ['--skip-tshark'] : [])];
    results.captureCsv = spawnSync(process.execPath, args, { stdio: 'inherit' }).status === 0 ? 'bench/out/capture-csv.json' : 'failed';
  }
  if (!values['skip-hostile'] && !values['only-capture']) {
    // its own process and table (bench/out/hostile.json)
    const args = [join(HERE, 'hostile.js'), ...(values.quick ? ['--quick'] : []), ...(values['skip-tshark'] ? ['--skip-tshark'] : [])];
    results.hostile = spawnSync(process.execPath, args, { stdio: 'inherit' }).status === 0 ? 'bench/out/hostile.json' : 'failed';
  }
  if (!values['skip-report']) await runReport(results, values.quick === true);
  save();
  progress(`results written to ${resultsFile}`);
}

/** The miner's bench (bench/gsp.ts, written by the miner's helper) when it has been built. */
async function runGsp(results: Record<string, unknown>, save: () => void, quick: boolean): Promise<void> {
  const gspFile = join(HERE, 'gsp.js');
  if (!existsSync(gspFile)) {
    process.stdout.write('\nGSP bench: not available (bench/gsp.ts not built)\n');
    results.gsp = 'not available';
    return;
  }
  const sections: Record<string, Record<string, string | number>[]> = {};
  results.gsp = sections;
  const report = (section: string, rows: Record<string, string | number>[]): void => {
    sections[section] = [...(sections[section] ?? []), ...rows];
    save();
    if (rows.length === 0) return;
    const headers = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    process.stdout.write(`\nGSP: ${section}\n${table(headers, rows.map((r) => headers.map((h) => (r[h] === undefined ? '' : String(r[h])))))}\n`);
  };
  try {
    const spec = pathToFileURL(gspFile).href; // a variable: the module may not exist when this file is compiled
    const mod = (await import(spec)) as { runGspBench?: (r: typeof report, opts?: { quick?: boolean }) => Promise<void> };
    if (typeof mod.runGspBench !== 'function') throw new Error('bench/gsp.js does not export runGspBench');
    progress('running the GSP bench (bench/gsp.ts) ...');
    await mod.runGspBench(report, { quick });
  } catch (e) {
    progress(`GSP bench failed: ${(e as Error).stack ?? e}`);
    sections.error = [{ error: String((e as Error).message ?? e) }];
  }
}

/** ftp-ids report's bench (bench/report.ts): the open time of a 100k-session page in headless Chromium. */
async function runReport(results: Record<string, unknown>, quick: boolean): Promise<void> {
  progress('running the report bench (bench/report.ts): 100k sessions, detect and report, then the page in Chromium ...');
  try {
    const mod = (await import(pathToFileURL(join(HERE, 'report.js')).href)) as { runReportBench: (o: { sessions?: number; runs?: number }) => Promise<Record<string, unknown>> };
    const r = await mod.runReportBench({ sessions: 100_000, runs: quick ? 1 : 3 });
    results.report = r;
    const open = (r.open ?? []) as { page: string; sizeMb: number; sessionsInDetail: number; medianOpenMs: number }[];
    const cmp = (r.compare ?? {}) as { sessions?: number; cpuSeconds?: Record<string, number | null> };
    const cpu = cmp.cpuSeconds ?? {};
    process.stdout.write(`\nftp-ids report: CPU s on ${String(cmp.sessions ?? '?')} sessions: detect ${fmt(cpu.detect)}, report ${fmt(cpu.report)} (every session in detail ${fmt(cpu.reportEverySession)})${r.skipped ? ` — ${String(r.skipped)}` : ''}\n`);
    if (open.length) process.stdout.write(table(['page', 'MB', 'sessions in detail', 'open ms (median)'], open.map((o) => [o.page, fmt(o.sizeMb), String(o.sessionsInDetail), String(o.medianOpenMs)])) + '\n');
  } catch (e) {
    progress(`report bench failed: ${(e as Error).stack ?? e}`);
    results.report = { error: String((e as Error).message ?? e) };
  }
}

runCli('bench', main);
