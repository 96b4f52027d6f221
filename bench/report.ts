/**
 * `ftp-ids report` on 100k sessions: how long the page takes to open in headless Chromium (Debian's
 * chromium through playwright-core, as the tests), and what the report costs beside `ftp-ids detect`
 * on the same input (CPU seconds, one run, on the first 10k sessions: matching the generator's mix runs at
 * about 120 sessions per CPU second here, so the 100k page alone is ~14 CPU minutes and is kept between
 * runs). Side by side, in the same browser: the 10k page with EVERY session in detail
 * (--max-alerts/--max-sample beyond the input), which is what the bound saves.
 *
 * Input: the synthetic dataset CSV (bench/synthetic-ftp.ts, deterministic) — 100k sessions of the
 * generator's mix, hostile ones included; the model is trained on 3,000 other sessions (seed 2).
 * Run: `node dist/bench/report.js [--sessions N] [--compare M] [--runs K]` (npm run bench runs it too).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { optInt } from '../src/common/options.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = resolve(HERE, '../..');
const OUT = join(ROOT, 'bench', 'out');
const IDS = join(ROOT, 'dist/bin/ftp-ids.js');
const GNU_TIME = '/usr/bin/time';
const CHROMIUM = '/usr/bin/chromium';

const S = (f: string): string => join(ROOT, 'samples', f);
const SIG = ['--signatures', S('signatures.csv')];

/**
 * n sessions made of samples/'s real ones (benign and attacks, 925 sessions, 2.1 minutes), copied
 * as often as it takes: copy k has its client addresses moved to 127.k.x.y (so each copy's clients are
 * new clients, their windows their own), its flow ids suffixed and its times shifted k spans later.
 * The synthetic generator's mix would be the other choice, but matching it runs at ~120 sessions per
 * CPU second here (its model has ~200 patterns per label and long mirror sessions): 14 CPU minutes for
 * one page; these sessions match at ~1,000 per CPU second.
 */
async function writeDataset(file: string, n: number): Promise<void> {
  if (existsSync(file)) return;
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', `node ${join(ROOT, 'dist/bin/ftp-flows.js')} ${S('benign.pcap')} ${S('attacks.pcap')} | node ${join(ROOT, 'dist/bin/ftp-extract.js')} ${SIG.join(' ')}`], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`ftp-flows | ftp-extract on samples/: ${r.stderr}`);
  const [header, ...rows] = parse(r.stdout) as string[][];
  const at = (name: string): number => header!.indexOf(name);
  const [fid, cid, cip, tsq, tsr] = ['flow_id', 'community_id', 'client_ip', 'ts_request', 'ts_reply'].map(at) as [number, number, number, number, number];
  const flows: string[][][] = [];
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const row of rows) {
    if (flows.length === 0 || flows[flows.length - 1]![0]![fid] !== row[fid]) flows.push([]);
    flows[flows.length - 1]!.push(row);
    for (const c of [tsq, tsr]) if (row[c] !== '') {
      t0 = Math.min(t0, Number(row[c]));
      t1 = Math.max(t1, Number(row[c]));
    }
  }
  const span = Math.ceil(t1 - t0) + 30;
  const out = createWriteStream(file);
  out.write(stringify([header!]));
  let written = 0;
  for (let k = 0; written < n; k++) {
    for (const flow of flows) {
      if (written++ >= n) break;
      const copy = flow.map((row) => {
        const x = [...row];
        x[fid] = k === 0 ? x[fid]! : `${x[fid]}-${k}`;
        x[cid] = k === 0 ? x[cid]! : '';
        const ip = x[cip]!.split('.');
        if (ip.length === 4 && k > 0) x[cip] = `127.${k % 256}.${ip[2]}.${ip[3]}`;
        for (const c of [tsq, tsr]) if (x[c] !== '' && k > 0) x[c] = (Number(x[c]) + k * span).toFixed(6);
        return x;
      });
      if (!out.write(stringify(copy))) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}

/** Run a command; CPU seconds (user+sys) and peak RSS from GNU time when present, and wall seconds. */
function timed(args: string[], cwd = ROOT): { wall: number; cpu: number | null; rssMb: number | null } {
  const t0 = process.hrtime.bigint();
  const useTime = existsSync(GNU_TIME);
  const r = useTime
    ? spawnSync(GNU_TIME, ['-f', '%U %S %M', process.execPath, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(-500)}`);
  if (!useTime) return { wall, cpu: null, rssMb: null };
  const last = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: last[0]! + last[1]!, rssMb: last[2]! / 1024 };
}

export interface ReportBenchRow {
  page: string;
  sizeMb: number;
  sessionsInDetail: number;
  openMs: number[];
  medianOpenMs: number;
}

/** Open each page `runs` times in a fresh tab; the time from navigation start to the page's `report-ready` mark. */
async function openTimes(files: { page: string; file: string }[], runs: number): Promise<ReportBenchRow[]> {
  const { chromium } = await import('playwright-core');
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'ftp-report-bench-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const rows: ReportBenchRow[] = [];
  try {
    for (const { page: name, file } of files) {
      const times: number[] = [];
      let detail = 0;
      for (let i = 0; i < runs; i++) {
        const page = await ctx.newPage();
        await page.goto(pathToFileURL(file).href, { timeout: 300_000 });
        await page.waitForSelector('body[data-ready="1"]', { timeout: 300_000 });
        const ms = await page.evaluate(() => performance.getEntriesByName('report-ready')[0]!.startTime);
        detail = await page.evaluate(() => JSON.parse(document.getElementById('report-data')!.textContent!).sessions.length as number);
        times.push(ms);
        await page.close();
      }
      const sorted = [...times].sort((a, b) => a - b);
      rows.push({ page: name, sizeMb: statSync(file).size / 1e6, sessionsInDetail: detail, openMs: times.map((t) => Math.round(t)), medianOpenMs: Math.round(sorted[Math.floor(sorted.length / 2)]!) });
    }
  } finally {
    await ctx.close();
  }
  return rows;
}

export async function runReportBench(opts: { sessions?: number; compare?: number; runs?: number } = {}): Promise<Record<string, unknown>> {
  const n = opts.sessions ?? 100_000;
  const m = Math.min(n, opts.compare ?? 10_000);
  const runs = opts.runs ?? 3;
  if (!existsSync(CHROMIUM)) return { skipped: `${CHROMIUM} is absent (apt-get install chromium)` };
  mkdirSync(OUT, { recursive: true });
  const data = join(OUT, `report-samples-${n}.csv`);
  const small = join(OUT, `report-samples-${m}.csv`);
  const model = join(OUT, 'report-samples-model.json');
  await writeDataset(data, n);
  await writeDataset(small, m); // the first m sessions of the same copies
  // the model: samples/'s benign training part, as the tests and the demo
  if (!existsSync(model)) timed([IDS, 'train', '--labels', S('labels.csv'), '--split', 'train', ...SIG, S('benign.pcap'), '-o', model]);
  // the big page: made once and kept (about 14 CPU minutes of matching at 100k on the generator's mix;
  // delete bench/out/report-N.html to make it again with changed code)
  const page = join(OUT, `report-samples-${n}.html`);
  const fresh = existsSync(page) && statSync(page).mtimeMs > Math.max(statSync(data).mtimeMs, statSync(model).mtimeMs);
  const big = fresh ? null : timed([IDS, 'report', '--model', model, data, '-o', page]);
  // side by side on the first m sessions: detect, the report, and the report with every session in detail
  const smallPage = join(OUT, `report-samples-${m}.html`);
  const every = join(OUT, `report-samples-${m}-every-session.html`);
  const detect = timed([IDS, 'detect', '--model', model, small]);
  const report = timed([IDS, 'report', '--model', model, small, '-o', smallPage]);
  const all = timed([IDS, 'report', '--model', model, '--max-alerts', String(m), '--max-sample', String(m), small, '-o', every]);
  const open = await openTimes(
    [
      { page: `${n} sessions, bounded (default)`, file: page },
      { page: `${m} sessions, bounded (default)`, file: smallPage },
      { page: `${m} sessions, every session in detail`, file: every },
    ],
    runs,
  );
  return {
    sessions: n,
    bigPage: big ? { cpuSeconds: big.cpu, wallSeconds: big.wall, peakRssMb: big.rssMb } : 'kept from an earlier run',
    compare: {
      sessions: m,
      cpuSeconds: { detect: detect.cpu, report: report.cpu, reportEverySession: all.cpu },
      peakRssMb: { detect: detect.rssMb, report: report.rssMb, reportEverySession: all.rssMb },
      reportOverDetectCpu: detect.cpu && report.cpu ? report.cpu / detect.cpu : null,
    },
    open,
    openRatioEveryOverBounded: open[2]!.medianOpenMs / open[1]!.medianOpenMs,
  };
}

/**
 * docs/report.png: the report on samples/ (trained on its benign training part, judging the held-back
 * benign sessions and the attacks, with the labels), the first alert opened; the top of the page.
 */
async function screenshot(file: string): Promise<void> {
  const rel = (f: string): string => join('samples', f); // relative: the page shows its inputs as given
  const dir = mkdtempSync(join(tmpdir(), 'ftp-report-shot-'));
  const model = join(dir, 'model.json');
  const page = join(dir, 'report.html');
  const sig = ['--signatures', rel('signatures.csv')];
  timed([IDS, 'train', '--labels', rel('labels.csv'), '--split', 'train', ...sig, rel('benign.pcap'), '-o', model]);
  timed([IDS, 'report', '--model', model, '--labels', rel('labels.csv'), '--split', 'held-back', ...sig, rel('benign.pcap'), rel('attacks.pcap'), '-o', page]);
  const { chromium } = await import('playwright-core');
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'ftp-report-bench-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 2050 },
    deviceScaleFactor: 0.75,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const p = await ctx.newPage();
    await p.goto(pathToFileURL(page).href);
    await p.waitForSelector('body[data-ready="1"]');
    await p.locator('#sessions tbody tr').first().click();
    // the opened alert right under the table's first rows: hide the scroll box's other rows
    await p.evaluate(() => {
      document.querySelectorAll('#sessions tbody tr:nth-child(n+5)').forEach((tr) => ((tr as HTMLElement).style.display = 'none'));
      window.scrollTo(0, 0);
    });
    await p.screenshot({ path: file, clip: { x: 0, y: 0, width: 1100, height: 2050 } });
  } finally {
    await ctx.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { sessions: { type: 'string' }, compare: { type: 'string' }, runs: { type: 'string' }, screenshot: { type: 'string' } } });
  if (values.screenshot) {
    await screenshot(values.screenshot);
    process.exit(0);
  }
  const r = await runReportBench({ sessions: optInt(values, 'sessions', 100_000, 1), compare: optInt(values, 'compare', 10_000, 1), runs: optInt(values, 'runs', 3, 1, 99) });
  process.stdout.write(JSON.stringify(r, null, 2) + '\n');
}
