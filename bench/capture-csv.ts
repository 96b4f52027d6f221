#!/usr/bin/env node
/**
 * Capture → exchange CSV, side by side in one run (issue 12), on two captures:
 *   - control-heavy: bench/gen-control.ts (every packet FTP control, thousands of sessions open at once);
 *   - data-heavy: bench/gen-capture.ts (80 % of the bytes in FTP-DATA connections).
 * On each, one after the other, and the whole list again `--repeat` times (alternating, so that a slow
 * minute of this shared machine hits every command alike; the best run by CPU time is kept):
 *
 *   floor           node dist/bench/floor.js F            a bare loop over the pcap record headers
 *   ftp-flows       ftp-flows F > /dev/null
 *   pipe            ftp-flows F | ftp-extract > out       two processes, NDJSON between them
 *   one process     ftp-extract F > out                   the capture read by ftp-extract itself
 *   tshark          tshark -r SLICE -Y ftp -T fields -e tcp.stream -e ftp.request.command -e ftp.response.code
 *                   on the first --slice bytes of F (whole records), its CPU time scaled by F's size / the slice's
 *
 * Every process runs under GNU time: CPU = user + sys of all processes of the command (what to read on a
 * loaded machine: it does not count waiting for a core), peak RSS = the largest process's ru_maxrss.
 * The pipe's and the one process's CSV are compared (SHA-1) and their rows counted against the generator's.
 * Prints a table per capture on stdout, writes bench/out/capture-csv.json.
 *
 *   node dist/bench/capture-csv.js [--control-size 100M] [--data-size 200M] [--repeat 2] [--slice 10M] [--skip-tshark]
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCli } from '../src/common/cli.js';
import { optInt, optSize } from '../src/common/options.js';
import { generateCapture } from './gen-capture.js';
import { generateControlCapture } from './gen-control.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = resolve(HERE, '../..');
const OUT = join(ROOT, 'bench', 'out');
const GNU_TIME = '/usr/bin/time';

function progress(msg: string): void {
  process.stderr.write(`bench-capture-csv: ${msg}\n`);
}

const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

interface Usage {
  cpu: number;
  wall: number;
  /** largest process's peak RSS, MB (2^20 bytes) */
  rssMb: number;
  ok: boolean;
  stderr: string;
}

/** `stages` as a shell pipeline, each under GNU time; stdout to `outFile`. */
async function timed(stages: string[][], outFile: string): Promise<Usage> {
  const timeFiles = stages.map((_, i) => join(OUT, `.csv-time-${i}`));
  const errFile = join(OUT, '.csv-err');
  for (const f of timeFiles) if (existsSync(f)) unlinkSync(f);
  const cmd = stages.map((argv, i) => [GNU_TIME, '-o', timeFiles[i], '-f', '%e %U %S %M', ...argv].map(quote).join(' ')).join(' | ') +
    ` > ${quote(outFile)} 2> ${quote(errFile)}`;
  const t0 = process.hrtime.bigint();
  const code = await new Promise<number>((res) => spawn('sh', ['-c', cmd], { stdio: 'ignore' }).on('close', (c) => res(c ?? 1)));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let cpu = 0;
  let rss = 0;
  let ok = code === 0;
  for (const f of timeFiles) {
    const lines = existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : ['x'];
    if (lines.length > 1) ok = false; // "Command exited with non-zero status"
    const [, user, sys, kb] = lines[lines.length - 1].split(' ').map(Number);
    cpu += user + sys;
    rss = Math.max(rss, kb / 1024);
  }
  return { cpu, wall, rssMb: rss, ok, stderr: existsSync(errFile) ? readFileSync(errFile, 'utf8') : '' };
}

function codeHash(files: string[]): string {
  const h = createHash('sha1');
  for (const f of files) h.update(readFileSync(join(HERE, f)));
  return h.digest('hex').slice(0, 8);
}

interface Capture {
  name: string;
  file: string;
  bytes: number;
  sessions: number;
  expectedRows: number;
}

/** A capture made by `make` unless one for the same options and generator code is cached. */
function cached(name: string, stem: string, hashOf: string[], make: (file: string) => { bytes: number; controlSessions: number; expectedRows: number }): Capture {
  const file = join(OUT, `${stem}-${codeHash(hashOf)}.pcap`);
  const meta = file.replace(/\.pcap$/, '.json');
  if (existsSync(file) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as Capture;
    if (statSync(file).size === m.bytes) return m;
  }
  progress(`generating ${file} ...`);
  const s = make(file);
  const c: Capture = { name, file, bytes: s.bytes, sessions: s.controlSessions, expectedRows: s.expectedRows };
  writeFileSync(meta, JSON.stringify(c) + '\n');
  return c;
}

/** The first `bytes` of a classic pcap, cut at a record boundary. */
function slice(src: string, dst: string, bytes: number): number {
  const fd = openSync(src, 'r');
  const buf = Buffer.allocUnsafe(Math.min(bytes, statSync(src).size));
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  let p = 24;
  while (p + 16 <= n && p + 16 + buf.readUInt32LE(p + 8) <= n) p += 16 + buf.readUInt32LE(p + 8);
  const out = openSync(dst, 'w');
  writeSync(out, buf, 0, p);
  closeSync(out);
  return p;
}

interface Row {
  command: string;
  cpu: number;
  wall: number;
  rssMb: number;
  runs: number[];
  output: string;
  /** tshark: CPU seconds measured on the slice, scaled */
  scaledFrom?: string;
}

function sha1File(file: string): string {
  return createHash('sha1').update(readFileSync(file)).digest('hex');
}

function lines(file: string): number {
  const b = readFileSync(file);
  let n = 0;
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'control-size': { type: 'string', default: '100M' },
      'data-size': { type: 'string', default: '200M' },
      repeat: { type: 'string', default: '2' },
      slice: { type: 'string', default: '10M' },
      'skip-tshark': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
    },
  });
  const quick = values.quick === true;
  const controlSize = optSize(values, 'control-size', 100 << 20);
  const dataSize = optSize(values, 'data-size', 200 << 20);
  const repeat = optInt(values, 'repeat', quick ? 1 : 2, 1, 20);
  const sliceBytes = optSize(values, 'slice', 10 << 20);
  mkdirSync(OUT, { recursive: true });
  const captures = [
    cached('control-heavy', `control-${quick ? 20 << 20 : controlSize}-s1`, ['gen-control.js', 'gen-capture.js'], (f) =>
      generateControlCapture(f, { size: quick ? 20 << 20 : controlSize, seed: 1 })),
    cached('data-heavy', `datacsv-${quick ? 50 << 20 : dataSize}-s1`, ['gen-capture.js', 'synthetic-ftp.js'], (f) => {
      let expectedRows = 0;
      const s = generateCapture(f, { size: quick ? 50 << 20 : dataSize, seed: 1, onSession: (l) => (expectedRows += 1 + l.commands.length) });
      return { ...s, expectedRows };
    }),
  ];
  const node = process.execPath;
  const flows = join(ROOT, 'dist/bin/ftp-flows.js');
  const extract = join(ROOT, 'dist/bin/ftp-extract.js');
  const commands = (F: string): { name: string; stages: string[][]; csv: boolean }[] => [
    { name: 'floor (pcap record loop)', stages: [[node, join(HERE, 'floor.js'), F]], csv: false },
    { name: 'ftp-flows', stages: [[node, flows, F]], csv: false },
    { name: 'ftp-flows | ftp-extract', stages: [[node, flows, F], [node, extract]], csv: true },
    { name: 'ftp-extract F (one process)', stages: [[node, extract, F]], csv: true },
  ];
  const results = new Map<string, Map<string, Row>>();
  const hashes = new Map<string, Map<string, string>>();
  const csvOut = join(OUT, '.capture-csv-out.csv');
  for (const c of captures) {
    results.set(c.name, new Map());
    hashes.set(c.name, new Map());
    await timed([['cat', c.file]], '/dev/null'); // page cache
  }
  for (let r = 0; r < repeat; r++) {
    for (const c of captures) {
      for (const cmd of commands(c.file)) {
        const u = await timed(cmd.stages, cmd.csv ? csvOut : '/dev/null');
        let output = u.ok ? '' : `FAILED: ${u.stderr.trim().split('\n').slice(-2).join(' | ')}`;
        if (u.ok && cmd.csv) {
          hashes.get(c.name)!.set(cmd.name, sha1File(csvOut));
          output = `${lines(csvOut) - 1} rows (generator: ${c.expectedRows})`;
        }
        progress(`${c.name} run ${r + 1}: ${cmd.name}: ${u.cpu.toFixed(2)} CPU s, ${u.wall.toFixed(2)} s wall, ${u.rssMb.toFixed(0)} MB ${output}`);
        const rows = results.get(c.name)!;
        const prev = rows.get(cmd.name);
        if (!prev) rows.set(cmd.name, { command: cmd.stages.map((s) => s.map(quote).join(' ')).join(' | '), cpu: u.ok ? u.cpu : NaN, wall: u.wall, rssMb: u.rssMb, runs: [u.cpu], output });
        else {
          prev.runs.push(u.cpu);
          if (u.ok && !(prev.cpu <= u.cpu)) Object.assign(prev, { cpu: u.cpu, wall: u.wall });
          prev.rssMb = Math.max(prev.rssMb, u.rssMb);
          if (!u.ok) prev.output = output;
        }
      }
    }
  }
  if (existsSync(csvOut)) unlinkSync(csvOut);
  if (!values['skip-tshark']) {
    for (const c of captures) {
      const sl = join(OUT, '.capture-csv-slice.pcap');
      const n = slice(c.file, sl, sliceBytes);
      const u = await timed([['tshark', '-r', sl, '-Y', 'ftp', '-T', 'fields', '-e', 'tcp.stream', '-e', 'ftp.request.command', '-e', 'ftp.response.code']], '/dev/null');
      unlinkSync(sl);
      const scale = c.bytes / n;
      progress(`${c.name}: tshark on ${(n / 1e6).toFixed(1)} MB: ${u.cpu.toFixed(2)} CPU s (× ${scale.toFixed(1)})`);
      results.get(c.name)!.set('tshark -Y ftp -T fields', {
        command: `tshark -r SLICE -Y ftp -T fields -e tcp.stream -e ftp.request.command -e ftp.response.code`,
        cpu: u.ok ? u.cpu * scale : NaN, wall: u.wall * scale, rssMb: u.rssMb, runs: [u.cpu], output: u.ok ? '' : 'FAILED',
        scaledFrom: `${(n / 1e6).toFixed(1)} MB slice, ${u.cpu.toFixed(2)} CPU s × ${scale.toFixed(2)}`,
      });
    }
  }
  const report: Record<string, unknown> = {
    date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, loadAtEnd: loadavg(), repeat, captures: {},
  };
  for (const c of captures) {
    const rows = results.get(c.name)!;
    const floor = rows.get('floor (pcap record loop)')?.cpu ?? NaN;
    const fl = rows.get('ftp-flows')?.cpu ?? NaN;
    const ts = rows.get('tshark -Y ftp -T fields')?.cpu ?? NaN;
    const h = hashes.get(c.name)!;
    const same = h.size >= 2 && new Set(h.values()).size === 1;
    process.stdout.write(`\n${c.name}: ${c.file.replace(ROOT + '/', '')}: ${(c.bytes / 1e6).toFixed(1)} MB, ${c.sessions} control sessions, ${c.expectedRows} rows expected; ` +
      `pipe and one process write ${same ? 'the same CSV' : h.size >= 2 ? 'DIFFERENT CSV' : 'not compared'}\n`);
    const head = ['command', 'CPU s', '× floor', '× ftp-flows', '× tshark (CPU)', 'MB/CPU-s', 'peak RSS MB', 'CPU s of each run', 'output'];
    const body = [...rows.entries()].map(([name, r]) => [
      name, r.cpu.toFixed(2), (r.cpu / floor).toFixed(1), (r.cpu / fl).toFixed(2), (ts / r.cpu).toFixed(1), (c.bytes / 1e6 / r.cpu).toFixed(0),
      r.rssMb.toFixed(0), r.scaledFrom ?? r.runs.map((x) => x.toFixed(2)).join(' '), r.output,
    ]);
    const w = head.map((x, i) => Math.max(x.length, ...body.map((b) => b[i].length)));
    const line = (cells: string[]) => cells.map((x, i) => (i === 0 || i === cells.length - 1 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
    process.stdout.write([line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n') + '\n');
    (report.captures as Record<string, unknown>)[c.name] = { ...c, sameCsv: same, rows: Object.fromEntries(rows) };
  }
  process.stdout.write(`\nCPU s: user+sys of every process of the command, the best of ${repeat} alternating runs; tshark: one run on a slice, scaled by size.\n`);
  writeFileSync(join(OUT, 'capture-csv.json'), JSON.stringify(report, null, 2) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runCli('bench-capture-csv', main);
