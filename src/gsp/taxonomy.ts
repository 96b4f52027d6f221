import { FtpIdsError } from '../common/errors.js';
import type { Taxonomy } from './db.js';

/**
 * Is-a hierarchies for generalised patterns.
 *
 * File format: one line per item, `child parent [parent …]` separated by blanks (an item may have
 * several parents; the hierarchy may be several levels deep). `#` starts a comment line; blank
 * lines are skipped. A cycle is an error.
 */
export function parseTaxonomy(text: string, file?: string): Taxonomy {
  const map = new Map<string, string[]>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const [child, ...parents] = line.split(/\s+/);
    if (parents.length === 0) throw new FtpIdsError('TAXONOMY_LINE', `expected "child parent", got "${line.slice(0, 60)}"`, { file, line: i + 1 });
    if (parents.includes(child)) throw new FtpIdsError('TAXONOMY_LINE', `"${child}" is its own parent`, { file, line: i + 1 });
    const list = map.get(child) ?? [];
    for (const p of parents) if (!list.includes(p)) list.push(p);
    map.set(child, list);
  });
  return map;
}

/** Command groups of the built-in FTP taxonomy (lower case, so they never equal a command). */
export const FTP_COMMAND_GROUPS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  auth: ['USER', 'PASS', 'ACCT', 'AUTH', 'ADAT', 'PBSZ', 'PROT', 'CCC', 'REIN'],
  navigation: ['CWD', 'CDUP', 'XCWD', 'XCUP', 'PWD', 'XPWD', 'LIST', 'NLST', 'MLSD', 'MLST', 'STAT'],
  transfer: ['RETR', 'STOR', 'STOU', 'APPE', 'REST', 'ABOR', 'SIZE'],
  connection: ['PASV', 'EPSV', 'LPSV', 'PORT', 'EPRT', 'LPRT'],
  configuration: ['TYPE', 'MODE', 'STRU', 'OPTS', 'FEAT', 'SYST', 'HELP', 'NOOP', 'SITE', 'ALLO', 'CLNT', 'LANG', 'HOST'],
  modification: ['DELE', 'RMD', 'XRMD', 'MKD', 'XMKD', 'RNFR', 'RNTO', 'MFMT', 'MDTM'],
  session: ['QUIT', '<greeting>', '<unsolicited>'],
});

/**
 * The built-in FTP taxonomy over the items that occur: reply code → class (`230` → `2xx`) →
 * outcome (`1xx`/`2xx`/`3xx` → `success`, `4xx`/`5xx` → `failure`); command → group
 * (FTP_COMMAND_GROUPS; unknown commands → `other-command`).
 */
export function ftpTaxonomy(items: Iterable<string>): Taxonomy {
  const group = new Map<string, string>();
  for (const [g, cmds] of Object.entries(FTP_COMMAND_GROUPS)) for (const c of cmds) group.set(c, g);
  const map = new Map<string, string[]>();
  const classParent = (cls: string): void => {
    const d = cls[0];
    if (d === '1' || d === '2' || d === '3') map.set(cls, ['success']);
    else if (d === '4' || d === '5') map.set(cls, ['failure']);
  };
  for (const it of items) {
    if (/^\d{3}$/.test(it)) {
      const cls = `${it[0]}xx`;
      map.set(it, [cls]);
      classParent(cls);
    } else if (/^\dxx$/.test(it)) classParent(it);
    else if (it.startsWith('label=') || it.startsWith('tag=')) continue;
    else if (/^(<[a-z]+>|[A-Z][A-Z0-9]*)$/.test(it)) map.set(it, [group.get(it) ?? 'other-command']);
  }
  return map;
}
