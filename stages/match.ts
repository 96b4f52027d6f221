/**
 * ftp-match stage: inputs (dataset CSV, flow NDJSON or captures; detected per file) → sessions →
 * matcher → verdict text, in one process. `runMatch` is what bin/ftp-match and `ftp-ids detect`
 * run; `matchStage` is the highland wrapper for chaining sessions → verdicts in other pipelines.
 *
 * Node's async iteration over the input drives everything; the cores are synchronous per chunk,
 * so verdicts of the sessions completed by a chunk are written (honouring backpressure) before
 * the next chunk is read: alerts come out while a capture is still being read.
 */
import { once } from 'node:events';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import _ from 'highland';
import { captureChunks } from '../src/capture/input.js';
import { Counters } from '../src/common/bounds.js';
import { inputBytes, ReadProgress, type Progress } from '../src/common/cli.js';
import { FtpIdsError } from '../src/common/errors.js';
import type { Session } from '../src/dataset/types.js';
import { detectKind, SessionSource, type InputKind, type SessionSourceOptions, type SourceState } from '../src/ids/source.js';
import { createMatcher, type MatcherState, type MatchEvent, type Verdict } from '../src/match/matcher.js';
import type { MatchModel } from '../src/match/model.js';
import { createEventWriter, createVerdictWriter, type AlertFormat, type TimeFormat } from '../src/match/output.js';

export interface MatchRunOptions extends SessionSourceOptions {
  /** matcher options (sensitivity, mode, bounds) */
  match?: Record<string, unknown>;
  format?: AlertFormat;
  /** times as epoch seconds (default) or ISO 8601 UTC (csv and json; eve is always ISO) */
  timeFormat?: TimeFormat;
  /** write every session, not only the flagged ones */
  all?: boolean;
  /** force the input kind instead of detecting it (`--pcap`) */
  kind?: InputKind;
  /** called with every verdict (eval collects them) */
  onVerdict?: (v: Verdict) => void;
  /** called with every event (incidents, model-fit notices) */
  onEvent?: (e: MatchEvent) => void;
  /** warnings (capture reader) go here; default: stderr */
  warn?: (msg: string) => void;
  /**
   * `--state FILE`: read at the start (a missing file is a first run), written at the end of a
   * successful run: per-client windows and open incidents, and the connections still open at the end of
   * the input (judged by the next run, joined to their continuation). A cron job over rotated captures
   * then sees what one run over their concatenation sees.
   */
  statePath?: string;
  /** progress on stderr (bytes read of the inputs' total, sessions, rate); it prints only on a terminal */
  progress?: Progress;
}

/** The `--state` file: `{"format":"ftp-ids-state","version":1,"matcher":…,"source":…}` (JSON). */
export interface RunState {
  format: 'ftp-ids-state';
  version: 1;
  matcher: MatcherState;
  source: SourceState;
}

export function readStateFile(path: string): RunState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; // the first run
    throw e;
  }
  let st: RunState;
  try {
    st = JSON.parse(text) as RunState;
  } catch (e) {
    throw new FtpIdsError('BAD_STATE', `not a state file (invalid JSON: ${(e as Error).message})`, { file: path });
  }
  if (st?.format !== 'ftp-ids-state' || st.version !== 1 || typeof st.matcher !== 'object' || !Array.isArray(st.source?.flows)) {
    throw new FtpIdsError('BAD_STATE', 'not an ftp-ids state file of version 1 (written by ftp-match --state)', { file: path });
  }
  return st;
}

/** Written whole or not at all (a temporary file renamed over the old one): a crash leaves the old state. */
export function writeStateFile(path: string, st: RunState): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(st));
  renameSync(tmp, path);
}

export interface MatchRunResult {
  sessions: number;
  flagged: number;
  counters: Counters;
}

/**
 * How long the input may pause before the session being read is handed on (the CSV reader otherwise
 * waits for the next flow_id). Short against the 1 s a live alert may take (tcpdump's own buffering and
 * the three processes before ftp-match come first), long against the gaps between the blocks of one
 * write of ftp-extract (microseconds).
 */
export const IDLE_FLUSH_MS = 150;

/** Read every input, stream its sessions through the matcher; returns counts. */
export async function runSessions(
  inputs: string[],
  opts: MatchRunOptions,
  onSession: (s: Session) => void,
  afterChunk: () => Promise<void> = async () => {},
  carry?: { from: SourceState | null; to: (st: SourceState) => void },
): Promise<Counters> {
  const counters = opts.counters ?? new Counters();
  let sessions = 0;
  const source = new SessionSource({ ...opts, counters }, (s) => {
    sessions++;
    onSession(s);
  });
  if (carry?.from) source.importState(carry.from);
  const progress = opts.progress && new ReadProgress(opts.progress, inputBytes(inputs), 'sessions');
  let warned = 0;
  const warnings = (): void => {
    const ws = source.warnings;
    for (; warned < ws.length; warned++) {
      const w = ws[warned]!;
      (opts.warn ?? ((m: string) => process.stderr.write(`${m}\n`)))(`warning: ${w.file ? w.file + ': ' : ''}byte offset ${w.offset}: ${w.message}`);
    }
  };
  // live input: when no chunk follows within IDLE_FLUSH_MS, the held session is judged and written
  let timer: NodeJS.Timeout | null = null;
  let idleError: unknown = null;
  const onIdle = (): void => {
    timer = null;
    try {
      source.idle();
    } catch (e) {
      idleError = e; // thrown by the reading loop, where every error is handled
    }
    afterChunk().catch((e: unknown) => (idleError ??= e));
  };
  const stopTimer = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const names = inputs.length ? inputs : ['-'];
  try {
    for (const name of names) {
      const display = name === '-' ? 'stdin' : name;
      let started = false;
      for await (const chunk of captureChunks(name, { onTruncated: (m, o) => source.inputTruncated(m, o) })) {
        stopTimer();
        if (idleError) throw idleError;
        if (!started) {
          started = true;
          source.startFile(display, opts.kind ?? source.continuesKind ?? detectKind(chunk));
        }
        source.push(chunk);
        progress?.read(chunk.length, () => sessions);
        await afterChunk();
        timer = setTimeout(onIdle, IDLE_FLUSH_MS);
      }
      stopTimer();
      if (idleError) throw idleError;
      if (!started) source.startFile(display, opts.kind ?? 'csv');
      source.endFile(carry !== undefined && name === names[names.length - 1]);
      warnings();
    }
    if (carry) carry.to(source.endKeepingState());
    else source.end();
    warnings();
  } catch (e) {
    stopTimer();
    if (e instanceof FtpIdsError) source.flushAfterError();
    await afterChunk();
    progress?.done(sessions); // the line ends before the error message
    warnings();
    throw e;
  }
  await afterChunk();
  progress?.done(sessions);
  return counters;
}

export async function runMatch(inputs: string[], model: MatchModel, output: Writable, opts: MatchRunOptions = {}): Promise<MatchRunResult> {
  let text = '';
  const out = { format: opts.format ?? 'csv', all: opts.all ?? false, time: opts.timeFormat ?? 'epoch' } as const;
  const writer = createVerdictWriter(out, (t) => {
    text += t;
  });
  const events = createEventWriter(out, (t) => {
    text += t;
  }, opts.warn ? (m) => opts.warn!(m.trimEnd()) : (m) => process.stderr.write(m));
  let sessions = 0;
  let flagged = 0;
  const matcher = createMatcher(
    model,
    opts.match ?? {},
    (v) => {
      if (!v.update) sessions++;
      if (v.verdict === 'suspicious') flagged++;
      opts.onVerdict?.(v);
      writer(v);
    },
    (e) => {
      opts.onEvent?.(e);
      events(e);
    },
  );
  const flush = async (): Promise<void> => {
    if (text === '') return;
    const t = text;
    text = '';
    if (!output.write(t)) await once(output, 'drain');
  };
  const state = opts.statePath !== undefined ? readStateFile(opts.statePath) : null;
  if (state) matcher.importState(state.matcher);
  let sourceState: SourceState = { flows: [] };
  const carry = opts.statePath !== undefined ? { from: state?.source ?? null, to: (st: SourceState) => (sourceState = st) } : undefined;
  const counters = await runSessions(inputs, opts, (s) => matcher.pushSession(s), flush, carry);
  matcher.end();
  if (opts.statePath !== undefined) writeStateFile(opts.statePath, { format: 'ftp-ids-state', version: 1, matcher: matcher.exportState(), source: sourceState });
  await flush();
  for (const [k, v] of Object.entries(matcher.counters.toJSON())) counters.add(`match.${k}`, v);
  return { sessions, flagged, counters };
}

/** highland stage: sessions → verdicts (verdicts out as each session goes in). */
export function matchStage(model: MatchModel, options: Record<string, unknown> = {}): (s: Highland.Stream<Session>) => Highland.Stream<Verdict> {
  return (s) => {
    let out: Verdict[] = [];
    const matcher = createMatcher(model, options, (v) => out.push(v));
    const drain = (push: (err: Error | null, x?: Verdict | Highland.Nil) => void): void => {
      const v = out;
      out = [];
      for (const x of v) push(null, x);
    };
    return s.consume((err, x, push, next) => {
      if (err) {
        push(err);
        next();
      } else if (_.isNil(x)) {
        matcher.end();
        drain(push);
        push(null, _.nil);
      } else {
        try {
          matcher.pushSession(x as Session);
        } catch (e) {
          push(e as Error);
        }
        drain(push);
        next();
      }
    });
  };
}
