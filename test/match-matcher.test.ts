import { describe, it, expect, beforeAll } from 'vitest';
import { createMatcher, type MatchEvent, type Reason, type Verdict } from '../src/match/matcher.js';
import { parseModelText, toMatchModel, type MatchModel } from '../src/match/model.js';
import { thresholdAt } from '../src/match/detector.js';
import { clientAlertScores } from '../src/match/calibrate.js';
import { parseDataset } from '../src/dataset/read.js';
import type { Exchange, Session } from '../src/dataset/types.js';
import { trainModelText } from '../src/ids/train.js';
import { mulberry32 } from './prng.js';

/**
 * The matcher with a model trained the way ftp-ids train does (mined patterns, profiles, the
 * detector calibrated by cross-validation) on 240 varied benign sessions, then judged on hand-made
 * attacks and held-back benign sessions.
 */
type Cmd = [command: string, code: string, arg?: string, tags?: string[], replyPath?: string];
let flowSeq = 0;
function session(cmds: Cmd[], o: { clientIp?: string; t0?: number; step?: number; label?: string; id?: string; end?: string } = {}): Session {
  const t0 = o.t0 ?? 1000;
  const step = o.step ?? 0.2;
  const exchanges: Exchange[] = [['<greeting>', '220'] as Cmd, ...cmds].map(([command, code, arg, tags, replyPath], i) => ({
    index: i, tsRequest: t0 + i * step, tsReply: t0 + i * step + 0.01, command, arg: arg ?? '',
    replyCodes: code ? [code] : [], finalCode: code, flags: [], tags: tags ?? [], replyPath: replyPath ?? '', line: 0,
  }));
  return {
    flowId: o.id ?? `F${(flowSeq++).toString(16).padStart(16, '0')}`, communityId: '1:x', clientIp: o.clientIp ?? '10.0.0.1',
    clientPort: 40000 + flowSeq, serverIp: '10.0.0.99', serverPort: 21, label: o.label ?? 'vsftpd', end: o.end ?? 'fin', exchanges,
  };
}

const rng = mulberry32;

const LOGIN: Cmd[] = [['USER', '331', 'alice'], ['PASS', '230', '****']];
/** Benign sessions: user or anonymous logins, listings, downloads, a directory walk down and back, sometimes a failed login first or no QUIT. */
function benign(i: number, t0: number, r: () => number): Session {
  const body: Cmd[] = [];
  const anon = r() < 0.3;
  if (!anon && r() < 0.15) body.push(['USER', '331', 'alice'], ['PASS', '530', '****']);
  body.push(anon ? ['USER', '331', 'anonymous'] : ['USER', '331', 'alice'], ['PASS', '230', '****']);
  if (r() < 0.5) body.push(['SYST', '215']);
  body.push(['PWD', '257', '', [], anon ? '/' : '/home/alice']);
  body.push(['TYPE', '200', 'I']);
  const steps = 1 + Math.floor(r() * 4);
  for (let k = 0; k < steps; k++) {
    const x = r();
    if (x < 0.35) body.push(['PASV', '227'], ['LIST', '226']);
    else if (x < 0.7) body.push(['PASV', '227'], ['RETR', '226', `file${Math.floor(r() * 9)}.txt`]);
    else if (x < 0.85) body.push(['CWD', '250', 'pub'], ['PASV', '227'], ['NLST', '226'], ['CWD', '250', '..']);
    else body.push(['SIZE', '213', 'notes.txt']);
  }
  if (!anon && r() < 0.2) body.push(['PASV', '227'], ['STOR', '226', 'upload.bin']);
  const quit = r() < 0.9;
  if (quit) body.push(['QUIT', '221']);
  return session(body, { clientIp: `10.0.1.${i % 200}`, t0, end: quit ? 'fin' : 'rst' });
}

const r = rng(20261206);
const training = Array.from({ length: 240 }, (_, i) => benign(i, 1000 + i * 130, r));
const heldBack = Array.from({ length: 40 }, (_, i) => benign(i + 1000, 900_000 + i * 130, r));

let m: MatchModel;
beforeAll(() => {
  m = parseModelText(trainModelText(training));
});

function run(sessions: Session[], opts: Record<string, unknown> = {}, model = m): { verdicts: Verdict[]; events: MatchEvent[] } {
  const verdicts: Verdict[] = [];
  const events: MatchEvent[] = [];
  const matcher = createMatcher(model, opts, (v) => verdicts.push(v), (e) => events.push(e));
  for (const s of sessions) matcher.pushSession(s);
  matcher.end();
  return { verdicts, events };
}
const judge1 = (s: Session, opts: Record<string, unknown> = {}): Verdict => run([s], opts).verdicts[0]!;
const reason = <K extends Reason['kind']>(v: Verdict, kind: K) => v.reasons.find((x) => x.kind === kind) as Extract<Reason, { kind: K }> | undefined;

describe('matcher: the calibrated score on hand-built sessions', () => {
  it('the model carries a calibrated detector; held-back benign sessions score under its threshold', () => {
    const d = m.detector!;
    expect(d.folds).toBe(20);
    expect(d.sessions).toBe(240);
    expect(d.threshold).toBe(thresholdAt(d.cvScores, 0.01));
    const { verdicts } = run(heldBack);
    const flagged = verdicts.filter((v) => v.verdict === 'suspicious');
    expect(flagged.length).toBeLessThanOrEqual(1);
    for (const v of verdicts) expect(v.threshold).toBeCloseTo(d.threshold, 3);
    expect(verdicts.filter((v) => v.bestPattern !== '').length).toBeGreaterThan(30);
  });

  it('brute force within a session: the repetition of a failed PASS, with its exchanges', () => {
    const attempts: Cmd[] = [];
    for (let k = 0; k < 8; k++) attempts.push(['USER', '331', 'alice'], ['PASS', '530', '****']);
    const v = judge1(session([...attempts, ['QUIT', '221']], { clientIp: '10.9.9.9' }));
    expect(v.verdict).toBe('suspicious');
    expect(v.score).toBeGreaterThan(v.threshold);
    const rep = v.reasons.find((x) => x.kind === 'repetition' || x.kind === 'unseen_item')!;
    expect(rep).toBeDefined();
    // the failed PASS after the first failure: a key of its own (login state "failed"), 7 times
    const keyed = v.reasons.flatMap((x) => ('item' in x ? [x.item] : 'items' in x ? x.items : []));
    expect(keyed.some((k) => k.startsWith('PASS,530@failed') || k.startsWith('USER,331@failed'))).toBe(true);
  });

  it('bounce: a PORT to a foreign address is reported at its exchange, though PORT,200 itself is ordinary', () => {
    const v = judge1(session([...LOGIN, ['PWD', '257', '', [], '/home/alice'], ['PORT', '200', '10,7,7,7,0,22', ['port_foreign', 'port_privileged']], ['RETR', '226', 'x'], ['QUIT', '221']]));
    expect(v.verdict).toBe('suspicious');
    const a = reason(v, 'rare_attribute')!;
    expect(a.attribute).toMatch(/^tag=port_(foreign|privileged)$/);
    expect(a.trainingSessions).toBe(0);
    expect(a.exchanges).toEqual([4]);
  });

  it('traversal: the exchange that climbs above the login directory is named; CWD .. after going down is not', () => {
    const walk = judge1(session([...LOGIN, ['PWD', '257', '', [], '/home/alice'], ['CWD', '250', 'pub'], ['CWD', '250', '..'], ['PASV', '227'], ['LIST', '226'], ['QUIT', '221']], { clientIp: '10.0.1.3', t0: 5_000_000 }));
    expect(walk.verdict).toBe('normal');
    const climb = judge1(
      session([...LOGIN, ['PWD', '257', '', [], '/home/alice'], ['CWD', '250', '..'], ['CWD', '250', '..'], ['CWD', '250', 'etc'], ['PASV', '227'], ['RETR', '226', 'passwd'], ['QUIT', '221']], { clientIp: '10.6.6.6' }),
    );
    expect(climb.verdict).toBe('suspicious');
    const a = reason(climb, 'rare_attribute')!;
    expect(a.attribute).toMatch(/^cwd=(above|outside)$/);
    // exchange 4 is the first CWD .. at the login directory
    expect(a.attribute === 'cwd=above' ? a.exchanges : [4]).toEqual([4]);
  });

  it('an overlong argument against the longest one of its command in training', () => {
    const v = judge1(session([...LOGIN, ['PASV', '227'], ['RETR', '550', 'y'.repeat(3000)], ['QUIT', '221']], { clientIp: '10.5.5.5' }));
    expect(v.verdict).toBe('suspicious');
    const o = reason(v, 'overlong')!;
    expect(o).toMatchObject({ command: 'RETR', length: 3000, exchanges: [4] });
    expect(o.limit).toBeLessThan(20);
  });

  it('garbage: command words training never saw, all named', () => {
    const v = judge1(session([['GET', '500', '/ HTTP/1.1'], ['HOST:', '500', 'x'], ['\u0016\u0003\u0001', '500'], ['SSH-2.0-OPENSSH_8.9', '500']], { clientIp: '10.4.4.4', end: 'fin' }));
    expect(v.verdict).toBe('suspicious');
    const unseen = v.reasons.filter((x) => x.kind === 'unseen_item').flatMap((x) => (x as { items: string[] }).items);
    expect(unseen.some((k) => k.startsWith('GET,500'))).toBe(true);
  });

  it('reasons carry the score over the threshold: their surprisals add up to more than it', () => {
    const v = judge1(session([['LIST', '530'], ['RETR', '530', 'x'], ['STOR', '530', 'y'], ['DELE', '530', 'z'], ['MKD', '530', 'w']], { clientIp: '10.3.3.3' }));
    expect(v.verdict).toBe('suspicious');
    const sum = v.reasons.reduce((a, x) => a + x.surprisal, 0);
    expect(sum).toBeGreaterThan(v.threshold - 0.01);
    // ordered by their share
    const sur = v.reasons.map((x) => x.surprisal);
    expect([...sur].sort((a, b) => b - a)).toEqual(sur);
  });
});

describe('matcher: incidents across sessions', () => {
  it('a burst of short failed sessions from one client: the first sessions are updated when the window trips, one incident names them all', () => {
    const burst = Array.from({ length: 12 }, (_, k) => session([['USER', '331', 'root'], ['PASS', '530', '****']], { clientIp: '10.8.8.8', t0: 2_000_000 + k * 2, end: 'rst' }));
    const { verdicts, events } = run(burst);
    const first = verdicts.filter((v) => !v.update);
    expect(first.length).toBe(12);
    const updates = verdicts.filter((v) => v.update);
    const incidents = events.filter((e): e is Extract<MatchEvent, { type: 'incident' }> => e.type === 'incident');
    expect(incidents.length).toBeGreaterThan(0);
    const last = incidents[incidents.length - 1]!;
    expect(last.client).toBe('10.8.8.8');
    // the incident names every session of the burst, and each one ends up suspicious (directly or by an update)
    expect(new Set(last.sessions)).toEqual(new Set(burst.map((s) => s.flowId)));
    const flagged = new Set(verdicts.filter((v) => v.verdict === 'suspicious').map((v) => v.flowId));
    expect(flagged.size).toBe(12);
    // updates only for sessions that went out normal, and each names the incident
    for (const u of updates) {
      expect(first.find((v) => v.flowId === u.flowId)!.verdict).toBe('normal');
      expect(u.reasons[0]).toMatchObject({ kind: 'incident', incident: last.id, client: '10.8.8.8' });
    }
    expect(last.first).toBe(2_000_000);
  });

  it('a session of the client that starts while its incident is open joins it, whatever it did itself', () => {
    const burst = Array.from({ length: 10 }, (_, k) => session([['USER', '331', 'root'], ['PASS', '530', '****']], { clientIp: '10.8.8.7', t0: 6_000_000 + k * 2, end: 'rst' }));
    // the burst's last session starts at +18 and ends about 0.6 s later; the window is 60 s: a session
    // at +78.3 has no burst session in its own window, but starts within 60 s of the incident's last one
    const later = benign(7000, 6_000_078.3, rng(3));
    const after = benign(7001, 6_000_020 + 3600, rng(4));
    const { verdicts, events } = run([...burst, { ...later, clientIp: '10.8.8.7' }, { ...after, clientIp: '10.8.8.7' }]);
    const v = verdicts.find((x) => x.flowId === later.flowId && !x.update)!;
    expect(v.verdict).toBe('suspicious');
    expect(v.reasons.at(-1)).toMatchObject({ kind: 'incident', client: '10.8.8.7' });
    const incidents = events.filter((e) => e.type === 'incident');
    expect((incidents.at(-1) as { sessions: string[] }).sessions).toContain(later.flowId);
    // an hour later the incident is over: judged on its own
    expect(verdicts.find((x) => x.flowId === after.flowId)!.verdict).toBe('normal');
  });

  it('an incident lasts W past its last evidence, not as long as the address keeps connecting (a shared address)', () => {
    const burst = Array.from({ length: 10 }, (_, k) => session([['USER', '331', 'root'], ['PASS', '530', '****']], { clientIp: '10.8.8.6', t0: 7_000_000 + k * 2, end: 'rst' }));
    // ordinary sessions of the same address every 61 s after the burst: each starts within 60 s of the
    // previous one's end, but no two are in one 60 s window
    const r2 = rng(5);
    const steady = Array.from({ length: 10 }, (_, k) => ({ ...benign(8000 + k, 7_000_078.3 + k * 61, r2), clientIp: '10.8.8.6' }));
    const { verdicts } = run([...burst, ...steady]);
    const joined = (id: string) => verdicts.some((v) => v.flowId === id && v.reasons.some((r) => r.kind === 'incident'));
    // the first ordinary session starts within 60 s of the burst's last session (but has none of it in its own window): it joins
    expect(joined(steady[0]!.flowId)).toBe(true);
    // the later ones are judged on their own: joining did not keep the incident open
    expect(steady.slice(2).filter((s) => joined(s.flowId))).toEqual([]);
  });

  it('one alert tags its client: a session that starts within W of its end joins, reported as one incident; later ones do not', () => {
    const T = 9_000_000;
    const attack = session([['USER', '331', 'root'], ['PASS', '230', '****'], ['SITE', '200', 'CHMOD 777 x'], ['DELE', '250', 'a'], ['RMD', '250', 'b']], { clientIp: '10.8.8.5', t0: T });
    const r3 = rng(7);
    // starts 61 s after the attack started: not in its window, but within W of its end
    const next = { ...benign(9001, T + 61, r3), clientIp: '10.8.8.5' };
    const later = { ...benign(9002, T + 3600, r3), clientIp: '10.8.8.5' };
    const { verdicts, events } = run([attack, next, later]);
    const first = (id: string) => verdicts.find((v) => v.flowId === id && !v.update)!;
    expect(first(attack.flowId).verdict).toBe('suspicious');
    expect(first(attack.flowId).reasons.some((x) => x.kind === 'incident' || x.kind.startsWith('window_'))).toBe(false);
    expect(first(next.flowId).verdict).toBe('suspicious');
    expect(first(next.flowId).score).toBeLessThan(first(next.flowId).threshold);
    expect(reason(first(next.flowId), 'incident')).toMatchObject({ client: '10.8.8.5', sessions: [attack.flowId] });
    expect(first(later.flowId).verdict).toBe('normal');
    const incidents = events.filter((e) => e.type === 'incident');
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ client: '10.8.8.5', sessions: [attack.flowId, next.flowId] });
    // the rule the threshold was calibrated for (calibrate.ts clientAlertScores) flags the same sessions
    const own = [attack, next, later].map((x) => first(x.flowId).score);
    const spread = clientAlertScores([attack, next, later], own, m.profiles!.window.windowSeconds);
    expect(spread.map((x) => x > m.detector!.threshold)).toEqual([true, true, false]);
  });

  it('a clean client is not part of another client\'s incident', () => {
    const burst = Array.from({ length: 10 }, (_, k) => session([['USER', '331', 'root'], ['PASS', '530', '****']], { clientIp: '10.8.8.9', t0: 3_000_000 + k * 2, end: 'rst' }));
    const clean = benign(5000, 3_000_001, rng(1));
    const { verdicts, events } = run([...burst.slice(0, 5), clean, ...burst.slice(5)]);
    for (const e of events) if (e.type === 'incident') expect(e.sessions).not.toContain(clean.flowId);
    expect(verdicts.find((v) => v.flowId === clean.flowId)!.verdict).toBe('normal');
  });
});

describe('matcher: servers the model never saw, sensitivity, study mode, bad models', () => {
  it('an unknown server label: verdict "unfit" and one model_fit notice, unless asked to judge it', () => {
    const other = Array.from({ length: 5 }, (_, k) => benign(k, 4_000_000 + k * 200, rng(2))).map((s) => ({ ...s, label: 'pyftpdlib' }));
    const { verdicts, events } = run(other);
    expect(verdicts.map((v) => v.verdict)).toEqual(['unfit', 'unfit', 'unfit', 'unfit', 'unfit']);
    expect(events.filter((e) => e.type === 'model_fit')).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'model_fit', label: 'pyftpdlib' });
    const judged = run(other, { judgeUnknownServers: true });
    expect(judged.verdicts.every((v) => v.verdict !== 'unfit')).toBe(true);
    expect(judged.events).toHaveLength(0);
  });

  it('--sensitivity moves the threshold along the cross-validated scores', () => {
    const d = m.detector!;
    const at = (x: number) => judge1(heldBack[0]!, { sensitivity: x }).threshold;
    expect(at(1)).toBeCloseTo(d.threshold, 3);
    expect(at(5)).toBeCloseTo(thresholdAt(d.cvScores, 0.05), 3);
    expect(at(5)).toBeLessThanOrEqual(at(1));
    expect(at(0.1)).toBeGreaterThanOrEqual(at(1));
  });

  it('study mode: normal iff the session supports at least one pattern', () => {
    const v = judge1(heldBack[0]!, { mode: 'study' });
    expect(v.verdict).toBe('normal');
    const w = judge1(session([['HELP', '214']], { clientIp: '10.2.2.2' }), { mode: 'study' });
    expect(w.verdict).toBe('suspicious');
    expect(w.reasons[0]).toMatchObject({ kind: 'no_pattern' });
  });

  it('full mode refuses a model without a calibrated detector', () => {
    const json = JSON.parse(trainModelText(training.slice(0, 30)));
    delete json.detector;
    expect(() => createMatcher(toMatchModel(json), {}, () => {})).toThrow(/no calibrated detector/);
    expect(() => createMatcher(toMatchModel(json), { mode: 'study' }, () => {})).not.toThrow();
    json.detector = { format: 'ftp-ids-detector', version: 9 };
    expect(() => toMatchModel(json)).toThrow(/detector: version 9 is not supported/);
  });

  it('sessions parsed from dataset CSV text are matched like hand-built ones', () => {
    const s = heldBack[3]!;
    const head = 'flow_id,client_ip,client_port,server_ip,server_port,label,index,ts_request,ts_reply,command,arg,reply_codes,final_code,flags,tags,flow_end,reply_path';
    const rows = s.exchanges.map((e) => [s.flowId, s.clientIp, s.clientPort, s.serverIp, s.serverPort, s.label, e.index, e.tsRequest, e.tsReply, e.command, e.arg, e.replyCodes.join(' '), e.finalCode, '', e.tags.join(';'), s.end, e.replyPath].join(','));
    const [parsed] = parseDataset([head, ...rows].join('\n') + '\n');
    const a = judge1(s);
    const b = judge1({ ...parsed!, communityId: s.communityId });
    expect(b.score).toBe(a.score);
    expect(b.verdict).toBe(a.verdict);
  });
});
