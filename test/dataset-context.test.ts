import { describe, it, expect } from 'vitest';
import { paceClass, sessionContext, sessionEnd, walkPath } from '../src/dataset/context.js';
import { parseItemsSpec, sessionTransactions, CONTEXT_ITEMS } from '../src/dataset/items.js';
import type { Exchange, Session } from '../src/dataset/types.js';

/** A session from `[command, arg, code]` triples, one second apart (greeting first). */
function session(steps: [string, string, string, string?][], end = 'fin', gap = 0.1): Session {
  const exchanges: Exchange[] = [['<greeting>', '', '220'] as [string, string, string], ...steps].map(([command, arg, code, replyPath], i) => ({
    index: i,
    tsRequest: 100 + i * gap,
    tsReply: 100 + i * gap + 0.01,
    command,
    arg,
    replyCodes: code === '' ? [] : [code],
    finalCode: code,
    flags: [],
    tags: [],
    replyPath: replyPath ?? '',
    line: i + 2,
  }));
  return { flowId: 'F1', communityId: '', clientIp: '10.0.0.1', clientPort: 1, serverIp: '10.0.0.2', serverPort: 21, label: 'x', end, exchanges };
}

describe('session context: login state', () => {
  it('follows USER/PASS: none, failed after a 530, user or anon after a 230; REIN resets', () => {
    const s = session([
      ['LIST', '', '530'],
      ['USER', 'erin', '331'],
      ['PASS', '****', '530'],
      ['USER', 'erin', '331'],
      ['PASS', '****', '230'],
      ['STOR', 'a', '226'],
      ['REIN', '', '220'],
      ['USER', 'anonymous', '331'],
      ['PASS', '****', '230'],
      ['STOR', 'b', '226'],
    ]);
    const c = sessionContext(s).exchanges;
    expect(c.map((x) => x.login)).toEqual(['none', 'none', 'none', 'none', 'failed', 'failed', 'user', 'user', 'none', 'none', 'anon']);
    // the exchange that changed the state says so
    expect(c[3]!.loginAfter).toBe('failed');
    expect(c[5]!.loginAfter).toBe('user');
    expect(c[9]!.loginAfter).toBe('anon');
  });
  it('Pure-FTPd style: USER anonymous answered 230 logs in at once', () => {
    const c = sessionContext(session([['USER', 'ftp', '230'], ['RETR', 'x', '226']])).exchanges;
    expect(c[2]!.login).toBe('anon');
  });
});

describe('session context: working directory against the login directory', () => {
  it('walkPath counts the lowest depth reached', () => {
    expect(walkPath('../..', 0)).toEqual({ min: -2, end: -2 });
    expect(walkPath('pub/../docs', 0)).toEqual({ min: 0, end: 1 });
    expect(walkPath('a\\..\\..\\etc', 0)).toEqual({ min: -1, end: 0 });
  });
  it('CWD .. after going down is not a climb; CWD .. at the login directory is', () => {
    const s = session([
      ['USER', 'erin', '331'],
      ['PASS', '****', '230'],
      ['CWD', 'projects', '250'],
      ['CWD', '..', '250'],
      ['CWD', '..', '250'],
      ['CWD', 'etc', '250'],
      ['RETR', 'passwd', '226'],
    ]);
    expect(sessionContext(s).exchanges.map((x) => x.cwd)).toEqual(['', '', '', '', '', 'above', 'outside', 'outside']);
  });
  it('a failed climb is still a climb; CDUP at the login directory climbs', () => {
    const s = session([
      ['USER', 'erin', '331'],
      ['PASS', '****', '230'],
      ['CWD', '../../..', '550'],
      ['CDUP', '', '250'],
      ['RETR', '../secret', '550'],
    ]);
    expect(sessionContext(s).exchanges.map((x) => x.cwd)).toEqual(['', '', '', 'above', 'above', 'outside']);
  });
  it('absolute paths: outside the login directory named by PWD, inside it, or unknown', () => {
    const s = session([
      ['USER', 'erin', '331'],
      ['PASS', '****', '230'],
      ['RETR', '/etc/passwd', '550'], // login directory not yet known
      ['PWD', '', '257', '/home/erin'],
      ['CWD', '/home/erin/projects', '250'],
      ['CWD', '/etc', '250'],
      ['RETR', 'passwd', '226'], // relative to a directory outside the tree
      ['CWD', '/home/erin/../', '250'],
    ]);
    expect(sessionContext(s).exchanges.map((x) => x.cwd)).toEqual(['', '', '', 'abs', '', '', 'outside', 'outside', 'above']);
  });
  it('a login directory of / (chroot, anonymous) holds every absolute path', () => {
    const s = session([
      ['USER', 'anonymous', '331'],
      ['PASS', '****', '230'],
      ['PWD', '', '257', '/'],
      ['CWD', '/pub', '250'],
      ['CWD', '/../..', '550'],
    ]);
    expect(sessionContext(s).exchanges.map((x) => x.cwd)).toEqual(['', '', '', '', '', 'above']);
  });
  it('paths before login get no item (nothing to be relative to)', () => {
    expect(sessionContext(session([['CWD', '../..', '530']])).exchanges[1]!.cwd).toBe('');
  });
});

describe('session context: end and pace', () => {
  it('QUIT wins, then a last 421, then the flow end', () => {
    expect(sessionEnd(session([['QUIT', '', '221']], 'rst'))).toBe('quit');
    expect(sessionEnd(session([['NOOP', '', '200'], ['<unsolicited>', '', '421']], 'fin'))).toBe('421');
    expect(sessionEnd(session([['USER', 'x', '331']], 'fin'))).toBe('close');
    expect(sessionEnd(session([['USER', 'x', '331']], 'rst'))).toBe('reset');
    expect(sessionEnd(session([['USER', 'x', '331']], 'eof'))).toBe('open');
    expect(sessionEnd(session([['USER', 'x', '331']], ''))).toBe('');
  });
  it('pace classes are log2 of the wait', () => {
    expect([0, 0.99, 1, 1.9, 2, 3.9, 4, 63, 64, 1e6].map(paceClass)).toEqual([0, 0, 1, 1, 2, 2, 3, 6, 7, 7]);
    const slow = sessionContext(session([['NOOP', '', '200'], ['NOOP', '', '200']], 'fin', 20)).exchanges;
    expect(slow.map((x) => x.pace)).toEqual([-1, 5, 5]);
  });
});

describe('context items', () => {
  it('login on the changing exchange, cwd where it leaves, end as a transaction of its own', () => {
    const s = session([
      ['USER', 'anonymous', '331'],
      ['PASS', '****', '230'],
      ['CWD', '..', '550'],
      ['STOR', 'x.exe', '226'],
    ]);
    const tx = sessionTransactions(s, CONTEXT_ITEMS).map((t) => t.items);
    expect(tx).toEqual([['220', '<greeting>'], ['331', 'USER'], ['230', 'PASS', 'login=anon'], ['550', 'CWD', 'cwd=above'], ['226', 'STOR'], ['end=close']]);
    expect(sessionTransactions(s, parseItemsSpec('command,code')).length).toBe(5);
  });
  it('a drip: the slow waits become pace items on the commands that waited', () => {
    const tx = sessionTransactions(session([['NOOP', '', '200'], ['NOOP', '', '200']], 'eof', 20), CONTEXT_ITEMS).map((t) => t.items);
    expect(tx).toEqual([['220', '<greeting>'], ['200', 'NOOP', 'pace=5'], ['200', 'NOOP', 'pace=5'], ['end=open']]);
  });
  it('item specs name the new kinds and refuse unknown ones', () => {
    expect(parseItemsSpec('command,code,context')).toMatchObject({ tags: true, login: true, cwd: true, end: true, pace: true });
    expect(parseItemsSpec('command,code,context')).toEqual(CONTEXT_ITEMS);
    expect(() => parseItemsSpec('command,mood')).toThrow(/unknown item kind "mood"/);
  });
});
