/**
 * `npm run fuzz`: the project's fuzzing harness. Cases (bench/fuzz/inputs.ts: structure-aware
 * generators plus mutators, case k of seed s always the same input) run in worker threads, each
 * with a time bound (the worker is terminated: a hang) and a memory bound (resourceLimits for the
 * heap, external memory checked after the case: a memory breach). Outcomes: ok, expected
 * (FtpIdsError: the documented answer to bad input), crash (any other exception), hang, memory.
 * A hang is re-run with three times the bound first; one that then finishes counts as `slow`.
 *
 * Every failing input is minimized (delta debugging with the same outcome and crash signature as
 * the test, within a budget) and saved with a note (`<out>/<family>/<outcome>-<hash>.bin/.txt`).
 * The run is resumable: the state file holds the seed, the cases done and the counts, saved
 * every few seconds and at the end; a second run with the same state continues where it stopped.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { caseInput, FAMILIES, fuzzModelText, type Family, type FuzzCase } from './inputs.js';
import type { CaseReply, CaseRequest } from './worker.js';

/** `skipped`: the generator itself failed on this case (a harness bug, reported, never an input's outcome) */
export type Outcome = 'ok' | 'expected' | 'crash' | 'hang' | 'memory' | 'slow' | 'skipped';
const OUTCOMES: Outcome[] = ['ok', 'expected', 'crash', 'hang', 'memory', 'slow', 'skipped'];
const FAILURES: Outcome[] = ['crash', 'hang', 'memory'];

export interface FuzzOptions {
  seed: number;
  /** stop when this many cases are done in the state (a fresh state: this many cases) */
  cases: number;
  /** stop after this many seconds of this run (0: no limit) */
  seconds: number;
  /** folder for failing inputs (and the state file by default) */
  out: string;
  state: string;
  workers: number;
  /** time bound of one case */
  caseMs: number;
  /** heap bound of a worker (resourceLimits.maxOldGenerationSizeMb) and bound on external memory after a case */
  memoryMb: number;
  families: Family[];
  /** ignore an existing state file */
  fresh: boolean;
  /** time budget for minimizing one failing input */
  minimizeMs: number;
  /** minimized inputs kept per crash signature (later ones are counted) */
  keepPerSignature: number;
  progress: boolean;
}

export interface FuzzState {
  version: 1;
  seed: number;
  families: Family[];
  /** every case below this index is done */
  watermark: number;
  /** cases at or above the watermark that are done (in flight when a run stopped: at most one per worker) */
  doneAbove: number[];
  counts: Record<Outcome, number>;
  byFamily: Record<string, Record<Outcome, number>>;
  signatures: Record<string, { outcome: Outcome; family: Family; count: number; saved: string[] }>;
  seconds: number;
  cpuSeconds: number;
}

export interface FuzzSummary {
  seed: number;
  cases: number;
  runCases: number;
  runSeconds: number;
  casesPerSecond: number;
  cpuSecondsPerKiloCase: number;
  counts: Record<Outcome, number>;
  byFamily: FuzzState['byFamily'];
  failures: { signature: string; outcome: Outcome; family: Family; count: number; saved: string[] }[];
  state: string;
}

const zero = (): Record<Outcome, number> => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

export function defaultFuzzOptions(raw: Partial<FuzzOptions> = {}): FuzzOptions {
  const out = raw.out ?? 'fuzz-out';
  return {
    seed: raw.seed ?? 1,
    cases: raw.cases ?? (raw.seconds ? Number.MAX_SAFE_INTEGER : 10_000),
    seconds: raw.seconds ?? 0,
    out,
    state: raw.state ?? join(out, 'state.json'),
    workers: raw.workers ?? 1,
    caseMs: raw.caseMs ?? 3000,
    memoryMb: raw.memoryMb ?? 256,
    families: raw.families ?? [...FAMILIES],
    fresh: raw.fresh ?? false,
    minimizeMs: raw.minimizeMs ?? 20_000,
    keepPerSignature: raw.keepPerSignature ?? 5,
    progress: raw.progress ?? !!process.stderr.isTTY,
  };
}

function loadState(o: FuzzOptions): FuzzState {
  if (!o.fresh && existsSync(o.state)) {
    const s = JSON.parse(readFileSync(o.state, 'utf8')) as FuzzState;
    if (s.version !== 1 || s.seed !== o.seed || s.families.join(',') !== o.families.join(',')) {
      throw new Error(`state file ${o.state} is of another run (seed ${s.seed}, families ${s.families.join(',')}); use --fresh or another --state`);
    }
    return { ...s, counts: { ...zero(), ...s.counts } };
  }
  return { version: 1, seed: o.seed, families: o.families, watermark: 0, doneAbove: [], counts: zero(), byFamily: {}, signatures: {}, seconds: 0, cpuSeconds: 0 };
}

function saveState(path: string, s: FuzzState): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(s, null, 1));
  renameSync(`${path}.tmp`, path);
}

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

interface RunResult {
  outcome: Outcome;
  signature?: string;
  stack?: string;
}

/** One worker and the case it runs; replaced after a hang or a memory breach. */
class Slot {
  private worker!: Worker;
  private pending: { id: number; resolve: (r: RunResult) => void; timer: NodeJS.Timeout } | null = null;
  /** resolves when the worker has loaded the cores and the model (its start is not a case's time) */
  private ready!: Promise<void>;
  private nextId = 0;
  constructor(private readonly o: FuzzOptions, private readonly modelText: string) {
    this.spawn();
  }

  private spawn(): void {
    const w = new Worker(WORKER, {
      workerData: { modelText: this.modelText },
      resourceLimits: { maxOldGenerationSizeMb: this.o.memoryMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      stdout: true,
      stderr: true,
    });
    // the cores write nothing; whatever a worker prints is drained, not kept
    w.stdout.resume();
    w.stderr.resume();
    let started!: () => void;
    this.ready = new Promise((resolve) => (started = resolve));
    w.on('message', (r: CaseReply | 'ready') => {
      if (r === 'ready') return started();
      const p = this.pending;
      if (!p || r.id !== p.id) return;
      this.settle(r.outcome === 'crash' ? { outcome: 'crash', signature: r.signature, stack: r.stack } : r.externalBytes > this.o.memoryMb * 1048576 ? { outcome: 'memory', signature: 'external memory above the bound' } : { outcome: r.outcome });
    });
    w.on('error', (e: Error & { code?: string }) => {
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.replace({ outcome: oom ? 'memory' : 'crash', signature: oom ? 'worker heap above the bound' : `worker error: ${e.message.split('\n')[0]}`, stack: e.stack });
    });
    w.on('exit', () => {
      if (this.worker === w) this.replace({ outcome: 'crash', signature: 'worker exited' });
    });
    this.worker = w;
  }

  private settle(r: RunResult): void {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = null;
    p.resolve(r);
  }

  private replace(r: RunResult): void {
    const old = this.worker;
    this.spawn();
    void old.terminate();
    this.settle(r);
  }

  async run(c: Pick<FuzzCase, 'family' | 'variant' | 'data'>, ms = this.o.caseMs): Promise<RunResult> {
    await this.ready;
    return new Promise((resolve) => {
      const id = ++this.nextId;
      const timer = setTimeout(() => this.replace({ outcome: 'hang', signature: `no answer within ${ms} ms` }), ms);
      this.pending = { id, resolve, timer };
      const req: CaseRequest = { id, family: c.family, variant: c.variant, data: c.data };
      this.worker.postMessage(req);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined as unknown as Worker;
    await w.terminate();
  }
}

const sameFailure = (a: RunResult, b: RunResult): boolean => a.outcome === b.outcome && (a.outcome !== 'crash' || a.signature === b.signature);

/** Delta debugging over bytes: drop pieces (halves, quarters, …) while the failure stays the same. */
async function minimize(slot: Slot, c: FuzzCase, want: RunResult, budgetMs: number): Promise<Buffer> {
  const until = Date.now() + budgetMs;
  let cur = c.data;
  let n = 2;
  while (cur.length >= 2 && Date.now() < until) {
    const chunk = Math.ceil(cur.length / n);
    let reduced = false;
    for (let start = 0; start < cur.length && Date.now() < until; start += chunk) {
      const cand = Buffer.concat([cur.subarray(0, start), cur.subarray(start + chunk)]);
      if (sameFailure(await slot.run({ ...c, data: cand }), want)) {
        cur = cand;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(n * 2, cur.length);
    }
  }
  return cur;
}

export async function runFuzz(o: FuzzOptions, log: (s: string) => void = (s) => process.stderr.write(s)): Promise<FuzzSummary> {
  mkdirSync(o.out, { recursive: true });
  const state = loadState(o);
  const modelText = fuzzModelText();
  const slots = Array.from({ length: Math.max(1, o.workers) }, () => new Slot(o, modelText));
  const done = new Set(state.doneAbove);
  const inFlight = new Set<number>();
  let next = state.watermark;
  let runCases = 0;
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const deadline = o.seconds > 0 ? t0 + o.seconds * 1000 : Infinity;
  const total = (): number => state.watermark + done.size;
  let lastSave = Date.now();
  let stopping = false;
  const onSignal = (): void => {
    stopping = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const elapsed = (): { seconds: number; cpu: number } => {
    const u = process.cpuUsage(cpu0);
    return { seconds: (Date.now() - t0) / 1000, cpu: (u.user + u.system) / 1e6 };
  };
  const persist = (): void => {
    const e = elapsed();
    saveState(o.state, { ...state, doneAbove: [...done], seconds: state.seconds + e.seconds, cpuSeconds: state.cpuSeconds + e.cpu });
    lastSave = Date.now();
  };

  const record = async (slot: Slot, c: FuzzCase, r: RunResult): Promise<void> => {
    let outcome = r.outcome;
    if (outcome === 'hang') {
      // a busy machine can stall a case: a hang must repeat with three times the bound
      const again = await slot.run(c, o.caseMs * 3);
      if (again.outcome === 'ok' || again.outcome === 'expected') outcome = 'slow';
    }
    state.counts[outcome]++;
    (state.byFamily[c.family] ??= zero())[outcome]++;
    if (!FAILURES.includes(outcome) && outcome !== 'slow') return;
    const sig = `${c.family} ${outcome} ${r.signature ?? ''}`;
    const entry = (state.signatures[sig] ??= { outcome, family: c.family, count: 0, saved: [] });
    entry.count++;
    if (entry.saved.length >= o.keepPerSignature) return;
    const small = outcome === 'slow' ? c.data : await minimize(slot, c, { ...r, outcome }, o.minimizeMs);
    const hash = createHash('sha1').update(small).digest('hex').slice(0, 12);
    const dir = join(o.out, c.family);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${outcome}-${hash}.bin`);
    writeFileSync(file, small);
    writeFileSync(
      file.replace(/\.bin$/, '.txt'),
      [
        `outcome: ${outcome}`, `signature: ${r.signature ?? ''}`, `family: ${c.family}`, `variant: ${c.variant}`,
        `case: ${c.index} of seed ${o.seed} (${c.how}), ${c.data.length} bytes, minimized to ${small.length}`,
        `replay: node dist/bench/fuzz/cli.js --replay ${file} --family ${c.family} --variant ${c.variant}`, '', r.stack ?? '',
      ].join('\n'),
    );
    if (!entry.saved.includes(file)) entry.saved.push(file);
    log(`\nfuzz: ${outcome} in ${c.family} (case ${c.index}): ${r.signature ?? ''} -> ${file}\n`);
  };

  const loop = async (slot: Slot): Promise<void> => {
    while (!stopping && total() + inFlight.size < o.cases && Date.now() < deadline) {
      const i = next++;
      if (done.has(i)) continue;
      inFlight.add(i);
      let c: FuzzCase | null = null;
      try {
        c = caseInput(o.seed, i, o.families);
      } catch (e) {
        state.counts.skipped++;
        log(`\nfuzz: the generator failed on case ${i}: ${(e as Error).stack ?? String(e)}\n`);
      }
      if (c) await record(slot, c, await slot.run(c));
      inFlight.delete(i);
      done.add(i);
      runCases++;
      while (done.has(state.watermark)) done.delete(state.watermark++);
      if (Date.now() - lastSave > 5000) persist();
      if (o.progress && runCases % 200 === 0) {
        const e = elapsed();
        log(`\rfuzz: ${total()} cases, ${(runCases / e.seconds).toFixed(0)}/s, crash ${state.counts.crash} hang ${state.counts.hang} memory ${state.counts.memory}\x1b[K`);
      }
    }
  };
  try {
    await Promise.all(slots.map(loop));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    persist();
    await Promise.all(slots.map((s) => s.close()));
    if (o.progress) log('\n');
  }
  const e = elapsed();
  return {
    seed: o.seed,
    cases: total(),
    runCases,
    runSeconds: e.seconds,
    casesPerSecond: runCases / Math.max(e.seconds, 1e-9),
    cpuSecondsPerKiloCase: (e.cpu / Math.max(runCases, 1)) * 1000,
    counts: state.counts,
    byFamily: state.byFamily,
    failures: Object.entries(state.signatures).map(([signature, v]) => ({ signature, ...v })),
    state: o.state,
  };
}
