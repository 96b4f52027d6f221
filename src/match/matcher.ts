import { Counters } from '../common/bounds.js';
import { FtpIdsError } from '../common/errors.js';
import { optEnum, optInt, optNumber } from '../common/options.js';
import { exchangeItems } from '../dataset/items.js';
import type { Session } from '../dataset/types.js';
import { coverage, type EncodedPattern, type EncodedSession } from './embed.js';
import type { MatchModel, MatchPattern } from './model.js';
import {
  clientCommandCount,
  exchangeKey,
  isFailedLogin,
  quantileAt,
  sessionMaxGap,
  sessionSpan,
  type Profiles,
  type Quantiles,
  type SessionProfile,
} from './profiles.js';

/**
 * The matcher: model + sessions in, one verdict per session out, as sessions arrive.
 * State machine: pushSession(session) / end(); verdicts through the callback.
 * The only state kept between sessions is the per-client-address window (bounded).
 * Definitions (what "explained", the score and each reason mean): docs/ARCHITECTURE.md, "ftp-match".
 */

export type Reason =
  | { kind: 'repetition'; item: string; count: number; limit: number; exchanges: number[] }
  | { kind: 'foreign_port' | 'privileged_port' | 'path_climb' | 'arg_binary'; exchanges: number[] }
  | { kind: 'overlong'; command: string; length: number; limit: number; exchanges: number[] }
  | { kind: 'unseen_item' | 'unseen_pair'; items: string[]; exchanges: number[] }
  | { kind: 'length'; count: number; limit: number }
  | { kind: 'duration' | 'idle'; seconds: number; limit: number }
  | { kind: 'window_sessions' | 'window_failed_logins' | 'window_short_sessions'; client: string; count: number; limit: number; window: number; sessions: string[] }
  | { kind: 'unexplained'; count: number; of: number; limit: number; exchanges: number[] }
  | { kind: 'no_pattern'; patterns: number };

export interface Verdict
  extends Pick<Session, 'flowId' | 'communityId' | 'clientIp' | 'clientPort' | 'serverIp' | 'serverPort' | 'label'> {
  verdict: 'normal' | 'suspicious';
  score: number;
  reasons: Reason[];
  /** which pattern set was used: the session's label, or `global` */
  model: string;
  exchanges: number;
  /** the longest (most items) supported pattern, as text, '' when none */
  bestPattern: string;
}

export interface MatchOptions {
  /** > 0; higher flags more. Count limits are max_train + max(1, max_train/2)/sensitivity. */
  sensitivity: number;
  /** 'full': every detector; 'study': the study's plain matching (normal = supports ≥ 1 pattern) */
  mode: 'full' | 'study';
  /** fraction of unexplained exchanges above which a session is flagged; 1 = never */
  unexplainedLimit: number;
  /**
   * exchanges with a never-seen (command, code) pair of known items a session needs before
   * that alone flags it (a pair on a write command counts at once)
   */
  minUnseenPairs: number;
  /** bound: client addresses with an open window (least recently seen evicted, counted) */
  maxClients: number;
  /** bound: sessions remembered per client address in the window (oldest dropped, counted) */
  maxWindowSessions: number;
  /** sessions longer than this are matched against patterns on their first maxMatchExchanges exchanges */
  maxMatchExchanges: number;
}

export function normalizeMatchOptions(raw: Record<string, unknown> = {}): MatchOptions {
  return Object.freeze({
    sensitivity: optNumber(raw, 'sensitivity', 1, 0.01, 100),
    mode: optEnum(raw, 'mode', ['full', 'study'] as const, 'full'),
    unexplainedLimit: optNumber(raw, 'unexplainedLimit', 1, 0, 1),
    minUnseenPairs: optInt(raw, 'minUnseenPairs', 2, 1),
    maxClients: optInt(raw, 'maxClients', 100_000, 1),
    maxWindowSessions: optInt(raw, 'maxWindowSessions', 10_000, 1),
    maxMatchExchanges: optInt(raw, 'maxMatchExchanges', 5_000, 1),
  });
}

/**
 * The count limit for a training distribution with maximum `max` (see MatchOptions.sensitivity):
 * max + max(1, max/2)/sensitivity; for successful operations (`success`: a 1xx/2xx final reply)
 * max + (2·max + 1)/sensitivity — how many files a session fetches or lists is workload, not
 * attack, so only a far larger count than ever seen counts as repetition.
 */
export function countLimit(q: Quantiles, sensitivity: number, success = false): number {
  const max = quantileAt(q, 1);
  return max + (success ? 2 * max + 1 : Math.max(1, max / 2)) / sensitivity;
}

/** Commands that change server state: a never-seen outcome of one is suspicious on its own. */
export const WRITE_COMMANDS: ReadonlySet<string> = new Set([
  'STOR', 'STOU', 'APPE', 'MKD', 'XMKD', 'RMD', 'XRMD', 'DELE', 'RNFR', 'RNTO', 'SITE', 'MFMT', 'MFF', 'ALLO',
]);

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

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

interface WindowEntry {
  start: number;
  flowId: string;
  failed: number;
  short: number;
}

const TAG_REASON: Record<string, 'foreign_port' | 'privileged_port' | 'path_climb' | 'arg_binary'> = {
  port_foreign: 'foreign_port',
  port_privileged: 'privileged_port',
  path_climb: 'path_climb',
  arg_binary: 'arg_binary',
};

export class Matcher {
  readonly counters = new Counters();
  private readonly opts: MatchOptions;
  private readonly itemIds = new Map<string, number>();
  private readonly global: CompiledSet;
  private readonly byLabel = new Map<string, CompiledSet>();
  private readonly seenItems: Set<string> | null;
  private readonly seenKeys: Set<string> | null;
  /** per client address: its recent sessions, by start time; Map order = least recently used first */
  private readonly windows = new Map<string, WindowEntry[]>();
  private ended = false;

  constructor(
    private readonly model: MatchModel,
    options: Record<string, unknown> | MatchOptions,
    private readonly onVerdict: (v: Verdict) => void,
  ) {
    this.opts = normalizeMatchOptions(options as Record<string, unknown>);
    this.global = this.compile('global', model.global.patterns);
    for (const [label, set] of Object.entries(model.byLabel)) {
      if (set.patterns.length > 0) this.byLabel.set(label, this.compile(label, set.patterns));
    }
    this.seenItems = model.profiles ? new Set(model.profiles.seenItems) : null;
    this.seenKeys = model.profiles ? new Set(model.profiles.seenKeys) : null;
    if (this.opts.mode === 'full' && !model.profiles) {
      throw new FtpIdsError('MODEL_DAMAGED', 'model: no "profiles" (count-aware detection needs them); mine it again with ftp-gsp or ftp-ids train, or use --baseline study');
    }
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

  private encode(s: Session, n: number): { enc: EncodedSession; present: Set<number> } {
    const itemsets: Int32Array[] = [];
    const times = new Float64Array(n);
    const present = new Set<number>();
    let prev = -Infinity;
    for (let i = 0; i < n; i++) {
      const ex = s.exchanges[i]!;
      const ids: number[] = [];
      for (const it of exchangeItems(ex, this.model.items, s.label)) {
        const id = this.itemIds.get(it); // items in no pattern cannot matter for coverage
        if (id !== undefined) {
          ids.push(id);
          present.add(id);
        }
      }
      itemsets.push(Int32Array.from(ids).sort());
      let t = this.model.time === 'index' ? ex.index : Number.isFinite(ex.tsRequest) ? ex.tsRequest : ex.tsReply;
      if (!Number.isFinite(t)) t = prev === -Infinity ? 0 : prev;
      prev = Math.max(prev, t); // times must be non-decreasing (clock steps, reordered replies)
      times[i] = prev;
    }
    return { enc: { itemsets, times }, present };
  }

  pushSession(s: Session): void {
    if (this.ended) throw new FtpIdsError('MATCH_ENDED', 'pushSession after end()');
    this.counters.add('sessions');
    const set = this.byLabel.get(s.label) ?? this.global;
    const n = Math.min(s.exchanges.length, this.opts.maxMatchExchanges);
    if (n < s.exchanges.length) this.counters.add('sessionsCutForMatching');
    const { enc, present } = this.encode(s, n);

    // pattern matching
    const explained = new Uint8Array(n);
    let best = -1;
    let supportedCount = 0;
    for (let p = 0; p < set.encoded.length; p++) {
      const needs = set.needs[p]!;
      let ok = true;
      for (let i = 0; i < needs.length && ok; i++) ok = present.has(needs[i]!);
      if (!ok) continue;
      const cov = coverage(enc, set.encoded[p]!, this.model.constraints, this.opts.mode === 'full');
      if (!cov.supported) continue;
      supportedCount++;
      if (best < 0 || set.sizes[p]! > set.sizes[best]!) best = p;
      if (this.opts.mode === 'study') break; // one supported pattern decides
      const c = cov.covered!;
      for (let i = 0; i < n; i++) if (c[i]) explained[i] = 1;
    }

    const reasons: Reason[] = [];
    let unexplained = 0;
    let unseenExchanges = 0;
    if (this.opts.mode === 'study') {
      if (supportedCount === 0) reasons.push({ kind: 'no_pattern', patterns: set.patterns.length });
    } else {
      const profiles = this.model.profiles!;
      const prof = profiles.byLabel[s.label] ?? profiles.global;
      const unexplainedIdx: number[] = [];
      for (let i = 0; i < n; i++) if (!explained[i]) unexplainedIdx.push(s.exchanges[i]!.index);
      unexplained = unexplainedIdx.length;
      if (n > 0 && unexplained / n > this.opts.unexplainedLimit) {
        reasons.push({ kind: 'unexplained', count: unexplained, of: n, limit: this.opts.unexplainedLimit, exchanges: unexplainedIdx });
      }
      unseenExchanges = this.argumentAndItemReasons(s, profiles, reasons);
      this.repetitionReasons(s, prof, reasons);
      this.sessionShapeReasons(s, prof, reasons);
      this.windowReasons(s, profiles, reasons);
    }

    // score: unexplained share, lack of a specific supported pattern, unseen items, plus 1 per reason
    const specificity = best >= 0 && set.maxSize > 0 ? set.sizes[best]! / set.maxSize : 0;
    const total = Math.max(1, n);
    const score =
      this.opts.mode === 'study'
        ? supportedCount === 0
          ? 1
          : 1 - specificity
        : 0.5 * (unexplained / total) + 0.25 * (1 - specificity) + 0.25 * (unseenExchanges / total) + reasons.length;
    const verdict: Verdict = {
      flowId: s.flowId,
      communityId: s.communityId,
      clientIp: s.clientIp,
      clientPort: s.clientPort,
      serverIp: s.serverIp,
      serverPort: s.serverPort,
      label: s.label,
      verdict: reasons.length > 0 ? 'suspicious' : 'normal',
      score: round(score),
      reasons,
      model: set.name,
      exchanges: s.exchanges.length,
      bestPattern: best >= 0 ? patternText(set.patterns[best]!) : '',
    };
    if (reasons.length > 0) this.counters.add('suspicious');
    this.onVerdict(verdict);
  }

  /** Argument tags, overlong arguments, items and (command, code) pairs never seen in training. */
  private argumentAndItemReasons(s: Session, profiles: Profiles, reasons: Reason[]): number {
    const tagHits = new Map<string, number[]>();
    const overlong = new Map<string, { length: number; limit: number; exchanges: number[] }>();
    const unseen = new Set<string>();
    const unseenAt: number[] = [];
    const pairs = new Set<string>();
    const pairAt: number[] = [];
    let pairOnWrite = false;
    for (const ex of s.exchanges) {
      for (const tag of ex.tags) {
        // a tag seen in benign training is normal there (e.g. a client behind NAT): no alert
        if (this.seenItems!.has(`tag=${tag}`) || !(tag in TAG_REASON)) continue;
        const list = tagHits.get(tag);
        if (list) list.push(ex.index);
        else tagHits.set(tag, [ex.index]);
      }
      const maxLen = profiles.maxArgLength[ex.command];
      if (maxLen !== undefined) {
        const limit = Math.ceil(countLimit({ n: 1, q: profiles.quantileProbs.map(() => maxLen) }, this.opts.sensitivity));
        if (ex.arg.length > limit) {
          const o = overlong.get(ex.command) ?? { length: 0, limit, exchanges: [] };
          o.length = Math.max(o.length, ex.arg.length);
          o.exchanges.push(ex.index);
          overlong.set(ex.command, o);
        }
      }
      let fresh = false;
      for (const it of [ex.command, ex.finalCode]) {
        if (it !== '' && !this.seenItems!.has(it)) {
          unseen.add(it);
          fresh = true;
        }
      }
      const key = exchangeKey(ex);
      if (!this.seenKeys!.has(key)) {
        if (fresh) unseen.add(key);
        else {
          // both items known, their pair is new: weak evidence unless repeated or on a write
          pairs.add(key);
          pairAt.push(ex.index);
          if (WRITE_COMMANDS.has(ex.command)) pairOnWrite = true;
        }
      }
      if (fresh) unseenAt.push(ex.index);
    }
    for (const [tag, exchanges] of tagHits) reasons.push({ kind: TAG_REASON[tag]!, exchanges });
    for (const [command, o] of overlong) reasons.push({ kind: 'overlong', command, length: o.length, limit: o.limit, exchanges: o.exchanges });
    if (unseen.size > 0) reasons.push({ kind: 'unseen_item', items: [...unseen].sort(), exchanges: unseenAt });
    if (pairs.size > 0 && (pairOnWrite || pairAt.length >= this.opts.minUnseenPairs)) {
      reasons.push({ kind: 'unseen_pair', items: [...pairs].sort(), exchanges: pairAt });
    }
    return unseenAt.length + pairAt.length;
  }

  /** Repetition of an exchange key beyond its training profile (brute force: PASS,530 again and again). */
  private repetitionReasons(s: Session, prof: SessionProfile, reasons: Reason[]): void {
    const at = new Map<string, { code: string; exchanges: number[] }>();
    for (const ex of s.exchanges) {
      const k = exchangeKey(ex);
      const e = at.get(k);
      if (e) e.exchanges.push(ex.index);
      else at.set(k, { code: ex.finalCode, exchanges: [ex.index] });
    }
    for (const [item, { code, exchanges }] of at) {
      const rp = prof.repetition[item];
      // a key never seen in training is reported as unseen; repeating it is suspicious from 2 on
      const limit = rp ? countLimit(rp.count, this.opts.sensitivity, code[0] === '1' || code[0] === '2') : 1 + 1 / this.opts.sensitivity;
      if (exchanges.length > limit && exchanges.length > 1) {
        reasons.push({ kind: 'repetition', item, count: exchanges.length, limit: round(limit, 2), exchanges });
      }
    }
  }

  /** Session length, duration and the longest silence against their training profiles. */
  private sessionShapeReasons(s: Session, prof: SessionProfile, reasons: Reason[]): void {
    const lengthLimit = countLimit(prof.length, this.opts.sensitivity);
    if (s.exchanges.length > lengthLimit) reasons.push({ kind: 'length', count: s.exchanges.length, limit: round(lengthLimit, 2) });
    const { start, end } = sessionSpan(s);
    if (Number.isFinite(start)) {
      const dLimit = countLimit(prof.duration, this.opts.sensitivity);
      if (end - start > dLimit) reasons.push({ kind: 'duration', seconds: round(end - start), limit: round(dLimit) });
    }
    const gap = sessionMaxGap(s);
    const gLimit = countLimit(prof.maxGap, this.opts.sensitivity);
    if (gap > gLimit) reasons.push({ kind: 'idle', seconds: round(gap), limit: round(gLimit) });
  }

  /**
   * Across sessions of one client address: sessions, failed logins and short sessions that
   * started in (start − W, start]. Streaming: a session is flagged when, with it, a count is
   * above its limit; the reason lists every session in the window.
   */
  private windowReasons(s: Session, profiles: Profiles, reasons: Reason[]): void {
    const { start } = sessionSpan(s);
    if (!Number.isFinite(start)) return;
    const W = profiles.window.windowSeconds;
    let list = this.windows.get(s.clientIp);
    if (list) {
      this.windows.delete(s.clientIp); // re-insert: most recently used last
    } else {
      if (this.windows.size >= this.opts.maxClients) {
        const oldest = this.windows.keys().next().value as string;
        this.windows.delete(oldest);
        this.counters.add('windowClientsEvicted');
      }
      list = [];
    }
    this.windows.set(s.clientIp, list);
    let failed = 0;
    for (const ex of s.exchanges) if (isFailedLogin(ex)) failed++;
    const entry: WindowEntry = { start, flowId: s.flowId, failed, short: clientCommandCount(s) <= profiles.shortSessionCommands ? 1 : 0 };
    // insert in start order (sessions arrive when they end, so starts can be slightly out of order)
    let pos = list.length;
    while (pos > 0 && list[pos - 1]!.start > start) pos--;
    list.splice(pos, 0, entry);
    // forget what can no longer be in any window: older than the newest start − W
    const newest = list[list.length - 1]!.start;
    let drop = 0;
    while (drop < list.length && list[drop]!.start <= newest - W) drop++;
    if (list.length - drop > this.opts.maxWindowSessions) {
      this.counters.add('windowSessionsDropped', list.length - drop - this.opts.maxWindowSessions);
      drop = list.length - this.opts.maxWindowSessions;
    }
    if (drop > 0) list.splice(0, drop);
    const inWindow = list.filter((e) => e.start > start - W && e.start <= start);
    if (!inWindow.includes(entry)) return; // arrived too late for its own window: nothing to say
    const counts = {
      window_sessions: [inWindow.length, profiles.window.sessions] as const,
      window_failed_logins: [inWindow.reduce((a, e) => a + e.failed, 0), profiles.window.failedLogins] as const,
      window_short_sessions: [inWindow.reduce((a, e) => a + e.short, 0), profiles.window.shortSessions] as const,
    };
    for (const [kind, [count, q]] of Object.entries(counts) as [keyof typeof counts, readonly [number, Quantiles]][]) {
      const limit = countLimit(q, this.opts.sensitivity);
      // only when this session contributes to the count (a clean session is not blamed for others)
      const contributes = kind === 'window_sessions' || (kind === 'window_failed_logins' ? entry.failed > 0 : entry.short > 0);
      if (count > limit && contributes) {
        reasons.push({ kind, client: s.clientIp, count, limit: round(limit, 2), window: W, sessions: inWindow.map((e) => e.flowId) });
      }
    }
  }

  end(): void {
    this.ended = true;
  }
}

export function createMatcher(model: MatchModel, options: Record<string, unknown>, onVerdict: (v: Verdict) => void): Matcher {
  return new Matcher(model, options, onVerdict);
}
