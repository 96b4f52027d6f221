import { readFileSync } from 'node:fs';
import { FtpIdsError } from '../src/common/errors.js';
import { optEnum } from '../src/common/options.js';
import { normalizeMatchOptions } from '../src/match/matcher.js';
import { parseModelText, readModelTextFile, type MatchModel } from '../src/match/model.js';
import { parseSignatureFile } from '../src/label/signatures.js';
import type { MatchRunOptions } from './match.js';

/** Options shared by ftp-match and `ftp-ids detect|eval` (one spec, one normaliser). */
export const MATCH_OPTION_SPEC = {
  model: { type: 'string', short: 'm' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  'fail-on-alert': { type: 'boolean' },
  sensitivity: { type: 'string' },
  baseline: { type: 'string' },
  'judge-unknown-servers': { type: 'boolean' },
  pcap: { type: 'boolean' },
  signatures: { type: 'string' },
  'max-clients': { type: 'string' },
  'max-window-sessions': { type: 'string' },
  'max-match-exchanges': { type: 'string' },
  'max-model-bytes': { type: 'string' },
  'max-model-patterns': { type: 'string' },
  stats: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const MATCH_USAGE = (synopsis: string): string => `usage: ${synopsis}
Input (detected per file, no FILE or "-": stdin): the exchange dataset CSV (ftp-extract), flow NDJSON
(ftp-flows / ftp-label), or a capture (pcap/pcapng, .gz) — the last two go through ftp-extract in-process.
  --model FILE              model JSON from ftp-gsp or ftp-ids train (required)
  --json                    NDJSON verdicts (default: CSV with a header)
  --all                     every session, not only the suspicious ones
  --fail-on-alert           exit code 1 when any session was flagged
  --sensitivity X           > 0 (default 1): the threshold for X times the calibrated false-positive rate
                            (the model's --target-fpr; 2 flags about twice as many benign sessions)
  --baseline study          the study's plain matching: normal = supports at least one pattern
  --judge-unknown-servers   judge sessions of server labels the model never saw (default: verdict
                            "unfit" and one model_fit notice per label)
  --pcap                    the inputs are captures (default: detected from the first bytes)
  --signatures FILE         banner signatures for flows without a label (as ftp-extract)
  --max-clients N           client addresses with an open window (100000)
  --max-window-sessions N   sessions remembered per client address (10000)
  --max-match-exchanges N   exchanges of a session matched against patterns (5000)
  --max-model-bytes SIZE    model file text read at most (64M)
  --max-model-patterns N    patterns in the model at most (50000; ~3.3 KB of memory each)
  --stats                   counters as JSON on stderr at the end
`;

type Values = Record<string, string | boolean | undefined>;

/** argv values → the options of runMatch (validated; INVALID_OPTION names the flag). */
export function matchCommandOptions(values: Values): MatchRunOptions {
  const mode = optEnum(values, 'baseline', ['study', 'none'] as const, 'none') === 'study' ? 'study' : 'full';
  const match = normalizeMatchOptions({
    sensitivity: values.sensitivity,
    mode,
    judgeUnknownServers: values['judge-unknown-servers'] === true,
    maxClients: values['max-clients'],
    maxWindowSessions: values['max-window-sessions'],
    maxMatchExchanges: values['max-match-exchanges'],
  });
  const signatures = typeof values.signatures === 'string' ? parseSignatureFile(readFileSync(values.signatures, 'utf8'), values.signatures) : undefined;
  return {
    match: { ...match },
    format: values.json ? 'json' : 'csv',
    all: values.all === true,
    kind: values.pcap ? 'pcap' : undefined,
    signatures,
  };
}

/** Read and check a model file; a missing --model is a usage error. */
export function readModelFile(path: unknown, values: Values = {}): MatchModel {
  if (typeof path !== 'string' || path === '') throw new FtpIdsError('USAGE', 'option --model FILE is required');
  const bounds = { maxModelBytes: values['max-model-bytes'], maxModelPatterns: values['max-model-patterns'] };
  return parseModelText(readModelTextFile(path, bounds), path, bounds);
}
