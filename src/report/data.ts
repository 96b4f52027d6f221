import { Counters } from '../common/bounds.js';
import { fnv1a } from '../common/hash.js';
import { optInt } from '../common/options.js';
import { sessionTransactions } from '../dataset/items.js';
import type { Session } from '../dataset/types.js';
import { FEATURES, type Feature } from '../match/detector.js';
import type { Incident, MatchEvent, ModelFitNotice, Reason, Verdict } from '../match/matcher.js';
import type { MatchModel, MatchPattern } from '../match/model.js';
import { clientCommandCount, isFailedLogin } from '../match/profiles.js';
import type { EvalResult } from '../ids/eval.js';
import { rocCurve, type ScoredSession } from '../ids/roc.js';
import { reasonSentence } from './reasons.js';

/**
 * `ftp-ids report`'s data: everything the page shows, assembled from the matcher's verdicts and
 * events (and, when the input was captures or a dataset, the sessions themselves). A state machine
 * like the other cores: session(s) before its verdict, verdict(v), event(e), then result(). What
 * grows with the input is bounded (ReportOptions, each with a counter): the page holds every alert
 * up to maxAlerts in detail and a uniform sample of the other sessions, counted; the rest only as
 * counts (summary, timeline, per-client rows). docs/ARCHITECTURE.md, "ftp-ids report".
 */

export interface ReportOptions {
  /** bound: suspicious sessions kept in detail (reasons, exchanges) */
  maxAlerts: number;
  /** bound: other sessions kept in detail, a uniform sample (reservoir) of them */
  maxSample: number;
  /** bound: exchanges of one session shown in its dialogue */
  maxExchanges: number;
  /** bound: characters of an argument shown */
  maxArgChars: number;
  /** bound: client rows (first seen first; later clients counted, not listed) */
  maxClients: number;
  /** bound: servers tracked (later ones counted under "other") */
  maxServers: number;
  /** servers drawn as their own line in the timeline (the busiest; the rest summed as "other") */
  timelineServers: number;
  /** bound: timeline bins; a longer span widens the bin (1, 2, 5, 10, 15, 30, 60 … minutes) */
  maxBins: number;
  /** bound: incidents listed */
  maxIncidents: number;
  /** bound: patterns listed per pattern set (the most specific first) */
  maxPatterns: number;
  /** bound: judged scores kept for the distribution (a uniform sample beyond it) */
  maxScores: number;
  /** bins of the score histograms */
  scoreBins: number;
  /** bound: sessions remembered after their verdict, for an incident's later update */
  recentSessions: number;
  /** seed of the sample (the same input gives the same page) */
  seed: number;
}

export function normalizeReportOptions(raw: Record<string, unknown> = {}): ReportOptions {
  return Object.freeze({
    maxAlerts: optInt(raw, 'maxAlerts', 2000, 0),
    maxSample: optInt(raw, 'maxSample', 1000, 0),
    maxExchanges: optInt(raw, 'maxExchanges', 300, 1),
    maxArgChars: optInt(raw, 'maxArgChars', 200, 1),
    maxClients: optInt(raw, 'maxClients', 5000, 1),
    maxServers: optInt(raw, 'maxServers', 1000, 1),
    timelineServers: optInt(raw, 'timelineServers', 8, 1, 64),
    maxBins: optInt(raw, 'maxBins', 1500, 10),
    maxIncidents: optInt(raw, 'maxIncidents', 1000, 0),
    maxPatterns: optInt(raw, 'maxPatterns', 40, 0),
    maxScores: optInt(raw, 'maxScores', 20_000, 10),
    scoreBins: optInt(raw, 'scoreBins', 40, 2, 1000),
    recentSessions: optInt(raw, 'recentSessions', 10_000, 0),
    seed: optInt(raw, 'seed', 1, 0, 0xffffffff),
  });
}

export interface ExchangeRow {
  /** exchange index in the session */
  i: number;
  /** request time (reply time when no request time), epoch seconds; null when unknown */
  t: number | null;
  cmd: string;
  arg: string;
  /** every reply code, in order */
  codes: string[];
  /** named by a reason of the verdict */
  hl: boolean;
  /** index of the best pattern's element this exchange stands for, or -1 */
  pe: number;
}

export interface SessionRow {
  id: string;
  client: string;
  clientPort: number;
  server: string;
  label: string;
  start: number | null;
  end: number | null;
  verdict: Verdict['verdict'];
  /** an incident turned this session suspicious after its own verdict */
  updated: boolean;
  score: number;
  threshold: number;
  reasons: Reason[];
  /** reason kinds, for filtering */
  kinds: string[];
  /** each reason as a sentence (reasons.ts) */
  texts: string[];
  model: string;
  nExchanges: number;
  bestPattern: string;
  /** the best pattern's elements and where (exchange index, -1: the end transaction) a greedy embedding put each; null when unplaced */
  pattern: { elements: string[][]; at: (number | null)[] } | null;
  /** the dialogue; null when the input held verdicts only */
  exchanges: ExchangeRow[] | null;
  /** exchanges beyond maxExchanges, not shown */
  exchangesOmitted: number;
  /** in the page because it is an alert, or as part of the sample of the rest */
  why: 'alert' | 'sample';
}

export interface ClientRow {
  client: string;
  sessions: number;
  alerts: number;
  failedLogins: number;
  /** client → server bytes of the control connection (commands and arguments, CRLF included) */
  commandBytes: number;
  commands: number;
  servers: number;
  first: number | null;
  last: number | null;
}

export interface ReportData {
  format: 'ftp-ids-report';
  version: 1;
  generated: string;
  source: 'sessions' | 'verdicts';
  inputs: string[];
  summary: {
    sessions: number;
    judged: number;
    alerts: number;
    updates: number;
    unfit: number;
    incidents: number;
    clients: number;
    servers: { server: string; label: string; sessions: number; alerts: number }[];
    serversByLabel: Record<string, number>;
    first: number | null;
    last: number | null;
    untimed: number;
    threshold: number | null;
    thresholdText: string;
    detail: { alerts: number; alertsNotKept: number; sample: number; sampledFrom: number };
  };
  timeline: { binSeconds: number; t: number[]; series: { name: string; counts: number[] }[]; alerts: number[] };
  sessions: SessionRow[];
  incidents: Incident[];
  notices: ModelFitNotice[];
  clients: ClientRow[];
  model: {
    threshold: number | null;
    targetFpr: number | null;
    folds: number | null;
    trainingSessions: number | null;
    windowSeconds: number | null;
    items: string;
    sets: { name: string; sessions: number; patterns: number; top: { pattern: string; support: number; size: number }[] }[];
    /** per feature: the largest cross-validated value of benign training sessions, global and per label */
    limits: { feature: Feature; global: number | null; byLabel: Record<string, number | null> }[];
    maxArgLength: { command: string; chars: number }[];
  };
  scores: { edges: number[]; training: number[]; judged: number[]; judgedKept: number; judgedAll: number; threshold: number | null };
  eval: {
    results: EvalResult[];
    auc: number | null;
    roc: { fpr: number; recall: number; threshold: number | string }[];
    threshold: number | null;
    unfit: number;
  } | null;
  counters: Record<string, number>;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The sample: bottom-k by a hash of the flow id (the k sessions with the smallest keys), uniform
 * over the sessions, the same whatever their order, and no random state to carry. fnv1a, then
 * murmur3's finaliser so that flow ids differing in one character spread over the whole range.
 */
export function sampleKey(seed: number, id: string): number {
  let h = fnv1a(`${seed}:${id}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

export class BottomK<T> {
  private readonly items: { key: number; id: string; value: T }[] = [];
  private maxAt = -1;
  constructor(private readonly k: number) {}

  /** Keep (id, make()) if its key is among the k smallest so far; make() runs only then. */
  offer(key: number, id: string, make: () => T): void {
    if (this.k === 0) return;
    if (this.items.length < this.k) {
      this.items.push({ key, id, value: make() });
      this.maxAt = -1;
      return;
    }
    if (this.maxAt < 0) this.findMax();
    if (key >= this.items[this.maxAt]!.key) return;
    this.items[this.maxAt] = { key, id, value: make() };
    this.findMax();
  }

  remove(id: string): void {
    const i = this.items.findIndex((x) => x.id === id);
    if (i < 0) return;
    this.items.splice(i, 1);
    this.maxAt = -1;
  }

  private findMax(): void {
    let m = 0;
    for (let i = 1; i < this.items.length; i++) if (this.items[i]!.key > this.items[m]!.key) m = i;
    this.maxAt = m;
  }

  values(): T[] {
    return this.items.map((x) => x.value);
  }

  get size(): number {
    return this.items.length;
  }
}

/** Exchange indexes a reason names (the evidence the dialogue highlights). */
export function reasonExchanges(r: Reason): number[] {
  return 'exchanges' in r ? r.exchanges : [];
}

const bump = (m: Map<number, number>, k: number): void => void m.set(k, (m.get(k) ?? 0) + 1);

const patternSize = (p: MatchPattern): number => p.elements.reduce((n, e) => n + e.length, 0);

/** Parse `<{a,b} {c}>` (the verdict's best_pattern) into elements; [] when empty. */
export function patternElements(text: string): string[][] {
  const m = /^<(.*)>$/.exec(text.trim());
  if (!m) return [];
  return [...m[1]!.matchAll(/\{([^}]*)\}/g)].map((e) => e[1]!.split(',').filter(Boolean));
}

/**
 * Where the pattern's elements fall in the session: each element at the first later transaction
 * whose items contain it (greedy, in order, without the model's gap constraints: a picture of the
 * match for a person, not the matcher's proof). Exchange index per element; -1 for the `end=`
 * transaction; null when no later transaction has it.
 */
export function placePattern(s: Session, model: Pick<MatchModel, 'items'>, elements: string[][]): (number | null)[] {
  const tx = sessionTransactions(s, model.items);
  const at: (number | null)[] = [];
  let from = 0;
  for (const el of elements) {
    let found: number | null = null;
    for (let i = from; i < tx.length; i++) {
      const items = tx[i]!.items;
      if (el.every((x) => items.includes(x))) {
        found = tx[i]!.exchange ? tx[i]!.exchange!.index : -1;
        from = i + 1;
        break;
      }
    }
    at.push(found);
  }
  return at;
}

/**
 * Bin width: a minute, or the smallest of 2, 5, 10, 15, 30 minutes, 1, 2, 3, 6, 12 hours, days …
 * giving at most maxBins bins. A span shorter than SHORT_SPAN (a capture of a few minutes, as the
 * samples) gets seconds instead (1, 2, 5, 10, 15, 30 s; at most 120 bins), or it would be 3 bars.
 */
export function binSeconds(span: number, maxBins: number, secondsKnown = false): number {
  if (secondsKnown && span < SHORT_SPAN) for (const s of [1, 2, 5, 10, 15, 30]) if (span / s < Math.min(120, maxBins)) return s;
  const steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  for (const s of steps) if (span / s < maxBins) return s;
  return 86400 * Math.ceil(span / 86400 / maxBins + 1e-9);
}

/** Spans shorter than this are binned by seconds (the per-second counts are kept only while the span is this short). */
export const SHORT_SPAN = 1800;

/** Histogram counts of `xs` over `edges` (bin i: edges[i] ≤ x < edges[i+1]; the last bin takes everything above). */
export function histogram(xs: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(Math.max(0, edges.length - 1)).fill(0);
  for (const x of xs) {
    if (!Number.isFinite(x) && x !== Infinity) continue;
    let lo = 0;
    let hi = counts.length - 1;
    if (x >= edges[hi]!) {
      counts[hi]!++;
      continue;
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (edges[mid]! <= x) lo = mid;
      else hi = mid - 1;
    }
    counts[lo]!++;
  }
  return counts;
}

/** What the threshold means, in a sentence. */
export function thresholdText(model: MatchModel, used: number | null): string {
  const d = model.detector;
  if (!d) return 'The model has no calibrated detector: verdicts are the study\'s plain matching (normal = the session supports at least one pattern).';
  const pct = (x: number): string => `${+(x * 100).toFixed(3)} %`;
  let t = `A session is flagged when its anomaly score (the summed surprisal of its features against benign training sessions, in nats) exceeds ${d.threshold.toFixed(2)}. ` +
    `The threshold was calibrated by ${d.folds}-fold cross-validation on ${d.sessions} benign training sessions: each was scored by a model mined without it, ` +
    `and ${d.threshold.toFixed(2)} is the score that at most ${pct(d.targetFpr)} of those scores exceed — the false-positive rate to expect on traffic like the training's.`;
  // verdicts carry the threshold rounded to 3 decimals
  if (used !== null && Math.abs(used - d.threshold) > 0.0006) t += ` These verdicts used ${used.toFixed(2)} (--sensitivity moved it along the same curve).`;
  return t;
}

/** bound: distinct servers remembered per listed client (beyond it, a new server may count twice) */
const MAX_SERVERS_PER_CLIENT = 256;
/** bound: flow ids of alerts remembered, so that an incident's update does not count one twice */
const MAX_FLAGGED_IDS = 1_000_000;

interface ServerAgg {
  server: string;
  label: string;
  sessions: number;
  alerts: number;
}

export class ReportBuilder {
  readonly counters = new Counters();
  private readonly opts: ReportOptions;
  private current: Session | null = null;
  /** sessions after their verdict, for an incident's update (bounded: recentSessions, oldest first) */
  private readonly recent = new Map<string, Session>();
  /**
   * the same ids in arrival order, oldest at recentHead: evicting with recent.keys().next() would walk
   * the deleted entries V8's Map keeps at its front until it rehashes (2.9 s per 100k sessions at 10k)
   */
  private recentOrder: string[] = [];
  private recentHead = 0;
  private readonly alerts = new Map<string, SessionRow>();
  private readonly sample: BottomK<SessionRow>;
  private sampledFrom = 0;
  private sessions = 0;
  private judged = 0;
  private alertCount = 0;
  private updates = 0;
  private unfit = 0;
  private untimed = 0;
  private first = Infinity;
  private last = -Infinity;
  private threshold: number | null = null;
  private readonly servers = new Map<string, ServerAgg>();
  private readonly clients = new Map<string, ClientRow>();
  private clientsSeen = 0;
  /** per server key: per bin start (seconds, 1-minute bins until result()) → sessions */
  private readonly perMinute = new Map<string, Map<number, number>>();
  private readonly alertsPerMinute = new Map<number, number>();
  /** the same per second, while the span is under SHORT_SPAN (then dropped: at most SHORT_SPAN keys per server) */
  private perSecond: Map<string, Map<number, number>> | null = new Map();
  private alertsPerSecond: Map<number, number> | null = new Map();
  private readonly incidents = new Map<string, Incident>();
  private readonly notices: ModelFitNotice[] = [];
  private readonly scores: BottomK<number>;
  private scoresSeen = 0;
  /** flow ids already counted as alerts (an update names sessions again) */
  private readonly flagged = new Set<string>();
  private readonly clientServers = new Map<string, Set<string>>();

  constructor(
    private readonly model: MatchModel,
    private readonly meta: { source: 'sessions' | 'verdicts'; inputs: string[] },
    options: Record<string, unknown> | ReportOptions = {},
  ) {
    this.opts = normalizeReportOptions(options as Record<string, unknown>);
    this.sample = new BottomK(this.opts.maxSample);
    this.scores = new BottomK(this.opts.maxScores);
  }

  /** Running counts (for progress lines). */
  counts(): { sessions: number; alerts: number } {
    return { sessions: this.sessions, alerts: this.alertCount };
  }

  /** The session whose verdict comes next (captures or a dataset as input). */
  session(s: Session): void {
    this.current = s;
    if (this.opts.recentSessions === 0) return;
    if (this.recent.size >= this.opts.recentSessions) {
      this.recent.delete(this.recentOrder[this.recentHead++]!);
      this.counters.add('report.recentSessionsForgotten');
      if (this.recentHead > this.opts.recentSessions) {
        this.recentOrder = this.recentOrder.slice(this.recentHead);
        this.recentHead = 0;
      }
    }
    if (!this.recent.has(s.flowId)) this.recentOrder.push(s.flowId);
    this.recent.set(s.flowId, s);
  }

  private sessionOf(flowId: string): Session | null {
    if (this.current && this.current.flowId === flowId) return this.current;
    return this.recent.get(flowId) ?? null;
  }

  private row(v: Verdict, why: SessionRow['why']): SessionRow {
    const s = this.sessionOf(v.flowId);
    const highlighted = new Set<number>();
    for (const r of v.reasons) for (const i of reasonExchanges(r)) highlighted.add(i);
    const elements = patternElements(v.bestPattern);
    let pattern: SessionRow['pattern'] = null;
    let exchanges: ExchangeRow[] | null = null;
    let omitted = 0;
    if (s) {
      const at = elements.length ? placePattern(s, this.model, elements) : [];
      if (elements.length) pattern = { elements, at };
      const el = new Map<number, number>();
      at.forEach((x, k) => {
        if (x !== null && !el.has(x)) el.set(x, k);
      });
      const n = Math.min(s.exchanges.length, this.opts.maxExchanges);
      omitted = s.exchanges.length - n;
      if (omitted > 0) this.counters.add('report.exchangesOmitted', omitted);
      exchanges = [];
      for (let k = 0; k < n; k++) {
        const ex = s.exchanges[k]!;
        const t = Number.isFinite(ex.tsRequest) ? ex.tsRequest : ex.tsReply;
        exchanges.push({
          i: ex.index,
          t: finite(t),
          cmd: ex.command,
          arg: ex.arg.length > this.opts.maxArgChars ? `${ex.arg.slice(0, this.opts.maxArgChars)}… (${ex.arg.length} chars)` : ex.arg,
          codes: ex.replyCodes,
          hl: highlighted.has(ex.index),
          pe: el.get(ex.index) ?? -1,
        });
      }
    } else if (elements.length) pattern = { elements, at: elements.map(() => null) };
    return {
      id: v.flowId,
      client: v.clientIp,
      clientPort: v.clientPort,
      server: `${v.serverIp}:${v.serverPort}`,
      label: v.label,
      start: finite(v.start),
      end: finite(v.end),
      verdict: v.verdict,
      updated: v.update === true,
      score: v.score,
      threshold: v.threshold,
      reasons: v.reasons,
      kinds: [...new Set(v.reasons.map((r) => r.kind))],
      texts: v.reasons.map(reasonSentence),
      model: v.model,
      nExchanges: v.exchanges,
      bestPattern: v.bestPattern,
      pattern,
      exchanges,
      exchangesOmitted: omitted,
      why,
    };
  }

  private minute(t: number): number {
    return Math.floor(t / 60) * 60;
  }

  private addAlert(v: Verdict): void {
    if (this.flagged.has(v.flowId)) return;
    if (this.flagged.size < MAX_FLAGGED_IDS) this.flagged.add(v.flowId);
    else this.counters.add('report.alertIdsForgotten'); // an update of it may count it twice
    this.alertCount++;
    const agg = this.servers.get(`${v.serverIp}:${v.serverPort}`);
    if (agg) agg.alerts++;
    const c = this.clients.get(v.clientIp);
    if (c) c.alerts++;
    if (Number.isFinite(v.start)) {
      const m = this.minute(v.start);
      this.alertsPerMinute.set(m, (this.alertsPerMinute.get(m) ?? 0) + 1);
      if (this.alertsPerSecond) bump(this.alertsPerSecond, Math.floor(v.start));
    }
    if (this.alerts.size < this.opts.maxAlerts) {
      // a sampled normal session that an incident turned suspicious moves from the sample
      this.sample.remove(v.flowId);
      this.alerts.set(v.flowId, this.row(v, 'alert'));
    } else this.counters.add('report.alertsNotKept');
  }

  verdict(v: Verdict): void {
    if (this.threshold === null && v.verdict !== 'unfit') this.threshold = v.threshold;
    if (v.update) {
      this.updates++;
      const kept = this.alerts.get(v.flowId);
      if (kept) {
        // an earlier alert named again by an incident: the incident reason joins its own
        kept.reasons = [...kept.reasons, ...v.reasons];
        kept.kinds = [...new Set(kept.reasons.map((r) => r.kind))];
        kept.texts = kept.reasons.map(reasonSentence);
        kept.updated = true;
        kept.score = Math.max(kept.score, v.score);
      } else if (v.verdict === 'suspicious') this.addAlert(v);
      return;
    }
    this.sessions++;
    const s = this.sessionOf(v.flowId);
    const serverKey = `${v.serverIp}:${v.serverPort}`;
    let agg = this.servers.get(serverKey);
    if (!agg) {
      if (this.servers.size < this.opts.maxServers) {
        agg = { server: serverKey, label: v.label, sessions: 0, alerts: 0 };
        this.servers.set(serverKey, agg);
      } else this.counters.add('report.serversNotTracked');
    }
    if (agg) agg.sessions++;
    let c = this.clients.get(v.clientIp);
    if (!c) {
      this.clientsSeen++;
      if (this.clients.size < this.opts.maxClients) {
        c = { client: v.clientIp, sessions: 0, alerts: 0, failedLogins: 0, commandBytes: 0, commands: 0, servers: 0, first: null, last: null };
        this.clients.set(v.clientIp, c);
      } else this.counters.add('report.clientsNotListed');
    }
    if (c) {
      c.sessions++;
      let seen = this.clientServers.get(v.clientIp);
      if (!seen) this.clientServers.set(v.clientIp, (seen = new Set()));
      if (!seen.has(serverKey)) {
        // bounded per client: a scanner touching every server counts, the set stops growing
        if (seen.size < MAX_SERVERS_PER_CLIENT) seen.add(serverKey);
        else this.counters.add('report.clientServersNotTracked');
        c.servers++;
      }
      if (Number.isFinite(v.start)) c.first = c.first === null ? v.start : Math.min(c.first, v.start);
      const e = Number.isFinite(v.end) ? v.end : v.start;
      if (Number.isFinite(e)) c.last = c.last === null ? e : Math.max(c.last, e);
      if (s) {
        for (const ex of s.exchanges) {
          if (isFailedLogin(ex)) c.failedLogins++;
          // the command line as sent: COMMAND SP argument CRLF (pseudo-commands like <greeting> are not
          // sent); the command word was decoded as latin1 (a byte a character), the argument as UTF-8
          if (!ex.command.startsWith('<')) c.commandBytes += ex.command.length + (ex.arg.length ? 1 + Buffer.byteLength(ex.arg) : 0) + 2;
        }
        c.commands += clientCommandCount(s);
      }
    }
    if (Number.isFinite(v.start)) {
      this.first = Math.min(this.first, v.start);
      this.last = Math.max(this.last, Number.isFinite(v.end) ? v.end : v.start);
      const key = agg ? serverKey : 'other';
      let per = this.perMinute.get(key);
      if (!per) this.perMinute.set(key, (per = new Map()));
      bump(per, this.minute(v.start));
      if (this.perSecond && this.last - this.first >= SHORT_SPAN) {
        this.perSecond = null;
        this.alertsPerSecond = null;
      }
      if (this.perSecond) {
        let ps = this.perSecond.get(key);
        if (!ps) this.perSecond.set(key, (ps = new Map()));
        bump(ps, Math.floor(v.start));
      }
    } else this.untimed++;
    if (v.verdict === 'unfit') {
      this.unfit++;
      return;
    }
    this.judged++;
    // scores of judged sessions: all of them up to maxScores, then a uniform sample
    this.scoresSeen++;
    const key = sampleKey(this.opts.seed, v.flowId);
    this.scores.offer(key, v.flowId, () => v.score);
    if (v.verdict === 'suspicious') {
      this.addAlert(v);
      return;
    }
    this.sampledFrom++;
    this.sample.offer(key, v.flowId, () => this.row(v, 'sample'));
  }

  event(e: MatchEvent): void {
    if (e.type === 'model_fit') {
      if (this.notices.length < 100) this.notices.push(e);
      else this.counters.add('report.noticesNotKept');
      return;
    }
    if (this.incidents.has(e.id) || this.incidents.size < this.opts.maxIncidents) this.incidents.set(e.id, e);
    else this.counters.add('report.incidentsNotKept');
  }

  private timeline(): ReportData['timeline'] {
    if (!Number.isFinite(this.first)) return { binSeconds: 60, t: [], series: [], alerts: [] };
    const fine = this.perSecond !== null && this.last - this.first < SHORT_SPAN;
    const perBin = fine ? this.perSecond! : this.perMinute;
    const alertsPer = fine ? this.alertsPerSecond! : this.alertsPerMinute;
    const width = binSeconds(this.last - this.first + (fine ? 1 : 60), this.opts.maxBins, fine);
    const lo = Math.floor(this.first / width) * width;
    const bins = Math.floor((this.last - lo) / width) + 1;
    const t = Array.from({ length: bins }, (_, i) => lo + i * width);
    const binOf = (m: number): number => Math.max(0, Math.min(bins - 1, Math.floor((m - lo) / width)));
    const totals = [...perBin.entries()].map(([k, per]) => ({ k, n: [...per.values()].reduce((a, b) => a + b, 0), per }));
    totals.sort((a, b) => b.n - a.n || (a.k < b.k ? -1 : 1));
    const shown = totals.filter((x) => x.k !== 'other').slice(0, this.opts.timelineServers);
    const series = shown.map(({ k, per }) => {
      const counts = new Array<number>(bins).fill(0);
      for (const [m, n] of per) counts[binOf(m)]! += n;
      const agg = this.servers.get(k);
      return { name: agg ? `${k} (${agg.label || 'no label'})` : k, counts };
    });
    const rest = totals.filter((x) => !shown.includes(x));
    if (rest.length) {
      const counts = new Array<number>(bins).fill(0);
      for (const { per } of rest) for (const [m, n] of per) counts[binOf(m)]! += n;
      series.push({ name: `other servers (${rest.length})`, counts });
    }
    const alerts = new Array<number>(bins).fill(0);
    for (const [m, n] of alertsPer) alerts[binOf(m)]! += n;
    return { binSeconds: width, t, series, alerts };
  }

  private modelSection(): ReportData['model'] {
    const m = this.model;
    const d = m.detector;
    const top = (name: string, set: { sessions: number; patterns: MatchPattern[] }): ReportData['model']['sets'][number] => {
      const sorted = [...set.patterns].sort((a, b) => patternSize(b) - patternSize(a) || b.support - a.support);
      return {
        name,
        sessions: set.sessions,
        patterns: set.patterns.length,
        top: sorted.slice(0, this.opts.maxPatterns).map((p) => ({ pattern: `<${p.elements.map((e) => `{${e.join(',')}}`).join(' ')}>`, support: p.support, size: patternSize(p) })),
      };
    };
    const sets = [top('global', m.global), ...Object.entries(m.byLabel).sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => top(k, s))];
    const maxOf = (t: { v: number[] } | undefined): number | null => (t && t.v.length ? t.v[t.v.length - 1]! : null);
    const limits = d
      ? FEATURES.map((f) => ({
          feature: f,
          global: maxOf(d.references[f]),
          byLabel: Object.fromEntries(Object.entries(d.referencesByLabel).map(([l, r]) => [l, maxOf(r[f])])),
        }))
      : [];
    const maxArg = Object.entries(m.profiles?.maxArgLength ?? {})
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 40)
      .map(([command, chars]) => ({ command, chars }));
    return {
      threshold: d ? d.threshold : null,
      targetFpr: d ? d.targetFpr : null,
      folds: d ? d.folds : null,
      trainingSessions: d ? d.sessions : null,
      windowSeconds: m.profiles ? m.profiles.window.windowSeconds : null,
      items: Object.entries(m.items).filter(([, v]) => v).map(([k, v]) => (v === true ? k : `${k}=${String(v)}`)).join(','),
      sets,
      limits,
      maxArgLength: maxArg,
    };
  }

  private scoreSection(): ReportData['scores'] {
    const training = this.model.detector?.cvScores ?? [];
    const judged = this.scores.values();
    const all = [...training, ...judged].filter((x) => Number.isFinite(x));
    const thr = this.threshold ?? this.model.detector?.threshold ?? null;
    // the range: up to the 99th percentile of both, and past the threshold; the last bin takes the rest
    const sorted = [...all].sort((a, b) => a - b);
    const p99 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]! : 1;
    const hi = Math.max(p99, thr !== null && Number.isFinite(thr) ? thr * 1.5 : 0, 1);
    const lo = Math.min(0, sorted[0] ?? 0);
    const bins = this.opts.scoreBins;
    const edges = Array.from({ length: bins + 1 }, (_, i) => +(lo + ((hi - lo) * i) / bins).toFixed(6));
    return {
      edges,
      training: histogram(training, edges),
      judged: histogram(judged, edges),
      judgedKept: judged.length,
      judgedAll: this.scoresSeen,
      threshold: thr,
    };
  }

  /** The page's data. `evaluation`: with labels, ftp-ids eval's results for the same verdicts. */
  result(evaluation?: { results: EvalResult[]; scored: ScoredSession[]; auc: number; threshold: number; unfit: number }): ReportData {
    const byLabel: Record<string, number> = {};
    for (const s of this.servers.values()) byLabel[s.label || '(none)'] = (byLabel[s.label || '(none)'] ?? 0) + 1;
    const rows = [...this.alerts.values(), ...this.sample.values()].sort((a, b) => (a.start ?? Infinity) - (b.start ?? Infinity) || (a.id < b.id ? -1 : 1));
    let ev: ReportData['eval'] = null;
    if (evaluation) {
      const curve = evaluation.scored.length ? rocCurve(evaluation.scored) : [];
      // bounded: at most 1000 points of the curve, evenly by rank, the ends kept
      const step = Math.max(1, Math.ceil(curve.length / 1000));
      const roc = curve.filter((_, i) => i % step === 0 || i === curve.length - 1).map((p) => ({ fpr: p.fpr, recall: p.recall, threshold: Number.isFinite(p.threshold) ? p.threshold : String(p.threshold) }));
      ev = { results: evaluation.results, auc: Number.isNaN(evaluation.auc) ? null : evaluation.auc, roc, threshold: finite(evaluation.threshold), unfit: evaluation.unfit };
    }
    return {
      format: 'ftp-ids-report',
      version: 1,
      generated: new Date().toISOString(),
      source: this.meta.source,
      inputs: this.meta.inputs,
      summary: {
        sessions: this.sessions,
        judged: this.judged,
        alerts: this.alertCount,
        updates: this.updates,
        unfit: this.unfit,
        incidents: this.incidents.size + this.counters.get('report.incidentsNotKept'),
        clients: this.clientsSeen,
        servers: [...this.servers.values()].sort((a, b) => b.sessions - a.sessions || a.server.localeCompare(b.server)),
        serversByLabel: byLabel,
        first: finite(this.first),
        last: finite(this.last),
        untimed: this.untimed,
        threshold: this.threshold,
        thresholdText: thresholdText(this.model, this.threshold),
        detail: { alerts: this.alerts.size, alertsNotKept: this.counters.get('report.alertsNotKept'), sample: this.sample.size, sampledFrom: this.sampledFrom },
      },
      timeline: this.timeline(),
      sessions: rows,
      incidents: [...this.incidents.values()].sort((a, b) => a.first - b.first),
      notices: this.notices,
      clients: [...this.clients.values()].sort((a, b) => b.alerts - a.alerts || b.sessions - a.sessions || a.client.localeCompare(b.client)),
      model: this.modelSection(),
      scores: this.scoreSection(),
      eval: ev,
      counters: this.counters.toJSON(),
    };
  }
}
