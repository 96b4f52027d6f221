import { FtpIdsError } from '../common/errors.js';
import { sessionContext, type ExchangeContext, type SessionContext } from './context.js';
import type { Exchange, Session } from './types.js';

/**
 * What goes into one transaction (itemset) of a session, docs/ARCHITECTURE.md §4.
 * Strings outside: `USER`, `331`, `3xx`, `label=vsftpd`, `tag=port_foreign`. Commands are
 * letters (or `<pseudo>`), codes are digits, so the two never collide.
 */
export interface ItemsConfig {
  command: boolean;
  /** which reply codes: the final one, all of the exchange, only the class (3xx), or none */
  code: 'final' | 'all' | 'class' | 'none';
  /** add the server label as an item of every transaction */
  label: boolean;
  /** add argument tags (port_foreign, path_climb, …) as items */
  tags: boolean;
  /** session context (src/dataset/context.ts): `login=…` on the exchange that changed the login state */
  login: boolean;
  /** `cwd=above|outside|abs` on exchanges whose path leaves the login directory */
  cwd: boolean;
  /** `end=…` as an itemset of its own after the last exchange */
  end: boolean;
  /** `pace=N` (log2 class of the client's wait, N ≥ 1: a second or more) on client commands */
  pace: boolean;
  /**
   * the data connection of a transfer (ftp-flows' data records): `size=K` (its size class, see
   * sizeEdges) and `data=third_host`, `data=never_opened`, `data=no_data_226`
   */
  data?: boolean;
  /**
   * the size classes' lower bounds in bytes, ascending, learned from the training sessions
   * (learnSizeEdges) and carried in the model: class K = how many bounds a transfer's bytes reach
   */
  sizeEdges?: readonly number[];
}

export const DEFAULT_ITEMS: ItemsConfig = Object.freeze({ command: true, code: 'final', label: false, tags: false, login: false, cwd: false, end: false, pace: false, data: false });

/** What `ftp-ids train` mines by default: the study's items plus the session context that attacks change. */
export const CONTEXT_ITEMS: ItemsConfig = Object.freeze({ ...DEFAULT_ITEMS, tags: true, login: true, cwd: true, end: true, pace: true });

const usesContext = (cfg: ItemsConfig): boolean => cfg.login || cfg.cwd || cfg.end || cfg.pace;

/** Parse "command,code" / "command,code-all,tags" / "code-class" … into an ItemsConfig. */
export function parseItemsSpec(spec: string): ItemsConfig {
  const cfg: ItemsConfig = { command: false, code: 'none', label: false, tags: false, login: false, cwd: false, end: false, pace: false, data: false };
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    switch (part) {
      case 'command': cfg.command = true; break;
      case 'code': cfg.code = 'final'; break;
      case 'code-all': cfg.code = 'all'; break;
      case 'code-class': cfg.code = 'class'; break;
      case 'label': cfg.label = true; break;
      case 'tags': cfg.tags = true; break;
      case 'login': cfg.login = true; break;
      case 'cwd': cfg.cwd = true; break;
      case 'end': cfg.end = true; break;
      case 'pace': cfg.pace = true; break;
      case 'data': cfg.data = true; break;
      case 'context': cfg.tags = cfg.login = cfg.cwd = cfg.end = cfg.pace = true; break;
      default:
        throw new FtpIdsError('INVALID_OPTION', `option items: unknown item kind "${part}" (use command, code, code-all, code-class, label, tags, login, cwd, end, pace, context, data)`);
    }
  }
  if (!cfg.command && cfg.code === 'none' && !cfg.tags) {
    throw new FtpIdsError('INVALID_OPTION', 'option items: choose at least one of command, code, code-all, code-class, tags');
  }
  return cfg;
}

export function itemsSpecToString(cfg: ItemsConfig): string {
  const parts: string[] = [];
  if (cfg.command) parts.push('command');
  if (cfg.code === 'final') parts.push('code');
  else if (cfg.code === 'all') parts.push('code-all');
  else if (cfg.code === 'class') parts.push('code-class');
  if (cfg.label) parts.push('label');
  if (cfg.tags) parts.push('tags');
  if (cfg.login) parts.push('login');
  if (cfg.cwd) parts.push('cwd');
  if (cfg.end) parts.push('end');
  if (cfg.pace) parts.push('pace');
  if (cfg.data) parts.push('data');
  return parts.join(',');
}

/** The itemset of one exchange: sorted, without duplicates (`ctx`: its session context, for the context kinds). */
export function exchangeItems(ex: Exchange, cfg: ItemsConfig, label: string, ctx?: ExchangeContext): string[] {
  const items: string[] = [];
  if (cfg.command) items.push(ex.command);
  if (cfg.code === 'final') {
    if (ex.finalCode) items.push(ex.finalCode);
  } else if (cfg.code === 'all') {
    for (const c of ex.replyCodes) items.push(c);
  } else if (cfg.code === 'class') {
    if (ex.finalCode) items.push(`${ex.finalCode[0]}xx`);
  }
  if (cfg.label) items.push(`label=${label}`);
  if (cfg.tags) for (const t of ex.tags) items.push(`tag=${t}`);
  if (ctx) {
    // a state item on every transaction multiplies the patterns (login=user in nearly all of them:
    // 0.5 -> 5.5 s and 259 -> 1983 maximal patterns on the benign samples at 0.3): the miner gets the
    // state where it changes, on the exchange that changed it; the matcher's keys carry it everywhere
    if (cfg.login && ctx.loginAfter !== ctx.login) items.push(`login=${ctx.loginAfter}`);
    if (cfg.cwd && ctx.cwd !== '') items.push(`cwd=${ctx.cwd}`);
    // likewise the usual sub-second wait is no item (every pace class on every exchange: 410 s)
    if (cfg.pace && ctx.pace >= 1) items.push(`pace=${ctx.pace}`);
  }
  if (cfg.data) {
    const bytes = ex.dataBytes;
    if (cfg.sizeEdges && bytes !== undefined && Number.isFinite(bytes)) items.push(`size=${sizeClass(bytes, cfg.sizeEdges)}`);
    for (const f of ex.dataFlags ?? []) if (DATA_FLAG_ITEMS.has(f)) items.push(`data=${f}`);
  }
  return [...new Set(items)].sort();
}

/** One transaction of a session as the miner and the matcher see it. */
export interface SessionTransaction {
  items: string[];
  /** the exchange it comes from; null for the `end=…` transaction */
  exchange: Exchange | null;
}

/**
 * A session's transactions: one per exchange (its items; possibly empty), then, with `end`, one
 * `end=…` transaction when the end is known. The one definition the miner and the matcher share
 * (`context`: the session's context when the caller already has it).
 */
export function sessionTransactions(s: Session, cfg: ItemsConfig, context?: SessionContext): SessionTransaction[] {
  const ctx = usesContext(cfg) ? (context ?? sessionContext(s)) : null;
  const out: SessionTransaction[] = s.exchanges.map((ex, i) => ({ items: exchangeItems(ex, cfg, s.label, ctx?.exchanges[i]), exchange: ex }));
  if (cfg.end && ctx && ctx.end !== '') out.push({ items: [`end=${ctx.end}`], exchange: null });
  return out;
}

/** the data flags that are items (data_gap says what the capture missed, not what the session did) */
const DATA_FLAG_ITEMS: ReadonlySet<string> = new Set(['third_host', 'never_opened', 'no_data_226']);

/** A transfer's size class: how many of the (ascending) bounds its bytes reach. */
export function sizeClass(bytes: number, edges: readonly number[]): number {
  let k = 0;
  while (k < edges.length && bytes >= edges[k]) k++;
  return k;
}

/** quantiles of the training transfers' bytes that bound the size classes (and the largest seen, see learnSizeEdges) */
export const SIZE_QUANTILES: readonly number[] = [0.25, 0.5, 0.75, 0.95];

/**
 * The size classes' bounds from training sessions: log-scale (each quantile of SIZE_QUANTILES of the
 * transfers' bytes rounded to its nearest power of two, at least 1, so that empty transfers are class 0),
 * and one past the largest transfer seen, so that the top class holds only transfers larger than any in
 * training. No transfer with a known size: no bounds (no size items).
 */
export function learnSizeEdges(sessions: readonly Session[]): number[] {
  const sizes: number[] = [];
  for (const s of sessions) for (const ex of s.exchanges) if (ex.dataBytes !== undefined && Number.isFinite(ex.dataBytes)) sizes.push(ex.dataBytes);
  if (sizes.length === 0) return [];
  sizes.sort((a, b) => a - b);
  const top = sizes[sizes.length - 1] + 1;
  const edges = new Set<number>();
  for (const q of SIZE_QUANTILES) {
    const v = sizes[Math.min(sizes.length - 1, Math.floor(q * sizes.length))];
    const e = v < 1 ? 1 : 2 ** Math.round(Math.log2(v));
    if (e < top) edges.add(e);
  }
  edges.add(top);
  return [...edges].sort((a, b) => a - b);
}

/** The items config with its size bounds learned from `sessions` when data items are asked for and it has none. */
export function withSizeEdges(cfg: ItemsConfig, sessions: readonly Session[]): ItemsConfig {
  if (!cfg.data || cfg.sizeEdges) return cfg;
  return Object.freeze({ ...cfg, sizeEdges: Object.freeze(learnSizeEdges(sessions)) });
}
