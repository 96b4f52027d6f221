import { FtpIdsError } from '../common/errors.js';
import type { Incident, MatchEvent, ModelFitNotice, Reason, Verdict } from '../match/matcher.js';

/**
 * A verdict stream (ftp-match / ftp-ids detect with --json) read back: one JSON object per line,
 * a verdict record (output.ts verdictRecord, snake_case) or an event (`"type":"incident"` /
 * `"model_fit"`). State machine: push(chunk) / end(); verdicts and events through callbacks.
 * A line is bounded (maxLineBytes): a longer one is an error naming its line.
 */
export const MAX_VERDICT_LINE_BYTES = 64 * 1024 * 1024;

/** Does this input start like a verdict stream (rather than flow NDJSON, a dataset CSV or a capture)? */
export function looksLikeVerdicts(head: Buffer): boolean {
  const text = head.toString('utf8', 0, Math.min(head.length, 256)).replace(/^\uFEFF/, '');
  return /^\s*\{\s*"(flow_id"|type"\s*:\s*"(incident|model_fit)")/.test(text);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class VerdictStreamReader {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private line = 0;
  lines = 0;

  constructor(
    private readonly file: string,
    private readonly onVerdict: (v: Verdict) => void,
    private readonly onEvent: (e: MatchEvent) => void,
    private readonly maxLineBytes = MAX_VERDICT_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
      this.take(chunk.subarray(from, nl));
      const text = Buffer.concat(this.parts).toString('utf8');
      this.parts = [];
      this.partBytes = 0;
      this.lineDone(text);
      from = nl + 1;
    }
    if (from < chunk.length) this.take(chunk.subarray(from));
  }

  private take(b: Buffer): void {
    this.partBytes += b.length;
    if (this.partBytes > this.maxLineBytes) throw new FtpIdsError('BAD_INPUT', `verdict line longer than ${this.maxLineBytes} bytes`, { file: this.file, line: this.line + 1 });
    if (b.length) this.parts.push(Buffer.from(b));
  }

  end(): void {
    if (this.partBytes > 0) this.lineDone(Buffer.concat(this.parts).toString('utf8'));
    this.parts = [];
    this.partBytes = 0;
  }

  private bad(msg: string): never {
    throw new FtpIdsError('BAD_INPUT', msg, { file: this.file, line: this.line });
  }

  private lineDone(raw: string): void {
    this.line++;
    const text = raw.replace(/\r$/, '').trim();
    if (text === '') return;
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      this.bad(`not JSON (${(e as Error).message}); a verdict stream is ftp-match --json output`);
    }
    if (!isObj(o)) this.bad('not a JSON object');
    this.lines++;
    if (o.type === 'incident') return this.onEvent(this.incident(o));
    if (o.type === 'model_fit') return this.onEvent(this.notice(o));
    this.onVerdict(this.verdict(o));
  }

  private str(o: Record<string, unknown>, k: string): string {
    const v = o[k];
    if (typeof v !== 'string') this.bad(`"${k}" is not a string`);
    return v;
  }

  private num(o: Record<string, unknown>, k: string, empty = NaN): number {
    const v = o[k];
    if (v === '' || v === null || v === undefined) return empty;
    if (typeof v !== 'number' || Number.isNaN(v)) this.bad(`"${k}" is not a number`);
    return v;
  }

  private reasons(v: unknown): Reason[] {
    if (!Array.isArray(v) || v.some((r) => !isObj(r) || typeof r.kind !== 'string')) this.bad('"reasons" is not a list of {"kind":…} objects');
    // each kind's fields are what the matcher wrote; the page reads them defensively (exchanges: a list)
    for (const r of v as Record<string, unknown>[]) if ('exchanges' in r && !Array.isArray(r.exchanges)) this.bad('a reason\'s "exchanges" is not a list');
    return v as Reason[];
  }

  private verdict(o: Record<string, unknown>): Verdict {
    const verdict = this.str(o, 'verdict');
    if (verdict !== 'normal' && verdict !== 'suspicious' && verdict !== 'unfit') this.bad(`"verdict" is ${JSON.stringify(verdict)}, not normal, suspicious or unfit`);
    return {
      flowId: this.str(o, 'flow_id'),
      communityId: typeof o.community_id === 'string' ? o.community_id : '',
      clientIp: this.str(o, 'client_ip'),
      clientPort: this.num(o, 'client_port', 0),
      serverIp: this.str(o, 'server_ip'),
      serverPort: this.num(o, 'server_port', 0),
      label: typeof o.label === 'string' ? o.label : '',
      verdict,
      score: this.num(o, 'score', 0),
      threshold: this.num(o, 'threshold', NaN),
      reasons: this.reasons(o.reasons ?? []),
      model: typeof o.model === 'string' ? o.model : '',
      exchanges: this.num(o, 'exchanges', 0),
      bestPattern: typeof o.best_pattern === 'string' ? o.best_pattern : '',
      start: this.num(o, 'start'),
      end: this.num(o, 'end'),
      flowEnd: typeof o.flow_end === 'string' ? o.flow_end : '',
      ...(o.update === 1 || o.update === true ? { update: true } : {}),
    };
  }

  private incident(o: Record<string, unknown>): Incident {
    if (!Array.isArray(o.sessions) || o.sessions.some((x) => typeof x !== 'string')) this.bad('incident "sessions" is not a list of flow ids');
    if (!isObj(o.reason) || typeof o.reason.kind !== 'string') this.bad('incident "reason" is not a {"kind":…} object');
    return { type: 'incident', id: this.str(o, 'id'), client: this.str(o, 'client'), first: this.num(o, 'first'), last: this.num(o, 'last'), sessions: o.sessions as string[], reason: o.reason as unknown as Reason };
  }

  private notice(o: Record<string, unknown>): ModelFitNotice {
    return { type: 'model_fit', label: this.str(o, 'label'), server: this.str(o, 'server'), first: this.num(o, 'first'), message: this.str(o, 'message') };
  }
}
