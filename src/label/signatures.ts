/**
 * Banner signatures: greeting prefix → server label. First match in file order wins.
 *
 * Placeholders in a prefix (the study's captures were anonymised with `<*>` and `<domain>`):
 *   `<*>`, `<domain>`  the literal placeholder text, or one host/domain/address token
 *                      (letters, digits, `.`, `-`, `_`, `:`, `[`, `]`)
 *   `<host>`           either placeholder's literal text, or one such token (the built-in server set:
 *                      it matches live and anonymised greetings alike)
 *   `<n>`              the literal `<n>`, or a run of digits (written by `ftp-label --suggest`)
 * Everything else matches literally (case-sensitive unless the file says otherwise).
 *
 * Files: JSON — `[{"prefix": "...", "label": "..."}, ...]` or
 * `{"case_sensitive": false, "signatures": [...]}`; CSV — `prefix,label` rows, optional header
 * `prefix,label`, `#` comment lines, `# case_sensitive: false` anywhere before the first row;
 * backslash escapes `\r`, `\n`, `\t`, `\\` in CSV prefixes.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { describeValue, FtpIdsError, stripBom } from '../common/errors.js';
import { jsonErrorOffset, lineAt } from '../common/json-position.js';

export interface Signature {
  prefix: string;
  label: string;
}

export interface SignatureSet {
  readonly signatures: readonly Signature[];
  readonly caseSensitive: boolean;
  /** label of the first signature whose prefix starts the greeting, or `other` */
  match(greeting: string): string;
}

export const OTHER = 'other';

/** The 25 signatures of the original study, in its order. */
export const STUDY_SIGNATURES: readonly Signature[] = [
  ['\r\nYou do not have permission', 'nopermission'],
  ['220 <*> FTP server (OEM FTPD version 1.01)', 'ftpd1.01'],
  ['220 <*> FTP server (UNIX(r) System V Release 4.0)', 'unixsystemv'],
  ['220 <*> FTP server (Version 4.125', 'ftp4125'],
  ['220 <*> FTP server (WinQVT/Net v3.9)', 'ftpwinqvt'],
  ['220 <*> Microsoft FTP Service (Version 3.0)', 'msftp3'],
  ['220 <*> Microsoft FTP Service (Version 4.0)', 'msftp4'],
  ['220 <*> Microsoft FTP Service (Version 5.0)', 'msftp5'],
  ['220 <*>..<*>.<*> FTP server (Version wu-2.6.1-20)', 'wu261'],
  ['220 <domain> FTP Server Ready', 'general2'],
  ['220 <domain> FTP server (Compaq Tru64 UNIX Version 5.60)', 'true64'],
  ['220 <domain> FTP server (Digital UNIX Version 5.60)', 'digitalunix'],
  ['220 <domain> FTP server (Lawrence Berkeley National Laboratory', 'lawrence'],
  ['220 <domain> FTP server (QVT/Net 4.0)', 'qvtnet4'],
  ['220 <domain> FTP server (SunOS 4.1)', 'sunos41'],
  ['220 <domain> FTP server (SunOS 5.6)', 'sunos56'],
  ['220 <domain> FTP server (SunOS 5.7)', 'sunos57'],
  ['220 <domain> FTP server (SunOS 5.8)', 'sunos58'],
  ['220 <domain> FTP server (Version 1.7.212.2', 'general172122'],
  ['220 <domain> FTP server (Version 1.7.212.5', 'general172125'],
  ['220 <domain> FTP server (Version 6.00LS)', 'general6.00ls'],
  ['220 <domain> FTP server (Version wu-2.6.1-0.6x.21)', 'wu2610621'],
  ['220 <domain> FTP server (Version wu-2.6.1-16.7x.1)', 'wu2611671'],
  ['220 <domain> FTP server (Version wu-2.6.1-20)', 'wu2616120'],
  ['220 <domain> FTP server (Version wu-2.6.2(1)', 'wu2616121'],
].map(([prefix, label]) => ({ prefix, label }));

const HOST_TOKEN = '[A-Za-z0-9._:\\[\\]-]+';
const PLACEHOLDERS: Record<string, string> = {
  '<*>': `(?:<\\*>|${HOST_TOKEN})`,
  '<domain>': `(?:<domain>|${HOST_TOKEN})`,
  '<host>': `(?:<\\*>|<domain>|${HOST_TOKEN})`,
  '<n>': '(?:<n>|[0-9]+)',
};

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compile one prefix to an anchored RegExp. */
export function compilePrefix(prefix: string, caseSensitive: boolean): RegExp {
  let src = '^';
  const re = /<\*>|<domain>|<host>|<n>/g;
  let last = 0;
  for (let m = re.exec(prefix); m; m = re.exec(prefix)) {
    src += escapeRegExp(prefix.slice(last, m.index)) + PLACEHOLDERS[m[0]];
    last = m.index + m[0].length;
  }
  src += escapeRegExp(prefix.slice(last));
  return new RegExp(src, caseSensitive ? '' : 'i');
}

export function createSignatureSet(signatures: readonly Signature[], caseSensitive = true): SignatureSet {
  const compiled = signatures.map((s) => ({ re: compilePrefix(s.prefix, caseSensitive), label: s.label }));
  return {
    signatures,
    caseSensitive,
    match(greeting: string): string {
      for (const c of compiled) if (c.re.test(greeting)) return c.label;
      return OTHER;
    },
  };
}

/**
 * Today's servers, one label per server family (a label is a model of its own: a version bump rarely
 * changes the (command, reply code) dialogue, and versioned labels would split the training sessions
 * thin, as the study's 25 do). From the greetings in samples/, samples/corpus2/ and the third-party
 * corpus (../shared/corpus: Zeek, Suricata, nDPI, Arkime traces) and the servers' sources and manuals
 * (the banner each writes by default). A customised banner (vsftpd's `ftpd_banner`, ProFTPD's
 * `ServerIdent off`) names no product and stays `other`: label it with a file of your own.
 * Order matters only where prefixes overlap: wu-ftpd's `(Version wu-` before the BSD `(Version 6.`.
 */
export const SERVER_SIGNATURES: readonly Signature[] = [
  // vsftpd 2.x and 3.x: "220 (vsFTPd 3.0.3)" (samples/, suricata-verify, nDPI: 2.3.5, 3.0.2, 3.0.3, 3.0.5)
  ['220 (vsFTPd', 'vsftpd'],
  // ProFTPD 1.3.x: "220 ProFTPD 1.3.0a Server (…) [addr]", Debian's "220 ProFTPD Server (Debian) [addr]"
  ['220 ProFTPD', 'proftpd'],
  ['220-ProFTPD', 'proftpd'],
  // Pure-FTPd: a multi-line greeting "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------"
  ['220---------- Welcome to Pure-FTPd', 'pure-ftpd'],
  ['220-Welcome to Pure-FTPd', 'pure-ftpd'],
  // FileZilla Server 0.9.x ("220-FileZilla Server version 0.9.60 beta") and 1.x ("220 FileZilla Server 1.9.1")
  ['220-FileZilla Server', 'filezilla-server'],
  ['220 FileZilla Server', 'filezilla-server'],
  // Microsoft FTP Service (IIS 5-10): "220 Microsoft FTP Service", IIS 7+ multi-line, IIS 5 "220 host Microsoft FTP Service (Version 5.0)."
  ['220 Microsoft FTP Service', 'ms-ftp'],
  ['220-Microsoft FTP Service', 'ms-ftp'],
  ['220 <host> Microsoft FTP Service', 'ms-ftp'],
  // pyftpdlib: "220 pyftpdlib 1.5.7 ready." (samples/corpus2/)
  ['220 pyftpdlib', 'pyftpdlib'],
  // Serv-U: "220 Serv-U FTP Server v15.1 ready...", multi-line when a message is configured
  ['220 Serv-U FTP Server', 'serv-u'],
  ['220-Serv-U FTP Server', 'serv-u'],
  // wu-ftpd 2.6/2.8: "220 host FTP server (Version wu-2.6.2(1) Mon Dec 3 …) ready."
  ['220 <host> FTP server (Version wu-', 'wu-ftpd'],
  ['220-<host> FTP server (Version wu-', 'wu-ftpd'],
  // GNU inetutils ftpd: "220 host FTP server (GNU inetutils 2.4) ready." (samples/corpus2/)
  ['220 <host> FTP server (GNU inetutils', 'inetutils-ftpd'],
  // the BSD ftpd family: netkit's linux-ftpd "(Version 6.4/OpenBSD/Linux-ftpd-0.17)" (samples/corpus2/,
  // Zeek), NetBSD's "(NetBSD-ftpd 20100320)" (Zeek), FreeBSD's "(Version 6.00LS)"
  ['220 <host> FTP server (Version 6.', 'bsd-ftpd'],
  ['220 <host> FTP server (NetBSD-ftpd', 'bsd-ftpd'],
  // BusyBox ftpd greets with its generic success text "220 Operation successful" (suricata-verify ftp-bounce)
  ['220 Operation successful', 'busybox-ftpd'],
  // glFTPd: "220 host (glFTPd 2.01 Linux+TLS) ready."
  ['220 <host> (glFTPd', 'glftpd'],
  // Globus GridFTP: "220 host GridFTP Server 6.14 (…) [Globus Toolkit 5.2.2] ready." (Zeek)
  ['220 <host> GridFTP Server', 'gridftp'],
  // Apache mod_ftp: "220 host FTP Server (Apache/2.2.3 (CentOS) … mod_ftp/0.9.6) ready." (Zeek)
  ['220 <host> FTP Server (Apache/', 'apache-mod_ftp'],
  // MikroTik RouterOS: "220 host FTP server (MikroTik 6.47) ready"
  ['220 <host> FTP server (MikroTik', 'mikrotik'],
].map(([prefix, label]) => ({ prefix, label }));

/** The default label set: today's servers (SERVER_SIGNATURES). */
export const DEFAULT_SIGNATURES: SignatureSet = createSignatureSet(SERVER_SIGNATURES, true);
/** The study's 25 (`--signatures study`). */
export const STUDY_SIGNATURE_SET: SignatureSet = createSignatureSet(STUDY_SIGNATURES, true);

/** A built-in set by name (`--signatures default|study`), undefined for anything else (a file name). */
export function builtinSignatures(name: string): SignatureSet | undefined {
  return name === 'default' ? DEFAULT_SIGNATURES : name === 'study' ? STUDY_SIGNATURE_SET : undefined;
}

/** Parse a signature file; the format is taken from the name (.json / .csv) or, failing that, the content. */
export function parseSignatureFile(input: string, file = 'signatures'): SignatureSet {
  const text = stripBom(input);
  const json = /\.json$/i.test(file) || (!/\.csv$/i.test(file) && /^\s*[[{]/.test(text));
  return json ? parseJsonSignatures(text, file) : parseCsvSignatures(text, file);
}

function bad(file: string, line: number, msg: string): FtpIdsError {
  return new FtpIdsError('BAD_SIGNATURES', msg, { file, line });
}

/**
 * Longest prefix accepted: four times the greeting text ftp-label reads by default (4096 bytes),
 * far beyond any banner; a hostile file's megabyte prefix would only make an oversized RegExp.
 */
export const MAX_PREFIX_CHARS = 16384;

function checkEntry(file: string, line: number, prefix: unknown, label: unknown): Signature {
  if (typeof prefix !== 'string' || prefix === '') throw bad(file, line, 'signature needs a non-empty string "prefix"');
  if (prefix.length > MAX_PREFIX_CHARS) throw bad(file, line, `signature prefix is longer than ${MAX_PREFIX_CHARS} characters`);
  if (typeof label !== 'string' || !/^\S+$/.test(label)) throw bad(file, line, 'signature needs a "label" without blanks');
  try {
    compilePrefix(prefix, false);
  } catch (e) {
    throw bad(file, line, `signature prefix cannot be matched: ${(e as Error).message.slice(0, 80)}`);
  }
  return { prefix, label };
}

/** Line of the start of each element of the signature array (depth 1 for a bare array, 2 in the object form). */
function elementLines(text: string, depth: number): number[] {
  const lines: number[] = [];
  let d = 0;
  let line = 1;
  let inString = false;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (d === depth && expectValue && !/\s/.test(ch)) {
      if (ch !== ']') lines.push(line);
      expectValue = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      d++;
      if (d === depth && ch === '[') expectValue = true;
    } else if (ch === ']' || ch === '}') d--;
    else if (ch === ',' && d === depth) expectValue = true;
  }
  return lines;
}

function parseJsonSignatures(text: string, file: string): SignatureSet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const lc = /line (\d+)/.exec(msg);
    throw bad(file, lc ? Number(lc[1]) : lineAt(text, jsonErrorOffset(text, msg)), `invalid JSON: ${msg}`);
  }
  let list: unknown;
  let caseSensitive = true;
  let depth = 1;
  if (Array.isArray(doc)) list = doc;
  else if (doc && typeof doc === 'object') {
    const o = doc as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (k !== 'signatures' && k !== 'case_sensitive') throw bad(file, lineAt(text, text.indexOf(`"${k}"`)), `unknown key ${describeValue(k)}`);
    }
    if (o.case_sensitive !== undefined && typeof o.case_sensitive !== 'boolean') {
      throw bad(file, lineAt(text, text.indexOf('"case_sensitive"')), '"case_sensitive" must be true or false');
    }
    caseSensitive = o.case_sensitive !== false;
    list = o.signatures;
    depth = 2;
  }
  if (!Array.isArray(list)) throw bad(file, 1, 'expected an array of {"prefix","label"} or {"signatures": [...]}');
  const lines = elementLines(text, depth);
  const sigs = list.map((e: unknown, i: number) => {
    const line = lines[i] ?? 1;
    if (Array.isArray(e)) {
      if (e.length !== 2) throw bad(file, line, 'signature pair must be [prefix, label]');
      return checkEntry(file, line, e[0], e[1]);
    }
    if (!e || typeof e !== 'object') throw bad(file, line, 'signature must be an object {"prefix","label"}');
    const o = e as Record<string, unknown>;
    return checkEntry(file, line, o.prefix, o.label);
  });
  return createSignatureSet(sigs, caseSensitive);
}

function unescapeCsv(s: string): string {
  return s.replace(/\\([rnt\\])/g, (_, c: string) => (c === 'r' ? '\r' : c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

function parseCsvSignatures(text: string, file: string): SignatureSet {
  let caseSensitive = true;
  const lines = text.split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const m = /^\s*#\s*case[_ -]?sensitive\s*[:=]\s*(\S+)/i.exec(l);
    if (m) {
      if (!/^(true|false|yes|no)$/i.test(m[1])) throw bad(file, i + 1, 'case_sensitive must be true or false');
      caseSensitive = /^(true|yes)$/i.test(m[1]);
    }
    // keep line numbering: comments become empty lines
    kept.push(/^\s*#/.test(l) ? '' : l);
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(kept.join('\n'), { info: true, skip_empty_lines: true, relax_column_count: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (e) {
    const err = e as { lines?: number; message: string };
    throw bad(file, err.lines ?? 1, `invalid CSV: ${err.message}`);
  }
  const sigs: Signature[] = [];
  for (const { record, info } of records) {
    const line = info.lines;
    if (sigs.length === 0 && record.length === 2 && record[0] === 'prefix' && record[1] === 'label') continue;
    if (record.length !== 2) throw bad(file, line, `expected 2 fields prefix,label, got ${record.length}`);
    sigs.push(checkEntry(file, line, unescapeCsv(record[0]), record[1]));
  }
  return createSignatureSet(sigs, caseSensitive);
}
