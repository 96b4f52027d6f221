import { parse } from 'csv-parse/sync';
import { FtpIdsError } from '../common/errors.js';

/**
 * Ground truth for `ftp-ids eval` and the demo split: a CSV that maps sessions to a class
 * (`benign` / `attack`) and a scenario name. A row names a session by its flow id (`flow_id`
 * column) or by its four endpoints (`client_ip,client_port,server_ip,server_port`, as
 * samples/labels.csv does); an optional `server` column names the server implementation.
 */
export interface SessionLabel {
  cls: 'benign' | 'attack';
  scenario: string;
  server: string;
  /** 1-based line of the labels file */
  line: number;
}

export interface SessionKeyed {
  flowId: string;
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
}

export const endpointKey = (clientIp: string, clientPort: number | string, serverIp: string, serverPort: number | string): string =>
  `${clientIp}|${clientPort}|${serverIp}|${serverPort}`;

export class LabelTable {
  readonly byFlow = new Map<string, SessionLabel>();
  readonly byEndpoints = new Map<string, SessionLabel>();
  /** endpoint keys listed twice with different labels (a port pair reused): those rows are ambiguous */
  readonly conflicts = new Set<string>();

  lookup(s: SessionKeyed): SessionLabel | undefined {
    const k = endpointKey(s.clientIp, s.clientPort, s.serverIp, s.serverPort);
    return this.byFlow.get(s.flowId) ?? (this.conflicts.has(k) ? undefined : this.byEndpoints.get(k));
  }

  get size(): number {
    return this.byFlow.size + this.byEndpoints.size;
  }
}

export function parseLabels(text: string, file = 'labels'): LabelTable {
  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: false, skip_empty_lines: true, trim: true }) as string[][];
  } catch (e) {
    throw new FtpIdsError('LABELS', `not a valid CSV: ${(e as Error).message}`, { file });
  }
  if (rows.length === 0) throw new FtpIdsError('LABELS', 'empty labels file', { file, line: 1 });
  const header = rows[0]!.map((h) => h.replace(/^\uFEFF/, '').toLowerCase());
  const col = (n: string): number => header.indexOf(n);
  const iCls = col('class') >= 0 ? col('class') : col('label');
  const iScen = col('scenario');
  const iFlow = col('flow_id');
  const ends = ['client_ip', 'client_port', 'server_ip', 'server_port'].map(col);
  if (iCls < 0) throw new FtpIdsError('LABELS', 'the header needs a "class" column (benign or attack)', { file, line: 1 });
  if (iFlow < 0 && ends.some((i) => i < 0)) {
    throw new FtpIdsError('LABELS', 'the header needs flow_id, or client_ip, client_port, server_ip and server_port', { file, line: 1 });
  }
  const t = new LabelTable();
  rows.slice(1).forEach((r, i) => {
    const line = i + 2;
    const c = (r[iCls] ?? '').toLowerCase();
    if (c !== 'benign' && c !== 'attack') throw new FtpIdsError('LABELS', `class must be benign or attack, got "${r[iCls]}"`, { file, line });
    const label: SessionLabel = { cls: c, scenario: iScen >= 0 && r[iScen] ? r[iScen]! : c, server: col('server') >= 0 ? (r[col('server')] ?? '') : '', line };
    if (iFlow >= 0 && r[iFlow]) t.byFlow.set(r[iFlow]!, label);
    if (ends.every((x) => x >= 0)) {
      const k = endpointKey(r[ends[0]!]!, r[ends[1]!]!, r[ends[2]!]!, r[ends[3]!]!);
      const prev = t.byEndpoints.get(k);
      if (prev && (prev.cls !== label.cls || prev.scenario !== label.scenario)) t.conflicts.add(k);
      t.byEndpoints.set(k, label);
    }
  });
  return t;
}
