import { FtpIdsError } from '../common/errors.js';
import type { Exchange } from './types.js';

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
}

export const DEFAULT_ITEMS: ItemsConfig = Object.freeze({ command: true, code: 'final', label: false, tags: false });

/** Parse "command,code" / "command,code-all,tags" / "code-class" … into an ItemsConfig. */
export function parseItemsSpec(spec: string): ItemsConfig {
  const cfg: ItemsConfig = { command: false, code: 'none', label: false, tags: false };
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    switch (part) {
      case 'command': cfg.command = true; break;
      case 'code': cfg.code = 'final'; break;
      case 'code-all': cfg.code = 'all'; break;
      case 'code-class': cfg.code = 'class'; break;
      case 'label': cfg.label = true; break;
      case 'tags': cfg.tags = true; break;
      default:
        throw new FtpIdsError('INVALID_OPTION', `option items: unknown item kind "${part}" (use command, code, code-all, code-class, label, tags)`);
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
  return parts.join(',');
}

/** The itemset of one exchange: sorted, without duplicates. */
export function exchangeItems(ex: Exchange, cfg: ItemsConfig, label: string): string[] {
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
  return [...new Set(items)].sort();
}
