import { describe, it, expect } from 'vitest';
import { auc, formatRocTable, recallAtFpr, recallByScenario, rocCurve, type RocPoint, type ScoredSession } from '../src/ids/roc.js';
import { mulberry32 } from './prng.js';

const prng = mulberry32;

/** Few distinct scores (so ties are common), some +Infinity, both classes usually present. */
function randomSessions(rand: () => number): ScoredSession[] {
  const n = Math.floor(rand() * 40);
  const out: ScoredSession[] = [];
  for (let i = 0; i < n; i++) {
    const attack = rand() < 0.4;
    const r = rand();
    const score = r < 0.08 ? Infinity : Math.floor(rand() * 6) + (attack ? 1 : 0) - 0.5 * Math.floor(rand() * 2);
    out.push({ score, attack, scenario: attack ? `s${Math.floor(rand() * 3)}` : undefined });
  }
  return out;
}

function bruteAuc(sessions: readonly ScoredSession[]): number {
  const att = sessions.filter((s) => s.attack);
  const ben = sessions.filter((s) => !s.attack);
  if (att.length === 0 || ben.length === 0) return NaN;
  let wins = 0;
  let ties = 0;
  for (const a of att)
    for (const b of ben) {
      if (a.score > b.score) wins++;
      else if (a.score === b.score) ties++;
    }
  return (wins + 0.5 * ties) / (att.length * ben.length);
}

function bruteCounts(sessions: readonly ScoredSession[], threshold: number): { fp: number; tp: number } {
  let fp = 0;
  let tp = 0;
  for (const s of sessions) if (s.score > threshold) s.attack ? tp++ : fp++;
  return { fp, tp };
}

const S = (score: number, attack: boolean, scenario?: string): ScoredSession => ({ score, attack, scenario });

describe('auc', () => {
  it('matches a brute-force pair count on random inputs with ties and +Infinity', () => {
    const rand = prng(20240611);
    let compared = 0;
    for (let c = 0; c < 2000; c++) {
      const sessions = randomSessions(rand);
      const want = bruteAuc(sessions);
      const got = auc(sessions);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else {
        expect(got).toBeCloseTo(want, 12);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1500);
  });

  it('is 1 for perfect separation, 0 for perfect inversion, 0.5 for identical scores', () => {
    expect(auc([S(1, false), S(2, false), S(3, true), S(Infinity, true)])).toBe(1);
    expect(auc([S(5, false), S(4, false), S(3, true), S(1, true)])).toBe(0);
    expect(auc([S(7, false), S(7, true), S(7, true), S(7, false), S(7, false)])).toBe(0.5);
    expect(auc([S(Infinity, false), S(Infinity, true)])).toBe(0.5);
  });

  it('is NaN when a class is empty', () => {
    expect(auc([S(1, true), S(2, true)])).toBeNaN();
    expect(auc([S(1, false)])).toBeNaN();
    expect(auc([])).toBeNaN();
  });

  it('does not depend on input order', () => {
    const sessions = [S(3, true), S(1, false), S(3, false), S(2, true), S(1, true), S(Infinity, false)];
    expect(auc([...sessions].reverse())).toBe(auc(sessions));
  });

  it('rejects NaN and -Infinity scores, naming the index', () => {
    expect(() => auc([S(1, true), S(NaN, false)])).toThrow(/session 1 .*NaN/);
    expect(() => rocCurve([S(-Infinity, false)])).toThrow(/session 0/);
    expect(() => recallByScenario([S(0, true), S(0, true), S(NaN, true)], 0)).toThrow(/session 2/);
  });
});

describe('rocCurve', () => {
  it('is monotone, starts at (0,0), ends at (1,1), and each point matches a brute-force count', () => {
    const rand = prng(7);
    for (let c = 0; c < 500; c++) {
      const sessions = randomSessions(rand);
      const attacks = sessions.filter((s) => s.attack).length;
      const benign = sessions.length - attacks;
      const curve = rocCurve(sessions);
      expect(curve[0]).toEqual({ threshold: Infinity, fpr: 0, recall: 0, fp: 0, tp: 0 });
      const last = curve[curve.length - 1]!;
      expect([last.fp, last.tp]).toEqual([benign, attacks]);
      if (attacks > 0 && benign > 0) expect([last.fpr, last.recall]).toEqual([1, 1]);
      // one point per distinct score, plus the +Infinity start
      if (sessions.length > 0) expect(curve.length).toBe(new Set(sessions.map((s) => s.score)).size + 1);
      for (let i = 0; i < curve.length; i++) {
        const p = curve[i]!;
        expect({ fp: p.fp, tp: p.tp }).toEqual(bruteCounts(sessions, p.threshold));
        expect(p.fpr).toBe(benign === 0 ? 0 : p.fp / benign);
        expect(p.recall).toBe(attacks === 0 ? 0 : p.tp / attacks);
        if (i === 0) continue;
        const q = curve[i - 1]!;
        expect(p.threshold).toBeLessThan(q.threshold);
        expect(p.fpr).toBeGreaterThanOrEqual(q.fpr);
        expect(p.recall).toBeGreaterThanOrEqual(q.recall);
        expect(p.fp + p.tp).toBeGreaterThan(q.fp + q.tp);
      }
    }
  });

  it('takes a tie as one diagonal step', () => {
    const curve = rocCurve([S(2, true), S(1, true), S(1, false), S(0, false)]);
    expect(curve.map((p) => [p.threshold, p.tp, p.fp])).toEqual([
      [Infinity, 0, 0],
      [1, 1, 0],
      [0, 2, 1],
      [-Infinity, 2, 2],
    ]);
  });

  it('flags +Infinity scores only below +Infinity', () => {
    const curve = rocCurve([S(Infinity, true), S(Infinity, false), S(5, true)]);
    expect(curve.map((p) => [p.threshold, p.tp, p.fp])).toEqual([
      [Infinity, 0, 0],
      [5, 1, 1],
      [-Infinity, 2, 1],
    ]);
  });

  it('has only the start point for no sessions', () => {
    expect(rocCurve([])).toEqual([{ threshold: Infinity, fpr: 0, recall: 0, fp: 0, tp: 0 }]);
  });
});

describe('recallAtFpr', () => {
  it('picks the best recall without exceeding the fpr', () => {
    // 10 benign at scores 0..9, attacks at 9.5 (2), 8.5 (3), 5.5 (5)
    const sessions: ScoredSession[] = [];
    for (let i = 0; i < 10; i++) sessions.push(S(i, false));
    for (const [score, n] of [[9.5, 2], [8.5, 3], [5.5, 5]] as const) for (let i = 0; i < n; i++) sessions.push(S(score, true));
    const curve = rocCurve(sessions);
    const got = recallAtFpr(curve, [0, 0.05, 0.1, 0.15, 0.4, 1]);
    expect(got.map((g) => [g.fpr, g.point.fpr, g.point.recall])).toEqual([
      [0, 0, 0.2],
      [0.05, 0, 0.2],
      [0.1, 0.1, 0.5],
      [0.15, 0.1, 0.5],
      [0.4, 0.4, 1],
      [1, 0.4, 1],
    ]);
    // on equal recall, the lowest fpr: at fpr 0.1 the point flagging 9.5 and 9 and 8.5, not more
    expect(got[2]!.point.threshold).toBe(8);
  });

  it('agrees with a brute-force scan of the curve on random inputs', () => {
    const rand = prng(99);
    for (let c = 0; c < 300; c++) {
      const curve = rocCurve(randomSessions(rand));
      const fprs = [0, 0.01, 0.1, 0.25, 0.5, 1, rand()];
      for (const { fpr, point } of recallAtFpr(curve, fprs)) {
        expect(point.fpr).toBeLessThanOrEqual(fpr);
        const best = Math.max(...curve.filter((p: RocPoint) => p.fpr <= fpr).map((p) => p.recall));
        expect(point.recall).toBe(best);
      }
    }
  });

  it('throws when no point qualifies', () => {
    expect(() => recallAtFpr([{ threshold: 1, fpr: 0.5, recall: 1, fp: 1, tp: 1 }], [0.1])).toThrow(/fpr <= 0.1/);
  });
});

describe('recallByScenario', () => {
  it('counts attack sessions above the threshold per scenario, ignoring benign ones', () => {
    const sessions = [S(3, true, 'brute'), S(1, true, 'brute'), S(2, true, 'brute'), S(Infinity, true, 'bounce'), S(9, false, 'normal'), S(0, true)];
    expect(recallByScenario(sessions, 2)).toEqual([
      { scenario: '(no scenario)', sessions: 1, detected: 0, recall: 0 },
      { scenario: 'bounce', sessions: 1, detected: 1, recall: 1 },
      { scenario: 'brute', sessions: 3, detected: 1, recall: 1 / 3 },
    ]);
    expect(recallByScenario(sessions, Infinity).every((r) => r.detected === 0)).toBe(true);
    expect(recallByScenario(sessions, -Infinity).map((r) => r.recall)).toEqual([1, 1, 1]);
  });
});

describe('formatRocTable', () => {
  const rand = prng(3);
  const ours: ScoredSession[] = [];
  const plain: ScoredSession[] = [];
  for (let i = 0; i < 1000; i++) {
    const attack = i < 40;
    ours.push(S(attack ? 2 + rand() : rand() * 2.2, attack, attack ? 'brute' : undefined));
    plain.push(S(attack ? (i % 4 === 0 ? Infinity : rand()) : rand(), attack));
  }

  it('has one row per fpr, a calibrated row, and the AUC line last', () => {
    const table = formatRocTable([
      { name: 'ftp-ids', sessions: ours, calibratedThreshold: 2.1 },
      { name: 'study (plain GSP)', sessions: plain },
    ]);
    const lines = table.trimEnd().split('\n');
    const rows = lines.filter((l) => l.startsWith('<='));
    expect(rows.map((l) => l.slice(0, 10).trim())).toEqual(['<=   0.1%', '<=   0.5%', '<=   1.0%', '<=   2.0%', '<=   5.0%', '<=  10.0%', '<=  20.0%']);
    expect(rows.every((l) => l.split('|').length === 3)).toBe(true);
    expect(lines.filter((l) => l.startsWith('calibrated'))).toHaveLength(1);
    const last = lines[lines.length - 1]!;
    expect(last).toContain(`AUC ${auc(ours).toFixed(4)} (40 attacks, 960 benign)`);
    expect(last).toContain(`AUC ${auc(plain).toFixed(4)} (40 attacks, 960 benign)`);
    expect(lines[0]).toContain('ftp-ids');
    expect(lines[0]).toContain('study (plain GSP)');
    // the calibrated row shows the counted point: 2.1 flags the attacks above it and the benign tail
    const cal = bruteCounts(ours, 2.1);
    expect(lines.find((l) => l.startsWith('calibrated'))).toContain(`${((cal.tp / 40) * 100).toFixed(1)}%`);
  });

  it('takes custom fprs, omits the calibrated row when none is given, and copes with one class', () => {
    const table = formatRocTable([{ name: 'only attacks', sessions: [S(1, true), S(Infinity, true)] }], [0.01, 0.3]);
    const lines = table.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('<='))).toHaveLength(2);
    expect(table).not.toContain('calibrated');
    expect(lines[lines.length - 1]).toContain('AUC n/a (2 attacks, 0 benign)');
    // everything flagged at no false-positive cost: threshold below every score
    expect(lines.find((l) => l.startsWith('<=   1.0%'))).toMatch(/-inf +0\.0% +100\.0%/);
    // a benign +Infinity score leaves only the empty flag set within a 10 % budget
    const inf = formatRocTable([{ name: 'x', sessions: [S(Infinity, false), S(1, true)] }], [0.1]);
    expect(inf).toMatch(/<= +10\.0% +\| +\+inf +0\.0% +0\.0%/);
  });
});
