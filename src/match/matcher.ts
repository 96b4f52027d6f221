import { Counters } from '../common/bounds.js';
import { FtpIdsError } from '../common/errors.js';
import { optBool, optEnum, optInt, optNumber } from '../common/options.js';
import { sessionContext, type SessionContext } from '../dataset/context.js';
import { sessionTransactions } from '../dataset/items.js';
import type { Session } from '../dataset/types.js';
import { EMPTY } from '../extract/types.js';
import { coverage, type EncodedPattern, type EncodedSession } from './embed.js';
import {
  attributeSurprisal,
  keySurprisal,
  sessionAttributes,
  scoreOf,
  sessionKeys,
  thresholdAt,
  type Detector,
  type Feature,
  type FeatureValues,
  type KeyTable,
} from './detector.js';
import type { MatchModel, MatchPattern } from './model.js';
import { clientCommandCount, isFailedLogin, sessionMaxGap, sessionSpan } from './profiles.js';

/**
 * The matcher: model + sessions in, one verdict per session out, as sessions arrive.
 * State machine: pushSession(session) / end(); verdicts and events (incidents, model-fit notices)
 * through callbacks. The only state kept between sessions is the per-client-address window (bounded)
 * and the per-label fit counts. Layers, as in Zeek's analyzer: `describe` measures a session
 * (patterns, keys, shape; pure given the model), the window adds what other sessions of the client
 * say, `scoreOf` (detector.ts) turns the features into one score, the threshold decides, and the
 * reasons are the features that carried the score over it. docs/ARCHITECTURE.md, "ftp-match".
 */

interface ReasonBase {
  /** this reason's share of the score (nats) */
  surprisal: number;
}
export type Reason = ReasonBase &
  (
    | { kind: 'unexplained'; count: number; of: number; exchanges: number[] }
    | { kind: 'unseen_item'; items: string[]; count: number; exchanges: number[] }
    | { kind: 'repetition'; item: string; count: number; limit: number; exchanges: number[] }
    | { kind: 'overlong'; command: string; length: number; limit: number; exchanges: number[] }
    | { kind: 'refused'; count: number; limit: number; exchanges: number[] }
    | { kind: 'rare_attribute'; attribute: string; trainingSessions: number; exchanges: number[] }
    | { kind: 'length'; count: number; limit: number }
    | { kind: 'duration' | 'idle'; seconds: number; limit: number }
    | { kind: 'window_sessions' | 'window_failed_logins' | 'window_short_sessions'; client: string; count: number; limit: number; window: number; sessions: string[] }
    | { kind: 'incident'; incident: string; client: string; sessions: string[] }
    | { kind: 'no_pattern'; patterns: number }
  );

export interface Verdict
  extends Pick<Session, 'flowId' | 'communityId' | 'clientIp' | 'clientPort' | 'serverIp' | 'serverPort' | 'label'> {
  /** `unfit`: the session's server label was never seen in training (see the model_fit event) */
  verdict: 'normal' | 'suspicious' | 'unfit';
  score: number;
  /** the threshold the score was compared with */
  threshold: number;
  reasons: Reason[];
  /** which pattern set was used: the session's label, or `global` */
  model: string;
  exchanges: number;
  /** the longest (most items) supported pattern, as text, '' when none */
  bestPattern: string;
  /** first and last timestamp of the session (epoch seconds; NaN when it has none) */
  start: number;
  end: number;
  /** how the connection ended (ftp-flows' `end`: fin, rst, idle, evicted, eof; '' unknown) */
  flowEnd: string;
  /** a later verdict on an earlier session (an incident named it) */
  update?: boolean;
}

/**
 * Several sessions of one client that together tripped a window, or that one session's alert named
 * (the sessions of its window and those that followed within W): one record, sent again as it grows.
 */
export interface Incident {
  type: 'incident';
  id: string;
  client: string;
  first: number;
  last: number;
  sessions: string[];
  reason: Reason;
}

/** A server label the model never saw: its sessions are not judged (`unfit`), once per label. */
export interface ModelFitNotice {
  type: 'model_fit';
  label: string;
  server: string;
  first: number;
  message: string;
}

export type MatchEvent = Incident | ModelFitNotice;

export interface MatchOptions {
  /** > 0; multiplies the calibrated false-positive rate (2: twice as many alerts on benign traffic) */
  sensitivity: number;
  /** 'full': the calibrated score; 'study': the study's plain matching (normal = supports ≥ 1 pattern) */
  mode: 'full' | 'study';
  /** judge sessions of server labels the model never saw (default: verdict `unfit` and one notice) */
  judgeUnknownServers: boolean;
  /** bound: client addresses with an open window (least recently seen evicted, counted) */
  maxClients: number;
  /** bound: sessions remembered per client address in the window (oldest dropped, counted) */
  maxWindowSessions: number;
  /** sessions longer than this are matched against patterns on their first maxMatchExchanges exchanges */
  maxMatchExchanges: number;
  /** bound: server labels whose fit is tracked */
  maxLabels: number;
}

export function normalizeMatchOptions(raw: Record<string, unknown> = {}): MatchOptions {
  return Object.freeze({
    sensitivity: optNumber(raw, 'sensitivity', 1, 0.0001, 10_000),
    mode: optEnum(raw, 'mode', ['full', 'study'] as const, 'full'),
    judgeUnknownServers: optBool(raw, 'judgeUnknownServers', false),
    maxClients: optInt(raw, 'maxClients', 100_000, 1),
    maxWindowSessions: optInt(raw, 'maxWindowSessions', 10_000, 1),
    maxMatchExchanges: optInt(raw, 'maxMatchExchanges', 5_000, 1),
    maxLabels: optInt(raw, 'maxLabels', 10_000, 1),
  });
}

/** A session of a connection that carried no complete line: its one row is ftp-extract's `<empty>`. */
export function isEmptyConnection(s: Session): boolean {
  return s.exchanges.length === 1 && s.exchanges[0]!.command === EMPTY;
}

/** A part beyond 95 % of benign training sessions (−ln 0.05): listed as a reason even when not needed to cross the threshold. */
const STRONG_EVIDENCE = -Math.log(0.05);

const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

export function patternText(p: MatchPattern): string {
  return `<${p.elements.map((e) => `{${e.join(',')}}`).join(' ')}>`;
}

interface CompiledSet {
  name: string;
  patterns: MatchPattern[];
  encoded: EncodedPattern[];
  /** items (ids) each pattern needs, for a quick "can it be supported" test */
  needs: Int32Array[];
  sizes: number[];
  maxSize: number;
}

/** What describe() measured, with the evidence each feature can name. */
export interface Description {
  values: FeatureValues;
  set: CompiledSet;
  best: number;
  supported: number;
  /** exchanges (index) not covered by a supported pattern */
  unexplained: number[];
  transactions: number;
  /** the rarest key, then the other keys training never saw: key, count, exchanges, seen in training? */
  rare: { key: string; count: number; exchanges: number[]; seen: boolean; trainingMax: number }[];
  overlong: { command: string; length: number; limit: number; exchanges: number[] } | null;
  /** the rarest context attribute, the exchanges that carry it and in how many training sessions it was */
  attr: { attribute: string; exchanges: number[]; sessions: number } | null;
  /** exchanges whose key training never saw */
  novelExchanges: number;
  /** exchanges the server refused (4xx/5xx) */
  refused: number[];
  start: number;
  end: number;
}

interface WindowEntry {
  start: number;
  flowId: string;
  failed: number;
  short: number;
  /** the verdict as last sent (for updates) */
  verdict: Verdict;
}

const WINDOW_KIND: Record<'win_sessions' | 'win_failed' | 'win_short', 'window_sessions' | 'window_failed_logins' | 'window_short_sessions'> = {
  win_sessions: 'window_sessions',
  win_failed: 'window_failed_logins',
  win_short: 'window_short_sessions',
};

export class Matcher {
  readonly counters = new Counters();
  private readonly opts: MatchOptions;
  private readonly itemIds = new Map<string, number>();
  private readonly global: CompiledSet;
  private readonly byLabel = new Map<string, CompiledSet>();
  private readonly detector: Detector | null;
  private readonly keys: { global: KeyTable; byLabel: Record<string, KeyTable> } | null;
  private readonly threshold: number;
  /** per client address: its recent sessions, by start time; Map order = least recently used first */
  private readonly windows = new Map<string, WindowEntry[]>();
  /** per client address: the incident its window is part of, while it lasts */
  private readonly incidents = new Map<string, Incident & { reported: boolean }>();
  /**
   * per client with an incident: the end of its last session that tripped a window. Sessions join the
   * incident until W after it; a joining session does not move it, so an incident lasts W past its last
   * evidence, not as long as the address keeps connecting (an address shared by many users, behind NAT)
   */
  private readonly incidentEvidence = new Map<string, number>();
  private readonly unfitLabels = new Set<string>();
  /** how long before the newest start a session is kept for windows beyond W: the longest benign training session */
  private readonly retention: number;
  /** servers with empty connections counted by name (bounded by maxLabels) */
  private readonly emptyServers = new Set<string>();
  private ended = false;

  constructor(
    private readonly model: MatchModel,
    options: Record<string, unknown> | MatchOptions,
    private readonly onVerdict: (v: Verdict) => void,
    private readonly onEvent: (e: MatchEvent) => void = () => {},
  ) {
    this.opts = normalizeMatchOptions(options as Record<string, unknown>);
    this.global = this.compile('global', model.global.patterns);
    for (const [label, set] of Object.entries(model.byLabel)) {
      if (set.patterns.length > 0) this.byLabel.set(label, this.compile(label, set.patterns));
    }
    this.detector = model.detector;
    const durations = model.profiles?.global.duration.q ?? [];
    this.retention = durations.length > 0 ? Math.max(0, durations[durations.length - 1]!) : 0;
    this.keys = model.detector?.keys ?? model.keys ?? null;
    if (this.opts.mode === 'full' && (!model.profiles || !this.keys)) {
      // a fold's model while calibrating has keys and profiles but no detector yet: describe() only
      throw new FtpIdsError(
        'MODEL_DAMAGED',
        'model: no calibrated detector ("detector" and "profiles"); train it with ftp-ids train or ftp-gsp (without --no-profiles), or use --baseline study',
      );
    }
    this.threshold = this.detector
      ? this.opts.sensitivity === 1
        ? this.detector.threshold
        : thresholdAt(this.detector.cvScores, Math.min(1, this.detector.targetFpr * this.opts.sensitivity))
      : Infinity;
  }

  private id(item: string): number {
    let id = this.itemIds.get(item);
    if (id === undefined) {
      id = this.itemIds.size;
      this.itemIds.set(item, id);
    }
    return id;
  }

  private compile(name: string, patterns: MatchPattern[]): CompiledSet {
    const encoded = patterns.map((p) => p.elements.map((e) => Int32Array.from(e.map((x) => this.id(x))).sort()));
    const needs = encoded.map((p) => Int32Array.from(new Set(p.flatMap((e) => [...e]))).sort());
    const sizes = patterns.map((p) => p.elements.reduce((a, e) => a + e.length, 0));
    return { name, patterns, encoded, needs, sizes, maxSize: sizes.reduce((a, b) => Math.max(a, b), 0) };
  }

  /** The session's transactions as item ids, with the exchange index each stands for (-1: the end). */
  private encode(s: Session, ctx?: SessionContext): { enc: EncodedSession; present: Set<number>; exchangeOf: number[] } {
    const tx = sessionTransactions(s, this.model.items, ctx);
    const n = Math.min(tx.length, this.opts.maxMatchExchanges);
    if (n < tx.length) this.counters.add('sessionsCutForMatching');
    const itemsets: Int32Array[] = [];
    const times = new Float64Array(n);
    const exchangeOf: number[] = [];
    const present = new Set<number>();
    let prev = -Infinity;
    for (let i = 0; i < n; i++) {
      const t = tx[i]!;
      const ids: number[] = [];
      for (const it of t.items) {
        const id = this.itemIds.get(it); // items in no pattern cannot matter for coverage
        if (id !== undefined) {
          ids.push(id);
          present.add(id);
        }
      }
      itemsets.push(Int32Array.from(ids).sort());
      const ex = t.exchange;
      let time: number;
      if (ex) time = this.model.time === 'index' ? ex.index : Number.isFinite(ex.tsRequest) ? ex.tsRequest : ex.tsReply;
      else time = this.model.time === 'index' ? prev + 1 : prev; // the end: right after the last exchange
      if (!Number.isFinite(time)) time = prev === -Infinity ? 0 : prev;
      prev = Math.max(prev, time); // times must be non-decreasing (clock steps, reordered replies)
      times[i] = prev;
      exchangeOf.push(ex ? ex.index : -1);
    }
    return { enc: { itemsets, times }, present, exchangeOf };
  }

  private keyTable(label: string): KeyTable {
    return this.keys!.byLabel[label] ?? this.keys!.global;
  }

  /**
   * Measure a session against the model: pattern coverage, key rarity, shape, arguments. The window
   * features are 0 here (they need the other sessions of the client). Pure given the model.
   */
  describe(s: Session, ctx: SessionContext = sessionContext(s)): Description {
    const set = this.byLabel.get(s.label) ?? this.global;
    const { enc, present, exchangeOf } = this.encode(s, ctx);
    const n = enc.itemsets.length;
    const explained = new Uint8Array(n);
    let best = -1;
    let supported = 0;
    for (let p = 0; p < set.encoded.length; p++) {
      const pat = set.encoded[p]!;
      // the longest prefix whose items are all present bounds the supported prefixes
      let j = 0;
      while (j < pat.length && pat[j]!.every((x) => present.has(x))) j++;
      if (j === 0) continue;
      // support is monotone in the prefix length (a prefix of a supported pattern is supported):
      // binary search for the longest supported prefix
      let lo = 0;
      let hi = j;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (coverage(enc, pat.slice(0, mid), this.model.constraints, false).supported) lo = mid;
        else hi = mid - 1;
      }
      if (lo === 0) continue;
      const cov = coverage(enc, lo === pat.length ? pat : pat.slice(0, lo), this.model.constraints, true);
      if (lo === pat.length) {
        supported++;
        if (best < 0 || set.sizes[p]! > set.sizes[best]!) best = p;
      }
      const c = cov.covered!;
      for (let i = 0; i < n; i++) if (c[i]) explained[i] = 1;
    }
    const unexplained: number[] = [];
    let unexplainedCount = 0;
    for (let i = 0; i < n; i++) {
      if (explained[i]) continue;
      unexplainedCount++;
      if (exchangeOf[i]! >= 0) unexplained.push(exchangeOf[i]!);
    }

    // keys: the two rarest (largest surprisal), different keys
    const table = this.keyTable(s.label);
    const rare: Description['rare'] = [];
    const scored: { key: string; at: number[]; sur: number }[] = [];
    let novel = 0;
    let novelExchanges = 0;
    for (const [key, { plain, at }] of sessionKeys(s, ctx)) {
      const sur = keySurprisal(table, key, plain, Math.max(1, at.length));
      scored.push({ key, at, sur });
      if (!Object.prototype.hasOwnProperty.call(table.keys, key)) {
        novel += sur;
        novelExchanges += Math.max(1, at.length);
      }
    }
    scored.sort((a, b) => b.sur - a.sur || (a.key < b.key ? -1 : 1));
    for (const [i, k] of scored.entries()) {
      const st = Object.prototype.hasOwnProperty.call(table.keys, k.key) ? table.keys[k.key] : undefined;
      if (i > 0 && st) break; // the rarest, then only unseen ones (sorted: unseen come first)
      rare.push({ key: k.key, count: Math.max(1, k.at.length), exchanges: k.at, seen: !!st, trainingMax: st ? st.counts.v[st.counts.v.length - 1] ?? 0 : 0 });
    }

    // the rarest context attribute (a tag, a directory class), whatever command carried it
    let attr = 0;
    let attrAt: Description['attr'] = null;
    for (const [a, at] of sessionAttributes(s, ctx)) {
      const sur = attributeSurprisal(table, a);
      if (sur > attr) {
        attr = sur;
        attrAt = { attribute: a, exchanges: at, sessions: Object.prototype.hasOwnProperty.call(table.attrs, a) ? table.attrs[a]! : 0 };
      }
    }

    // commands the server refused (RFC 959: 4xx transient and 5xx permanent negative completion)
    const refused: number[] = [];
    for (const ex of s.exchanges) if (!ex.command.startsWith('<') && (ex.finalCode[0] === '4' || ex.finalCode[0] === '5')) refused.push(ex.index);

    // the longest argument against its command's longest in training, in doublings
    const maxArg = this.model.profiles?.maxArgLength ?? {};
    let arglen = 0;
    let overlong: Description['overlong'] = null;
    for (const ex of s.exchanges) {
      if (ex.arg.length === 0) continue;
      const lim = Object.prototype.hasOwnProperty.call(maxArg, ex.command) ? maxArg[ex.command]! : 0;
      const v = Math.log2((1 + ex.arg.length) / (1 + lim));
      if (v > arglen) {
        arglen = v;
        overlong = { command: ex.command, length: ex.arg.length, limit: lim, exchanges: [ex.index] };
      } else if (overlong && v === arglen && ex.command === overlong.command) overlong.exchanges.push(ex.index);
    }

    const { start, end } = sessionSpan(s);
    // times at the capture's resolution (µs): a difference of float noise is no evidence
    const us = (x: number): number => Math.round(x * 1e6) / 1e6;
    const values: FeatureValues = {
      unexplained: unexplainedCount,
      unexplained_share: n === 0 ? 0 : us(unexplainedCount / n),
      rarest: scored[0]?.sur ?? 0,
      novel,
      attr,
      refused: refused.length,
      length: s.exchanges.length,
      duration: Number.isFinite(start) ? us(end - start) : 0,
      idle: us(sessionMaxGap(s)),
      arglen: us(arglen),
      win_sessions: 0,
      win_failed: 0,
      win_short: 0,
    };
    return { values, set, best, supported, unexplained, transactions: n, rare, novelExchanges, attr: attrAt, overlong, refused, start, end };
  }

  pushSession(s: Session): void {
    if (this.ended) throw new FtpIdsError('MATCH_ENDED', 'pushSession after end()');
    this.counters.add('sessions');
    if (this.opts.mode === 'study') return this.studyVerdict(s);
    const detector = this.detector;
    if (!detector) throw new FtpIdsError('MODEL_DAMAGED', 'model: no calibrated detector; train it with ftp-ids train or ftp-gsp, or use --baseline study');
    const d = this.describe(s);
    const head = this.head(s, d);
    // a connection that never talked (SYN-only, reset before the greeting): no FTP behaviour to judge,
    // so its own features are left out; it counts in its client's window (a session, a short one),
    // where a flood of them is beyond every benign training window. Its label is its server's (from the
    // server's other connections, ftp-extract): to a server the model never saw, it is unfit as they are.
    if (isEmptyConnection(s)) {
      this.counters.add('emptyConnections');
      // per server (--stats), bounded like the label table: beyond it, one counter for the rest
      const server = `${s.serverIp}:${s.serverPort}`;
      if (!this.emptyServers.has(server) && this.emptyServers.size < this.opts.maxLabels) this.emptyServers.add(server);
      this.counters.add(`emptyConnections.${this.emptyServers.has(server) ? server : 'other_servers'}`);
      for (const f of Object.keys(d.values) as Feature[]) d.values[f] = 0;
    }
    if (!this.opts.judgeUnknownServers && !Object.prototype.hasOwnProperty.call(detector.labels, s.label)) {
      this.unfit(s, d);
      this.onVerdict({ ...head, verdict: 'unfit', score: 0, reasons: [] });
      return;
    }
    const win = this.window(s, d);
    d.values.win_sessions = win.sessions;
    d.values.win_failed = win.failed;
    d.values.win_short = win.short;
    const refs = Object.prototype.hasOwnProperty.call(detector.referencesByLabel, s.label) ? detector.referencesByLabel[s.label]! : detector.references;
    const { score, parts, counted } = scoreOf(d.values, refs);
    let suspicious = score > this.threshold;
    const reasons = suspicious ? this.reasons(s, d, parts, counted, win.entries) : [];
    // a session that starts while its client's incident is open (within the window of its last
    // session) is part of that burst, whatever it did itself
    const open = this.incidents.get(s.clientIp);
    const joins = !suspicious && open !== undefined && Number.isFinite(d.start) && d.start <= (this.incidentEvidence.get(s.clientIp) ?? -Infinity) + this.model.profiles!.window.windowSeconds;
    if (joins) {
      suspicious = true;
      reasons.push({ kind: 'incident', incident: open.id, client: s.clientIp, sessions: [...open.sessions], surprisal: 0 });
    }
    const verdict: Verdict = { ...head, verdict: suspicious ? 'suspicious' : 'normal', score: round(score), reasons };
    win.entry.verdict = verdict;
    if (suspicious) this.counters.add('suspicious');
    this.onVerdict(verdict);
    // Evidence against the client: a window count beyond every benign training window (not merely part
    // of the sum), or the session's own alert. Either names the sessions of its window judged before
    // it and opens the client's incident for W after it (calibrate.ts clientAlertScores calibrates the
    // threshold for this rule). An alert alone makes an incident only once it names another session.
    const windowReason = reasons.find((r) => (r.kind === 'window_sessions' || r.kind === 'window_failed_logins' || r.kind === 'window_short_sessions') && r.count > r.limit);
    const ownAlert = suspicious && !joins;
    if (windowReason || ownAlert) {
      const reason = windowReason ?? reasons[0]!;
      const others = win.entries.some((e) => e !== win.entry && e.verdict?.verdict === 'normal');
      if (windowReason || others) this.incident(s, verdict, reason, win.entries);
      else this.seedIncident(s, verdict, reason);
      const t = Number.isFinite(verdict.end) ? verdict.end : verdict.start;
      this.incidentEvidence.set(s.clientIp, Math.max(this.incidentEvidence.get(s.clientIp) ?? -Infinity, t));
    } else if (joins) this.incident(s, verdict, open!.reason, [win.entry]);
  }

  /** An alert that names no other session yet: the client's incident, not reported until a session joins it. */
  private seedIncident(s: Session, v: Verdict, reason: Reason): void {
    const W = this.model.profiles!.window.windowSeconds;
    const inc = this.incidents.get(s.clientIp);
    const end = Number.isFinite(v.end) ? v.end : v.start;
    if (inc && v.start <= inc.last + W) {
      inc.last = Math.max(inc.last, end);
      if (!inc.sessions.includes(s.flowId) && inc.sessions.length < this.opts.maxWindowSessions) inc.sessions.push(s.flowId);
      return;
    }
    this.incidents.set(s.clientIp, { type: 'incident', id: `${s.clientIp}@${round(v.start, 6)}`, client: s.clientIp, first: v.start, last: end, sessions: [s.flowId], reason, reported: false });
  }

  private head(s: Session, d: Pick<Description, 'set' | 'best' | 'start' | 'end'>): Omit<Verdict, 'verdict' | 'score' | 'reasons'> {
    return {
      flowId: s.flowId,
      communityId: s.communityId,
      clientIp: s.clientIp,
      clientPort: s.clientPort,
      serverIp: s.serverIp,
      serverPort: s.serverPort,
      label: s.label,
      threshold: round(this.threshold),
      model: d.set.name,
      exchanges: isEmptyConnection(s) ? 0 : s.exchanges.length, // `<empty>` is no exchange
      flowEnd: s.end,
      bestPattern: d.best >= 0 ? patternText(d.set.patterns[d.best]!) : '',
      start: d.start,
      end: d.end,
    };
  }

  /** The study's plain matching: normal iff the session supports at least one pattern of its model. */
  private studyVerdict(s: Session): void {
    const set = this.byLabel.get(s.label) ?? this.global;
    const { enc, present } = this.encode(s);
    let best = -1;
    for (let p = 0; p < set.encoded.length; p++) {
      const needs = set.needs[p]!;
      let ok = true;
      for (let i = 0; i < needs.length && ok; i++) ok = present.has(needs[i]!);
      if (!ok || !coverage(enc, set.encoded[p]!, this.model.constraints, false).supported) continue;
      best = p;
      break; // one supported pattern decides
    }
    const { start, end } = sessionSpan(s);
    const flagged = best < 0;
    if (flagged) this.counters.add('suspicious');
    this.onVerdict({
      ...this.head(s, { set, best, start, end }),
      threshold: 0.5,
      verdict: flagged ? 'suspicious' : 'normal',
      score: flagged ? 1 : 0,
      reasons: flagged ? [{ kind: 'no_pattern', patterns: set.patterns.length, surprisal: 0 }] : [],
    });
  }

  private unfit(s: Session, d: Description): void {
    this.counters.add('sessionsUnfit');
    if (this.unfitLabels.has(s.label) || this.unfitLabels.size >= this.opts.maxLabels) return;
    this.unfitLabels.add(s.label);
    const known = Object.keys(this.detector!.labels).sort();
    this.onEvent({
      type: 'model_fit',
      label: s.label,
      server: `${s.serverIp}:${s.serverPort}`,
      first: d.start,
      message: `server label "${s.label}" was never seen in training (the model knows ${known.map((k) => `"${k}"`).join(', ')}): its sessions are not judged (verdict "unfit"); train a model on this server's normal traffic, or pass --judge-unknown-servers`,
    });
  }

  /**
   * The reasons of a suspicious verdict, by share of the score, each with the evidence it can name:
   * as many as it takes to carry the score over the threshold (at least one), and any other that
   * alone is beyond 95 % of benign training sessions (surprisal above −ln 0.05): an analyst sees
   * every strong piece of evidence, not only the first that sufficed.
   */
  private reasons(s: Session, d: Description, parts: FeatureValues, counted: readonly Feature[], window: WindowEntry[]): Reason[] {
    const order = counted.filter((f) => parts[f] > 0).sort((a, b) => parts[b] - parts[a]);
    const out: Reason[] = [];
    let sum = 0;
    const refs = Object.prototype.hasOwnProperty.call(this.detector!.referencesByLabel, s.label) ? this.detector!.referencesByLabel[s.label]! : this.detector!.references;
    const refMax = (f: Feature): number => {
      const t = refs[f];
      return t.v[t.v.length - 1] ?? 0;
    };
    for (const f of order) {
      if (sum > this.threshold && parts[f] < STRONG_EVIDENCE) break;
      const surprisal = round(parts[f]);
      switch (f) {
        case 'unexplained':
        case 'unexplained_share':
          out.push({ kind: 'unexplained', count: d.values.unexplained, of: d.transactions, exchanges: d.unexplained, surprisal });
          break;
        case 'rarest': {
          const r = d.rare[0];
          if (!r) break;
          if (r.seen) out.push({ kind: 'repetition', item: r.key, count: r.count, limit: r.trainingMax, exchanges: r.exchanges, surprisal });
          else out.push({ kind: 'unseen_item', items: [r.key], count: r.count, exchanges: r.exchanges, surprisal });
          break;
        }
        case 'novel': {
          const unseen = d.rare.filter((r) => !r.seen);
          if (unseen.length === 0) break;
          out.push({ kind: 'unseen_item', items: unseen.map((r) => r.key), count: d.novelExchanges, exchanges: unseen.flatMap((r) => r.exchanges).sort((a, b) => a - b), surprisal });
          break;
        }
        case 'attr':
          if (d.attr) out.push({ kind: 'rare_attribute', attribute: d.attr.attribute, trainingSessions: d.attr.sessions, exchanges: d.attr.exchanges, surprisal });
          break;
        case 'refused':
          out.push({ kind: 'refused', count: d.refused.length, limit: refMax('refused'), exchanges: d.refused, surprisal });
          break;
        case 'length':
          out.push({ kind: 'length', count: d.values.length, limit: refMax('length'), surprisal });
          break;
        case 'duration':
        case 'idle':
          out.push({ kind: f, seconds: round(d.values[f]), limit: round(refMax(f)), surprisal });
          break;
        case 'arglen':
          if (d.overlong) out.push({ kind: 'overlong', ...d.overlong, surprisal });
          break;
        case 'win_sessions':
        case 'win_failed':
        case 'win_short':
          out.push({
            kind: WINDOW_KIND[f],
            client: s.clientIp,
            count: d.values[f],
            limit: refMax(f),
            window: this.model.profiles!.window.windowSeconds,
            sessions: window.map((e) => e.flowId),
            surprisal,
          });
          break;
      }
      sum += parts[f];
    }
    return out;
  }

  /**
   * The client's window: the sessions judged so far (this one included) that started after its
   * start − W. Counts of sessions, failed logins and short sessions, as the profiles define them
   * (profiles.ts windowCounts). A session is kept for later windows while a session that started up
   * to W + the longest benign training session before it may still arrive; beyond that a later
   * session is over-long anyway (its duration alone is surprising).
   */
  private window(s: Session, d: Description): { sessions: number; failed: number; short: number; entries: WindowEntry[]; entry: WindowEntry } {
    const profiles = this.model.profiles!;
    const W = profiles.window.windowSeconds;
    let failed = 0;
    for (const ex of s.exchanges) if (isFailedLogin(ex)) failed++;
    const entry: WindowEntry = {
      start: d.start,
      flowId: s.flowId,
      failed,
      short: clientCommandCount(s) <= profiles.shortSessionCommands ? 1 : 0,
      verdict: undefined as unknown as Verdict,
    };
    if (!Number.isFinite(d.start)) return { sessions: 1, failed, short: entry.short, entries: [entry], entry };
    let list = this.windows.get(s.clientIp);
    if (list) this.windows.delete(s.clientIp); // re-insert: most recently used last
    else {
      if (this.windows.size >= this.opts.maxClients) {
        const oldest = this.windows.keys().next().value as string;
        this.windows.delete(oldest);
        this.incidents.delete(oldest);
        this.incidentEvidence.delete(oldest);
        this.counters.add('windowClientsEvicted');
      }
      list = [];
    }
    this.windows.set(s.clientIp, list);
    // insert in start order (sessions arrive when they end, so starts can be slightly out of order)
    let pos = list.length;
    while (pos > 0 && list[pos - 1]!.start > d.start) pos--;
    list.splice(pos, 0, entry);
    // forget what can no longer be in a window of a session of benign length
    const newest = list[list.length - 1]!.start;
    let drop = 0;
    while (drop < list.length && list[drop]!.start <= newest - W - this.retention) drop++;
    if (list.length - drop > this.opts.maxWindowSessions) {
      this.counters.add('windowSessionsDropped', list.length - drop - this.opts.maxWindowSessions);
      drop = list.length - this.opts.maxWindowSessions;
    }
    if (drop > 0) list.splice(0, drop);
    const entries = list.filter((e) => e.start > d.start - W);
    let f = 0;
    let sh = 0;
    for (const e of entries) {
      f += e.failed;
      sh += e.short;
    }
    return { sessions: entries.length, failed: f, short: sh, entries, entry };
  }

  /**
   * A window reason flagged this session (or it joined an open incident): one incident for the client
   * (the same while its windows overlap), sent again as it grows, and an update for every session of
   * the window that went out as normal.
   */
  private incident(s: Session, v: Verdict, reason: Reason, entries: WindowEntry[]): void {
    const W = this.model.profiles!.window.windowSeconds;
    let inc = this.incidents.get(s.clientIp);
    const first = entries[0]!.start;
    if (!inc || first > inc.last + W) {
      inc = { type: 'incident', id: `${s.clientIp}@${round(first, 6)}`, client: s.clientIp, first, last: v.start, sessions: [], reason, reported: false };
      this.incidents.set(s.clientIp, inc);
    }
    if (!inc.reported) {
      inc.reported = true;
      this.counters.add('incidents');
    }
    inc.reason = reason;
    inc.first = Math.min(inc.first, first);
    inc.last = Math.max(inc.last, Number.isFinite(v.end) ? v.end : v.start);
    const named = new Set(inc.sessions);
    for (const e of entries) {
      if (!named.has(e.flowId)) {
        if (inc.sessions.length >= this.opts.maxWindowSessions) {
          this.counters.add('incidentSessionsDropped');
          continue;
        }
        inc.sessions.push(e.flowId);
        named.add(e.flowId);
      }
      if (e.verdict && e.verdict.verdict === 'normal') {
        const upd: Verdict = {
          ...e.verdict,
          verdict: 'suspicious',
          update: true,
          score: Math.max(e.verdict.score, v.score),
          reasons: [{ kind: 'incident', incident: inc.id, client: s.clientIp, sessions: entries.map((x) => x.flowId), surprisal: 0 }],
        };
        e.verdict = upd;
        this.counters.add('verdictUpdates');
        this.onVerdict(upd);
      }
    }
    const { reported: _, ...event } = inc;
    this.onEvent({ ...event, sessions: [...inc.sessions] });
  }

  end(): void {
    this.ended = true;
  }

  /**
   * What the next run needs to see what a single run would (`--state`): each client's window (its
   * recent sessions with the verdicts they got, for the updates an incident sends), open incidents and
   * their evidence, and the labels already reported unfit. Bounded by maxClients × maxWindowSessions.
   */
  exportState(): MatcherState {
    return {
      windows: [...this.windows].map(([client, entries]) => [client, entries.map((e) => ({ ...e, verdict: e.verdict && jsonVerdict(e.verdict) }))]),
      incidents: [...this.incidents],
      incidentEvidence: [...this.incidentEvidence],
      unfitLabels: [...this.unfitLabels],
    };
  }

  /** Before the first session: take over an earlier run's state (exportState), within this run's bounds. */
  importState(st: MatcherState): void {
    if (this.counters.get('sessions') > 0) throw new FtpIdsError('USAGE', 'importState after sessions were judged');
    const bad = (what: string): never => {
      throw new FtpIdsError('BAD_STATE', `matcher state: ${what}`);
    };
    if (!Array.isArray(st.windows) || !Array.isArray(st.incidents) || !Array.isArray(st.incidentEvidence) || !Array.isArray(st.unfitLabels)) bad('windows, incidents, incidentEvidence and unfitLabels must be lists');
    for (const [client, entries] of st.windows.slice(-this.opts.maxClients)) {
      if (typeof client !== 'string' || !Array.isArray(entries)) bad('a window is [client, entries]');
      const list = entries.slice(-this.opts.maxWindowSessions).map((e) => {
        if (typeof e?.start !== 'number' || typeof e.flowId !== 'string') bad(`window of ${client}: an entry needs start and flowId`);
        return { start: e.start, flowId: e.flowId, failed: Number(e.failed) || 0, short: Number(e.short) || 0, verdict: e.verdict && restoreVerdict(e.verdict) };
      });
      this.windows.set(client, list);
    }
    for (const [client, inc] of st.incidents) if (this.windows.has(client) && inc?.type === 'incident') this.incidents.set(client, { ...inc, reported: inc.reported !== false });
    for (const [client, t] of st.incidentEvidence) if (this.windows.has(client) && typeof t === 'number') this.incidentEvidence.set(client, t);
    for (const l of st.unfitLabels.slice(0, this.opts.maxLabels)) if (typeof l === 'string') this.unfitLabels.add(l);
  }
}

/** The matcher's state between runs (JSON: non-finite times as null). */
export interface MatcherState {
  windows: [string, WindowEntry[]][];
  /** `reported: false`: an alert's incident that no session joined yet (not sent) */
  incidents: [string, Incident & { reported?: boolean }][];
  incidentEvidence: [string, number][];
  unfitLabels: string[];
}

const jsonVerdict = (v: Verdict): Verdict => ({ ...v, start: Number.isFinite(v.start) ? v.start : (null as unknown as number), end: Number.isFinite(v.end) ? v.end : (null as unknown as number) });
const restoreVerdict = (v: Verdict): Verdict => ({ ...v, start: typeof v.start === 'number' ? v.start : NaN, end: typeof v.end === 'number' ? v.end : NaN });

export function createMatcher(
  model: MatchModel,
  options: Record<string, unknown>,
  onVerdict: (v: Verdict) => void,
  onEvent?: (e: MatchEvent) => void,
): Matcher {
  return new Matcher(model, options, onVerdict, onEvent);
}
