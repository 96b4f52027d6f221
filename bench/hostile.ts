#!/usr/bin/env node
/**
 * Hostile captures in the bench (issue 11): the captures of ../shared/repro/gen_hostile.py — 1M
 * SYN-only connections, 1 GiB of client stream without a newline, one 16 MiB command line, 200k
 * sessions open at once, times jumping by years — each through `ftp-flows --stats F | ftp-extract
 * --stats` under GNU time (wall, CPU, peak RSS of each process), with the counters that say where
 * every connection and command went, and `tshark -q -z conv,tcp` on the same file (the tool a user
 * would pick instead) as a ratio. Checks, printed with the table: memory stays under the bounds
 * (payload pages × 512 ≤ --max-buffered-bytes + a page), and nothing is lost without a counter
 * (every greeted session's USER reaches the rows; flows not emitted are counted).
 *
 *   node dist/bench/hostile.js [--quick] [--skip-tshark] [--only NAME,...]
 *
 * --quick: smaller captures (synflood 100k, sessions 20k) and no 1 GiB capture. Captures are cached in
 * bench/out/hostile-*.pcap (regenerated when gen_hostile.py changes). Writes bench/out/hostile.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCli } from '../src/common/cli.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = resolve(HERE, '../..');
const OUT = join(ROOT, 'bench', 'out');
const GEN = resolve(ROOT, '../shared/repro/gen_hostile.py');
const GNU_TIME = '/usr/bin/time';

interface Case {
  name: string;
  args: string[];
  /** ftp-flows options beyond --stats */
  flows: string[];
  /** greeted sessions whose USER must reach the rows (0: not checked) */
  users: number;
  /** payload bound the case runs under (bytes) */
  maxBuffered: number;
}

function cases(quick: boolean): Case[] {
  const mib = 1 << 20;
  const syn = quick ? 100_000 : 1_000_000;
  const sessions = quick ? 20_000 : 200_000;
  return [
    { name: `synflood ${syn}`, args: ['synflood', String(syn)], flows: [], users: 0, maxBuffered: 128 * mib },
    ...(quick ? [] : [{ name: 'nonl1g', args: ['nonl1g'], flows: [], users: 0, maxBuffered: 128 * mib }]),
    { name: 'line16m', args: ['line16m'], flows: [], users: 1, maxBuffered: 128 * mib },
    { name: `sessions ${sessions}`, args: ['sessions200k', String(sessions)], flows: [], users: sessions, maxBuffered: 128 * mib },
    { name: `sessions ${sessions}, --max-flows 5000 --max-buffered-bytes 1M`, args: ['sessions200k', String(sessions)], flows: ['--max-flows', '5000', '--max-buffered-bytes', '1M'], users: sessions, maxBuffered: mib },
    { name: 'timewarp', args: ['timewarp'], flows: [], users: 50, maxBuffered: 128 * mib },
  ];
}

function progress(msg: string): void {
  process.stderr.write(`bench-hostile: ${msg}\n`);
}

/** the capture of gen_hostile.py with these arguments, cached by arguments and the script's hash */
function capture(args: string[]): string {
  mkdirSync(OUT, { recursive: true });
  const hash = createHash('sha1').update(readFileSync(GEN)).digest('hex').slice(0, 8);
  const file = join(OUT, `hostile-${args.join('-')}-${hash}.pcap`);
  if (existsSync(file) && statSync(file).size > 24) return file;
  progress(`generating ${file} ...`);
  const fd = openSync(`${file}.part`, 'w');
  const r = spawnSync('python3', [GEN, ...args], { stdio: ['ignore', fd, 'inherit'] });
  closeSync(fd);
  if (r.status !== 0) throw new Error(`gen_hostile.py ${args.join(' ')} failed`);
  spawnSync('mv', [`${file}.part`, file]);
  return file;
}

interface Usage {
  wall: number;
  cpu: number;
  rssMb: number[];
  ok: boolean;
}

/** a pipeline under GNU time: wall around it, CPU and peak RSS per process */
async function timed(stages: string[][], stdout: string, stderr: string): Promise<Usage> {
  const tf = stages.map((_, i) => join(OUT, `.hostile-time-${i}`));
  for (const f of tf) if (existsSync(f)) unlinkSync(f);
  const q = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  // every stage's stderr (ftp-flows' --stats line too) into one file
  const cmd = `( ${stages.map((a, i) => [GNU_TIME, '-o', tf[i], '-f', '%e %U %S %M', ...a].map(q).join(' ')).join(' | ')} > ${q(stdout)} ) 2> ${q(stderr)}`;
  const t0 = process.hrtime.bigint();
  const code = await new Promise<number>((res) => spawn('sh', ['-c', cmd], { stdio: 'ignore' }).on('close', (c) => res(c ?? 1)));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let cpu = 0;
  const rssMb: number[] = [];
  for (const f of tf) {
    const lines = existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : ['0 0 0 0'];
    const [, u, s, m] = lines[lines.length - 1]!.split(' ').map(Number);
    cpu += (u ?? 0) + (s ?? 0);
    rssMb.push((m ?? 0) / 1024);
  }
  return { wall, cpu, rssMb, ok: code === 0 };
}

/** the JSON lines of --stats on stderr, merged */
function statsOf(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      Object.assign(out, JSON.parse(line));
    } catch {
      // not a stats line
    }
  }
  return out;
}

/** rows of the CSV whose command column is USER (column 11) */
function userRows(csv: string): number {
  let n = 0;
  for (const line of readFileSync(csv, 'latin1').split('\n')) if (line.split(',', 11)[10] === 'USER') n++;
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'skip-tshark': { type: 'boolean', default: false }, only: { type: 'string' } } });
  if (!existsSync(GEN)) throw new Error(`${GEN} not found (../shared beside the checkout)`);
  if (!existsSync(GNU_TIME)) throw new Error('GNU time (/usr/bin/time) is needed for CPU and peak RSS');
  const node = process.execPath;
  const flowsBin = join(ROOT, 'dist/bin/ftp-flows.js');
  const extractBin = join(ROOT, 'dist/bin/ftp-extract.js');
  const tshark = !values['skip-tshark'] && spawnSync('tshark', ['--version']).status === 0;
  const only = values.only?.split(',');
  const rows: Record<string, unknown>[] = [];
  for (const c of cases(values.quick === true)) {
    if (only && !only.some((o) => c.name.startsWith(o))) continue;
    const F = capture(c.args);
    const size = statSync(F).size;
    const csv = join(OUT, '.hostile-rows.csv');
    const err = join(OUT, '.hostile-err.txt');
    progress(`${c.name}: ftp-flows --stats ${c.flows.join(' ')} | ftp-extract --stats`);
    const u = await timed([[node, flowsBin, '--stats', ...c.flows, F], [node, extractBin, '--stats']], csv, err);
    const s = statsOf(err);
    const users = u.ok ? userRows(csv) : 0;
    const pageBound = (s.payload_pages_peak ?? 0) * 512 <= c.maxBuffered + 512;
    const lost = (s.flows_ftp ?? 0) - (s.flows_emitted ?? 0) - (s.replayed_flows ?? 0);
    let tsharkWall: number | null = null;
    let tsharkCpu: number | null = null;
    let tsharkRss: number | null = null;
    if (tshark && c.args[0] !== 'nonl1g') {
      progress(`${c.name}: tshark -q -z conv,tcp`);
      const t = await timed([['tshark', '-r', F, '-q', '-z', 'conv,tcp']], '/dev/null', join(OUT, '.hostile-tshark-err.txt'));
      if (t.ok) [tsharkWall, tsharkCpu, tsharkRss] = [t.wall, t.cpu, t.rssMb[0]!];
    }
    const row = {
      capture: c.name,
      MB: +(size / 1e6).toFixed(1),
      ok: u.ok,
      'wall s': +u.wall.toFixed(1),
      'CPU s': +u.cpu.toFixed(1),
      'RSS MB flows/extract': u.rssMb.map((m) => m.toFixed(0)).join('/'),
      'tshark CPU s': tsharkCpu === null ? '-' : +tsharkCpu.toFixed(1),
      'tshark RSS MB': tsharkRss === null ? '-' : +tsharkRss.toFixed(0),
      '× tshark (CPU)': tsharkCpu === null ? '-' : +(tsharkCpu / u.cpu).toFixed(1),
      flows: s.flows ?? 0,
      emitted: s.flows_emitted ?? 0,
      not_emitted: s.flows_not_emitted ?? 0,
      evicted: s.evicted ?? 0,
      continued: s.continued_after_eviction ?? 0,
      forgotten: s.evicted_ftp_forgotten ?? 0,
      truncated: s.truncated ?? 0,
      'pages peak': s.payload_pages_peak ?? 0,
      'arena MB': +((s.payload_arena_bytes ?? 0) / 1e6).toFixed(1),
      rows: s['extract.rows'] ?? 0,
      USER: users,
      'time back': s['extract.time_backwards_flows'] ?? 0,
      checks: [
        pageBound ? 'pages within bound' : 'PAGES OVER BOUND',
        c.users ? (users === c.users ? `all ${users} USER rows` : `USER ${users} of ${c.users}`) : '',
        lost === 0 ? '' : `${lost} FTP flows unaccounted`,
      ].filter(Boolean).join('; '),
    };
    if (tsharkWall !== null) Object.assign(row, { 'tshark wall s': +tsharkWall.toFixed(1) });
    rows.push(row);
    progress(JSON.stringify(row));
  }
  const headers = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h] ?? '').length)));
  const line = (cells: string[]): string => cells.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  process.stdout.write(`\nHostile captures (gen_hostile.py), ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  process.stdout.write([line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(headers.map((h) => String(r[h] ?? ''))))].join('\n') + '\n');
  writeFileSync(join(OUT, 'hostile.json'), JSON.stringify({ date: new Date().toISOString(), loadavg: loadavg(), rows }, null, 2) + '\n');
}

runCli('bench-hostile', main);
