import { stringify } from 'csv-stringify/sync';
import { durationOf, epochToIso, timeField, type TimeFormat } from '../common/time.js';
import type { Incident, MatchEvent, Reason, Verdict } from './matcher.js';

/**
 * Verdict output of ftp-match / ftp-ids detect: CSV (csv-stringify, header first), NDJSON, or
 * Suricata-eve-like alerts (one JSON object per alert, schema/ftp-ids-eve.schema.json).
 * The `reasons` column holds the reasons as a JSON array, so CSV consumers get the same
 * machine-checkable objects as NDJSON ones.
 */
export type AlertFormat = 'csv' | 'json' | 'eve';
export const ALERT_FORMATS: readonly AlertFormat[] = ['csv', 'json', 'eve'];
export { durationOf, epochToIso, parseTime, timeField, TIME_FORMATS, type TimeFormat } from '../common/time.js';

export const VERDICT_COLUMNS = [
  'flow_id',
  'community_id',
  'client_ip',
  'client_port',
  'server_ip',
  'server_port',
  'label',
  'start',
  'end',
  'duration',
  'verdict',
  'update',
  'score',
  'threshold',
  'model',
  'exchanges',
  'flow_end',
  'best_pattern',
  'reasons',
] as const;

export type VerdictRecord = Record<Exclude<(typeof VERDICT_COLUMNS)[number], 'reasons'>, string | number> & { reasons: Verdict['reasons'] };

export function verdictRecord(v: Verdict, time: TimeFormat = 'epoch'): VerdictRecord {
  return {
    flow_id: v.flowId,
    community_id: v.communityId,
    client_ip: v.clientIp,
    client_port: v.clientPort,
    server_ip: v.serverIp,
    server_port: v.serverPort,
    label: v.label,
    start: timeField(v.start, time),
    end: timeField(v.end, time),
    duration: durationOf(v.start, v.end),
    verdict: v.verdict,
    update: v.update ? 1 : 0,
    score: v.score,
    threshold: v.threshold,
    model: v.model,
    exchanges: v.exchanges,
    flow_end: v.flowEnd,
    best_pattern: v.bestPattern,
    reasons: v.reasons,
  };
}

export function verdictCsvHeader(): string {
  return stringify([VERDICT_COLUMNS as unknown as string[]]);
}

export function verdictCsvLine(v: Verdict, time: TimeFormat = 'epoch'): string {
  const r = verdictRecord(v, time);
  return stringify([VERDICT_COLUMNS.map((c) => (c === 'reasons' ? JSON.stringify(r.reasons) : r[c]))]);
}

export function verdictJsonLine(v: Verdict, time: TimeFormat = 'epoch'): string {
  return JSON.stringify(verdictRecord(v, time)) + '\n';
}

/** An incident as a record: its times (first/last session) in the chosen format, and its duration. */
export function incidentRecord(e: Incident, time: TimeFormat = 'epoch'): Record<string, unknown> {
  return { ...e, first: timeField(e.first, time), last: timeField(e.last, time), duration: durationOf(e.first, e.last) };
}

export interface OutputOptions {
  format: AlertFormat;
  /** every session, not only the flagged ones (csv and json) */
  all: boolean;
  time: TimeFormat;
}

/** Writes the CSV header at once (an empty result is still a valid CSV), then one line per verdict
 *  (only suspicious ones unless `all`; updates always, they are what an incident changed). */
export function createVerdictWriter(o: OutputOptions, write: (text: string) => void): (v: Verdict) => void {
  if (o.format === 'csv') write(verdictCsvHeader());
  return (v) => {
    if (!o.all && v.verdict !== 'suspicious') return;
    if (o.format === 'eve') {
      if (v.verdict === 'suspicious') write(JSON.stringify(eveVerdict(v)) + '\n');
    } else write(o.format === 'json' ? verdictJsonLine(v, o.time) : verdictCsvLine(v, o.time));
  };
}

/**
 * Events beside the verdicts: in NDJSON, one line each (`"type":"incident"` / `"model_fit"`; an
 * incident is sent again, same id, each time it grows); in eve, an incident is an alert of its own;
 * in CSV, whose rows are verdicts only, the incidents show as the verdict updates they cause. A
 * model_fit notice is no alert: outside NDJSON it goes to `warn` (stderr).
 */
export function createEventWriter(o: OutputOptions, write: (text: string) => void, warn: (text: string) => void): (e: MatchEvent) => void {
  return (e) => {
    if (o.format === 'json') write(JSON.stringify(e.type === 'incident' ? incidentRecord(e, o.time) : { ...e, first: timeField(e.first, o.time) }) + '\n');
    else if (e.type === 'incident' && o.format === 'eve') write(JSON.stringify(eveIncident(e)) + '\n');
    else if (e.type === 'model_fit') warn(`model fit: ${e.message}\n`);
  };
}

/** One readable sentence per reason (eve's `ftp_ids.reasons[].text`, the demo's listing). */
export function reasonSentence(r: Reason): string {
  // a reason is a share of the score, not always a limit crossed: the sentences state the count and
  // the training limit beside it, never "more than"
  const ex = (list: number[]): string => (list.length ? ` (exchange${list.length > 1 ? 's' : ''} ${list.slice(0, 5).join(', ')}${list.length > 5 ? ', …' : ''})` : '');
  const n = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;
  switch (r.kind) {
    case 'unexplained':
      return `${r.count} of ${r.of} exchanges are explained by no pattern of the model${ex(r.exchanges)}.`;
    case 'unseen_item':
      return `${n(r.count, 'exchange')} never seen in training: ${r.items.slice(0, 3).map((x) => JSON.stringify(x.length > 60 ? x.slice(0, 60) + '…' : x)).join(', ')}${ex(r.exchanges)}.`;
    case 'repetition':
      return `{${r.item}} repeated ${n(r.count, 'time')} (training limit ${r.limit})${ex(r.exchanges)}.`;
    case 'overlong':
      return `${r.command} with a ${r.length}-character argument (training limit ${r.limit})${ex(r.exchanges)}.`;
    case 'refused':
      return `${n(r.count, 'command')} refused by the server (training limit ${r.limit})${ex(r.exchanges)}.`;
    case 'rare_attribute':
      return `${r.attribute}, which ${n(r.trainingSessions, 'training session')} had${ex(r.exchanges)}.`;
    case 'length':
      return `${n(r.count, 'exchange')} (training limit ${r.limit}).`;
    case 'duration':
      return `The session lasted ${r.seconds} s (training limit ${r.limit} s).`;
    case 'idle':
      return `The session was idle for ${r.seconds} s (training limit ${r.limit} s).`;
    case 'window_sessions':
      return `${r.client} opened ${n(r.count, 'session')} within ${r.window} s (training limit ${r.limit}).`;
    case 'window_failed_logins':
      return `${r.client} failed to log in ${n(r.count, 'time')} within ${r.window} s (training limit ${r.limit}).`;
    case 'window_short_sessions':
      return `${r.client} opened ${n(r.count, 'short session')} within ${r.window} s (training limit ${r.limit}).`;
    case 'incident':
      return `Part of incident ${r.incident}: ${n(r.sessions.length, 'session')} from ${r.client}.`;
    case 'no_pattern':
      return `The session supports none of the model's ${n(r.patterns, 'pattern')}.`;
    default:
      return r satisfies never;
  }
}

/**
 * The eve `alert` object of a reason kind: one signature per kind (sid in the local range
 * 1000000–1999999 so it cannot collide with a published rule set), categories and severities from
 * Suricata's classification.config (severity 1 = high … 3 = low).
 */
const SIGNATURES: Record<Reason['kind'], { sid: number; signature: string; category: string; severity: number }> = {
  unexplained: { sid: 1_210_001, signature: 'FTP-IDS session not explained by the model', category: 'Potentially Bad Traffic', severity: 2 },
  no_pattern: { sid: 1_210_002, signature: 'FTP-IDS session supports no learned pattern', category: 'Potentially Bad Traffic', severity: 2 },
  unseen_item: { sid: 1_210_003, signature: 'FTP-IDS command or reply never seen in training', category: 'Generic Protocol Command Decode', severity: 2 },
  repetition: { sid: 1_210_004, signature: 'FTP-IDS exchange repeated beyond training', category: 'Attempted Information Leak', severity: 2 },
  overlong: { sid: 1_210_005, signature: 'FTP-IDS overlong command argument', category: 'Attempted User Privilege Gain', severity: 1 },
  refused: { sid: 1_210_006, signature: 'FTP-IDS many commands refused', category: 'Attempted Information Leak', severity: 2 },
  rare_attribute: { sid: 1_210_007, signature: 'FTP-IDS rare session attribute', category: 'Potentially Bad Traffic', severity: 3 },
  length: { sid: 1_210_008, signature: 'FTP-IDS session longer than any in training', category: 'Potentially Bad Traffic', severity: 3 },
  duration: { sid: 1_210_009, signature: 'FTP-IDS session lasted longer than any in training', category: 'Potentially Bad Traffic', severity: 3 },
  idle: { sid: 1_210_010, signature: 'FTP-IDS session idle longer than any in training', category: 'Potentially Bad Traffic', severity: 3 },
  window_sessions: { sid: 1_210_011, signature: 'FTP-IDS many sessions from one client', category: 'Detection of a Network Scan', severity: 2 },
  window_failed_logins: { sid: 1_210_012, signature: 'FTP-IDS many failed logins from one client (brute force)', category: 'Unsuccessful User Privilege Gain', severity: 1 },
  window_short_sessions: { sid: 1_210_013, signature: 'FTP-IDS many short sessions from one client', category: 'Detection of a Network Scan', severity: 2 },
  incident: { sid: 1_210_014, signature: 'FTP-IDS session part of an incident', category: 'Potentially Bad Traffic', severity: 2 },
};

/** The alert's signature: that of its first reason (the reasons come strongest first). */
function eveAlert(reason: Reason | undefined): Record<string, unknown> {
  const s = SIGNATURES[reason?.kind ?? 'unexplained'];
  return { action: 'allowed', gid: 1, signature_id: s.sid, rev: 1, signature: s.signature, category: s.category, severity: s.severity };
}

/** Suricata masks its flow id to 51 bits so JSON readers lose nothing; the same of our 64-bit hex id. */
export function eveFlowId(flowId: string): number {
  const m = /^F?([0-9a-f]{1,16})$/i.exec(flowId);
  if (!m) return 0;
  return Number(BigInt(`0x${m[1]}`) & ((1n << 51n) - 1n));
}

const eveReasons = (rs: Reason[]): Record<string, unknown>[] => rs.map((r) => ({ ...r, text: reasonSentence(r) }));

/** A suspicious verdict as an eve alert: raised when the session ended (timestamp), flow start/end beside. */
export function eveVerdict(v: Verdict): Record<string, unknown> {
  const at = Number.isFinite(v.end) ? v.end : v.start;
  return {
    timestamp: epochToIso(at),
    flow_id: eveFlowId(v.flowId),
    event_type: 'alert',
    src_ip: v.clientIp,
    src_port: v.clientPort,
    dest_ip: v.serverIp,
    dest_port: v.serverPort,
    proto: 'TCP',
    ...(v.communityId ? { community_id: v.communityId } : {}),
    alert: eveAlert(v.reasons[0]),
    app_proto: 'ftp',
    flow: { start: epochToIso(v.start), end: epochToIso(v.end) },
    ftp_ids: {
      kind: 'session',
      flow: v.flowId,
      label: v.label,
      model: v.model,
      score: v.score,
      threshold: v.threshold,
      duration: durationOf(v.start, v.end),
      exchanges: v.exchanges,
      best_pattern: v.bestPattern,
      update: v.update === true,
      reasons: eveReasons(v.reasons),
    },
  };
}

/** An incident (several sessions of one client) as an eve alert: the client is the source, no flow. */
export function eveIncident(e: Incident): Record<string, unknown> {
  return {
    timestamp: epochToIso(e.last),
    event_type: 'alert',
    src_ip: e.client,
    proto: 'TCP',
    alert: eveAlert(e.reason),
    app_proto: 'ftp',
    ftp_ids: {
      kind: 'incident',
      incident: e.id,
      start: epochToIso(e.first),
      end: epochToIso(e.last),
      duration: durationOf(e.first, e.last),
      sessions: e.sessions,
      reasons: eveReasons([e.reason]),
    },
  };
}
