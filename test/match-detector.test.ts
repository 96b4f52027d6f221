import { describe, it, expect } from 'vitest';
import {
  attributeSurprisal,
  boundScores,
  buildTail,
  checkDetector,
  FEATURE_GROUPS,
  FEATURES,
  keySurprisal,
  learnKeys,
  positiveCompletion,
  scoreOf,
  surprisal,
  thresholdAt,
  type FeatureValues,
  type SessionKey,
  type Tail,
} from '../src/match/detector.js';
import { calibrate, clientAlertScores } from '../src/match/calibrate.js';
import { normalizeGspConfig } from '../src/gsp/config.js';
import { learnProfiles } from '../src/match/profiles.js';
import type { Exchange, Session } from '../src/dataset/types.js';

describe('tails: empirical inside the observed range, exponential beyond it', () => {
  it('p = (#values ≥ x + 1)/(n + 1) inside the range, 1 at or below the smallest', () => {
    const values = [0, 0, 0, 1, 1, 2, 5, 9];
    const t = buildTail(values);
    for (const x of [-1, 0, 0.5, 1, 1.5, 2, 3, 5, 9]) {
      const ge = values.filter((v) => v >= x).length;
      const want = x <= 0 ? 0 : -Math.log((ge + 1) / (values.length + 1));
      expect(surprisal(t, x)).toBeCloseTo(want, 12);
    }
  });
  it('beyond the largest value: ln(n + 1) plus the excess in units of β (mean excess over the 90th percentile, at least 1)', () => {
    const values = Array.from({ length: 100 }, (_, i) => i); // q90 = 89, excess of 90..99 over 89: mean 5.5
    const t = buildTail(values);
    expect(t.beta).toBeCloseTo(5.5, 12);
    expect(surprisal(t, 99 + 11)).toBeCloseTo(Math.log(101) + 2, 12);
    // a degenerate reference (all equal) has β = 1
    expect(buildTail([3, 3, 3]).beta).toBe(1);
    expect(surprisal(buildTail([3, 3, 3]), 6)).toBeCloseTo(Math.log(4) + 3, 12);
  });
  it('bounded: at most the named number of points, never under-stating a surprisal', () => {
    const values = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1000);
    const full = buildTail(values, 100000);
    const small = buildTail(values, 16);
    expect(small.v.length).toBeLessThanOrEqual(16);
    expect(small.v[small.v.length - 1]).toBe(999);
    for (let x = 0; x <= 1000; x += 7) expect(surprisal(small, x)).toBeGreaterThanOrEqual(surprisal(full, x) - 1e-12);
  });
  it('an empty reference: the value itself (in nats) above 0', () => {
    const t = buildTail([]);
    expect(surprisal(t, 0)).toBe(0);
    expect(surprisal(t, 2.5)).toBe(2.5);
  });
});

const keyed = (entries: [key: string, plain: string, count: number][]): Map<string, SessionKey> =>
  new Map(entries.map(([k, plain, c]) => [k, { plain, at: Array.from({ length: c }, (_, i) => i) }]));

describe('exchange keys with back-off', () => {
  // 10 sessions: STOR,226 always as a user; FEAT,211 in two login states; PASS,530 once in 2 sessions
  const sessions = Array.from({ length: 10 }, (_, i) =>
    keyed([
      ['STOR,226@user', 'STOR,226', 1 + (i % 3)],
      ...(i < 4 ? [[i % 2 ? 'FEAT,211@user' : 'FEAT,211@anon', 'FEAT,211', 1] as [string, string, number]] : []),
      ...(i < 2 ? [['PASS,530@none', 'PASS,530', 1] as [string, string, number]] : []),
    ]),
  );
  const attrs = sessions.map((_, i) => new Map(i === 0 ? [['cwd=abs', [3]]] : []) as Map<string, number[]>);
  const table = learnKeys(sessions, attrs, 100, { keys: 0 });
  it('learns document frequencies, count tails, plain keys with their contexts, attributes', () => {
    expect(table.sessions).toBe(10);
    expect(table.keys['STOR,226@user']!.df).toBe(10);
    expect(table.plain['FEAT,211']).toEqual({ df: 4, contexts: 2 });
    expect(table.plain['STOR,226']).toEqual({ df: 10, contexts: 1 });
    expect(table.attrs).toEqual({ 'cwd=abs': 1 });
  });
  it('a seen key: presence times its count tail', () => {
    expect(keySurprisal(table, 'STOR,226@user', 'STOR,226', 1)).toBeCloseTo(-Math.log(10.5 / 11), 12);
    expect(keySurprisal(table, 'PASS,530@none', 'PASS,530', 1)).toBeCloseTo(-Math.log(2.5 / 11), 12);
    // PASS,530 nine times where training had it once: the count tail beyond its maximum
    expect(keySurprisal(table, 'PASS,530@none', 'PASS,530', 9)).toBeCloseTo(-Math.log(2.5 / 11) + Math.log(3) + 8, 12);
  });
  it('repetition beyond training: one nat per further refusal, one nat per further `max` of a positive completion (workload)', () => {
    // STOR,226@user: counts 1..3 in training; 9 stores is three times the most seen
    const stor = keySurprisal(table, 'STOR,226@user', 'STOR,226', 9) - keySurprisal(table, 'STOR,226@user', 'STOR,226', 3);
    expect(stor).toBeGreaterThan(0);
    expect(stor).toBeLessThan(Math.log(11) + 6 / 3 + 1e-9);
    // PASS,530@none: once in training; 9 refusals cost 8 nats beyond it
    expect(keySurprisal(table, 'PASS,530@none', 'PASS,530', 9) - keySurprisal(table, 'PASS,530@none', 'PASS,530', 1)).toBeCloseTo(Math.log(3) + 8, 12);
    expect(positiveCompletion('RETR,226')).toBe(true);
    expect(positiveCompletion('USER,331')).toBe(true);
    expect(positiveCompletion('PASS,530')).toBe(false);
    expect(positiveCompletion('QUIT')).toBe(false);
  });
  it('an unseen context of a seen plain key: Witten–Bell, more surprising for a plain key always seen in one context', () => {
    const stor = keySurprisal(table, 'STOR,226@anon', 'STOR,226', 1);
    const feat = keySurprisal(table, 'FEAT,211@none', 'FEAT,211', 1);
    expect(stor).toBeCloseTo(-Math.log(10.5 / 11) - Math.log(1 / 11), 12);
    expect(feat).toBeCloseTo(-Math.log(4.5 / 11) - Math.log(2 / 6), 12);
    expect(stor).toBeGreaterThan(feat - Math.log(10.5 / 4.5)); // per session of the plain key, STOR's new context says more
    // a plain key never seen: 0.5/(N + 1), one nat per further occurrence
    expect(keySurprisal(table, 'SITE,500@user', 'SITE,500', 3)).toBeCloseTo(Math.log(22) + 2, 12);
  });
  it('attributes: presence in training sessions', () => {
    expect(attributeSurprisal(table, 'cwd=abs')).toBeCloseTo(-Math.log(1.5 / 11), 12);
    expect(attributeSurprisal(table, 'tag=port_foreign')).toBeCloseTo(Math.log(22), 12);
  });
  it('bounded: keys beyond the bound are counted, not kept', () => {
    const truncated = { keys: 0 };
    const t = learnKeys([keyed([['A', 'A', 1], ['B', 'B', 1], ['C', 'C', 1]])], [new Map()], 2, truncated);
    expect(Object.keys(t.keys)).toHaveLength(2);
    expect(truncated.keys).toBe(1);
  });
});

describe('score and threshold', () => {
  const refs = Object.fromEntries(FEATURES.map((f) => [f, buildTail([0, 0, 1, 2, 3])])) as Record<(typeof FEATURES)[number], Tail>;
  const zero = Object.fromEntries(FEATURES.map((f) => [f, 0])) as FeatureValues;
  it('one part per group: the largest of the group counts', () => {
    const v = { ...zero, length: 3, duration: 2, idle: 10, novel: 3 };
    const { score, parts, counted } = scoreOf(v, refs);
    expect(counted).toContain('idle');
    expect(counted).not.toContain('length');
    expect(score).toBeCloseTo(parts.idle + parts.novel, 12);
    expect(FEATURE_GROUPS.flat().sort()).toEqual([...FEATURES].sort());
  });
  it('thresholdAt: the split-conformal quantile — a new exchangeable score exceeds it with probability ≤ fpr, and no lower threshold promises that', () => {
    // With n distinct calibration scores and k of them above the threshold, a new score from the same
    // distribution lands above it with probability (k+1)/(n+1) (its rank among n+1 is uniform).
    for (const n of [1, 20, 99, 100, 101, 250, 303, 1000]) {
      const scores = Array.from({ length: n }, (_, i) => i / 10);
      for (const fpr of [0.001, 0.01, 0.02, 0.05, 0.1, 0.5]) {
        const t = thresholdAt(scores, fpr);
        const k = scores.filter((s) => s > t).length;
        if ((n + 1) * fpr < 1) {
          expect(t).toBe(scores[n - 1]); // too few scores for the target: the largest, promising 1/(n+1)
          continue;
        }
        expect((k + 1) / (n + 1)).toBeLessThanOrEqual(fpr + 1e-12);
        expect((k + 2) / (n + 1)).toBeGreaterThan(fpr);
      }
    }
    // the samples' size: the plain empirical quantile would leave floor(3.03) = 3 above, i.e. 4/304 = 1.3 %
    const s303 = Array.from({ length: 303 }, (_, i) => i);
    expect(s303.filter((s) => s > thresholdAt(s303, 0.01)).length).toBe(2);
    expect(thresholdAt(s303, 1)).toBe(-Infinity);
    expect(() => thresholdAt([], 0.01)).toThrow(/no cross-validated scores/);
  });
  it('boundScores keeps the largest and the bound', () => {
    const s = Array.from({ length: 30000 }, (_, i) => i);
    const b = boundScores(s, 1000);
    expect(b).toHaveLength(1000);
    expect(b[999]).toBe(29999);
    expect(b[0]).toBe(0);
  });
  it('a damaged detector is refused with its place named', () => {
    expect(() => checkDetector({ format: 'x' })).toThrow(/format/);
    expect(() => checkDetector({ format: 'ftp-ids-detector', version: 1, folds: 5, targetFpr: 0.01, threshold: 1, sessions: 3, references: {} })).toThrow(/references\.unexplained/);
  });
});

/** Sessions from command lists (one second apart), all of one client group. */
function sess(id: string, cmds: [string, string][], t0: number, ip = '10.0.0.1'): Session {
  const exchanges: Exchange[] = [['<greeting>', '220'], ...cmds].map(([command, code], i) => ({
    index: i, tsRequest: t0 + i, tsReply: t0 + i + 0.01, command, arg: '', replyCodes: [code], finalCode: code, flags: [], tags: [], replyPath: '', line: 0,
  }));
  return { flowId: id, communityId: '', clientIp: ip, clientPort: 1, serverIp: '10.0.0.2', serverPort: 21, label: 'x', end: 'fin', exchanges };
}

describe('calibration by cross-validation', () => {
  const base: [string, string][] = [['USER', '331'], ['PASS', '230'], ['PASV', '227'], ['LIST', '226'], ['QUIT', '221']];
  const sessions = Array.from({ length: 60 }, (_, i) => sess(`F${i}`, i === 7 ? [...base.slice(0, 2), ['SITE', '200'], ...base.slice(2)] : base, 1000 + i * 500, `10.0.0.${i}`));
  const config = normalizeGspConfig({ minSupport: '0.3', output: 'maximal', items: 'command,code,context' });
  const cal = calibrate(sessions, config, learnProfiles(sessions), { folds: 4, targetFpr: 0.05 });
  it('each session is described by a model mined without it: a key only it has is novel there, known to the final model', () => {
    const i = 7;
    expect(cal.sessions[i]!.values.novel).toBeGreaterThan(0);
    for (const [j, s] of cal.sessions.entries()) if (j !== i) expect(s.values.novel).toBe(0);
    expect(cal.detector.keys.global.keys['SITE,200@user']!.df).toBe(1);
  });
  it('the threshold is the cross-validated score at the target rate; deterministic', () => {
    const sorted = cal.sessions.map((s) => s.score).sort((a, b) => a - b);
    expect(cal.detector.threshold).toBe(thresholdAt(sorted, 0.05));
    expect(cal.detector.cvScores).toEqual(sorted);
    expect(cal.detector.folds).toBe(4);
    const again = calibrate(sessions, config, learnProfiles(sessions), { folds: 4, targetFpr: 0.05 });
    expect(JSON.stringify(again.detector)).toBe(JSON.stringify(cal.detector));
    // the odd session is the most surprising one
    expect(Math.max(...cal.sessions.map((s) => s.score))).toBe(cal.sessions[7]!.score);
  });
  it('a client\'s alert spreads to the sessions it names: earlier ones in its window, later ones within W of its end', () => {
    // one client: A at 0, B at 10 (judged after A), C 50 s after B's end, D 70 s after B's end; another client E at 5
    const ss = [sess('A', base, 0), sess('B', base, 10), sess('E', base, 5, '10.9.9.9'), sess('C', base, 75), sess('D', base, 95)];
    const e = clientAlertScores(ss, [1, 9, 2, 1, 1], 60);
    expect(e).toEqual([9, 9, 2, 9, 1]);
    // judged in the other order (B ended first): B is in A's window, and A starts within W of B's end
    expect(clientAlertScores([ss[1]!, ss[0]!], [1, 9], 60)).toEqual([9, 9]);
    expect(clientAlertScores([ss[1]!, ss[0]!], [9, 1], 60)).toEqual([9, 9]);
    // 100 s apart: neither in the other's window nor within W of its end
    expect(clientAlertScores([ss[0]!, sess('F', base, 100)], [1, 9], 60)).toEqual([1, 9]);
    // the threshold is calibrated on these scores, not on the sessions' own
    const burst = Array.from({ length: 60 }, (_, i) => sess(`G${i}`, i === 7 ? [...base.slice(0, 2), ['SITE', '200'], ...base.slice(2)] : base, 1000 + i * 5, `10.0.0.${i % 5}`));
    const profiles = learnProfiles(burst);
    const c = calibrate(burst, config, profiles, { folds: 4, targetFpr: 0.05 });
    const spread = clientAlertScores(burst, c.sessions.map((x) => x.score), profiles.window.windowSeconds);
    expect(c.detector.threshold).toBe(thresholdAt([...spread].sort((a, b) => a - b), 0.05));
    expect(c.detector.threshold).toBeGreaterThan(thresholdAt(c.sessions.map((x) => x.score).sort((a, b) => a - b), 0.05));
  });
  it('refuses fewer than two sessions, and bad options by name', () => {
    expect(() => calibrate(sessions.slice(0, 1), config, learnProfiles(sessions), {})).toThrow(/at least 2 training sessions/);
    expect(() => calibrate(sessions, config, learnProfiles(sessions), { folds: 1 })).toThrow(/option folds/);
    expect(() => calibrate(sessions, config, learnProfiles(sessions), { targetFpr: 2 })).toThrow(/option targetFpr/);
  });
});
