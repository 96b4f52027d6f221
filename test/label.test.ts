import { describe, it, expect } from 'vitest';
import { FtpIdsError } from '../src/common/errors.js';
import { builtinSignatures, DEFAULT_SIGNATURES, parseSignatureFile, STUDY_SIGNATURE_SET, STUDY_SIGNATURES } from '../src/label/signatures.js';
import { labelFlow } from '../src/label/label.js';
import { formatSuggestions, normalizeGreeting, suggestSignatures } from '../src/label/suggest.js';
import { flowOf } from './extract-helpers.js';

describe('the study\'s 25 signatures (--signatures study)', () => {
  it('has 25 entries and matches the anonymised literal text', () => {
    expect(STUDY_SIGNATURES.length).toBe(25);
    expect(STUDY_SIGNATURE_SET.match('220 <domain> FTP server (Version wu-2.6.1-20) ready.\r\n')).toBe('wu2616120');
    expect(STUDY_SIGNATURE_SET.match('220 <*> Microsoft FTP Service (Version 5.0).\r\n')).toBe('msftp5');
    expect(STUDY_SIGNATURE_SET.match('\r\nYou do not have permission to log in\r\n')).toBe('nopermission');
  });
  it('placeholders also match a real host or domain token', () => {
    expect(STUDY_SIGNATURE_SET.match('220 ftp.lbl.gov FTP server (SunOS 5.8) ready.\r\n')).toBe('sunos58');
    expect(STUDY_SIGNATURE_SET.match('220 131.243.1.10 Microsoft FTP Service (Version 4.0).\r\n')).toBe('msftp4');
    expect(STUDY_SIGNATURE_SET.match('220 a..b.c FTP server (Version wu-2.6.1-20) ready\r\n')).toBe('wu261');
    expect(STUDY_SIGNATURE_SET.match('220 two words FTP server (SunOS 5.8)\r\n')).toBe('other');
  });
  it('is case-sensitive and anchored at the start', () => {
    expect(STUDY_SIGNATURE_SET.match('220 x ftp server (SunOS 5.8)')).toBe('other');
    expect(STUDY_SIGNATURE_SET.match('x220 x FTP server (SunOS 5.8)')).toBe('other');
  });
  it('a codeless first reply after an empty line is the study\'s "nopermission" greeting', () => {
    const f = labelFlow(flowOf([['s', '\r\nYou do not have permission to connect\r\n'], ['c', 'USER a\r\n']]), { signatures: STUDY_SIGNATURE_SET });
    expect([f.label, f.greeting]).toEqual(['nopermission', '\r\nYou do not have permission to connect\r\n']);
  });
  it('keeps a label already present unless relabel', () => {
    const flow = { ...flowOf([['s', '220 h FTP server (SunOS 4.1)\r\n']]), label: 'mine' };
    expect(labelFlow(flow).label).toBe('mine');
    expect(labelFlow(flow, { relabel: true, signatures: STUDY_SIGNATURE_SET }).label).toBe('sunos41');
  });
  it('labels a flow from its whole first reply (multi-line 220)', () => {
    const f = labelFlow(flowOf([['s', '220-ftp.example.org FTP server (SunOS 5.6) ready\r\n220-more\r\n220 end\r\n'], ['c', 'QUIT\r\n']]), { signatures: STUDY_SIGNATURE_SET });
    expect(f.label).toBe('other'); // a 220- line does not start with "220 "
    expect(f.greeting).toBe('220-ftp.example.org FTP server (SunOS 5.6) ready\r\n220-more\r\n220 end\r\n');
    const g = labelFlow(flowOf([['s', '220 ftp.example.org FTP server (SunOS 5.6) ready\r\n']]), { signatures: STUDY_SIGNATURE_SET });
    expect([g.label, g.greeting]).toEqual(['sunos56', '220 ftp.example.org FTP server (SunOS 5.6) ready\r\n']);
  });
});

describe('signature files', () => {
  it('JSON: first match wins in file order; case_sensitive false', () => {
    const s = parseSignatureFile(JSON.stringify({ case_sensitive: false, signatures: [{ prefix: '220 (vsftpd', label: 'vsftpd' }, { prefix: '220 (vsFTPd 3', label: 'vsftpd3' }] }), 's.json');
    expect(s.match('220 (vsFTPd 3.0.3)\r\n')).toBe('vsftpd');
    expect(s.match('221 bye')).toBe('other');
  });
  it('CSV: prefix,label with header, comments, escapes and case switch', () => {
    const s = parseSignatureFile('# case_sensitive: false\nprefix,label\n"220 <domain> FTP server ready",gen\n\\r\\nNo,denied\n', 's.csv');
    expect(s.match('220 FTP.X.ORG ftp SERVER ready')).toBe('gen');
    expect(s.match('\r\nNo access')).toBe('denied');
  });
  it('a bad JSON file names the line', () => {
    const text = '[\n  {"prefix": "220 a", "label": "a"},\n  {"prefix": "220 b"}\n]';
    expect(() => parseSignatureFile(text, 'bad.json')).toThrow(FtpIdsError);
    try {
      parseSignatureFile(text, 'bad.json');
    } catch (e) {
      expect((e as FtpIdsError).describe()).toMatch(/^bad\.json: line 3: /);
    }
    try {
      parseSignatureFile('{"signatures": [\n{"prefix": "x", "label": "y"},\n,]}', 'syntax.json');
    } catch (e) {
      expect((e as FtpIdsError).where.line).toBe(3);
    }
  });
  it('a bad CSV file names the line', () => {
    try {
      parseSignatureFile('prefix,label\n220 a,a\n220 b,b,extra\n', 'bad.csv');
      expect.unreachable();
    } catch (e) {
      expect((e as FtpIdsError).where.line).toBe(3);
    }
  });
});

describe('--suggest', () => {
  it('normalises hosts, addresses and times; keeps versions', () => {
    expect(normalizeGreeting('220 ftp.NetBSD.org FTP server (NetBSD-ftpd 20100320) ready.\r\n')).toBe('220 <domain> FTP server (NetBSD-ftpd 20100320) ready.');
    expect(normalizeGreeting('220 10.1.2.3 FTP server ready at 12:01:02\r\n')).toBe('220 <domain> FTP server ready at <n>:<n>:<n>');
    expect(normalizeGreeting('220 (vsFTPd 3.0.3)\r\n')).toBe('220 (vsFTPd 3.0.3)');
  });
  it('counts distinct greetings and writes a signature file that labels them back', () => {
    const greetings = ['220 a.example.org FTP server (Version 6.00LS) ready.\r\n', '220 b.example.org FTP server (Version 6.00LS) ready.\r\n', '220 (vsFTPd 3.0.3)\r\n'];
    const list = suggestSignatures(greetings);
    expect(list.map((s) => [s.count, s.label])).toEqual([[2, 'version6.00ls'], [1, 'vsftpd3.0.3']]);
    const file = parseSignatureFile(formatSuggestions(list), 'suggested.csv');
    expect(greetings.map((g) => file.match(g))).toEqual(['version6.00ls', 'version6.00ls', 'vsftpd3.0.3']);
  });
});

describe('labels on samples/ against the capture script\'s records (labels.csv server column)', () => {
  it('a three-line signature file labels every control connection with its server', async () => {
    const { existsSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { SAMPLES, flowsOfCapture } = await import('./extract-helpers.js');
    const sigs = parseSignatureFile('prefix,label\n220 (vsFTPd,vsftpd\n220 ProFTPD,proftpd\n220---------- Welcome to Pure-FTPd,pure-ftpd\n', 'servers.csv');
    let checked = 0;
    for (const [pcap, csv] of [['benign.pcap', 'labels.csv'], ['attacks.pcap', 'labels.csv'], ['ipv6.pcap', 'labels-small.csv']]) {
      if (!existsSync(join(SAMPLES, pcap))) continue;
      const truth = new Map<string, string>();
      for (const line of readFileSync(join(SAMPLES, csv), 'utf8').trim().split('\n').slice(1)) {
        const f = line.split(',');
        truth.set(`${f[0]}|${f[1]}`, f[6]);
      }
      for (const flow of flowsOfCapture(join(SAMPLES, pcap))) {
        const want = truth.get(`${flow.client.ip}|${flow.client.port}`);
        if (!want) continue;
        const labelled = labelFlow(flow, { signatures: sigs });
        // a connection closed before the server spoke (connect-flood) has no greeting to go by
        expect(labelled.label, `${pcap} ${flow.client.ip}:${flow.client.port}`).toBe(labelled.greeting === '' ? 'other' : want);
        checked++;
      }
    }
    if (existsSync(join(SAMPLES, 'benign.pcap'))) expect(checked).toBeGreaterThan(300);
  });
});

describe('--suggest details', () => {
  it('a bare host name before "FTP server" is a placeholder; unknown products get "unknown" labels, not "other"', () => {
    expect(normalizeGreeting('220 redmint FTP server (Version 6.4/OpenBSD/Linux-ftpd-0.17) ready.\r\n')).toBe('220 <domain> FTP server (Version 6.4/OpenBSD/Linux-ftpd-0.17) ready.');
    expect(suggestSignatures(['220 ready\r\n', '220 FTP server ready\r\n']).map((s) => s.label)).toEqual(['unknown', 'unknown_2']);
  });
  it('a flow picked up mid-session has no greeting unless its first reply is a 220', () => {
    expect(labelFlow(flowOf([['s', '227 Entering Passive Mode (1,2,3,4,5,6)\r\n']], { flags: ['no_syn'] })).greeting).toBe('');
    expect(labelFlow(flowOf([['s', '220 (vsFTPd 3.0.3)\r\n']], { flags: ['no_syn'] })).greeting).toBe('220 (vsFTPd 3.0.3)\r\n');
  });
});

describe('the default signatures: today\'s servers', () => {
  it('name the greetings of the third-party corpus\'s servers and public defaults; customised banners stay "other"', () => {
    const cases: [string, string][] = [
      ['220 (vsFTPd 2.3.5)\r\n', 'vsftpd'],
      ['220 (vsFTPd 3.0.5)\r\n', 'vsftpd'],
      ['220 ProFTPD 1.3.0a Server (ProFTPD Anonymous Server) [192.168.1.231]\r\n', 'proftpd'],
      ['220 ProFTPD Server (Debian) [::ffff:127.0.0.3]\r\n', 'proftpd'],
      ['220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n220-You are user number 1 of 50 allowed.\r\n220 x\r\n', 'pure-ftpd'],
      ['220 FileZilla Server 1.9.1\r\n', 'filezilla-server'],
      ['220-FileZilla Server version 0.9.41 beta\r\n220 written by Tim Kosse\r\n', 'filezilla-server'],
      ['220 Microsoft FTP Service\r\n', 'ms-ftp'],
      ['220-Microsoft FTP Service\r\n220 welcome\r\n', 'ms-ftp'],
      ['220 ftp.example.com Microsoft FTP Service (Version 5.0).\r\n', 'ms-ftp'],
      ['220 pyftpdlib 1.5.7 ready.\r\n', 'pyftpdlib'],
      ['220 Serv-U FTP Server v15.1 ready...\r\n', 'serv-u'],
      ['220 ftp.example.org FTP server (Version wu-2.6.2(1) Mon Dec 3 15:13:56 EST 2001) ready.\r\n', 'wu-ftpd'],
      ['220 <domain> FTP server (Version wu-2.6.1-20) ready.\r\n', 'wu-ftpd'],
      ['220 ftp.corpus2.test FTP server (GNU inetutils 2.4) ready.\r\n', 'inetutils-ftpd'],
      ['220 redmint FTP server (Version 6.4/OpenBSD/Linux-ftpd-0.17) ready.\r\n', 'bsd-ftpd'],
      ['220 ftp.NetBSD.org FTP server (NetBSD-ftpd 20100320) ready.\r\n', 'bsd-ftpd'],
      ['220 ftp.freebsd.org FTP server (Version 6.00LS) ready.\r\n', 'bsd-ftpd'],
      ['220 Operation successful\r\n', 'busybox-ftpd'],
      ['220 alpha GridFTP Server 6.14 (gcc64dbg, 1342551528-83) [Globus Toolkit 5.2.2] ready.\r\n', 'gridftp'],
      ['220 ftp.ncsa.illinois.edu FTP Server (Apache/2.2.3 (CentOS) PHP/5.1.6 mod_ftp/0.9.6) ready.\r\n', 'apache-mod_ftp'],
      ['220 Welcome to the corpus2 file drop (vsFTPd).\r\n', 'other'],
      ['220 (vsftpd 3.0.3)\r\n', 'other'], // case-sensitive, as vsftpd writes it
      ['', 'other'],
    ];
    expect(cases.map(([g]) => DEFAULT_SIGNATURES.match(g))).toEqual(cases.map(([, l]) => l));
    expect(builtinSignatures('default')).toBe(DEFAULT_SIGNATURES);
    expect(builtinSignatures('study')).toBe(STUDY_SIGNATURE_SET);
    expect(builtinSignatures('signatures.csv')).toBeUndefined();
  });
  it('group the sessions of samples/ and samples/corpus2/ as their signature files do (one label per server)', async () => {
    const { existsSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { SAMPLES, flowsOfCapture } = await import('./extract-helpers.js');
    let checked = 0;
    for (const dir of [SAMPLES, join(SAMPLES, 'corpus2')]) {
      if (!existsSync(join(dir, 'signatures.csv'))) continue;
      const file = parseSignatureFile(readFileSync(join(dir, 'signatures.csv'), 'utf8'), 'signatures.csv');
      // the label the default set gives each server's sessions, per label of the corpus's own file
      const mapping = new Map<string, Set<string>>();
      const reverse = new Map<string, Set<string>>();
      for (const pcap of ['benign.pcap', 'attacks.pcap']) {
        for (const flow of flowsOfCapture(join(dir, pcap))) {
          const ours = labelFlow(flow).label;
          const theirs = labelFlow(flow, { signatures: file }).label;
          if (!mapping.has(theirs)) mapping.set(theirs, new Set());
          mapping.get(theirs)!.add(ours);
          if (!reverse.has(ours)) reverse.set(ours, new Set());
          reverse.get(ours)!.add(theirs);
          checked++;
        }
      }
      // a bijection, except that the default set cannot tell a customised banner from an empty greeting
      for (const [theirs, ours] of mapping) expect({ theirs, ours: [...ours] }).toEqual({ theirs, ours: [[...ours][0]] });
      for (const [ours, theirs] of reverse) if (ours !== 'other') expect({ ours, theirs: [...theirs] }).toEqual({ ours, theirs: [[...theirs][0]] });
      expect([...reverse.keys()].filter((l) => l !== 'other').length).toBeGreaterThanOrEqual(3);
    }
    if (existsSync(join(SAMPLES, 'benign.pcap'))) expect(checked).toBeGreaterThan(1500);
  });
});
