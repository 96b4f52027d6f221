/**
 * `ftp-label --suggest`: distinct greetings, normalised, with counts and a proposed label, written as
 * a ready-to-edit CSV signature file (the study built its signatures by hand from the payloads).
 *
 * Normalisation of the greeting's first line (the prefix a signature needs):
 *   IPv4/IPv6 addresses and host names with a dot → `<domain>`; clock times → `<n>:<n>:<n>`;
 *   dates and counters (`12 users`, `[3]`, pids) → `<n>`; version numbers stay (they tell servers apart).
 */
import { stringify } from 'csv-stringify/sync';

export interface Suggestion {
  prefix: string;
  label: string;
  count: number;
  example: string;
}

const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const DAYS = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';

export function normalizeGreeting(greeting: string): string {
  let s = greeting.split('\r\n')[0] ?? '';
  s = s.replace(/\s+$/, '');
  if (s === '' && greeting.startsWith('\r\n')) return '\r\n' + normalizeGreeting(greeting.slice(2));
  s = s.replace(/\[?[0-9a-fA-F]*:[0-9a-fA-F:]*:[0-9a-fA-F.]*\]?(?=[\s,)]|$)/g, (m) => (m.includes('::') || m.split(':').length > 4 ? '<domain>' : m));
  s = s.replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, '<domain>');
  // a bare host name where servers put theirs: `220 redmint FTP server`, `220 alpha GridFTP Server`
  s = s.replace(/^(\d{3}[ -])(?!<)[A-Za-z][\w.-]*(?= (?:FTP|GridFTP|Microsoft FTP) [Ss]erv)/, '$1<domain>');
  // host names: at least one dot between labels and a letter-only top label, not a version (has a letter before a dot)
  s = s.replace(/\b(?=[A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*\.)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g, '<domain>');
  s = s.replace(/\b\d{1,2}:\d{2}(?::\d{2})?\b/g, (m) => m.split(':').map(() => '<n>').join(':'));
  s = s.replace(new RegExp(`\\b(${DAYS}),?\\s+(${MONTHS})\\s+\\d{1,2}\\b`, 'g'), '$1 $2 <n>');
  s = s.replace(new RegExp(`\\b(\\d{1,2})\\s+(${MONTHS})\\s+(\\d{4})\\b`, 'g'), '<n> $2 <n>');
  s = s.replace(/\b(19|20)\d{2}\b(?![.\d])/g, '<n>');
  s = s.replace(/\b\d+(?=\s+(?:users?|of|connections?|clients?)\b)/gi, '<n>');
  s = s.replace(/\[\d+\]/g, '[<n>]');
  return s;
}

const PRODUCTS: [RegExp, string][] = [
  [/vsFTPd\s+([\d.]+)/i, 'vsftpd'],
  [/ProFTPD(?:\s+([\d.]+\w*))?/i, 'proftpd'],
  [/Pure-FTPd/i, 'pureftpd'],
  [/FileZilla Server(?: version)?\s*([\d.]+\w*)?/i, 'filezilla'],
  [/Microsoft FTP Service(?: \(Version ([\d.]+)\))?/i, 'msftp'],
  [/wu-([\d.]+[-\w.()]*)/i, 'wu'],
  [/NetBSD-ftpd\s*([\d]+)?/i, 'netbsdftpd'],
  [/OpenBSD/i, 'openbsdftpd'],
  [/Serv-U FTP Server v?([\d.]+)?/i, 'servu'],
  [/mod_ftp\/?([\d.]+)?/i, 'modftp'],
  [/Samba/i, 'samba'],
  [/GridFTP Server ([\d.]+)/i, 'gridftp'],
];

export function proposeLabel(normalised: string): string {
  for (const [re, name] of PRODUCTS) {
    const m = re.exec(normalised);
    if (m) return (name + (m[1] ?? '')).toLowerCase().replace(/[^a-z0-9.]+/g, '');
  }
  const words = normalised
    .replace(/^\d{3}[ -]?/, '')
    .replace(/<[^>]+>/g, ' ')
    .toLowerCase()
    .match(/[a-z0-9][a-z0-9.]*/g);
  const slug = (words ?? []).filter((w) => /[a-z]/.test(w) && !['ftp', 'server', 'service', 'ready', 'welcome', 'to', 'the'].includes(w)).slice(0, 2).join('');
  return slug.replace(/\.+$/, '') || 'unknown';
}

/**
 * Groups greetings by their normalised prefix. At most `maxDistinct` distinct prefixes are kept
 * (a bound on untrusted input); greetings beyond it are counted in `dropped`.
 */
export class SuggestionCollector {
  private readonly groups = new Map<string, Suggestion>();
  dropped = 0;
  constructor(private readonly maxDistinct = 100_000) {}

  add(greeting: string): void {
    if (!greeting) return;
    const prefix = normalizeGreeting(greeting);
    if (!prefix) return;
    const s = this.groups.get(prefix);
    if (s) s.count++;
    else if (this.groups.size >= this.maxDistinct) this.dropped++;
    else this.groups.set(prefix, { prefix, label: proposeLabel(prefix), count: 1, example: greeting.split('\r\n').find((l) => l !== '') ?? '' });
  }

  /** Most frequent first (ties: prefix order); labels made distinct with a `_2`, `_3` suffix. */
  result(): Suggestion[] {
    const list = [...this.groups.values()].map((s) => ({ ...s }));
    list.sort((a, b) => b.count - a.count || (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
    const seen = new Map<string, number>();
    for (const s of list) {
      const n = seen.get(s.label) ?? 0;
      seen.set(s.label, n + 1);
      if (n > 0) s.label = `${s.label}_${n + 1}`;
    }
    return list;
  }
}

export function suggestSignatures(greetings: Iterable<string>): Suggestion[] {
  const c = new SuggestionCollector();
  for (const g of greetings) c.add(g);
  return c.result();
}

function escapeCsvPrefix(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/** The suggestions as a CSV signature file readable by parseSignatureFile. */
export function formatSuggestions(list: Suggestion[]): string {
  let out = '# ftp-label --suggest: edit labels, reorder (first match wins), delete what you do not want\n';
  out += '# case_sensitive: true\n';
  out += 'prefix,label\n';
  for (const s of list) {
    out += `# ${s.count} flow${s.count === 1 ? '' : 's'}; e.g. ${s.example.replace(/[\r\n]/g, ' ')}\n`;
    out += stringify([[escapeCsvPrefix(s.prefix), s.label]]);
  }
  return out;
}
