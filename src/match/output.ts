import { stringify } from 'csv-stringify/sync';
import type { MatchEvent, Verdict } from './matcher.js';

/**
 * Verdict output of ftp-match / ftp-ids detect: CSV (csv-stringify, header first) or NDJSON.
 * The `reasons` column holds the reasons as a JSON array, so CSV consumers get the same
 * machine-checkable objects as NDJSON ones.
 */
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

export function verdictRecord(v: Verdict): VerdictRecord {
  return {
    flow_id: v.flowId,
    community_id: v.communityId,
    client_ip: v.clientIp,
    client_port: v.clientPort,
    server_ip: v.serverIp,
    server_port: v.serverPort,
    label: v.label,
    start: Number.isFinite(v.start) ? v.start : '',
    end: Number.isFinite(v.end) ? v.end : '',
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

export function verdictCsvLine(v: Verdict): string {
  const r = verdictRecord(v);
  return stringify([VERDICT_COLUMNS.map((c) => (c === 'reasons' ? JSON.stringify(r.reasons) : r[c]))]);
}

export function verdictJsonLine(v: Verdict): string {
  return JSON.stringify(verdictRecord(v)) + '\n';
}

/** Writes the CSV header at once (an empty result is still a valid CSV), then one line per verdict
 *  (only suspicious ones unless `all`; updates always, they are what an incident changed). */
export function createVerdictWriter(format: 'csv' | 'json', all: boolean, write: (text: string) => void): (v: Verdict) => void {
  if (format === 'csv') write(verdictCsvHeader());
  return (v) => {
    if (!all && v.verdict !== 'suspicious') return;
    write(format === 'json' ? verdictJsonLine(v) : verdictCsvLine(v));
  };
}

/**
 * Events beside the verdicts: in NDJSON, one line each (`"type":"incident"` / `"model_fit"`; an
 * incident is sent again, same id, each time it grows); in CSV, whose rows are verdicts only, the
 * incidents show as the verdict updates they cause and a model_fit notice goes to `warn` (stderr).
 */
export function createEventWriter(format: 'csv' | 'json', write: (text: string) => void, warn: (text: string) => void): (e: MatchEvent) => void {
  return (e) => {
    if (format === 'json') write(JSON.stringify(e) + '\n');
    else if (e.type === 'model_fit') warn(`model fit: ${e.message}\n`);
  };
}
