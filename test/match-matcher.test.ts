import { describe, it, expect } from 'vitest';
import { createMatcher, countLimit, type Reason, type Verdict } from '../src/match/matcher.js';
import { learnProfiles } from '../src/match/profiles.js';
import { parseModelText, toMatchModel, type MatchModel } from '../src/match/model.js';
import { parseDataset } from '../src/dataset/read.js';
import type { Exchange, Session } from '../src/dataset/types.js';

type Cmd = [command: string, code: string, arg?: string, tags?: string[]];
let flowSeq = 0;
function session(cmds: Cmd[], o: { clientIp?: string; t0?: number; step?: number; label?: string; id?: string } = {}): Session {
  const t0 = o.t0 ?? 1000;
  const step = o.step ?? 1;
  const exchanges: Exchange[] = [['<greeting>', '220'] as Cmd, ...cmds].map(([command, code, arg, tags], i) => ({
    index: i, tsRequest: t0 + i * step, tsReply: t0 + i * step + 0.01, command, arg: arg ?? '',
    replyCodes: code ? [code] : [], finalCode: code, flags: [], tags: tags ?? [], line: 0,
  }));
  return {
    flowId: o.id ?? `F${(flowSeq++).toString(16).padStart(16, '0')}`, communityId: '1:x', clientIp: o.clientIp ?? '10.0.0.1',
    clientPort: 40000 + flowSeq, serverIp: '10.0.0.99', serverPort: 21, label: o.label ?? 'vsftpd', exchanges,
  };
}

const LOGIN: Cmd[] = [['USER', '331', 'alice'], ['PASS', '230', '****']];
// benign training: logins, listings, downloads, one failed-then-successful login each few sessions
function benign(i: number, t0: number): Session {
  const body: Cmd[] = [];
  if (i % 4 === 0) body.push(['USER', '331', 'alice'], ['PASS', '530', '****']);
  body.push(...LOGIN, ['PWD', '257'], ['PASV', '227'], ['LIST', '226']);
  for (let k = 0; k < (i % 3) + 1; k++) body.push(['PASV', '227'], ['RETR', '226', `file${k}.txt`]);
  if (i % 5 === 0) body.push(['PORT', '200', '10,0,0,1,200,1'], ['RETR', '226', 'notes.txt']);
  body.push(['QUIT', '221']);
  return session(body, { clientIp: `10.0.1.${i % 50}`, t0 });
}
const training = Array.from({ length: 60 }, (_, i) => benign(i, 1000 + i * 100));

const P = (...els: string[][]) => ({ pattern: els, support: 54, fraction: 0.9 });
/** A model file as ftp-gsp writes it (src/gsp/model.ts). */
function modelJson(patterns: ReturnType<typeof P>[], extra: Record<string, unknown> = {}, models: Record<string, unknown> = {}) {
  return {
    format: 'ftp-ids-model', version: 1, generator: 'test', params: { items: 'command,code', minGap: null, maxGap: null, window: 0, taxonomy: 'none' },
    dataset: { sequences: 60 }, models: { '*': { sequences: 60, minSupportCount: 54, patterns }, ...models }, ...extra,
  };
}
const PATTERNS = [
  P(['<greeting>', '220'], ['USER', '331'], ['PASS', '230'], ['PASV', '227'], ['LIST', '226'], ['QUIT', '221']),
  P(['USER', '331'], ['PASS', '230'], ['PASV', '227'], ['RETR', '226'], ['QUIT', '221']),
  P(['PORT', '200'], ['RETR', '226']),
  P(['PWD', '257']),
];
function model(profiles = learnProfiles(training, { windowSeconds: 60 })): MatchModel {
  return toMatchModel(modelJson(PATTERNS, { profiles }));
}

function run(sessions: Session[], opts: Record<string, unknown> = {}, m = model()): Verdict[] {
  const out: Verdict[] = [];
  const matcher = createMatcher(m, opts, (v) => out.push(v));
  for (const s of sessions) matcher.pushSession(s);
  matcher.end();
  return out;
}
const kinds = (v: Verdict) => v.reasons.map((r) => r.kind).sort();
const reason = <K extends Reason['kind']>(v: Verdict, kind: K) => v.reasons.find((r) => r.kind === kind) as Extract<Reason, { kind: K }> | undefined;

describe('matcher on hand-built sessions', () => {
  it('a held-back benign session is normal and fully explained', () => {
    const [v] = run([benign(7, 500_000)]);
    expect(v!.reasons).toEqual([]);
    expect(v!.verdict).toBe('normal');
    expect(v!.bestPattern).toBe('<{220,<greeting>} {331,USER} {230,PASS} {227,PASV} {226,LIST} {221,QUIT}>');
  });

  it('brute force within a session: repetition of {PASS,530} beyond the training maximum', () => {
    const attempts: Cmd[] = [];
    for (let k = 0; k < 8; k++) attempts.push(['USER', '331', 'alice'], ['PASS', '530', '****']);
    const [v] = run([session([...attempts, ['QUIT', '221']], { clientIp: '10.9.9.9' })]);
    const r = reason(v!, 'repetition');
    // training: PASS,530 at most once per session -> limit 1 + max(1, 0.5)/1 = 2
    expect(v!.reasons.filter((x) => x.kind === 'repetition').map((x) => (x as { item: string }).item)).toContain('PASS,530');
    const pass = v!.reasons.find((x) => x.kind === 'repetition' && x.item === 'PASS,530') as Extract<Reason, { kind: 'repetition' }>;
    expect(pass).toEqual({ kind: 'repetition', item: 'PASS,530', count: 8, limit: 2, exchanges: [2, 4, 6, 8, 10, 12, 14, 16] });
    expect(r).toBeDefined();
    expect(v!.verdict).toBe('suspicious');
  });

  it('bounce: a foreign PORT target is reported with its exchange, even though {PORT,200} is normal', () => {
    const [v] = run([session([...LOGIN, ['PORT', '200', '10,7,7,7,0,22', ['port_foreign', 'port_privileged']], ['RETR', '226', 'x'], ['QUIT', '221']])]);
    expect(reason(v!, 'foreign_port')).toEqual({ kind: 'foreign_port', exchanges: [3] });
    expect(reason(v!, 'privileged_port')).toEqual({ kind: 'privileged_port', exchanges: [3] });
  });

  it('traversal, binary and overlong arguments', () => {
    const [v] = run([session([...LOGIN, ['RETR', '550', '../../../etc/passwd', ['path_climb']], ['CWD', '250', 'x'.repeat(300)], ['RETR', '226', 'a\u0001b', ['arg_binary']], ['QUIT', '221']])]);
    expect(reason(v!, 'path_climb')).toEqual({ kind: 'path_climb', exchanges: [3] });
    expect(reason(v!, 'arg_binary')).toEqual({ kind: 'arg_binary', exchanges: [5] });
    // CWD never seen in training: reported as unseen (no argument length known for it)
    expect(reason(v!, 'unseen_item')!.items).toEqual(expect.arrayContaining(['CWD', 'CWD,250', 'RETR,550']));
    const [w] = run([session([...LOGIN, ['RETR', '226', 'y'.repeat(40)], ['QUIT', '221']])]);
    // longest RETR argument in training: 'notes.txt' (9) -> limit ceil(9 + 4.5) = 14
    expect(reason(w!, 'overlong')).toEqual({ kind: 'overlong', command: 'RETR', length: 40, limit: 14, exchanges: [3] });
  });

  it('garbage shows up as unseen items; a never-seen pair of known items needs a second one or a write command', () => {
    const [v] = run([session([['HELO', '500', 'x'], ['LIST', '530'], ['QUIT', '221']])]);
    // HELO and 500 are new altogether; LIST and 530 are known from training, only their pair is new
    expect(reason(v!, 'unseen_item')).toEqual({ kind: 'unseen_item', items: ['500', 'HELO', 'HELO,500'], exchanges: [1] });
    expect(reason(v!, 'unseen_pair')).toBeUndefined();
    const [pre] = run([session([['LIST', '530'], ['RETR', '530', 'x'], ['QUIT', '221']])]);
    expect(pre!.reasons).toEqual([{ kind: 'unseen_pair', items: ['LIST,530', 'RETR,530'], exchanges: [1, 2] }]);
    expect(run([session([['LIST', '530'], ['RETR', '530', 'x'], ['QUIT', '221']])], { minUnseenPairs: 3 })[0]!.reasons).toEqual([]);
    // an upload refused: STOR and 550 are both known from training, STOR,550 is not; one is enough on a write
    const m = model(learnProfiles([...training, session([...LOGIN, ['STOR', '226', 'a'], ['RETR', '550', 'x']])]));
    const [up] = run([session([['USER', '331', 'alice'], ['PASS', '230'], ['STOR', '550', 'x'], ['QUIT', '221']])], {}, m);
    expect(up!.reasons).toEqual([{ kind: 'unseen_pair', items: ['STOR,550'], exchanges: [3] }]);
  });

  it('session length and idle time beyond training', () => {
    const cmds: Cmd[] = [...LOGIN];
    for (let k = 0; k < 40; k++) cmds.push(['PWD', '257']);
    const [v] = run([session(cmds)]);
    expect(reason(v!, 'length')!.count).toBe(43);
    expect(reason(v!, 'repetition')).toMatchObject({ item: 'PWD,257', count: 40 });
    const [w] = run([session([...LOGIN, ['QUIT', '221']], { step: 200 })]);
    expect(kinds(w!)).toEqual(['duration', 'idle']);
  });

  it('across sessions: many short sessions of one client in the window point at all of them', () => {
    const flood = Array.from({ length: 12 }, (_, i) => session([['QUIT', '221']], { clientIp: '10.6.6.6', t0: 900_000 + i, id: `FLOOD${i}` }));
    const out = run(flood);
    // training: one session per client per 60 s window -> limit 1 + 1 = 2 sessions, and short sessions 0 -> limit 1
    expect(out[0]!.reasons.filter((r) => r.kind.startsWith('window'))).toEqual([]);
    const third = out[2]!;
    const ws = reason(third, 'window_sessions')!;
    expect(ws).toEqual({ kind: 'window_sessions', client: '10.6.6.6', count: 3, limit: 2, window: 60, sessions: ['FLOOD0', 'FLOOD1', 'FLOOD2'] });
    expect(reason(out[1]!, 'window_short_sessions')).toMatchObject({ count: 2, limit: 1 });
    expect(out.slice(2).every((v) => v.verdict === 'suspicious')).toBe(true);
    // another client in the same period is not blamed
    const other = run([...flood, session(LOGIN, { clientIp: '10.6.6.7', t0: 900_005 })]);
    expect(other[12]!.reasons.filter((r) => r.kind.startsWith('window'))).toEqual([]);
  });

  it('across sessions: failed logins of one client add up; a clean session is not blamed', () => {
    const tries = Array.from({ length: 4 }, (_, i) => session([['USER', '331', 'bob'], ['PASS', '530', '****'], ['QUIT', '221']], { clientIp: '10.5.5.5', t0: 800_000 + i * 5, id: `BF${i}` }));
    const out = run([...tries, session([...LOGIN, ['QUIT', '221']], { clientIp: '10.5.5.5', t0: 800_030, id: 'OK' })]);
    // training: at most 1 failed login per client window -> limit 2
    expect(reason(out[2]!, 'window_failed_logins')).toEqual({ kind: 'window_failed_logins', client: '10.5.5.5', count: 3, limit: 2, window: 60, sessions: ['BF0', 'BF1', 'BF2'] });
    expect(reason(out[4]!, 'window_failed_logins')).toBeUndefined();
  });

  it('sensitivity moves the limits as documented', () => {
    const q = { n: 5, q: [0, 0, 1, 1, 2, 2, 4] };
    expect(countLimit(q, 1)).toBe(6);
    expect(countLimit(q, 2)).toBe(5);
    expect(countLimit(q, 0.5)).toBe(8);
    const three: Cmd[] = [['USER', '331'], ['PASS', '530'], ['USER', '331'], ['PASS', '530'], ['USER', '331'], ['PASS', '530'], ['QUIT', '221']];
    expect(reason(run([session(three)], { sensitivity: 1 })[0]!, 'repetition')).toBeDefined(); // 3 > 2
    expect(run([session(three)], { sensitivity: 0.5 })[0]!.reasons.find((r) => r.kind === 'repetition' && r.item === 'PASS,530')).toBeUndefined(); // 3 ≤ 3
  });

  it('study mode: normal iff the session supports at least one pattern', () => {
    const [a, b] = run([benign(3, 600_000), session([['SYST', '215'], ['QUIT', '221']])], { mode: 'study' });
    expect(a!.verdict).toBe('normal');
    expect(b!.reasons).toEqual([{ kind: 'no_pattern', patterns: 4 }]);
  });

  it('uses the label model when there is one', () => {
    const m = model();
    m.byLabel.proftpd = { sessions: 10, patterns: [{ elements: [['SYST', '215']], support: 1 }] };
    const [a, b] = run([session([['SYST', '215'], ['QUIT', '221']], { label: 'proftpd' }), session([['SYST', '215']], { label: 'other' })], { mode: 'study' }, m);
    expect(a!.model).toBe('proftpd');
    expect(a!.verdict).toBe('normal');
    expect(b!.model).toBe('global');
    expect(b!.verdict).toBe('suspicious');
  });
});

describe('model refusal', () => {
  const good = JSON.stringify(modelJson([], { profiles: learnProfiles(training) }));
  it('accepts a good model', () => {
    expect(parseModelText(good).global.patterns).toEqual([]);
  });
  it('refuses another version, another format, damaged JSON, damaged patterns and profiles', () => {
    const obj = JSON.parse(good);
    expect(() => parseModelText(JSON.stringify({ ...obj, version: 2 }), 'm.json')).toThrow(/version 2 is not supported/);
    expect(() => parseModelText(JSON.stringify({ ...obj, format: 'spmf' }))).toThrow(/format "spmf"/);
    expect(() => parseModelText(good.slice(0, good.length / 2), 'm.json')).toThrow(/not a JSON model/);
    expect(() => parseModelText(JSON.stringify({ ...obj, models: { '*': { sequences: 1, minSupportCount: 1, patterns: [{ pattern: [['USER'], []], support: 1, fraction: 1 }] } } }))).toThrow(/pattern 0 is damaged/);
    expect(() => parseModelText(JSON.stringify({ ...obj, params: { ...obj.params, taxonomy: 'ftp' } }))).toThrow(/taxonomy/);
    expect(() => parseModelText(JSON.stringify({ ...obj, profiles: { ...obj.profiles, version: 9 } }))).toThrow(/profiles: version 9/);
    try {
      parseModelText(JSON.stringify({ ...obj, version: 2 }), 'm.json');
    } catch (e) {
      expect((e as { code: string }).code).toBe('MODEL_VERSION');
    }
  });
  it('full mode refuses a model without profiles', () => {
    const m = toMatchModel(modelJson([]));
    expect(() => createMatcher(m, {}, () => {})).toThrow(/no "profiles"/);
    expect(() => createMatcher(m, { mode: 'study' }, () => {})).not.toThrow();
  });
});

describe('CSV input', () => {
  it('sessions parsed from dataset CSV text are matched like hand-built ones', () => {
    const csv = [
      'flow_id,community_id,client_ip,client_port,server_ip,server_port,label,index,ts_request,ts_reply,command,arg,reply_codes,final_code,flags,tags',
      'F1,1:a,10.0.0.1,40000,10.0.0.99,21,vsftpd,0,1.0,1.0,<greeting>,,220,220,,',
      'F1,1:a,10.0.0.1,40000,10.0.0.99,21,vsftpd,1,2.0,2.1,USER,alice,331,331,,',
      'F1,1:a,10.0.0.1,40000,10.0.0.99,21,vsftpd,2,3.0,3.1,PASS,****,230,230,,',
      'F1,1:a,10.0.0.1,40000,10.0.0.99,21,vsftpd,3,4.0,4.1,PORT,"10,1,2,3,0,21",200,200,,port_foreign;port_privileged',
      'F1,1:a,10.0.0.1,40000,10.0.0.99,21,vsftpd,4,5.0,5.1,QUIT,,221,221,,',
    ].join('\n') + '\n';
    const [v] = run(parseDataset(csv));
    expect(reason(v!, 'foreign_port')).toEqual({ kind: 'foreign_port', exchanges: [3] });
    expect(v!.flowId).toBe('F1');
  });
});

describe('matchStage (highland)', () => {
  it('gives the same verdicts as the core, in order', async () => {
    const { default: _ } = await import('highland');
    const { matchStage } = await import('../stages/match.js');
    const sessions = [benign(1, 700_000), session([['HELO', '500']]), benign(2, 700_100)];
    const viaStage = await new Promise<Verdict[]>((res, rej) => _(sessions).through(matchStage(model())).stopOnError(rej).toArray(res));
    expect(viaStage).toEqual(run(sessions));
    expect(viaStage.map((v) => v.verdict)).toEqual(['normal', 'suspicious', 'normal']);
  });
});
