import { stringify } from 'csv-stringify/sync';
import type { Verdict } from './matcher.js';

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
  'verdict',
  'score',
  'model',
  'exchanges',
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
    verdict: v.verdict,
    score: v.score,
    model: v.model,
    exchanges: v.exchanges,
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
 *  (only suspicious ones unless `all`). */
export function createVerdictWriter(format: 'csv' | 'json', all: boolean, write: (text: string) => void): (v: Verdict) => void {
  if (format === 'csv') write(verdictCsvHeader());
  return (v) => {
    if (!all && v.verdict !== 'suspicious') return;
    write(format === 'json' ? verdictJsonLine(v) : verdictCsvLine(v));
  };
}
