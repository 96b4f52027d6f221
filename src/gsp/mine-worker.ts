import { workerData } from 'node:worker_threads';
import { isFtpIdsError } from '../common/errors.js';
import type { SeqDb, VerticalIndex } from './db.js';
import { FilterSink } from './filter.js';
import { CTL_HUNGRY, CTL_NOTIFY, CTL_STOP, type FromWorker, type ToWorker, type WorkerInit } from './parallel.js';
import { VerticalMiner } from './vertical.js';

/**
 * One mining thread of parallel.ts: views on the shared database and id-lists, its own
 * VerticalMiner and maximal/closed filter; mines the subtrees it is sent until told to finish.
 */
const w = workerData as WorkerInit;
const { port, ctl, prog, id } = w;
const post = (msg: FromWorker): void => {
  port.postMessage(msg);
  Atomics.add(ctl, CTL_NOTIFY, 1);
  Atomics.notify(ctl, CTL_NOTIFY);
};
const fail = (e: unknown): void => {
  const err = e as Error;
  post({ t: 'error', code: isFtpIdsError(e) ? e.code : 'INTERNAL', message: isFtpIdsError(e) ? err.message : (err?.stack ?? String(e)) });
};

try {
  const db: SeqDb = {
    items: new Array<string>(w.m).fill(''),
    n: w.n,
    seqStart: w.seqStart,
    txStart: w.txStart,
    txTime: w.txTime,
    txItems: w.txItems,
    names: [],
    labels: [],
    ancestors: w.ancestors,
  };
  const v: VerticalIndex = { sids: [], off: [], pos: [] };
  for (let x = 0; x < w.m; x++) {
    v.sids.push(w.vSids.subarray(w.sidStart[x], w.sidStart[x + 1]));
    v.off.push(w.vOff.subarray(w.sidStart[x] + x, w.sidStart[x + 1] + x + 1));
    v.pos.push(w.vPos.subarray(w.posStart[x], w.posStart[x + 1]));
  }
  const sink = new FilterSink(w.kind, w.ancestors, w.bound);
  const miner = new VerticalMiner(db, v, { ...w.engine, weight: w.weight }, sink, {
    deadline: w.deadline,
    stop: ctl.subarray(CTL_STOP, CTL_STOP + 1),
    hungry: ctl.subarray(CTL_HUNGRY, CTL_HUNGRY + 1),
    donate: (paths) => post({ t: 'split', paths }),
    onPoll: (visited, depth) => {
      prog[2 * id] = visited;
      prog[2 * id + 1] = depth;
    },
  });
  let tasks = 0;
  let busyMs = 0;
  port.on('message', (msg: ToWorker) => {
    try {
      if (msg.t === 'task') {
        const t0 = Date.now();
        miner.mineTask(msg.path);
        busyMs += Date.now() - t0;
        tasks++;
        prog[2 * id] = miner.totalFrequent;
        post({ t: 'done' });
      } else {
        post({
          t: 'result',
          found: [...sink.filter.results()].map((f) => ({ pattern: f.pattern, support: f.support, sids: f.sids })),
          frequent: sink.frequent,
          peak: sink.peak,
          levels: miner.stats.levels,
          backScanPruned: miner.backScanPruned,
          stopped: miner.stopped,
          tasks,
          busyMs,
        });
        port.close();
      }
    } catch (e) {
      fail(e);
    }
  });
  post({ t: 'ready' });
} catch (e) {
  fail(e);
}
