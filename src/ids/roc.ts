/**
 * `ftp-ids eval`'s trade-off report: how much recall each false-positive budget buys, for a
 * detector that gives every session a score (higher = more suspicious).
 *
 * Definitions. A session is flagged at threshold t when score > t. At a threshold:
 *   tp = attack sessions flagged, fp = benign sessions flagged,
 *   recall = tp / attacks, false-positive rate (fpr) = fp / benign
 *   (0 when the class is empty, as in eval.ts, so a one-class curve still has numbers).
 * The ROC curve is (fpr, recall) at every threshold that changes the flagged set: +Infinity
 * (nothing flagged), then each distinct score but the highest (flags every session scoring above
 * it), then -Infinity (everything flagged). Sessions with equal scores are flagged together, so a
 * tie is one diagonal step of the curve, never a staircase whose shape depends on input order.
 * AUC is the area under that curve, which equals the Mann–Whitney statistic
 *   P(score of a random attack > score of a random benign) + 0.5 · P(tie).
 *
 * Scores may be +Infinity (a rule that always fires): it ties only with itself and beats every
 * finite score. NaN has no order and -Infinity could never be flagged (nothing is > -Infinity), so
 * both are rejected rather than silently bending the curve.
 */

export interface ScoredSession {
  score: number;
  attack: boolean;
  scenario?: string;
}

export interface RocPoint {
  /** sessions are flagged when score > threshold */
  threshold: number;
  fpr: number;
  recall: number;
  fp: number;
  tp: number;
}

/** The false-positive budgets of the report, as fractions: 0.1 % … 20 %. */
export const DEFAULT_FPRS: readonly number[] = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2];

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function checkScores(sessions: readonly ScoredSession[]): void {
  sessions.forEach((s, i) => {
    if (Number.isNaN(s.score)) throw new Error(`roc: session ${i} has a NaN score`);
    if (s.score === -Infinity) throw new Error(`roc: session ${i} has score -Infinity, which no threshold can flag`);
  });
}

/** Sessions that share a score, highest score first: the unit that a threshold flags or not. */
interface ScoreGroup {
  score: number;
  attacks: number;
  benign: number;
}

function groupByScore(sessions: readonly ScoredSession[]): { groups: ScoreGroup[]; attacks: number; benign: number } {
  checkScores(sessions);
  // Explicit comparison, not b - a: Infinity - Infinity is NaN.
  const sorted = [...sessions].sort((a, b) => (a.score > b.score ? -1 : a.score < b.score ? 1 : 0));
  const groups: ScoreGroup[] = [];
  let attacks = 0;
  for (const s of sorted) {
    let g = groups[groups.length - 1];
    if (!g || g.score !== s.score) {
      g = { score: s.score, attacks: 0, benign: 0 };
      groups.push(g);
    }
    if (s.attack) {
      g.attacks++;
      attacks++;
    } else g.benign++;
  }
  return { groups, attacks, benign: sorted.length - attacks };
}

/** every distinct threshold (sessions flagged when score > threshold), from +Infinity (nothing flagged) down to below the lowest score (everything flagged); ties handled as one step */
export function rocCurve(sessions: readonly ScoredSession[]): RocPoint[] {
  const { groups, attacks, benign } = groupByScore(sessions);
  const point = (threshold: number, fp: number, tp: number): RocPoint => ({ threshold, fpr: ratio(fp, benign), recall: ratio(tp, attacks), fp, tp });
  const curve = [point(Infinity, 0, 0)];
  let fp = 0;
  let tp = 0;
  groups.forEach((g, i) => {
    fp += g.benign;
    tp += g.attacks;
    // The next group's score is the highest score still unflagged: the largest threshold that
    // flags exactly the groups so far. Past the last group only -Infinity flags everything.
    curve.push(point(i + 1 < groups.length ? groups[i + 1]!.score : -Infinity, fp, tp));
  });
  return curve;
}

/** area under the ROC curve = P(score of a random attack > score of a random benign) + 0.5·P(tie) (Mann–Whitney), computed by sorting, O(n log n); NaN when either class is empty */
export function auc(sessions: readonly ScoredSession[]): number {
  const { groups, attacks, benign } = groupByScore(sessions);
  if (attacks === 0 || benign === 0) return NaN;
  // Twice the count of (attack, benign) pairs won by the attack plus the tied pairs: integers, so
  // the sum is exact and only the final division rounds.
  let doubledWins = 0;
  let benignBelow = benign;
  for (const g of groups) {
    benignBelow -= g.benign;
    doubledWins += g.attacks * (2 * benignBelow + g.benign);
  }
  return doubledWins / (2 * attacks * benign);
}

/** for each requested false-positive rate, the point of the curve with the highest recall whose fpr <= it */
export function recallAtFpr(curve: readonly RocPoint[], fprs: readonly number[]): { fpr: number; point: RocPoint }[] {
  return fprs.map((fpr) => {
    let best: RocPoint | undefined;
    for (const p of curve) {
      if (p.fpr > fpr) continue;
      // On equal recall keep the lower fpr: the same detections for fewer false alarms.
      if (!best || p.recall > best.recall || (p.recall === best.recall && p.fpr < best.fpr)) best = p;
    }
    // A curve from rocCurve starts at fpr 0, so this only happens for hand-made curves or fpr < 0.
    if (!best) throw new Error(`roc: no point of the curve has fpr <= ${fpr}`);
    return { fpr, point: best };
  });
}

/** per attack scenario: recall at a threshold (score > threshold) */
export function recallByScenario(sessions: readonly ScoredSession[], threshold: number): { scenario: string; sessions: number; detected: number; recall: number }[] {
  checkScores(sessions);
  const per = new Map<string, { scenario: string; sessions: number; detected: number; recall: number }>();
  for (const s of sessions) {
    if (!s.attack) continue;
    const scenario = s.scenario ?? '(no scenario)';
    let r = per.get(scenario);
    if (!r) {
      r = { scenario, sessions: 0, detected: 0, recall: 0 };
      per.set(scenario, r);
    }
    r.sessions++;
    if (s.score > threshold) r.detected++;
  }
  const out = [...per.values()].sort((a, b) => a.scenario.localeCompare(b.scenario));
  for (const r of out) r.recall = ratio(r.detected, r.sessions);
  return out;
}

/** The point of the curve a given threshold lands on, counted directly. */
function pointAt(sessions: readonly ScoredSession[], threshold: number): RocPoint {
  let fp = 0;
  let tp = 0;
  let attacks = 0;
  for (const s of sessions) {
    if (s.attack) attacks++;
    if (s.score <= threshold) continue;
    if (s.attack) tp++;
    else fp++;
  }
  return { threshold, fpr: ratio(fp, sessions.length - attacks), recall: ratio(tp, attacks), fp, tp };
}

const pct = (x: number): string => (x * 100).toFixed(1).padStart(5) + '%';

/** Thresholds are raw scores: six significant digits is enough to tell them apart and to reuse. */
const formatThreshold = (t: number): string => (t === Infinity ? '+inf' : t === -Infinity ? '-inf' : String(Number(t.toPrecision(6))));

/** a text table: rows for FPR 0.1 %, 0.5 %, 1 %, 2 %, 5 %, 10 %, 20 % (default) with the threshold, actual FPR, recall, plus a row marked "calibrated" for the given threshold if any, and a last line "AUC 0.xxxx (n attacks, m benign)"; several named results side by side as column groups (like formatEvalTable in src/ids/eval.ts) */
export function formatRocTable(results: { name: string; sessions: readonly ScoredSession[]; calibratedThreshold?: number }[], fprs: readonly number[] = DEFAULT_FPRS): string {
  const columns = results.map((r) => {
    const curve = rocCurve(r.sessions);
    const attacks = r.sessions.filter((s) => s.attack).length;
    const area = auc(r.sessions);
    return {
      name: r.name,
      atFpr: recallAtFpr(curve, fprs).map((x) => x.point),
      calibrated: r.calibratedThreshold === undefined ? undefined : pointAt(r.sessions, r.calibratedThreshold),
      auc: `AUC ${Number.isNaN(area) ? 'n/a' : area.toFixed(4)} (${attacks} attacks, ${r.sessions.length - attacks} benign)`,
    };
  });
  const anyCalibrated = columns.some((c) => c.calibrated);
  // Each group is as wide as its longest threshold, name or AUC cell, so nothing overflows.
  const widths = columns.map((c) => {
    const points = c.calibrated ? [...c.atFpr, c.calibrated] : c.atFpr;
    const tw = Math.max(9, ...points.map((p) => formatThreshold(p.threshold).length));
    return { tw, group: Math.max(tw + 16, c.name.length, c.auc.length) };
  });
  const cell = (i: number, p: RocPoint | undefined): string =>
    `  | ${(p ? `${formatThreshold(p.threshold).padStart(widths[i]!.tw)}  ${pct(p.fpr)}  ${pct(p.recall)}` : '').padEnd(widths[i]!.group)}`;
  const w = 10;
  const head = 'max FPR'.padEnd(w) + columns.map((c, i) => `  | ${c.name.padEnd(widths[i]!.group)}`).join('');
  const sub = ''.padEnd(w) + widths.map((x) => `  | ${`${'threshold'.padStart(x.tw)}     FPR  recall`.padEnd(x.group)}`).join('');
  const rule = '-'.repeat(head.length);
  const lines = [head, sub, rule];
  fprs.forEach((fpr, row) => lines.push(`<= ${pct(fpr)}`.padEnd(w) + columns.map((c, i) => cell(i, c.atFpr[row])).join('')));
  if (anyCalibrated) lines.push('calibrated'.padEnd(w) + columns.map((c, i) => cell(i, c.calibrated)).join(''));
  lines.push(rule);
  lines.push(''.padEnd(w) + columns.map((c, i) => `  | ${c.auc.padEnd(widths[i]!.group)}`).join('').trimEnd());
  return lines.map((l) => l.trimEnd()).join('\n') + '\n';
}
