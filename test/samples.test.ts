/**
 * The committed samples/ (made by scripts/capture-samples.sh) are consistent: every labelled control
 * connection is in its capture and every control connection in a capture is labelled once; the label's server
 * matches the greeting the capture carries; each scenario's sessions show, in their own bytes, what the
 * scenario says; the SLL and SLL2 captures of the same traffic hold the same connections and bytes.
 *
 * The reference here is the capture itself, read by a deliberately small pcap walk written for this test
 * (independent of the project's reader), and tshark's TCP conversation list when tshark is installed.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SAMPLES = fileURLToPath(new URL('../samples/', import.meta.url));
const SERVERS: Record<string, { ip: string; port: number; greeting: RegExp }> = {
  vsftpd: { ip: '127.0.0.2', port: 21, greeting: /^220 \(vsFTPd 3\.0\.3\)\r\n$/ },
  proftpd: { ip: '127.0.0.3', port: 2121, greeting: /^220 ProFTPD Server \(Debian\) \[127\.0\.0\.3\]\r\n$/ },
  'pure-ftpd': { ip: '127.0.0.4', port: 2221, greeting: /^220-+ Welcome to Pure-FTPd \[privsep\] \[TLS\] -+\r\n(220-.*\r\n)+220 .*\r\n$/ },
};
const SERVERS6: Record<string, number> = { vsftpd: 21, 'pure-ftpd': 2221 };

// ---------------------------------------------------------------- a tiny pcap walk
interface Segment { ts: number; seq: number; flags: number; payload: Buffer }
interface Conn {
  key: string; client: string; cport: number; server: string; sport: number; synTs: number;
  c: Segment[]; s: Segment[];
}

function endpointsKey(cip: string, cport: number, sip: string, sport: number): string {
  return `${cip}|${cport}|${sip}|${sport}`;
}

function ip6(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  const s = parts.join(':');
  return s === '0:0:0:0:0:0:0:1' ? '::1' : s;
}

/** Every TCP connection that starts with a SYN in the capture, keyed by client/server endpoints. */
function readCapture(path: string): { linktype: number; conns: Map<string, Conn>; packets: number; addrs: Set<string> } {
  const d = readFileSync(path);
  const magic = d.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && d.readUInt32BE(0) !== 0xa1b2c3d4 && d.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${path}: not pcap`);
  const u32 = (o: number) => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
  const nano = (le ? magic : d.readUInt32BE(0)) === 0xa1b23c4d;
  const linktype = u32(20) & 0x0fffffff;
  const byTuple = new Map<string, Conn>();
  const conns = new Map<string, Conn>();
  const addrs = new Set<string>();
  let off = 24;
  let packets = 0;
  while (off + 16 <= d.length) {
    const ts = u32(off) + u32(off + 4) / (nano ? 1e9 : 1e6);
    const incl = u32(off + 8);
    const p = d.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (p.length < incl) throw new Error(`${path}: truncated record at ${off - 16 - incl}`);
    packets++;
    let etype: number;
    let l3: number;
    if (linktype === 1) { etype = p.readUInt16BE(12); l3 = 14; }
    else if (linktype === 113) { etype = p.readUInt16BE(14); l3 = 16; }
    else if (linktype === 276) { etype = p.readUInt16BE(0); l3 = 20; }
    else throw new Error(`${path}: link type ${linktype}`);
    let src: string;
    let dst: string;
    let l4: number;
    let end: number;
    if (etype === 0x0800) {
      if (p[l3 + 9] !== 6) continue;
      src = [...p.subarray(l3 + 12, l3 + 16)].join('.');
      dst = [...p.subarray(l3 + 16, l3 + 20)].join('.');
      l4 = l3 + (p[l3] & 15) * 4;
      end = l3 + p.readUInt16BE(l3 + 2);
    } else if (etype === 0x86dd) {
      if (p[l3 + 6] !== 6) continue;
      src = ip6(p.subarray(l3 + 8, l3 + 24));
      dst = ip6(p.subarray(l3 + 24, l3 + 40));
      l4 = l3 + 40;
      end = l4 + p.readUInt16BE(l3 + 4);
    } else continue;
    addrs.add(src).add(dst);
    const sp = p.readUInt16BE(l4);
    const dp = p.readUInt16BE(l4 + 2);
    const seq = p.readUInt32BE(l4 + 4);
    const flags = p[l4 + 13];
    const payload = p.subarray(l4 + (p[l4 + 12] >> 4) * 4, end);
    const fwd = endpointsKey(src, sp, dst, dp);
    const rev = endpointsKey(dst, dp, src, sp);
    if ((flags & 0x12) === 0x02) { // SYN without ACK: a new connection (a repeated SYN is the same one)
      const known = byTuple.get(fwd);
      if (!known || ts - known.synTs > 3) {
        const conn: Conn = { key: fwd, client: src, cport: sp, server: dst, sport: dp, synTs: ts, c: [], s: [] };
        if (conns.has(fwd)) throw new Error(`${path}: endpoints ${fwd} reused`);
        conns.set(fwd, conn);
        byTuple.set(fwd, conn);
        byTuple.set(rev, conn);
      }
    }
    const conn = byTuple.get(fwd);
    if (!conn) continue;
    (conn.key === fwd ? conn.c : conn.s).push({ ts, seq, flags, payload: Buffer.from(payload) });
  }
  return { linktype, conns, packets, addrs };
}

/** One direction's bytes: segments in sequence order, an exact repeat (same seq and length) kept once. */
function stream(segs: Segment[]): Buffer {
  const seen = new Set<string>();
  const parts = segs
    .filter((s) => s.payload.length > 0)
    .filter((s) => { const k = `${s.seq}/${s.payload.length}`; if (seen.has(k)) return false; seen.add(k); return true; })
    .sort((a, b) => ((a.seq - b.seq) << 0));  // relative order survives a sequence wrap
  return Buffer.concat(parts.map((s) => s.payload));
}

function lines(b: Buffer): string[] {
  return b.toString('latin1').split('\r\n').filter((l, i, a) => l !== '' || i < a.length - 1);
}

// ---------------------------------------------------------------- labels
interface Label { client_ip: string; client_port: number; server_ip: string; server_port: number; class: string; scenario: string; server: string }

function readLabels(path: string): Label[] {
  const [head, ...rows] = readFileSync(path, 'utf8').trimEnd().split('\n');
  expect(head).toBe('client_ip,client_port,server_ip,server_port,class,scenario,server');
  return rows.map((r) => {
    const [ci, cp, si, sp, cls, sc, sv] = r.split(',');
    return { client_ip: ci, client_port: Number(cp), server_ip: si, server_port: Number(sp), class: cls, scenario: sc, server: sv };
  });
}

const labelKey = (l: Label) => endpointsKey(l.client_ip, l.client_port, l.server_ip, l.server_port);
const isControl = (c: Conn) =>
  Object.values(SERVERS).some((s) => s.ip === c.server && s.port === c.sport) ||
  (c.server === '::1' && Object.values(SERVERS6).includes(c.sport));

const have = (f: string) => existsSync(SAMPLES + f);
const tshark = (() => { try { execFileSync('tshark', ['-v'], { stdio: 'ignore' }); return true; } catch { return false; } })();

describe.skipIf(!have('labels.csv'))('samples/ labels and captures', () => {
  const labels = readLabels(SAMPLES + 'labels.csv');
  const caps = ['benign.pcap', 'attacks.pcap'].filter(have).map((f) => ({ f, ...readCapture(SAMPLES + f) }));
  const conns = new Map<string, Conn & { file: string }>();
  for (const cap of caps) for (const [k, c] of cap.conns) if (isControl(c)) conns.set(k, { ...c, file: cap.f });
  const byScenario = new Map<string, { label: Label; conn: Conn }[]>();
  for (const l of labels) {
    const conn = conns.get(labelKey(l));
    if (!conn) continue;
    const list = byScenario.get(l.scenario) ?? [];
    list.push({ label: l, conn });
    byScenario.set(l.scenario, list);
  }

  it('stay small enough to commit', () => {
    const total = ['benign.pcap', 'attacks.pcap', 'sll.pcap', 'sll2.pcap', 'ipv6.pcap'].filter(have)
      .reduce((n, f) => n + statSync(SAMPLES + f).size, 0);
    expect(total).toBeLessThan(8 * 1024 * 1024);
  });

  it('label every control connection exactly once, and only connections that exist', () => {
    const keys = labels.map(labelKey);
    expect(new Set(keys).size).toBe(keys.length);
    const missing = keys.filter((k) => !conns.has(k));
    expect(missing).toEqual([]);
    const unlabelled = [...conns.keys()].filter((k) => !keys.includes(k));
    expect(unlabelled).toEqual([]);
  });

  it('put benign sessions in benign.pcap and attacks in attacks.pcap, from their own address ranges', () => {
    for (const l of labels) {
      const file = conns.get(labelKey(l))?.file;
      expect(file, labelKey(l)).toBe(l.class === 'benign' ? 'benign.pcap' : 'attacks.pcap');
      expect(l.client_ip.startsWith(l.class === 'benign' ? '127.0.1.' : '127.0.2.'), labelKey(l)).toBe(true);
      expect(SERVERS[l.server], l.server).toBeDefined();
      expect([l.server_ip, l.server_port]).toEqual([SERVERS[l.server].ip, SERVERS[l.server].port]);
    }
  });

  it('use loopback addresses only', () => {
    for (const cap of caps) for (const a of cap.addrs) expect(a.startsWith('127.') || a === '::1', `${cap.f}: ${a}`).toBe(true);
  });

  it("name the server whose greeting the connection carries", () => {
    let checked = 0;
    for (const l of labels) {
      const conn = conns.get(labelKey(l))!;
      const s = stream(conn.s).toString('latin1');
      if (s === '') continue; // closed before the greeting (connect floods)
      const end = l.server === 'pure-ftpd' ? s.search(/\r\n220 [^\r]*\r\n/) : s.indexOf('\r\n');
      const greeting = l.server === 'pure-ftpd' ? s.slice(0, s.indexOf('\r\n', end + 2) + 2) : s.slice(0, end + 2);
      expect(greeting, labelKey(l)).toMatch(SERVERS[l.server].greeting);
      checked++;
    }
    expect(checked).toBeGreaterThan(labels.length * 0.9);
  });

  it('hold enough sessions: ≥300 benign over every server, ≥20 per attack scenario on every server', () => {
    const benign = labels.filter((l) => l.class === 'benign');
    expect(benign.length).toBeGreaterThanOrEqual(300);
    for (const server of Object.keys(SERVERS)) {
      expect(benign.filter((l) => l.server === server).length).toBeGreaterThanOrEqual(80);
      expect(new Set(benign.filter((l) => l.server === server).map((l) => l.scenario)).size).toBeGreaterThanOrEqual(7);
    }
    const attackScenarios = new Set(labels.filter((l) => l.class === 'attack').map((l) => l.scenario));
    expect(attackScenarios.size).toBeGreaterThanOrEqual(13);
    for (const sc of attackScenarios) {
      const rows = labels.filter((l) => l.scenario === sc);
      expect(rows.length, sc).toBeGreaterThanOrEqual(20);
      expect(new Set(rows.map((l) => l.server)), sc).toEqual(new Set(Object.keys(SERVERS)));
    }
  });

  it('agree with the counts table in samples/README.md', () => {
    const readme = readFileSync(SAMPLES + 'README.md', 'utf8');
    const table = readme.slice(readme.indexOf('<!-- counts:begin -->'), readme.indexOf('sll.pcap` = '));
    const rowRe = /^\| (benign|attack) \| ([\w-]+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$/gm;
    let n = 0;
    for (const m of table.matchAll(rowRe)) {
      const rows = labels.filter((l) => l.class === m[1] && l.scenario === m[2]);
      expect(['vsftpd', 'proftpd', 'pure-ftpd'].map((s) => rows.filter((l) => l.server === s).length), m[2])
        .toEqual([Number(m[3]), Number(m[4]), Number(m[5])]);
      n++;
    }
    expect(n).toBe(new Set(labels.map((l) => `${l.class}/${l.scenario}`)).size);
  });

  // What each scenario's sessions must show in their own bytes (commands the client sent).
  const FTP_VERBS = new Set(('USER PASS ACCT CWD CDUP SMNT QUIT REIN PORT PASV TYPE STRU MODE RETR STOR STOU APPE ALLO REST ' +
    'RNFR RNTO ABOR DELE RMD MKD PWD LIST NLST SITE SYST STAT HELP NOOP FEAT OPTS EPRT EPSV MDTM SIZE MLSD MLST AUTH PBSZ PROT').split(' '));
  const commands = (c: Conn) => lines(stream(c.c));
  const verbs = (c: Conn) => commands(c).map((l) => l.split(' ')[0].toUpperCase());
  const count = (c: Conn, verb: string) => verbs(c).filter((v) => v === verb).length;
  const expectations: Record<string, (c: Conn) => boolean> = {
    'bruteforce-in-session': (c) => count(c, 'PASS') >= 5,
    'bruteforce-across-sessions': (c) => count(c, 'PASS') >= 1 && count(c, 'PASS') <= 2,
    'user-enumeration': (c) => count(c, 'USER') >= 15,
    'bounce-port': (c) => commands(c).some((l) => l.startsWith('PORT 127,0,0,99,')),
    'bounce-eprt': (c) => commands(c).some((l) => l.startsWith('EPRT |1|127.0.0.99|')),
    'path-traversal': (c) => commands(c).filter((l) => /\.\.[/\\]|^CWD \/etc/.test(l)).length >= 2,
    'overlong-args': (c) => commands(c).some((l) => l.length > 2000) || stream(c.c).length > 2000,
    'site-abuse': (c) => count(c, 'SITE') >= 2,
    'pre-login-commands': (c) => !['USER', 'PASS', 'QUIT'].includes(verbs(c)[0] ?? 'QUIT'),
    'garbage-commands': (c) => commands(c).some((l) => /[^\x20-\x7e]/.test(l) || !FTP_VERBS.has(l.split(' ')[0])),
    'anon-upload': (c) => /^USER anonymous$/m.test(commands(c).join('\n')) && verbs(c).some((v) => ['STOR', 'APPE', 'STOU', 'MKD'].includes(v)),
    'connect-flood': (c) => verbs(c).every((v) => v === 'QUIT') && c.c.concat(c.s).every((s) => s.ts - c.synTs < 5),
    'never-quit': (c) => !verbs(c).includes('QUIT') && Math.max(...c.c.concat(c.s).map((s) => s.ts)) - c.synTs > 15,
    'bruteforce-then-download': (c) => count(c, 'PASS') >= 3 && verbs(c).includes('RETR') && /\r\n230[ -]/.test(stream(c.s).toString('latin1')),
  };

  it('show in each attack session what its scenario says', () => {
    for (const [sc, check] of Object.entries(expectations)) {
      const sessions = byScenario.get(sc) ?? [];
      expect(sessions.length, sc).toBeGreaterThan(0);
      const bad = sessions.filter(({ conn }) => !check(conn)).map(({ label }) => labelKey(label));
      expect(bad, sc).toEqual([]);
    }
  });

  it('run brute force across sessions from one address', () => {
    const sessions = byScenario.get('bruteforce-across-sessions') ?? [];
    expect(new Set(sessions.map(({ label }) => label.client_ip)).size).toBe(1);
  });

  it('keep benign sessions benign: at most two failed logins, no bounce, no climbing above the root', () => {
    for (const l of labels.filter((x) => x.class === 'benign')) {
      const conn = conns.get(labelKey(l))!;
      const replies = lines(stream(conn.s));
      const cmds = commands(conn);
      const failed = cmds.filter((x) => x.startsWith('PASS')).length - replies.filter((x) => /^230 /.test(x)).length;
      expect(failed, labelKey(l)).toBeLessThanOrEqual(2);
      expect(cmds.some((x) => x.includes('127,0,0,99') || x.includes('127.0.0.99')), labelKey(l)).toBe(false);
      expect(cmds.some((x) => x.length > 512), labelKey(l)).toBe(false);
    }
  });

  it.skipIf(!tshark)('match the TCP conversations tshark finds', () => {
    for (const cap of caps) {
      const out = execFileSync('tshark', ['-r', SAMPLES + cap.f, '-Y', 'tcp.flags.syn==1 && tcp.flags.ack==0', '-T', 'fields',
        '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'tcp.dstport'], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const theirs = new Set(out.trim().split('\n').map((l) => l.split('\t').join('|')));
      const ours = new Set([...cap.conns.keys()]);
      expect([...theirs].filter((k) => !ours.has(k)), cap.f).toEqual([]);
      expect([...ours].filter((k) => !theirs.has(k)), cap.f).toEqual([]);
    }
  });
});

describe.skipIf(!have('sll.pcap') || !have('sll2.pcap'))('samples/ sll.pcap and sll2.pcap', () => {
  const a = readCapture(SAMPLES + 'sll.pcap');
  const b = readCapture(SAMPLES + 'sll2.pcap');
  const small = have('labels-small.csv') ? readLabels(SAMPLES + 'labels-small.csv') : [];

  it('are Linux cooked v1 and v2', () => {
    expect(a.linktype).toBe(113);
    expect(b.linktype).toBe(276);
  });

  it('hold the same connections with the same bytes each way', () => {
    expect([...a.conns.keys()].sort()).toEqual([...b.conns.keys()].sort());
    expect(a.conns.size).toBeGreaterThan(5);
    for (const [k, ca] of a.conns) {
      const cb = b.conns.get(k)!;
      expect(stream(ca.c).equals(stream(cb.c)), k).toBe(true);
      expect(stream(ca.s).equals(stream(cb.s)), k).toBe(true);
    }
  });

  it('have their control connections labelled, benign ones and one attack', () => {
    const ctl = [...a.conns.values()].filter(isControl).map((c) => c.key).sort();
    const rows = small.filter((l) => l.client_ip.startsWith('127.'));
    expect(rows.map(labelKey).sort()).toEqual(ctl);
    expect(rows.some((l) => l.class === 'attack')).toBe(true);
    expect(rows.filter((l) => l.class === 'benign').length).toBeGreaterThanOrEqual(4);
  });
});

describe.skipIf(!have('ipv6.pcap'))('samples/ ipv6.pcap', () => {
  const cap = readCapture(SAMPLES + 'ipv6.pcap');
  const small = have('labels-small.csv') ? readLabels(SAMPLES + 'labels-small.csv') : [];

  it('holds FTP sessions over ::1 only, each labelled', () => {
    expect([...cap.addrs]).toEqual(['::1']);
    const ctl = [...cap.conns.values()].filter(isControl);
    expect(ctl.length).toBeGreaterThanOrEqual(4);
    const rows = small.filter((l) => l.client_ip === '::1');
    expect(rows.map(labelKey).sort()).toEqual(ctl.map((c) => c.key).sort());
    for (const c of ctl) expect(stream(c.s).toString('latin1').slice(0, 4)).toMatch(/^220[ -]/);
    // passive mode over IPv6: EPSV, never PASV or PORT
    const cmds = ctl.flatMap((c) => lines(stream(c.c)).map((l) => l.split(' ')[0].toUpperCase()));
    expect(cmds).toContain('EPSV');
    expect(cmds).not.toContain('PORT');
  });
});
