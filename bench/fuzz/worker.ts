/**
 * Fuzz worker: runs one case at a time and reports its outcome. The parent bounds its time
 * (terminates it) and its heap (resourceLimits); this side reports the kind of exception and the
 * external memory (Buffers) left after the case.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { isFtpIdsError } from '../../src/common/errors.js';
import { createContext, runTarget } from './targets.js';
import type { Family } from './inputs.js';

export interface CaseRequest {
  id: number;
  family: Family;
  variant: number;
  data: Uint8Array;
}

export interface CaseReply {
  id: number;
  outcome: 'ok' | 'expected' | 'crash';
  /** for a crash: error name, message's first line and the first stack frame in the project */
  signature?: string;
  stack?: string;
  ms: number;
  externalBytes: number;
}

const ctx = createContext((workerData as { modelText: string }).modelText);

/** "RangeError: Maximum call stack size exceeded @ src/gsp/input.ts:250" — stable across inputs */
export function crashSignature(e: unknown): string {
  const err = e as { name?: string; message?: string; stack?: string } | null;
  const name = err?.name ?? typeof e;
  const msg = String(err?.message ?? e).split('\n')[0].replace(/\d+/g, 'N').slice(0, 120);
  const frame = /\((?:file:\/\/)?[^()]*?\/((?:src|stages|bench)\/[^():]+):(\d+)/.exec(err?.stack ?? '');
  return `${name}: ${msg}${frame ? ` @ ${frame[1].replace(/^dist\//, '')}:${frame[2]}` : ''}`;
}

parentPort!.postMessage('ready');
parentPort!.on('message', (req: CaseRequest) => {
  const t0 = performance.now();
  const done = (outcome: CaseReply['outcome'], e?: unknown): void => {
    const reply: CaseReply = { id: req.id, outcome, ms: performance.now() - t0, externalBytes: getHeapStatistics().external_memory };
    if (outcome === 'crash') {
      reply.signature = crashSignature(e);
      reply.stack = String((e as Error)?.stack ?? e).slice(0, 4000);
    }
    parentPort!.postMessage(reply);
  };
  const data = Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
  runTarget(req.family, data, req.variant, ctx).then(
    () => done('ok'),
    (e: unknown) => done(isFtpIdsError(e) ? 'expected' : 'crash', e),
  );
});
