import { readFileSync } from 'node:fs';
import { FtpIdsError } from '../src/common/errors.js';
import { optEnum } from '../src/common/options.js';
import { normalizeMatchOptions } from '../src/match/matcher.js';
import { parseModelText, readModelTextFile, type MatchModel } from '../src/match/model.js';
import { ALERT_FORMATS, TIME_FORMATS } from '../src/match/output.js';
import { builtinSignatures, parseSignatureFile, type SignatureSet } from '../src/label/signatures.js';
import type { MatchRunOptions } from './match.js';

/** Options shared by ftp-match and `ftp-ids detect|eval` (one spec, one normaliser). */
export const MATCH_OPTION_SPEC = {
  model: { type: 'string', short: 'm' },
  json: { type: 'boolean' },
  format: { type: 'string', short: 'f' },
  'time-format': { type: 'string' },
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
  state: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const MATCH_USAGE = (synopsis: string): string => `usage: ${synopsis}
Input (detected per file, no FILE or "-": stdin): the exchange dataset CSV (ftp-extract), flow NDJSON
(ftp-flows / ftp-label), or a capture (pcap/pcapng, .gz) — the last two go through ftp-extract in-process.
  --model FILE              model JSON from ftp-gsp or ftp-ids train (required)
  -f, --format FMT          csv (default: a header, then one row per verdict) | json (NDJSON verdicts and
                            incidents) | eve (one Suricata-eve-like alert per line: timestamp, flow_id,
                            src/dest, community_id, alert{signature_id, signature, category, severity},
                            ftp_ids{score, threshold, reasons with a sentence each}; schema/ftp-ids-eve.schema.json)
  --json                    the same as --format json
  --time-format T           epoch (default: seconds since 1970, as before) | iso (ISO 8601 UTC with
                            microseconds, as Suricata's eve: 2026-12-06T18:55:30.123456+0000); eve is always iso
  --all                     every session, not only the suspicious ones (csv, json)
  --fail-on-alert           exit code 1 when any session was flagged (0 when none; errors: always 2)
  --sensitivity X           > 0 (default 1): the threshold for X times the calibrated false-positive rate
                            (the model's --target-fpr; 2 flags about twice as many benign sessions)
  --baseline study          the study's plain matching: normal = supports at least one pattern
  --judge-unknown-servers   judge sessions of server labels the model never saw (default: verdict
                            "unfit" and one model_fit notice per label)
  --pcap                    the inputs are captures (default: detected from the first bytes)
  --signatures SET          server labels for flows without one: default (today's servers), study (the
                            study's 25) or a FILE (.csv prefix,label / .json), as ftp-extract
  --max-clients N           client addresses with an open window (100000)
  --max-window-sessions N   sessions remembered per client address (10000)
  --max-match-exchanges N   exchanges of a session matched against patterns (5000)
  --max-model-bytes SIZE    model file text read at most (64M)
  --max-model-patterns N    patterns in the model at most (50000; ~3.3 KB of memory each)
  --stats                   counters as JSON on stderr at the end
  --state FILE              carry per-client windows, open incidents and the connections still open at the
                            end of the input from one run to the next (created when missing; rewritten at
                            the end of a successful run): a cron job over rotated captures sees what one run
                            over their concatenation sees
  --version, -h/--help      the version; this text (man-style reference of every command: docs/cli.md)
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
  const signatures = signaturesOption(values.signatures);
  const format = optEnum(values, 'format', ALERT_FORMATS, values.json ? 'json' : 'csv');
  if (values.json && format !== 'json') throw new FtpIdsError('INVALID_OPTION', `option --json contradicts --format ${format}`);
  if (values.all && format === 'eve') throw new FtpIdsError('INVALID_OPTION', 'option --all: eve lists alerts only; use --format json for every verdict');
  return {
    match: { ...match },
    format,
    timeFormat: optEnum(values, 'time-format', TIME_FORMATS, 'epoch'),
    all: values.all === true,
    kind: values.pcap ? 'pcap' : undefined,
    signatures,
    statePath: typeof values.state === 'string' ? values.state : undefined,
  };
}

/** `--signatures default|study|FILE` → the set (undefined: the default set). */
export function signaturesOption(value: unknown): SignatureSet | undefined {
  if (typeof value !== 'string') return undefined;
  return builtinSignatures(value) ?? parseSignatureFile(readFileSync(value, 'utf8'), value);
}

/** Read and check a model file; a missing --model is a usage error. */
export function readModelFile(path: unknown, values: Values = {}): MatchModel {
  if (typeof path !== 'string' || path === '') throw new FtpIdsError('USAGE', 'option --model FILE is required');
  const bounds = { maxModelBytes: values['max-model-bytes'], maxModelPatterns: values['max-model-patterns'] };
  return parseModelText(readModelTextFile(path, bounds), path, bounds);
}
