import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { FtpIdsError } from '../common/errors.js';
import type { SeqDb, VerticalIndex } from './db.js';
import type { FoundPattern } from './filter.js';
import type { EngineOptions, EngineStats } from './mine-types.js';
import type { TaskPath } from './vertical.js';

/**
 * The depth-first search on several cores (worker_threads). Subtrees of the search are
 * independent: a node's state is rebuilt from the item id-lists by joining along its path, so a
 * subtree can be mined anywhere. The coordinator (this thread) keeps a queue of subtree paths; an
 * idle worker takes the next one; when the queue is empty and a worker is idle, the `hungry`
 * counter asks the busy ones to hand over the not-yet-started children of their shallowest open
 * node (work stealing, so one huge subtree — <{USER}> on FTP data — is still shared out).
 *
 * The database and the id-lists are copied ONCE into SharedArrayBuffers; every worker reads the
 * same memory. Each worker keeps its own maximal/closed filter (a pattern it drops is covered by
 * a frequent pattern it saw, so it is no answer either); the caller merges the survivors through
 * one more filter, which is exact because every answer survives in the worker that found it.
 *
 * The coordinator is synchronous like the rest of the miner (minePatterns has synchronous
 * callers): it blocks on Atomics.wait over a shared counter the workers bump after each message
 * and reads the messages with receiveMessageOnPort.
 */
export interface ParallelJob {
  readonly db: SeqDb;
  readonly v: VerticalIndex;
  readonly o: EngineOptions;
  readonly kind: 'maximal' | 'closed';
  readonly bound: number;
  readonly threads: number;
  /** Date.now() after which the workers stop (Infinity: never) */
  readonly deadline: number;
  readonly tasks: TaskPath[];
  /** every ~200 ms: patterns visited by all workers, deepest current depth */
  readonly progress?: (visited: number, depth: number) => void;
}

export interface ParallelOutcome {
  /** the workers' surviving candidates (sequence indices of job.db) */
  readonly found: FoundPattern[];
  readonly frequent: number;
  readonly peak: number;
  readonly levels: EngineStats['levels'];
  readonly backScanPruned: number;
  /** stopped by the deadline before every subtree was searched */
  readonly incomplete: boolean;
}

/** What a worker gets (structured clone: the typed arrays share their SharedArrayBuffers). */
export interface WorkerInit {
  readonly port: MessagePort;
  readonly id: number;
  /** [0] message counter, [1] hungry, [2] stop */
  readonly ctl: Int32Array;
  /** [2·id] patterns visited, [2·id + 1] current depth */
  readonly prog: Float64Array;
  readonly m: number;
  readonly n: number;
  readonly seqStart: Int32Array;
  readonly txStart: Int32Array;
  readonly txTime: Float64Array;
  readonly txItems: Int32Array;
  readonly ancestors: Int32Array[];
  readonly weight: Int32Array | null;
  /** the id-lists, flat: item x has sids vSids[sidStart[x]..sidStart[x+1]), off vOff[sidStart[x]+x ..sidStart[x+1]+x], pos vPos[posStart[x]..posStart[x+1]) */
  readonly vSids: Int32Array;
  readonly vOff: Int32Array;
  readonly vPos: Int32Array;
  readonly sidStart: Int32Array;
  readonly posStart: Int32Array;
  readonly engine: Omit<EngineOptions, 'progress' | 'weight'>;
  readonly kind: 'maximal' | 'closed';
  readonly bound: number;
  readonly deadline: number;
}

export type ToWorker = { t: 'task'; path: TaskPath } | { t: 'finish' };
export type FromWorker =
  | { t: 'ready' }
  | { t: 'split'; paths: TaskPath[] }
  | { t: 'done' }
  | {
      t: 'result';
      found: FoundPattern[];
      frequent: number;
      peak: number;
      levels: EngineStats['levels'];
      backScanPruned: number;
      stopped: boolean;
      /** subtrees mined, ms spent in them (the balance between the threads) */
      tasks: number;
      busyMs: number;
    }
  | { t: 'error'; code: string; message: string };

export const CTL_NOTIFY = 0;
export const CTL_HUNGRY = 1;
export const CTL_STOP = 2;
/** a worker that has not started after this long is reported (its module failed to load) */
const START_TIMEOUT_MS = 60_000;

function shared<T extends Int32Array | Float64Array>(a: T): T {
  const b = (a instanceof Float64Array ? new Float64Array(new SharedArrayBuffer(a.byteLength)) : new Int32Array(new SharedArrayBuffer(a.byteLength))) as T;
  b.set(a);
  return b;
}

/** The compiled worker: beside this module, or in dist/ when this module runs from source (vitest). */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/src/gsp/mine-worker.js', here) : new URL('./mine-worker.js', here);
}

export function mineInWorkers(job: ParallelJob): ParallelOutcome {
  const { db, v, threads } = job;
  const m = v.sids.length;
  const sidStart = new Int32Array(m + 1);
  const posStart = new Int32Array(m + 1);
  for (let x = 0; x < m; x++) {
    sidStart[x + 1] = sidStart[x] + v.sids[x].length;
    posStart[x + 1] = posStart[x] + v.pos[x].length;
  }
  const vSids = new Int32Array(new SharedArrayBuffer(4 * sidStart[m]));
  const vOff = new Int32Array(new SharedArrayBuffer(4 * (sidStart[m] + m)));
  const vPos = new Int32Array(new SharedArrayBuffer(4 * posStart[m]));
  for (let x = 0; x < m; x++) {
    vSids.set(v.sids[x], sidStart[x]);
    vOff.set(v.off[x], sidStart[x] + x);
    vPos.set(v.pos[x], posStart[x]);
  }
  const ctl = new Int32Array(new SharedArrayBuffer(4 * 4));
  const prog = new Float64Array(new SharedArrayBuffer(8 * 2 * threads));
  const { progress: _p, weight, ...engine } = job.o;
  const base = {
    ctl,
    prog,
    m,
    n: db.n,
    seqStart: shared(db.seqStart),
    txStart: shared(db.txStart),
    txTime: shared(db.txTime),
    txItems: shared(db.txItems),
    ancestors: db.ancestors.map((a) => Int32Array.from(a)),
    weight: weight ? shared(weight) : null,
    vSids,
    vOff,
    vPos,
    sidStart,
    posStart,
    engine,
    kind: job.kind,
    bound: job.bound,
    deadline: job.deadline,
  };
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  const url = workerUrl();
  for (let id = 0; id < threads; id++) {
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = { ...base, port: port2, id };
    const w = new Worker(url, { workerData: init, transferList: [port2] });
    w.unref();
    ports.push(port1);
    workers.push(w);
  }
  const send = (i: number, msg: ToWorker): void => ports[i].postMessage(msg);
  const queue = job.tasks.slice();
  let head = 0;
  const idle: number[] = [];
  const results: Extract<FromWorker, { t: 'result' }>[] = [];
  let ready = 0;
  let busy = 0;
  let finished = 0;
  let finishing = false;
  let stopped = false;
  const started = Date.now();
  let lastProgress = started;
  try {
    for (;;) {
      const seen = Atomics.load(ctl, CTL_NOTIFY);
      for (let i = 0; i < threads; i++) {
        for (let r = receiveMessageOnPort(ports[i]); r; r = receiveMessageOnPort(ports[i])) {
          const msg = r.message as FromWorker;
          if (msg.t === 'ready') {
            ready++;
            idle.push(i);
          } else if (msg.t === 'split') {
            for (const p of msg.paths) queue.push(p);
          } else if (msg.t === 'done') {
            busy--;
            idle.push(i);
          } else if (msg.t === 'result') {
            results.push(msg);
            finished++;
          } else {
            throw new FtpIdsError(msg.code, `mining thread ${i + 1}: ${msg.message}`);
          }
        }
      }
      if (finished === threads) break;
      const now = Date.now();
      if (!stopped && now >= job.deadline) {
        stopped = true;
        Atomics.store(ctl, CTL_STOP, 1);
      }
      if (!finishing) {
        while (!stopped && idle.length > 0 && head < queue.length) {
          send(idle.pop()!, { t: 'task', path: queue[head++] });
          busy++;
        }
        if (head > 4096 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        if (busy === 0 && ready === threads && (head === queue.length || stopped)) {
          finishing = true;
          for (let i = 0; i < threads; i++) send(i, { t: 'finish' });
        }
        Atomics.store(ctl, CTL_HUNGRY, head === queue.length && !stopped ? idle.length : 0);
      }
      if (ready < threads && now - started > START_TIMEOUT_MS) {
        throw new FtpIdsError('INTERNAL', `mining threads did not start within ${START_TIMEOUT_MS / 1000} s (${url.pathname})`);
      }
      if (job.progress && now - lastProgress >= 200) {
        lastProgress = now;
        let visited = 0;
        let depth = 0;
        for (let i = 0; i < threads; i++) {
          visited += prog[2 * i];
          depth = Math.max(depth, prog[2 * i + 1]);
        }
        job.progress(visited, depth);
      }
      Atomics.wait(ctl, CTL_NOTIFY, seen, 100);
    }
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw e;
  }
  const levels: EngineStats['levels'] = [];
  let frequent = 0;
  let peak = 0;
  let backScanPruned = 0;
  let incomplete = stopped && head < queue.length;
  const found: FoundPattern[] = [];
  for (const r of results) {
    frequent += r.frequent;
    peak = Math.max(peak, r.peak);
    backScanPruned += r.backScanPruned;
    if (r.stopped) incomplete = true;
    r.levels.forEach((l, k) => {
      while (levels.length <= k) levels.push({ k: levels.length + 1, candidates: 0, frequent: 0 });
      levels[k].candidates += l.candidates;
      levels[k].frequent += l.frequent;
    });
    for (const f of r.found) found.push(f);
  }
  return { found, frequent, peak, levels, backScanPruned, incomplete };
}
