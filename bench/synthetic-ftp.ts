/**
 * Synthetic FTP control sessions at the exchange level: greeting, commands and the replies to them,
 * with the data transfers they cause. Deterministic: session k of seed s is always the same session,
 * whatever else is generated, so the pcap generator (bench/gen-capture.ts) and the miner's bench can
 * share it (`syntheticSessions(1_000_000, 1)` builds a dataset without any capture).
 *
 * The mix imitates what real servers and clients do: several server implementations with their own
 * reply texts (vsftpd, ProFTPD, Pure-FTPd with its multi-line banner, Microsoft FTP Service, wu-ftpd
 * and BSD/SunOS ftpd with the banners of the original study), and client behaviours (wget, curl,
 * interactive browsing, uploads, mirroring, active mode, failed logins, probes), plus a small share
 * of hostile sessions (password guessing, bounce PORT, path climbing, overlong arguments).
 * All addresses are loopback (127/8).
 *
 * Realism, measured (exchanges per session without the greeting; "loop" = most consecutive repeats
 * of one block of 1–6 commands, e.g. PASV RETR PASV RETR = 2):
 *
 *   source                                   sessions  exchanges med/p90/p99/max  distinct cmds med/p90  loop p99/max  >50 exchanges
 *   samples/benign.pcap (real servers+clients)    444        14 / 25 / 37 / 41          9 / 14           5 / 6        0 %
 *   ../shared/corpus (tshark follow lines)        101         6 / 14 / 500 / 3440        4 / 9         293 / 500       2 %
 *   this generator before (100k sessions)     100,000        11 / 32 / 133 / 185        9 / 14          12 / 30      5.7 %
 *   this generator now (100k sessions)        100,000        11 / 28 / 90 / 4378        9 / 12          12 / 30      1.6 %
 *
 * What was changed and why (each against the references above):
 *  - mirroring: before, 7 % of sessions took 10–60 random steps out of ten actions (CWD, CDUP, NOOP,
 *    STOR, LIST, NLST, RETR of missing files…), so no two mirrors looked alike (longest loop median 2).
 *    Real mirroring clients repeat one recipe: the real one in corpus/zeek/cwd-navigation sends
 *    `CWD CWD TYPE PASV RETR` 686 times in a row; Python ftplib scripts in benign.pcap send
 *    `CWD TYPE PASV LIST CDUP` per directory (ftplib sends TYPE before every transfer). Now: one recipe per session, per directory a listing and 2–12 files; 5 % of the
 *    mirrors walk 20–120 directories (up to ~4,400 exchanges, the order of cwd-navigation's 3,440).
 *    Share 7 % -> 2 %: in the corpus 1 session in 101 is a mirror, 2 % have more than 50 commands
 *    (the other one is Zeek's synthetic 500-PORT test); benign.pcap has none above 41 exchanges.
 *    The 5 points went to the scripted single download (wget), the shape of the study's top pattern
 *    `<{USER,331}{PASS,230}{TYPE,200}{PASV,227}{RETR}>`.
 *  - interactive sessions (browse, active): a client program does not change its habits between
 *    transfers: benign.pcap has 0 of 399 sessions mixing passive and active mode, so the data mode,
 *    the listing command, PWD after CWD and SIZE/MDTM before RETR are chosen once per session (they
 *    were drawn per transfer). The user picks names from listings: 0 of 257 CWD and 9 of 461 RETR
 *    fail in benign.pcap, so CWD fails 3 % (was 12 %) and RETR 3 % (was 40 %).
 *  - kept: the random order of the user's actions (1–10 of them): benign.pcap's interactive
 *    sessions are as diverse (91.7 % of its sessions are distinct (command, code) sequences;
 *    browse here 83 %, before 89 %).
 * Not known from any trace here: the true shares of the profiles (no large real trace is available:
 * LBNL-FTP-PKT is not stored); they remain guesses apart from the mirror share above.
 * Changing the mix changes bench/gen-capture.ts's capture too (more wget, fewer but longer mirrors).
 */

/** mulberry32: small, fast, good enough for workload generation; never for anything secret. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** integer in [lo, hi] */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** log-uniform in [lo, hi): file sizes, think times */
  logUniform(lo: number, hi: number): number {
    return lo * Math.pow(hi / lo, this.float());
  }
}

/** A seed for item k of stream `seed`, so that items are independent of generation order. */
export function mixSeed(seed: number, k: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k >>> 0, 0xc2b2ae35) ^ Math.floor(k / 4294967296);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface SyntheticReply {
  code: number;
  /** every line of the reply as sent, without CRLF (`230-Welcome`, …, `230 Login successful.`) */
  lines: string[];
}

export interface SyntheticTransfer {
  /** how the data connection was set up by the preceding exchange */
  mode: 'pasv' | 'epsv' | 'port' | 'eprt';
  /** server side port of the data connection (20 in active mode) */
  serverPort: number;
  clientPort: number;
  /** true when the server sends (LIST, RETR), false for STOR */
  toClient: boolean;
  /** nominal size of the transfer in bytes (the pcap generator may scale it) */
  bytes: number;
  /** directory listing (text) rather than file content */
  listing: boolean;
}

export interface SyntheticExchange {
  /** command word upper-cased */
  command: string;
  arg: string;
  /** the request line exactly as the client sends it, without CRLF */
  line: string;
  /** replies in order: a preliminary 1xx then the final one, or just the final one */
  replies: SyntheticReply[];
  /** the data connection this command opens (LIST/NLST/MLSD/RETR/STOR that succeed) */
  transfer?: SyntheticTransfer;
  /** the client sent this command in the same segment as the previous one without waiting */
  pipelined?: boolean;
}

export interface SyntheticEndpoint {
  ip: string;
  /** the IPv4 address as a 32-bit unsigned integer */
  ip32: number;
  port: number;
}

export type SessionEnd = 'quit' | 'client_close' | 'client_rst' | 'server_close';

export interface SyntheticSession {
  index: number;
  /** server implementation (the label a banner signature would give) */
  kind: string;
  /** client behaviour that produced the commands */
  profile: string;
  client: SyntheticEndpoint;
  server: SyntheticEndpoint;
  greeting: SyntheticReply;
  exchanges: SyntheticExchange[];
  end: SessionEnd;
}

// ---------------------------------------------------------------------------------------------
// Servers: reply texts by implementation

type ReplyKey =
  | 'user331anon' | 'user331' | 'login230anon' | 'login230' | 'login530' | 'syst215' | 'pwd257' | 'typeI200' | 'typeA200'
  | 'pasv227' | 'epsv229' | 'port200' | 'eprt200' | 'list150' | 'retr150' | 'stor150' | 'list226' | 'xfer226'
  | 'cwd250' | 'cwd550' | 'file550' | 'quit221' | 'noop200' | 'size213' | 'mdtm213' | 'mkd257' | 'dele250' | 'rnfr350'
  | 'rnto250' | 'stor553' | 'unknown500' | 'notlogged530' | 'tooMany421' | 'opts200' | 'cdup250' | 'badport500';

/** `%p` path, `%f` file, `%n` size, `%a` h1,h2,h3,h4,p1,p2, `%P` port, `%u` user, `%h` host, `%c` command */
type ReplyTable = Record<ReplyKey, string | null>;

const BSD_REPLIES: ReplyTable = {
  user331anon: '331 Guest login ok, send your complete e-mail address as password.',
  user331: '331 Password required for %u.',
  login230anon: '230 Guest login ok, access restrictions apply.',
  login230: '230 User %u logged in.',
  login530: '530 Login incorrect.',
  syst215: '215 UNIX Type: L8',
  pwd257: '257 "%p" is current directory.',
  typeI200: '200 Type set to I.',
  typeA200: '200 Type set to A.',
  pasv227: '227 Entering Passive Mode (%a)',
  epsv229: null,
  port200: '200 PORT command successful.',
  eprt200: null,
  list150: '150 Opening ASCII mode data connection for /bin/ls.',
  retr150: '150 Opening BINARY mode data connection for %f (%n bytes).',
  stor150: '150 Opening BINARY mode data connection for %f.',
  list226: '226 Transfer complete.',
  xfer226: '226 Transfer complete.',
  cwd250: '250 CWD command successful.',
  cwd550: '550 %p: No such file or directory.',
  file550: '550 %f: No such file or directory.',
  quit221: '221 Goodbye.',
  noop200: '200 NOOP command successful.',
  size213: '213 %n',
  mdtm213: '213 20231114093015',
  mkd257: '257 "%p" new directory created.',
  dele250: '250 DELE command successful.',
  rnfr350: '350 File exists, ready for destination name',
  rnto250: '250 RNTO command successful.',
  stor553: '553 %f: Permission denied.',
  unknown500: "500 '%c': command not understood.",
  notlogged530: '530 Please login with USER and PASS.',
  tooMany421: '421 Login incorrect, closing connection.',
  opts200: null,
  cdup250: '250 CWD command successful.',
  badport500: '500 Illegal PORT Command',
};

interface ServerKind {
  label: string;
  weight: number;
  /** last octet of 127.1.0.x */
  host: number;
  greeting: string[];
  replies: ReplyTable;
  /** FEAT reply lines, or null when the server does not know FEAT */
  feat: string[] | null;
  /** extra lines before the final 230 for anonymous logins (wu-ftpd message of the day) */
  motd?: string[];
  /** lines before the final 221 */
  goodbye?: string[];
  /** lines before the final 226 of a listing (Pure-FTPd) */
  listPrefix?: string[];
}

const SERVER_KINDS: readonly ServerKind[] = [
  {
    label: 'vsftpd', weight: 30, host: 1, greeting: ['220 (vsFTPd 3.0.3)'],
    feat: ['211-Features:', ' EPRT', ' EPSV', ' MDTM', ' PASV', ' REST STREAM', ' SIZE', ' TVFS', ' UTF8', '211 End'],
    replies: {
      ...BSD_REPLIES,
      user331anon: '331 Please specify the password.', user331: '331 Please specify the password.',
      login230anon: '230 Login successful.', login230: '230 Login successful.', pwd257: '257 "%p" is the current directory',
      typeI200: '200 Switching to Binary mode.', typeA200: '200 Switching to ASCII mode.', pasv227: '227 Entering Passive Mode (%a).',
      epsv229: '229 Entering Extended Passive Mode (|||%P|)', port200: '200 PORT command successful. Consider using PASV.',
      eprt200: '200 EPRT command successful. Consider using EPSV.', list150: '150 Here comes the directory listing.',
      list226: '226 Directory send OK.', cwd250: '250 Directory successfully changed.', cwd550: '550 Failed to change directory.',
      file550: '550 Failed to open file.', noop200: '200 NOOP ok.', mkd257: '257 "%p" created', dele250: '250 Delete operation successful.',
      rnfr350: '350 Ready for RNTO.', rnto250: '250 Rename successful.', stor553: '553 Could not create file.', stor150: '150 Ok to send data.',
      unknown500: '500 Unknown command.', opts200: '200 Always in UTF8 mode.', cdup250: '250 Directory successfully changed.',
      badport500: '500 Illegal PORT command.', tooMany421: '421 Service not available, remote server has closed connection.',
      mdtm213: '213 20231114093015',
    },
  },
  {
    label: 'proftpd', weight: 18, host: 2, greeting: ['220 ProFTPD Server (Debian) [127.1.0.2]'],
    feat: ['211-Features:', ' AUTH TLS', ' CCC', ' EPRT', ' EPSV', ' HOST', ' LANG en-US*', ' MDTM', ' MFF modify;UNIX.group;UNIX.mode;',
      ' MFMT', ' MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;UNIX.ownername*;',
      ' PBSZ', ' PROT', ' REST STREAM', ' SIZE', ' SSCN', ' TVFS', ' UTF8', '211 End'],
    replies: {
      ...BSD_REPLIES,
      user331anon: '331 Anonymous login ok, send your complete email address as your password', login230anon: '230 Anonymous access granted, restrictions apply',
      pwd257: '257 "%p" is the current directory', typeI200: '200 Type set to I', typeA200: '200 Type set to A', pasv227: '227 Entering Passive Mode (%a).',
      epsv229: '229 Entering Extended Passive Mode (|||%P|)', port200: '200 PORT command successful', eprt200: '200 EPRT command successful',
      list150: '150 Opening ASCII mode data connection for file list', retr150: '150 Opening BINARY mode data connection for %f (%n bytes)',
      stor150: '150 Opening BINARY mode data connection for %f', list226: '226 Transfer complete', xfer226: '226 Transfer complete',
      cwd550: '550 %p: No such file or directory', file550: '550 %f: No such file or directory', unknown500: '500 %c not understood',
      noop200: '200 NOOP command successful', opts200: "200 UTF8 set to on", cdup250: '250 CDUP command successful',
      mkd257: '257 "%p" - Directory successfully created', rnfr350: '350 File or directory exists, ready for destination name',
      rnto250: '250 Rename successful', dele250: '250 DELE command successful', stor553: '550 %f: Permission denied',
      badport500: '500 Illegal PORT command',
    },
  },
  {
    label: 'pureftpd', weight: 12, host: 3,
    greeting: ['220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------', '220-You are user number 2 of 50 allowed.',
      '220-Local time is now 14:02. Server port: 21.', '220-This is a private system - No anonymous login',
      '220-IPv6 connections are also welcome on this server.', '220 You will be disconnected after 15 minutes of inactivity.'],
    feat: ['211-Extensions supported:', ' UTF8', ' EPRT', ' IDLE', ' MDTM', ' SIZE', ' MFMT', ' REST STREAM', ' MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;',
      ' MLSD', ' PRET', ' AUTH TLS', ' PBSZ', ' PROT', ' TVFS', ' ESTA', ' PASV', ' EPSV', ' ESTP', '211 End.'],
    goodbye: ['221-Goodbye. You uploaded 0 and downloaded 0 kbytes.'], listPrefix: ['226-Options: -a -l '],
    replies: {
      ...BSD_REPLIES,
      user331anon: '331 User anonymous OK. Password required', user331: '331 User %u OK. Password required',
      login230anon: '230 Anonymous user logged in', login230: '230 OK. Current restricted directory is /', login530: '530 Login authentication failed',
      pwd257: '257 "%p" is your current location', typeI200: '200 TYPE is now 8-bit binary', typeA200: '200 TYPE is now ASCII',
      pasv227: '227 Entering Passive Mode (%a)', epsv229: '229 Extended Passive mode OK (|||%P|)', port200: '200 PORT command successful',
      eprt200: '200 PORT command successful', list150: '150 Accepted data connection', retr150: '150-Accepted data connection',
      stor150: '150 Accepted data connection', list226: '226 %n matches total', xfer226: '226-File successfully transferred',
      cwd250: '250 OK. Current directory is %p', cwd550: "550 Can't change directory to %p: No such file or directory",
      file550: "550 Can't open %f: No such file or directory", quit221: '221 Logout.', noop200: '200 Zzz...', mkd257: '257 "%p" : The directory was successfully created',
      dele250: '250 Deleted %f', rnfr350: '350 RNFR accepted - file exists, ready for destination', rnto250: '250 File successfully renamed or moved',
      stor553: '553 Prohibited file name: %f', unknown500: '500 Unknown command', notlogged530: "530 You aren't logged in",
      tooMany421: '421 Too many authentication failures', opts200: '200 OK, UTF-8 enabled', cdup250: '250 OK. Current directory is %p',
      badport500: '500 I won\'t open a connection to %h (only to 127.20.0.1)',
    },
  },
  {
    label: 'msftp5', weight: 10, host: 4, greeting: ['220 FTPSRV1 Microsoft FTP Service (Version 5.0).'], feat: null,
    replies: {
      ...BSD_REPLIES,
      user331anon: '331 Anonymous access allowed, send identity (e-mail name) as password.', user331: '331 Password required for %u.',
      login230anon: '230 Anonymous user logged in.', login530: '530 User %u cannot log in.', syst215: '215 Windows_NT version 5.0',
      pwd257: '257 "%p" is current directory.', pasv227: '227 Entering Passive Mode (%a).', list150: '150 Opening ASCII mode data connection for /bin/ls.',
      retr150: '150 Opening BINARY mode data connection for %f(%n bytes).', stor150: '150 Opening BINARY mode data connection for %f.',
      cwd550: '550 %p: The system cannot find the file specified. ', file550: '550 %f: The system cannot find the file specified. ',
      quit221: '221 ', mdtm213: '213 20231114093015', unknown500: "500 '%c': command not understood", stor553: '550 %f: Access is denied. ',
      tooMany421: '421 Terminating connection.', badport500: '501 Server cannot accept argument.',
    },
  },
  {
    label: 'wu2616120', weight: 10, host: 5, greeting: ['220 ftp.example.org FTP server (Version wu-2.6.1-20) ready.'], feat: null,
    motd: ['230-', '230-Welcome to the example.org archive.', '230-Please send problems to ftpadmin@example.org.', '230-'],
    goodbye: ['221-You have transferred 0 bytes in 0 files.', '221-Total traffic for this session was 1534 bytes in 0 transfers.',
      '221-Thank you for using the FTP service on ftp.example.org.'],
    replies: { ...BSD_REPLIES },
  },
  {
    label: 'wu2616121', weight: 6, host: 6,
    greeting: ['220-', '220-Welcome to the mirror archive of example.net.', '220-All transfers are logged.', '220-',
      '220 mirror.example.net FTP server (Version wu-2.6.2(1) Mon Dec 3 15:02:12 CET 2001) ready.'],
    feat: ['211-Extensions supported:', ' MDTM', ' REST STREAM', ' SIZE', '211 END'],
    replies: { ...BSD_REPLIES, epsv229: '229 Entering Extended Passive Mode (|||%P|)', eprt200: '200 EPRT command successful.' },
  },
  {
    label: 'sunos58', weight: 7, host: 7, greeting: ['220 sun1.example.org FTP server (SunOS 5.8) ready.'], feat: null,
    replies: { ...BSD_REPLIES, syst215: '215 UNIX Type: L8 Version: SUNOS', pasv227: '227 Entering Passive Mode (%a)' },
  },
  {
    label: 'general2', weight: 7, host: 8, greeting: ['220 files.example.net FTP Server Ready'], feat: null,
    replies: { ...BSD_REPLIES },
  },
];

const KIND_WEIGHT_TOTAL = SERVER_KINDS.reduce((s, k) => s + k.weight, 0);

/** server labels the generator uses, in a stable order */
export const SYNTHETIC_SERVER_LABELS: readonly string[] = SERVER_KINDS.map((k) => k.label);

// ---------------------------------------------------------------------------------------------
// Clients

const PROFILES = [
  ['wget', 23], ['curl', 10], ['browse', 24], ['upload', 10], ['mirror', 2], ['active', 6],
  ['loginfail', 10], ['probe', 9], ['bruteforce', 3], ['attack', 3],
] as const;
type Profile = (typeof PROFILES)[number][0];
const PROFILE_WEIGHT_TOTAL = PROFILES.reduce((s, p) => s + p[1], 0);

const DIRS = ['pub', 'incoming', 'linux', 'debian', 'pool', 'main', 'doc', 'src', 'images', 'archive', '2023', 'releases', 'mirror', 'users', 'tmp', 'outgoing', 'data', 'backup'];
const FILES = ['README', 'index.html', 'ls-lR.gz', 'Release', 'Packages.gz', 'install.iso', 'backup.tar.gz', 'report.pdf', 'photo.jpg', 'data.csv',
  'setup.exe', 'notes.txt', 'linux-6.1.tar.xz', 'MD5SUMS', 'SHA256SUMS', 'CHANGES', 'dump.sql.gz', 'firmware.bin', 'site.zip', 'welcome.msg'];
const USERS = ['bob', 'alice', 'deploy', 'backup', 'www', 'webmaster', 'john', 'maria', 'ci', 'scanner'];
const GUESS_USERS = ['admin', 'root', 'administrator', 'test', 'user', 'ftp', 'oracle', 'guest', 'support', 'info'];
const GUESS_PASSWORDS = ['123456', 'password', 'admin', 'root', 'qwerty', '12345678', 'letmein', 'changeme', 'ftp', 'test123', 'P@ssw0rd', 'welcome'];
const ANON_PASSWORDS = ['-wget@', 'anonymous@', 'guest@example.org', 'mozilla@example.com', 'ftp@example.net', 'IEUser@', 'curl@example.com'];

/** Client hosts: 127.20.0.1 … 127.20.63.64; session k uses host k mod 4096 and a control port unique to (host, round). */
const CLIENT_HOSTS = 4096;
const SERVER_NET = (127 << 24) | (1 << 16);
const CLIENT_NET = (127 << 24) | (20 << 16);

export function ipv4String(ip32: number): string {
  return `${ip32 >>> 24}.${(ip32 >>> 16) & 255}.${(ip32 >>> 8) & 255}.${ip32 & 255}`;
}

function clientEndpoint(index: number): SyntheticEndpoint {
  const host = index % CLIENT_HOSTS;
  const round = Math.floor(index / CLIENT_HOSTS) % 8000;
  const ip32 = (CLIENT_NET | ((host >> 6) << 8) | ((host & 63) + 1)) >>> 0;
  // 8 ports per round: the control connection and up to 7 active data ports of the same session
  return { ip: ipv4String(ip32), ip32, port: 1024 + round * 8 };
}

/** Builds session `index` of stream `seed`. */
export function generateSession(seed: number, index: number): SyntheticSession {
  const rng = new Rng(mixSeed(seed, index));
  let r = rng.int(KIND_WEIGHT_TOTAL);
  let kind = SERVER_KINDS[0];
  for (const k of SERVER_KINDS) {
    if (r < k.weight) { kind = k; break; }
    r -= k.weight;
  }
  r = rng.int(PROFILE_WEIGHT_TOTAL);
  let profile: Profile = 'browse';
  for (const [name, w] of PROFILES) {
    if (r < w) { profile = name; break; }
    r -= w;
  }
  const serverIp = (SERVER_NET | kind.host) >>> 0;
  const b = new SessionBuilder(rng, kind, clientEndpoint(index), { ip: ipv4String(serverIp), ip32: serverIp, port: 21 });
  b.script(profile);
  return {
    index, kind: kind.label, profile, client: b.client, server: b.server,
    greeting: { code: 220, lines: kind.greeting.slice() }, exchanges: b.exchanges, end: b.end,
  };
}

/** Sessions 0 … n-1 of stream `seed`, lazily. */
export function* syntheticSessions(n: number, seed = 1): Generator<SyntheticSession> {
  for (let i = 0; i < n; i++) yield generateSession(seed, i);
}

/** Templates split once into [text, var, text, var, …, text] (filling them is the generator's hot spot). */
const TEMPLATE_CACHE = new Map<string, string[]>();
function compiledTemplate(tpl: string): string[] {
  let parts = TEMPLATE_CACHE.get(tpl);
  if (!parts) {
    parts = tpl.split(/%([pfnaPuhc])/);
    TEMPLATE_CACHE.set(tpl, parts);
  }
  return parts;
}

class SessionBuilder {
  readonly exchanges: SyntheticExchange[] = [];
  end: SessionEnd = 'quit';
  private cwd = '/';
  private user = 'anonymous';
  private transfers = 0;
  /** SIZE before each RETR: -1 decided per file, 0 never, 1 SIZE, 2 SIZE and MDTM */
  private sizeHabit = -1;
  /** data connection set up by the last PASV/EPSV/PORT/EPRT, consumed by the next transfer command */
  private pending: Pick<SyntheticTransfer, 'mode' | 'serverPort' | 'clientPort'> | null = null;

  constructor(
    private readonly rng: Rng,
    private readonly kind: ServerKind,
    readonly client: SyntheticEndpoint,
    readonly server: SyntheticEndpoint,
  ) {}

  script(profile: Profile): void {
    const rng = this.rng;
    switch (profile) {
      case 'probe': {
        const what = rng.int(4);
        if (what === 0) { this.end = 'client_close'; return; }
        if (what === 1) this.simple('SYST', '', 'syst215');
        if (what === 2) this.simple('HELP', '', null, 214, ['214-The following commands are recognized.', ' USER PASS QUIT PORT PASV LIST RETR STOR', '214 Help OK.']);
        if (what === 3) { this.simple('USER', 'anonymous', 'user331anon'); this.end = rng.chance(0.5) ? 'client_rst' : 'client_close'; return; }
        break;
      }
      case 'loginfail': {
        const user = rng.pick(USERS);
        const tries = rng.range(1, 3);
        for (let i = 0; i < tries; i++) this.login(user, rng.pick(GUESS_PASSWORDS), false);
        if (rng.chance(0.3)) { this.end = 'client_close'; return; }
        break;
      }
      case 'bruteforce': {
        const user = rng.chance(0.5) ? rng.pick(GUESS_USERS) : null;
        const tries = rng.range(5, 30);
        for (let i = 0; i < tries; i++) {
          if (i >= 3 && rng.chance(0.08)) {
            this.exchange('USER', user ?? rng.pick(GUESS_USERS), [this.reply('tooMany421')]);
            this.end = 'server_close';
            return;
          }
          this.login(user ?? rng.pick(GUESS_USERS), rng.pick(GUESS_PASSWORDS), false);
        }
        if (rng.chance(0.5)) { this.end = 'client_rst'; return; }
        break;
      }
      case 'attack': {
        this.login('anonymous', rng.pick(ANON_PASSWORDS), true);
        const what = rng.int(3);
        if (what === 0) {
          // FTP bounce: PORT to a third host, privileged port
          this.exchange('PORT', `127,99,0,${rng.range(1, 20)},0,${rng.pick([25, 80, 139, 443])}`, [this.reply('badport500')]);
          this.exchange('PORT', `127,99,0,${rng.range(1, 20)},0,80`, [this.reply('port200')]);
          this.exchange('RETR', rng.pick(FILES), [this.reply('file550')]);
        } else if (what === 1) {
          for (let i = rng.range(1, 3); i > 0; i--) this.cwd_('../'.repeat(rng.range(2, 8)) + 'etc', false);
          this.exchange('RETR', '../../../../etc/passwd', [this.reply('file550', { f: '../../../../etc/passwd' })]);
        } else {
          const long = 'A'.repeat(rng.range(200, 1200));
          this.exchange('MKD', long, [{ code: 550, lines: [`550 ${long.slice(0, 60)}: File name too long`] }]);
          this.exchange('SITE', `EXEC ${'%x'.repeat(rng.range(10, 60))}`, [this.reply('unknown500', { c: 'SITE' })]);
        }
        break;
      }
      case 'wget': {
        this.login('anonymous', '-wget@', true);
        this.simple('SYST', '', 'syst215');
        this.pwd();
        this.type('I');
        const depth = rng.range(0, 3);
        for (let i = 0; i < depth; i++) if (!this.cwd_(rng.pick(DIRS), true)) break;
        this.retrieve(rng.pick(FILES), true, rng.chance(0.7) ? 'epsv' : 'pasv');
        break;
      }
      case 'curl': {
        this.login(rng.chance(0.6) ? 'anonymous' : rng.pick(USERS), rng.pick(ANON_PASSWORDS), true);
        this.pwd();
        const depth = rng.range(1, 3);
        for (let i = 0; i < depth; i++) if (!this.cwd_(rng.pick(DIRS), true)) break;
        if (rng.chance(0.3)) this.list('epsv', 'LIST');
        else { this.dataSetup('epsv'); this.type('I'); this.retrieve(rng.pick(FILES), true, null); }
        break;
      }
      case 'mirror':
        this.mirror();
        break;
      case 'browse':
      case 'active': {
        const anonymous = rng.chance(0.6);
        let ok = this.login(anonymous ? 'anonymous' : rng.pick(USERS), anonymous ? rng.pick(ANON_PASSWORDS) : 'secret', rng.chance(0.85));
        if (!ok) ok = this.login(anonymous ? 'anonymous' : this.user, 'secret2', rng.chance(0.7));
        if (!ok) { if (rng.chance(0.5)) this.end = 'client_close'; break; }
        if (rng.chance(0.2)) this.simple('OPTS', 'UTF8 ON', 'opts200');
        if (rng.chance(0.6)) this.simple('SYST', '', 'syst215');
        if (rng.chance(0.4)) this.feat();
        this.pwd();
        this.type(rng.chance(0.85) ? 'I' : 'A');
        // one client program per session: its data mode, listing command and habits do not change
        // between transfers (samples/benign.pcap: 0 of 399 sessions mix passive and active mode)
        const oneMode: SyntheticTransfer['mode'] =
          profile === 'active' ? (rng.chance(0.8) ? 'port' : 'eprt') : rng.chance(0.75) ? 'pasv' : 'epsv';
        const mode = (): SyntheticTransfer['mode'] => oneMode;
        const listing: 'LIST' | 'NLST' | 'MLSD' = rng.chance(0.2) ? 'MLSD' : rng.chance(0.15) ? 'NLST' : 'LIST';
        const pwdAfterCwd = rng.chance(0.5);
        this.sizeHabit = rng.chance(0.5) ? (rng.chance(0.3) ? 2 : 1) : 0;
        this.list(mode(), listing);
        const steps = rng.range(1, 10);
        for (let i = 0; i < steps; i++) {
          const action = rng.int(10);
          // the user picks names from listings: CWD and RETR rarely fail (benign.pcap: 0 of 257 CWD, 9 of 461 RETR)
          if (action < 3) { if (this.cwd_(rng.pick(DIRS), true) && pwdAfterCwd) this.pwd(); this.list(mode(), listing); }
          else if (action < 4 && this.cwd !== '/') this.simple('CDUP', '', 'cdup250');
          else if (action < 8) this.retrieve(rng.pick(FILES), rng.chance(0.97), mode());
          else if (action < 9) this.simple('NOOP', '', 'noop200');
          else if (!anonymous) this.store(rng.pick(FILES), mode());
          else this.list(mode(), listing);
        }
        break;
      }
      case 'upload': {
        const user = rng.pick(USERS);
        if (!this.login(user, 'secret', rng.chance(0.92))) { this.end = 'client_close'; break; }
        this.type('I');
        this.pwd();
        this.cwd_(rng.chance(0.5) ? 'incoming' : rng.pick(DIRS), true);
        if (rng.chance(0.2)) this.exchange('MKD', 'new', [this.reply('mkd257', { p: this.join('new') })]);
        const n = rng.range(1, 4);
        for (let i = 0; i < n; i++) this.store(rng.pick(FILES), rng.chance(0.7) ? 'pasv' : 'port');
        if (rng.chance(0.3)) {
          const f = rng.pick(FILES);
          this.exchange('RNFR', f, [this.reply('rnfr350')]);
          this.exchange('RNTO', f + '.old', [this.reply('rnto250')]);
        }
        if (rng.chance(0.2)) this.exchange('DELE', rng.pick(FILES), [this.reply('dele250', { f: 'x' })]);
        break;
      }
    }
    const r = rng.float();
    if (r < 0.88) {
      this.exchange('QUIT', '', [this.multi(this.kind.goodbye, 'quit221')]);
      this.end = 'quit';
    } else this.end = r < 0.96 ? 'client_close' : 'client_rst';
  }

  /**
   * A mirroring client (wget -m, lftp mirror, scripts): one fixed recipe per session, repeated per
   * directory and per file, as the real one in ../shared/corpus/zeek/cwd-navigation (686 times
   * `CWD CWD TYPE PASV RETR`) and the ftplib scripts in samples/benign.pcap (`CWD TYPE PASV LIST CDUP`
   * per directory). Directories and files come from the listings, so CWD and RETR succeed.
   */
  private mirror(): void {
    const rng = this.rng;
    this.login('anonymous', rng.pick(ANON_PASSWORDS), true);
    if (rng.chance(0.5)) this.simple('SYST', '', 'syst215');
    if (rng.chance(0.3)) this.feat();
    this.pwd();
    const mode: SyntheticTransfer['mode'] = rng.chance(0.25) ? 'epsv' : 'pasv';
    const typeEach = rng.chance(0.3); // TYPE I before every RETR (cwd-navigation's client)
    const sizeFirst = rng.chance(0.4); // SIZE (and MDTM) before every RETR (lftp, wget --timestamping)
    const listing: 'LIST' | 'MLSD' = rng.chance(0.2) ? 'MLSD' : 'LIST';
    if (!typeEach) this.type('I');
    // a few very long runs (cwd-navigation: 686 files in one session)
    const dirs = rng.chance(0.05) ? rng.range(20, 120) : rng.range(1, 6);
    for (let d = 0; d < dirs; d++) {
      const dir = rng.pick(DIRS);
      this.exchange('CWD', dir, [this.reply('cwd250')]);
      this.cwd = this.join(dir);
      this.list(mode, listing);
      const files = rng.range(2, 12);
      for (let f = 0; f < files; f++) {
        const file = rng.pick(FILES);
        if (typeEach) this.type('I');
        if (sizeFirst) {
          this.exchange('SIZE', file, [this.reply('size213', { n: rng.range(200, 5_000_000) })]);
          this.exchange('MDTM', file, [this.reply('mdtm213')]);
        }
        this.dataSetup(mode);
        this.retr(file, Math.round(rng.logUniform(200, 50e6)));
      }
      this.cwd = '/';
      this.exchange('CDUP', '', [this.reply('cdup250')]);
    }
  }

  private fill(key: ReplyKey, vars?: Record<string, string | number>): string {
    const parts = compiledTemplate(this.kind.replies[key] ?? this.kind.replies.unknown500!);
    let out = parts[0];
    for (let i = 1; i < parts.length; i += 2) {
      const v = parts[i];
      const given = vars?.[v];
      out += (given !== undefined ? String(given) : v === 'p' ? this.cwd : v === 'u' ? this.user : v === 'h' ? '127.99.0.1' : '') + parts[i + 1];
    }
    return out;
  }

  private reply(key: ReplyKey, vars?: Record<string, string | number>): SyntheticReply {
    const line = this.fill(key, vars);
    return { code: Number(line.slice(0, 3)), lines: [line] };
  }

  /** a reply with extra leading lines (`prefix` lines already carry their `ddd-`) */
  private multi(prefix: string[] | undefined, key: ReplyKey, vars?: Record<string, string | number>): SyntheticReply {
    const last = this.reply(key, vars);
    if (prefix) last.lines = [...prefix, ...last.lines];
    return last;
  }

  private exchange(command: string, arg: string, replies: SyntheticReply[], transfer?: SyntheticTransfer): SyntheticExchange {
    const ex: SyntheticExchange = { command, arg, line: arg === '' ? command : `${command} ${arg}`, replies };
    if (transfer) ex.transfer = transfer;
    this.exchanges.push(ex);
    return ex;
  }

  private simple(command: string, arg: string, key: ReplyKey | null, code?: number, lines?: string[]): void {
    if (key === null) {
      this.exchange(command, arg, [{ code: code!, lines: lines! }]);
      return;
    }
    this.exchange(command, arg, [this.kind.replies[key] === null ? this.reply('unknown500', { c: command }) : this.reply(key)]);
  }

  /** USER + PASS; returns whether the login succeeded */
  private login(user: string, pass: string, succeed: boolean): boolean {
    this.user = user;
    const anon = user === 'anonymous' || user === 'ftp';
    this.exchange('USER', user, [this.reply(anon ? 'user331anon' : 'user331')]);
    if (succeed) {
      this.exchange('PASS', pass, [anon ? this.multi(this.kind.motd, 'login230anon') : this.reply('login230')]);
    } else {
      this.exchange('PASS', pass, [this.reply('login530')]);
    }
    return succeed;
  }

  private feat(): void {
    if (this.kind.feat) this.exchange('FEAT', '', [{ code: 211, lines: this.kind.feat.slice() }]);
    else this.exchange('FEAT', '', [this.reply('unknown500', { c: 'FEAT' })]);
  }

  private pwd(): void {
    this.exchange('PWD', '', [this.reply('pwd257')]);
  }

  private type(t: 'I' | 'A'): void {
    const ex = this.exchange('TYPE', t, [this.reply(t === 'I' ? 'typeI200' : 'typeA200')]);
    // some clients send TYPE and the next command in one segment
    if (this.rng.chance(0.1)) ex.pipelined = true;
  }

  private join(name: string): string {
    return this.cwd === '/' ? `/${name}` : `${this.cwd}/${name}`;
  }

  private cwd_(dir: string, mayExist: boolean): boolean {
    if (mayExist && this.rng.chance(0.97)) {
      this.cwd = this.join(dir);
      this.exchange('CWD', dir, [this.reply('cwd250')]);
      return true;
    }
    this.exchange('CWD', dir, [this.reply('cwd550', { p: dir })]);
    return false;
  }

  /** PASV/EPSV/PORT/EPRT; falls back from EPSV to PASV on servers without it, as clients do */
  private dataSetup(mode: SyntheticTransfer['mode']): void {
    const rng = this.rng;
    const serverPort = rng.range(30000, 50999);
    const clientPort = this.client.port + 1 + (this.transfers++ % 7);
    const a4 = this.server.ip.replaceAll('.', ',');
    if (mode === 'epsv' || mode === 'eprt') {
      if (this.kind.replies[mode === 'epsv' ? 'epsv229' : 'eprt200'] === null) {
        const cmd = mode === 'epsv' ? 'EPSV' : 'EPRT';
        this.exchange(cmd, mode === 'eprt' ? `|1|${this.client.ip}|${clientPort}|` : '', [this.reply('unknown500', { c: cmd })]);
        mode = mode === 'epsv' ? 'pasv' : 'port';
      }
    }
    if (mode === 'pasv') this.exchange('PASV', '', [this.reply('pasv227', { a: `${a4},${serverPort >> 8},${serverPort & 255}` })]);
    else if (mode === 'epsv') this.exchange('EPSV', '', [this.reply('epsv229', { P: serverPort })]);
    else if (mode === 'port') this.exchange('PORT', `${this.client.ip.replaceAll('.', ',')},${clientPort >> 8},${clientPort & 255}`, [this.reply('port200')]);
    else this.exchange('EPRT', `|1|${this.client.ip}|${clientPort}|`, [this.reply('eprt200')]);
    const active = mode === 'port' || mode === 'eprt';
    this.pending = { mode, serverPort: active ? 20 : serverPort, clientPort: active ? clientPort : 0 };
  }

  private takeTransfer(toClient: boolean, bytes: number, listing: boolean): SyntheticTransfer {
    const p = this.pending!;
    this.pending = null;
    return { mode: p.mode, serverPort: p.serverPort, clientPort: p.clientPort, toClient, bytes, listing };
  }

  private list(mode: SyntheticTransfer['mode'], command: 'LIST' | 'NLST' | 'MLSD'): void {
    this.dataSetup(mode);
    const entries = this.rng.range(2, 120);
    const bytes = entries * (command === 'NLST' ? 14 : 64);
    const final = this.multi(this.kind.listPrefix, 'list226', { n: entries });
    const arg = command === 'LIST' && this.rng.chance(0.3) ? '-la' : '';
    this.exchange(command, arg, [this.reply('list150'), final], this.takeTransfer(true, bytes, true));
  }

  private retrieve(file: string, exists: boolean, mode: SyntheticTransfer['mode'] | null): void {
    const rng = this.rng;
    const size = Math.round(rng.logUniform(200, 50e6));
    // SIZE (and MDTM) before RETR: a client habit when set for the session, else a coin per file
    if (this.sizeHabit >= 0 ? this.sizeHabit > 0 : rng.chance(0.5)) {
      this.exchange('SIZE', file, [exists ? this.reply('size213', { n: size }) : this.reply('file550', { f: file })]);
      if (!exists) return;
      if (this.sizeHabit >= 0 ? this.sizeHabit > 1 : rng.chance(0.3)) this.exchange('MDTM', file, [this.reply('mdtm213')]);
    }
    if (mode !== null) this.dataSetup(mode);
    if (!exists) {
      this.pending = null;
      this.exchange('RETR', file, [this.reply('file550', { f: file })]);
      return;
    }
    this.retr(file, size);
  }

  /** RETR of an existing file over the data connection set up before */
  private retr(file: string, size: number): void {
    const rng = this.rng;
    const first = this.reply('retr150', { f: file, n: size });
    const replies = [first];
    if (first.lines[0][3] === '-') {
      // Pure-FTPd: "150-Accepted data connection" then "150 <n> kbytes to download"
      first.lines.push(`150 ${(size / 1024).toFixed(1)} kbytes to download`);
    }
    const done = this.reply('xfer226');
    if (done.lines[0][3] === '-') done.lines.push(`226 ${(size / 1024).toFixed(3)} seconds (measured here), ${(rng.range(10, 900) / 10).toFixed(2)} Mbytes per second`);
    replies.push(done);
    this.exchange('RETR', file, replies, this.takeTransfer(true, size, false));
  }

  private store(file: string, mode: SyntheticTransfer['mode']): void {
    this.dataSetup(mode);
    if (this.rng.chance(0.08)) {
      this.pending = null;
      this.exchange('STOR', file, [this.reply('stor553', { f: file })]);
      return;
    }
    const size = Math.round(this.rng.logUniform(100, 20e6));
    const done = this.reply('xfer226');
    if (done.lines[0][3] === '-') done.lines.push('226 File successfully transferred');
    this.exchange('STOR', file, [this.reply('stor150', { f: file }), done], this.takeTransfer(false, size, false));
  }
}

// ---------------------------------------------------------------------------------------------
// Exchange dataset rows (the ftp-extract CSV layout of docs/ARCHITECTURE.md §3), without any capture

export const DATASET_COLUMNS = [
  'flow_id', 'community_id', 'client_ip', 'client_port', 'server_ip', 'server_port', 'label', 'index',
  'ts_request', 'ts_reply', 'command', 'arg', 'reply_codes', 'final_code', 'flags', 'tags',
] as const;

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The dataset rows of one session as CSV lines (each ending in `\n`): what ftp-extract would write for
 * the session's capture, except that `community_id` is left empty and timestamps are synthetic
 * (one second per exchange from a per-session start). PASS arguments are masked as ftp-extract does.
 */
export function sessionCsvRows(s: SyntheticSession): string {
  const id = `S${s.index.toString(16).padStart(16, '0')}`;
  const head = `${id},,${s.client.ip},${s.client.port},${s.server.ip},${s.server.port},${s.kind},`;
  const t0 = 1700000000 + s.index;
  let out = `${head}0,${t0},${t0},<greeting>,,220,220,${s.greeting.lines.length > 1 ? 'multiline' : ''},\n`;
  for (let i = 0; i < s.exchanges.length; i++) {
    const e = s.exchanges[i];
    const codes = e.replies.map((r) => r.code);
    const arg = e.command === 'PASS' ? '****' : e.arg;
    const multiline = e.replies.some((r) => r.lines.length > 1) ? 'multiline' : '';
    const ts = t0 + i + 1;
    out += `${head}${i + 1},${ts},${ts},${e.command},${csvField(arg)},${codes.join(' ')},${codes[codes.length - 1]},${multiline},\n`;
  }
  return out;
}

/** The whole dataset CSV (header first) for sessions 0 … n-1 of `seed`, in pieces of many rows. */
export function* syntheticDatasetCsv(n: number, seed = 1, sessionsPerPiece = 256): Generator<string> {
  yield DATASET_COLUMNS.join(',') + '\n';
  let rows: string[] = [];
  for (const s of syntheticSessions(n, seed)) {
    rows.push(sessionCsvRows(s));
    if (rows.length >= sessionsPerPiece) {
      yield rows.join('');
      rows = [];
    }
  }
  if (rows.length) yield rows.join('');
}
