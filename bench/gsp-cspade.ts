/**
 * The miner next to R arulesSequences' cSPADE (M. J. Zaki's C++ programs `exttpose` and `spade`),
 * with time constraints (issue 4). cSPADE is third-party code and never part of this repository:
 * docs/ARCHITECTURE.md ("ftp-gsp vs cSPADE") says where its source comes from and how to build it.
 * The programs are looked up in $CSPADE_DIR, else ../cspade beside the repository, each directly or
 * in bin/, src/TPOSE/ (exttpose) and src/cSPADE/ (spade). Without them the section reports
 * "skipped".
 *
 * What runs is what arulesSequences' cspade() runs (R/05read_write.R, version 0.2-28):
 *   R_makebin:  FILE.data = per non-empty transaction the ints (sid, eid, n, item ids 1..nr),
 *               FILE.conf = ns, nr+1, (float) nc/ns, (float) nnz/nc, nc, min sid, max sid
 *               (written here, in-process, untimed — in R it is a .Call before the programs);
 *   exttpose -i FILE -o FILE -p NOP -l -x -s SUPPORT
 *   spade    -i FILE -s SUPPORT [-l MINGAP] [-u MAXGAP] -r -e NOP -o
 * with NOP = ceiling((nc + 2·nnz) · sizeof(long) / 4^10 / 5) as cspade() computes it. cspade()'s
 * default maxsize/maxlen of 10 (-Z 10 -z 10) are NOT passed: spade's own limits (100 items per
 * element, 100 elements) then never bind on these data, and ftp-gsp has no such limit.
 *
 * Constraint mapping (checked by equal pattern sets, see docs): spade compares event ids of
 * consecutive elements, min_gap ≤ eid(next) − eid(prev) ≤ max_gap, mingap ≥ 1 (default 1). So
 * cSPADE mingap m = ftp-gsp --min-gap m−1 (strict), cSPADE maxgap M = ftp-gsp --max-gap M (window 0).
 *
 * Both tools read the same transactions: the SPMF file is parsed once by ftp-gsp's own parser
 * (parseSpmf) and written in cSPADE's format from that; both outputs are reduced to
 * "item … -1 item -1 #SUP: n" lines (items of an element sorted) and compared as sets.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseSpmf } from '../src/gsp/input.js';

type Row = Record<string, string | number>;

/** One measured run of a command: GNU time's wall, user+sys CPU (all processes) and peak RSS. */
interface Timed {
  wall: number;
  cpu: number;
  rssMB: number;
  stdout: string;
  ok: boolean;
  err: string;
}

const GNU_TIME = '/usr/bin/time';

export function timed(cmd: string[], cwd?: string, timeoutMs = 900_000): Timed {
  const useTime = existsSync(GNU_TIME);
  const argv = useTime ? [GNU_TIME, '-f', '@@TIME %e %U %S %M', ...cmd] : cmd;
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', maxBuffer: 1 << 30, timeout: timeoutMs });
  const wallOwn = (performance.now() - t0) / 1000;
  const m = /@@TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  return {
    wall: m ? Number(m[1]) : wallOwn,
    cpu: m ? Number(m[2]) + Number(m[3]) : NaN,
    rssMB: m ? Math.round(Number(m[4]) / 1024) : NaN,
    stdout: r.stdout ?? '',
    ok: !r.error && r.status === 0,
    err: (r.error ? String(r.error) : (r.stderr ?? '').replace(/@@TIME.*\n?/, '').trim().split('\n').pop()) ?? '',
  };
}

/** Best (smallest) wall and CPU over `runs` runs; the output of the last. */
function best(runs: number, cmd: string[], cwd?: string): Timed {
  let b: Timed | null = null;
  for (let i = 0; i < runs; i++) {
    const t = timed(cmd, cwd);
    if (!t.ok) return t;
    b = b ? { ...t, wall: Math.min(b.wall, t.wall), cpu: Math.min(b.cpu, t.cpu), rssMB: Math.max(b.rssMB, t.rssMB) } : t;
  }
  return b!;
}

export function findCspade(root: string): { exttpose: string; spade: string } | null {
  const dir = process.env.CSPADE_DIR || join(root, '../cspade');
  const find = (name: string, sub: string): string | null =>
    [join(dir, name), join(dir, 'bin', name), join(dir, sub, name)].find((p) => existsSync(p)) ?? null;
  const exttpose = find('exttpose', 'src/TPOSE');
  const spade = find('spade', 'src/cSPADE');
  return exttpose && spade ? { exttpose, spade } : null;
}

/**
 * FILE.data / FILE.conf as R_makebin writes them, from ftp-gsp's parse of an SPMF file; returns the
 * item names by cSPADE id and the partition count cspade() would use.
 */
export function writeCspadeInput(spmfFile: string, prefix: string): { names: string[]; nop: number } {
  const { flat } = parseSpmf(readFileSync(spmfFile), spmfFile);
  const order = flat.dict.map((_, i) => i).sort((a, b) => Number(flat.dict[a]) - Number(flat.dict[b]) || (flat.dict[a] < flat.dict[b] ? -1 : 1));
  const cid = new Int32Array(flat.dict.length);
  order.forEach((x, rank) => (cid[x] = rank + 1));
  const ints: number[] = [];
  let nc = 0;
  let nnz = 0;
  let ns = 0;
  const nSeq = flat.seqStart.length;
  for (let s = 0; s < nSeq; s++) {
    const t0 = flat.seqStart[s];
    const t1 = s + 1 < nSeq ? flat.seqStart[s + 1] : flat.txStart.length;
    let any = false;
    for (let t = t0; t < t1; t++) {
      const i0 = flat.txStart[t];
      const i1 = t + 1 < flat.txStart.length ? flat.txStart[t + 1] : flat.txItems.length;
      const items = [...new Set(flat.txItems.slice(i0, i1).map((x) => cid[x]))].sort((a, b) => a - b);
      if (!items.length) continue;
      if (!Number.isInteger(flat.txTime[t])) throw new Error(`${spmfFile}: cSPADE needs integer times`);
      ints.push(s + 1, flat.txTime[t] + 1, items.length, ...items);
      nc++;
      nnz += items.length;
      any = true;
    }
    if (any) ns++;
  }
  writeFileSync(`${prefix}.data`, new Int32Array(ints));
  const conf = Buffer.alloc(28);
  conf.writeInt32LE(ns, 0);
  conf.writeInt32LE(flat.dict.length + 1, 4);
  conf.writeFloatLE(nc / ns, 8);
  conf.writeFloatLE(nnz / nc, 12);
  conf.writeInt32LE(nc, 16);
  conf.writeInt32LE(1, 20);
  conf.writeInt32LE(nSeq, 24);
  writeFileSync(`${prefix}.conf`, conf);
  const names = ['', ...order.map((x) => flat.dict[x])];
  return { names, nop: Math.max(1, Math.ceil(((nc + 2 * nnz) * 8) / 4 ** 10 / 5)) };
}

const byNumber = (a: string, b: string): number => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
export const canonical = (elements: string[][], sup: string): string => elements.map((e) => [...e].sort(byNumber).join(' ') + ' -1').join(' ') + ' #SUP: ' + sup;

/** spade -o lines "a -> b c -- sup cls…" (L1: "a -- sup cls…") as canonical SPMF lines. */
export function spadePatterns(out: string, names: string[]): Set<string> {
  const set = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^(.*?) -- (\d+)/.exec(line);
    if (m) set.add(canonical(m[1].trim().split(' -> ').map((e) => e.trim().split(/\s+/).map((i) => names[Number(i)])), m[2]));
  }
  return set;
}

/** ftp-gsp -f spmf lines "a -1 b c -1 #SUP: n" as canonical lines. */
export function gspPatterns(out: string): Set<string> {
  const set = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^(.*?)#SUP: (\d+)/.exec(line);
    if (m) set.add(canonical(m[1].trim().split(/\s*-1\s*/).filter(Boolean).map((e) => e.split(/\s+/)), m[2]));
  }
  return set;
}

/** samples/benign.pcap as an integer SPMF file: per session its exchanges' {command, final code}. */
function benignSpmf(root: string, dir: string): string | null {
  const pcap = join(root, 'samples/benign.pcap');
  const flows = join(root, 'dist/bin/ftp-flows.js');
  const extract = join(root, 'dist/bin/ftp-extract.js');
  if (!existsSync(pcap) || !existsSync(flows) || !existsSync(extract)) return null;
  const f = spawnSync(process.execPath, [flows, pcap], { maxBuffer: 1 << 30 });
  const x = spawnSync(process.execPath, [extract], { input: f.stdout, maxBuffer: 1 << 30, encoding: 'utf8' });
  if (f.status !== 0 || x.status !== 0) return null;
  const rows = parseCsv(x.stdout, { columns: true }) as Record<string, string>[];
  const sessions = new Map<string, string[][]>();
  for (const r of rows) {
    const s = sessions.get(r.flow_id) ?? [];
    s.push(r.final_code ? [r.command, r.final_code] : [r.command]);
    sessions.set(r.flow_id, s);
  }
  const names = [...new Set(rows.flatMap((r) => [r.command, r.final_code]).filter(Boolean))].sort();
  const id = new Map(names.map((n, i) => [n, i + 1]));
  const file = join(dir, 'benign.spmf');
  writeFileSync(
    file,
    [...sessions.values()].map((s) => s.map((tr) => tr.map((n) => id.get(n)).join(' ') + ' -1').join(' ') + ' -2').join('\n') + '\n',
  );
  return file;
}

/** spade's options for the gaps: -l mingap, -u maxgap */
function spadeGapOptions(c: { mingap?: number; maxgap?: number }): string[] {
  return [...(c.mingap ? ['-l', String(c.mingap)] : []), ...(c.maxgap !== undefined ? ['-u', String(c.maxgap)] : [])];
}

/**
 * One cspade() run as a shell line (run it with the temp dir as cwd: both programs append to
 * ./summary.out): exttpose, then spade printing the patterns on stdout.
 */
export function cspadeShell(
  progs: { exttpose: string; spade: string },
  prefix: string,
  nop: number,
  minSupport: string,
  c: { mingap?: number; maxgap?: number },
): string {
  const q = (a: string): string => `'${a}'`;
  return (
    `${q(progs.exttpose)} -i ${q(prefix)} -o ${q(prefix)} -p ${nop} -l -x -s ${minSupport} > /dev/null && ` +
    `${q(progs.spade)} -i ${q(prefix)} -s ${minSupport} ${spadeGapOptions(c).join(' ')} -r -e ${nop} -o 2>/dev/null`
  );
}

export interface CspadeCase {
  dataset: string;
  file: string;
  minSupport: string;
  /** cSPADE mingap (≥ 1) = ftp-gsp --min-gap mingap−1 */
  mingap?: number;
  maxgap?: number;
}

/**
 * The side-by-side rows. `mineSeconds(case)` (optional) gives ftp-gsp's in-process mining time for
 * the same case (bench/gsp.ts runs it in its own child), to show how much of ftp-gsp's process is
 * mining and how much Node start and parsing.
 */
export function cspadeSideBySide(
  root: string,
  sharedDir: string,
  quick: boolean,
  mineSeconds?: (c: CspadeCase) => number | string,
): Row[] {
  const progs = findCspade(root);
  if (!progs) return [{ result: 'skipped: CSPADE_DIR not set (and no ../cspade beside the repository); see docs/ARCHITECTURE.md "ftp-gsp vs cSPADE"' }];
  const gsp = join(root, 'dist/bin/ftp-gsp.js');
  const dir = mkdtempSync(join(tmpdir(), 'gsp-cspade-'));
  const runs = quick ? 1 : 3;
  type C = { mingap?: number; maxgap?: number };
  const basic: C[] = [{}, { maxgap: 1 }, { maxgap: 2 }, { mingap: 2 }, { mingap: 2, maxgap: 4 }];
  const heavy: C[] = [{ maxgap: 2 }, { mingap: 2, maxgap: 4 }];
  // [dataset, support, constraints, in --quick]; the low supports are where mining, not start-up, dominates
  const plan: [string, string, C[], boolean][] = [
    ['SIGN', '0.5', basic, true],
    ['SIGN', '0.4', basic, false],
    ['SIGN', '0.2', heavy, false],
    ['LEVIATHAN', '0.1', basic, true],
    ['LEVIATHAN', '0.05', basic, false],
    ['LEVIATHAN', '0.01', heavy, false],
    ['BMS1', '0.005', basic, true],
    ['BMS1', '0.002', basic, false],
    ['BMS1', '0.0005', [{ maxgap: 2 }], false],
    ['benign.pcap', '0.5', basic, true],
    ['benign.pcap', '0.2', heavy, false],
    ['benign.pcap', '0.1', [{ maxgap: 2 }], false],
  ];
  const benign = benignSpmf(root, dir);
  const cases: CspadeCase[] = [];
  for (const [name, s, cs, inQuick] of plan) {
    const file = name === 'benign.pcap' ? benign : join(sharedDir, 'gsp-datasets', `${name}.txt`);
    if (!file || !existsSync(file) || (quick && !inQuick)) continue;
    for (const c of cs) cases.push({ dataset: name, file, minSupport: s, ...c });
  }
  const rows: Row[] = [];
  const prepared = new Map<string, { prefix: string; names: string[]; nop: number }>();
  try {
    for (const c of cases) {
      let p = prepared.get(c.file);
      if (!p) {
        const prefix = join(dir, `db${prepared.size}`);
        p = { prefix, ...writeCspadeInput(c.file, prefix) };
        prepared.set(c.file, p);
      }
      const spadeOpts = spadeGapOptions(c);
      const gspOpts = [...(c.mingap ? ['--min-gap', String(c.mingap - 1)] : []), ...(c.maxgap !== undefined ? ['--max-gap', String(c.maxgap)] : [])];
      // exttpose and spade in one timed shell (GNU time counts both children); cwd = temp dir for summary.out
      const once = cspadeShell(progs, p.prefix, p.nop, c.minSupport, c);
      let cs = timed(['sh', '-c', once], dir);
      // GNU time counts 10 ms steps: a fast run is repeated `reps` times in one timed shell and divided
      const reps = cs.ok && cs.wall < 0.5 ? 10 : 1;
      if (cs.ok && runs > 1) {
        const loop = reps > 1 ? `i=0; while [ $i -lt ${reps} ]; do ${once} > /dev/null || exit 1; i=$((i+1)); done; ${once}` : once;
        const b = best(runs, ['sh', '-c', loop], dir);
        cs = b.ok ? { ...b, wall: b.wall / (reps + (reps > 1 ? 1 : 0)), cpu: b.cpu / (reps + (reps > 1 ? 1 : 0)) } : b;
      }
      const g = best(runs, [process.execPath, gsp, '-s', c.minSupport, '--output', 'all', '-f', 'spmf', ...gspOpts, c.file]);
      const row: Row = {
        dataset: c.dataset,
        minsup: c.minSupport,
        'cSPADE opts': spadeOpts.join(' ') || '-',
        'ftp-gsp opts': gspOpts.join(' ') || '-',
      };
      if (!cs.ok || !g.ok) {
        row.result = `failed: ${!cs.ok ? 'cSPADE ' + cs.err : 'ftp-gsp ' + g.err}`;
        rows.push(row);
        continue;
      }
      const a = spadePatterns(cs.stdout, p.names);
      const b = gspPatterns(g.stdout);
      const missing = [...b].filter((x) => !a.has(x)).length;
      const extra = [...a].filter((x) => !b.has(x)).length;
      row['ftp-gsp patterns'] = b.size;
      row['cSPADE patterns'] = a.size;
      row['same patterns+supports'] = missing || extra ? `MISMATCH: ${extra} only in cSPADE, ${missing} only in ftp-gsp` : 'yes';
      row['ftp-gsp wall s'] = g.wall;
      row['ftp-gsp peak RSS MB'] = g.rssMB;
      row['ftp-gsp CPU s'] = Math.round(g.cpu * 100) / 100;
      if (mineSeconds) row['ftp-gsp mine s'] = mineSeconds(c);
      row['cSPADE wall s'] = Math.round(cs.wall * 1000) / 1000;
      row['cSPADE CPU s'] = Math.round(cs.cpu * 1000) / 1000;
      row['cSPADE peak RSS MB'] = cs.rssMB;
      row['CPU ftp-gsp / cSPADE'] = cs.cpu > 0 ? Math.round((g.cpu / cs.cpu) * 100) / 100 : '-';
      row['wall ftp-gsp / cSPADE'] = cs.wall > 0 ? Math.round((g.wall / cs.wall) * 100) / 100 : '-';
      rows.push(row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// standalone: node dist/bench/gsp-cspade.js [--quick]  (this section only; mining times through gsp.js --one)
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const root = join(here, '../../');
  const rows = cspadeSideBySide(root, join(root, '../shared/'), process.argv.includes('--quick'), (c) => {
    const job = { kind: 'spmf', file: c.file, minSupport: c.minSupport, output: 'all', maxGap: c.maxgap, minGap: c.mingap ? c.mingap - 1 : undefined };
    const r = spawnSync(process.execPath, [join(here, 'gsp.js'), '--one', JSON.stringify(job)], { encoding: 'utf8' });
    return r.status === 0 ? Math.round((JSON.parse(r.stdout) as { mineSeconds: number }).mineSeconds * 1000) / 1000 : 'failed';
  });
  console.table(rows);
  const outDir = join(root, 'bench/out');
  if (existsSync(outDir)) writeFileSync(join(outDir, 'gsp-cspade.json'), JSON.stringify(rows, null, 1));
}
