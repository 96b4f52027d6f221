/**
 * SPMF's maximal sequential pattern miners side by side with ftp-gsp on the synthetic FTP sessions
 * (bench/gsp.ts section 2), when SPMF is built outside the repository: SPMF_JAR=/path/spmf.jar
 * (or a directory of compiled classes). Both read the same integer SPMF file; each whole process is
 * timed (GNU time: wall, CPU of all threads, peak RSS) and the pattern sets with their supports are
 * compared. A run over SPMF_TIMEOUT_S seconds (default 300) is reported as not finished.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlatInput } from '../src/gsp/db.js';
import { gspPatterns, timed } from './gsp-cspade.js';

type Row = Record<string, string | number>;

/** SPMF's algorithms for maximal sequential patterns (their names in `spmf.jar run NAME`). */
const MAXIMAL_MINERS = ['VMSP', 'MaxSP'];

/** java's class path and main class for SPMF_JAR (a jar, or a directory of classes), or null. */
export function spmfCommand(): string[] | null {
  const jar = process.env.SPMF_JAR;
  if (!jar || !existsSync(jar)) return null;
  return ['java', '-Xmx5g', '-cp', jar, 'ca.pfv.spmf.gui.Main'];
}

/** The sessions as an SPMF sequence file: item = dictionary index + 1, itemsets sorted. */
export function writeSpmf(flat: FlatInput, file: string): void {
  const lines: string[] = [];
  const nSeq = flat.seqStart.length;
  for (let s = 0; s < nSeq; s++) {
    const tEnd = s + 1 < nSeq ? flat.seqStart[s + 1] : flat.txStart.length;
    const parts: string[] = [];
    for (let t = flat.seqStart[s]; t < tEnd; t++) {
      const kEnd = t + 1 < flat.txStart.length ? flat.txStart[t + 1] : flat.txItems.length;
      const items = [...new Set(flat.txItems.slice(flat.txStart[t], kEnd).map((x) => x + 1))].sort((a, b) => a - b);
      parts.push(items.join(' '), '-1');
    }
    lines.push(parts.join(' ') + ' -2');
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

/** ftp-gsp (the CLI, maximal) and SPMF's maximal miners on one synthetic database at minSupport. */
export function spmfMaximalRows(root: string, flat: FlatInput, sessions: number, minSupport: string): Row[] {
  const spmf = spmfCommand();
  if (!spmf) return [{ sessions, minsup: minSupport, result: 'SPMF_JAR not set (SPMF built outside the repository)' }];
  const dir = mkdtempSync(join(tmpdir(), 'gsp-spmf-'));
  const timeoutMs = 1000 * Number(process.env.SPMF_TIMEOUT_S ?? 300);
  try {
    const input = join(dir, 'db.txt');
    writeSpmf(flat, input);
    const gsp = timed([process.execPath, join(root, 'dist/bin/ftp-gsp.js'), '-s', minSupport, '--output', 'maximal', '-f', 'spmf', input], dir, timeoutMs);
    const mine = gsp.ok ? gspPatterns(gsp.stdout) : null;
    const rows: Row[] = [];
    for (const algo of MAXIMAL_MINERS) {
      const out = join(dir, `${algo}.txt`);
      const pct = `${Number(minSupport) * 100}%`;
      // coreutils timeout inside GNU time: killing time(1) would leave the JVM running
      const r = timed(['timeout', '-s', 'KILL', String(timeoutMs / 1000), ...spmf, 'run', algo, input, out, pct], dir, timeoutMs + 60_000);
      const row: Row = { sessions, minsup: minSupport, 'SPMF algorithm': algo };
      if (!r.ok || !existsSync(out) || statSync(out).size === 0) {
        row.result = r.ok ? 'no output' : r.wall >= timeoutMs / 1000 ? `not finished in ${timeoutMs / 1000} s` : `failed: ${r.err}`;
      } else {
        // SPMF writes "1 2 -1 3 -1 #SUP: 5" (VMSP may add " #SID: ..."): the same canonical lines as ftp-gsp's -f spmf
        const theirs = gspPatterns(readFileSync(out, 'utf8'));
        row['SPMF patterns'] = theirs.size;
        row['SPMF wall s'] = r.wall;
        row['SPMF CPU s'] = r.cpu;
        row['SPMF peak RSS MB'] = r.rssMB;
        if (mine) {
          const only = [...mine].filter((x) => !theirs.has(x)).length;
          const extra = [...theirs].filter((x) => !mine.has(x)).length;
          row['same patterns+supports'] = only || extra ? `MISMATCH: ${extra} only in SPMF, ${only} only in ftp-gsp` : 'yes';
        }
      }
      row['ftp-gsp patterns'] = mine ? mine.size : `failed: ${gsp.err}`;
      row['ftp-gsp wall s'] = gsp.wall;
      row['ftp-gsp CPU s'] = gsp.cpu;
      row['ftp-gsp peak RSS MB'] = gsp.rssMB;
      if (typeof row['SPMF wall s'] === 'number' && gsp.ok) row['SPMF / ftp-gsp wall'] = Math.round((row['SPMF wall s'] / gsp.wall) * 10) / 10;
      rows.push(row);
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
