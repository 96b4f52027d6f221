import { describe, it, expect } from 'vitest';
import { checkProfiles, learnProfiles, quantiles, windowCounts } from '../src/match/profiles.js';
import type { Exchange, Session } from '../src/dataset/types.js';

function ex(index: number, command: string, finalCode: string, ts: number, arg = '', tags: string[] = []): Exchange {
  return { index, tsRequest: ts, tsReply: ts + 0.01, command, arg, replyCodes: finalCode ? [finalCode] : [], finalCode, flags: [], tags, line: 0 };
}

function session(id: string, clientIp: string, t0: number, cmds: [string, string, string?][]): Session {
  return {
    flowId: id, communityId: '', clientIp, clientPort: 1, serverIp: '127.0.0.1', serverPort: 21, label: 'vsftpd',
    exchanges: [ex(0, '<greeting>', '220', t0), ...cmds.map(([c, code, arg], i) => ex(i + 1, c, code, t0 + i + 1, arg ?? ''))],
  };
}

describe('quantiles (nearest rank)', () => {
  it('matches hand-computed ranks', () => {
    // 1..10: p=0.5 -> rank 5 -> 5; 0.75 -> rank 8 -> 8; 0.9 -> 9; 0.95/0.99/0.999/1 -> rank 10 -> 10
    expect(quantiles([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]).q).toEqual([5, 8, 9, 10, 10, 10, 10]);
    expect(quantiles([])).toEqual({ n: 0, q: [0, 0, 0, 0, 0, 0, 0] });
  });
});

describe('learnProfiles', () => {
  const a = session('A', '10.0.0.1', 0, [['USER', '331'], ['PASS', '530'], ['USER', '331'], ['PASS', '230'], ['RETR', '226', 'file.txt'], ['QUIT', '221']]);
  const b = session('B', '10.0.0.1', 30, [['USER', '331'], ['PASS', '230'], ['QUIT', '221']]);
  const c = session('C', '10.0.0.2', 100, [['QUIT', '221']]);
  const p = learnProfiles([a, b, c], { windowSeconds: 60 });

  it('keeps per-key repetition counts over the sessions that contain the key', () => {
    expect(p.global.repetition['USER,331']).toEqual({ sessions: 2, count: { n: 2, q: [1, 2, 2, 2, 2, 2, 2] } });
    expect(p.global.repetition['PASS,530']!.sessions).toBe(1);
    expect(p.global.length.q[6]).toBe(7);
  });
  it('records longest argument per command and the seen keys/items', () => {
    expect(p.maxArgLength.RETR).toBe('file.txt'.length);
    expect(p.seenKeys).toContain('PASS,530');
    expect(p.seenItems).toEqual(expect.arrayContaining(['USER', '331', '530', '<greeting>']));
    expect(p.seenItems).not.toContain('STOR');
  });
  it('counts across sessions per client address in the window', () => {
    const w = windowCounts([a, b, c], 60, 2);
    const byId = Object.fromEntries(w.map((x) => [x.session.flowId, x]));
    expect(byId.B).toMatchObject({ sessions: 2, failedLogins: 1, shortSessions: 0 });
    expect(byId.C).toMatchObject({ sessions: 1, failedLogins: 0, shortSessions: 1 });
    // window of 20 s: A (t=0) has left when B starts at t=30
    expect(windowCounts([a, b], 20, 2).find((x) => x.session.flowId === 'B')).toMatchObject({ sessions: 1, failedLogins: 0 });
  });
  it('a window holds the client\'s sessions judged before it that started after its start − W, also those that started after it', () => {
    // L starts at 0 and lasts 40 s; three probes start at 5, 6, 7 and end first (input = the order sessions ended)
    const long = session('L', '10.0.0.7', 0, Array.from({ length: 40 }, () => ['NOOP', '200'] as [string, string]));
    const probes = [5, 6, 7].map((t) => session(`P${t}`, '10.0.0.7', t, [['QUIT', '221']]));
    const w = windowCounts([...probes, long], 60, 2);
    const byId = Object.fromEntries(w.map((x) => [x.session.flowId, x]));
    expect(byId.L).toMatchObject({ sessions: 4, shortSessions: 3 });
    expect(byId.P5).toMatchObject({ sessions: 1 }); // judged first: L had not ended
    expect(byId.P7).toMatchObject({ sessions: 3, shortSessions: 3 });
    // a brute-force check over random orders and times: the definition, pair by pair
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 20; round++) {
      const ss = Array.from({ length: 30 }, (_, i) => session(`R${i}`, `10.0.1.${Math.floor(rnd() * 3)}`, Math.floor(rnd() * 300), rnd() < 0.5 ? [['QUIT', '221']] : [['USER', '331'], ['PASS', '530'], ['QUIT', '221']]));
      const got = windowCounts(ss, 60, 2);
      const want = ss.map((x, i) => ss.slice(0, i + 1).filter((y) => y.clientIp === x.clientIp && y.exchanges[0]!.tsRequest > x.exchanges[0]!.tsRequest - 60));
      for (const g of got) {
        const mine = want[ss.indexOf(g.session)]!;
        expect(g.sessions).toBe(mine.length);
        expect(g.failedLogins).toBe(mine.filter((y) => y.exchanges.length > 2).length);
      }
    }
  });
  it('round-trips through JSON and the checker; refuses a damaged one', () => {
    const back = checkProfiles(JSON.parse(JSON.stringify(p)));
    expect(back).toEqual(p);
    expect(() => checkProfiles({ ...p, version: 2 })).toThrow(/version/);
    expect(() => checkProfiles({ ...p, global: { ...p.global, length: { n: 1, q: [1] } } })).toThrow(/global.length/);
  });
  it('is deterministic and bounded', () => {
    expect(JSON.stringify(learnProfiles([c, b, a]))).toBe(JSON.stringify(learnProfiles([c, b, a])));
    const small = learnProfiles([a, b, c], { maxKeys: 2 });
    expect(small.seenKeys.length).toBe(2);
    expect(small.truncated.keys).toBeGreaterThan(0);
  });
});
