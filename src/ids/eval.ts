import type { Session } from '../dataset/types.js';
import type { Verdict } from '../match/matcher.js';
import type { LabelTable } from './labels.js';

/**
 * `ftp-ids eval`: verdicts against ground truth, per scenario.
 *
 * A session counts as detected when its own verdict is suspicious, or when a suspicious verdict
 * names it in a cross-session reason (`window_*` reasons list every session of the window: in
 * streaming the first sessions of a flood are already out when the count crosses its limit, and
 * the alert points back at them). Benign sessions are judged the same way, so a window alert
 * that names a benign session counts as a false positive.
 *
 * Per attack scenario: recall = detected / sessions, and precision = detected / (detected + all
 * false positives) — the precision an operator would see if that were the only attack.
 * Per benign scenario: false-positive rate = detected / sessions. Totals over all sessions.
 */
export interface ScenarioResult {
  scenario: string;
  cls: 'benign' | 'attack';
  sessions: number;
  detected: number;
  /** attack: recall; benign: false-positive rate */
  rate: number;
  /** attack scenarios only */
  precision: number | null;
}

export interface EvalResult {
  name: string;
  scenarios: ScenarioResult[];
  attacks: number;
  benign: number;
  truePositives: number;
  falsePositives: number;
  precision: number;
  recall: number;
  falsePositiveRate: number;
  /** sessions matched that the labels file does not know */
  unlabelled: number;
}

export function detectedFlows(verdicts: Iterable<Pick<Verdict, 'flowId' | 'verdict' | 'reasons'>>): Set<string> {
  const out = new Set<string>();
  for (const v of verdicts) {
    if (v.verdict !== 'suspicious') continue;
    out.add(v.flowId);
    for (const r of v.reasons) if ('sessions' in r) for (const id of r.sessions) out.add(id);
  }
  return out;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

export function evaluate(name: string, sessions: Session[], verdicts: Iterable<Pick<Verdict, 'flowId' | 'verdict' | 'reasons'>>, labels: LabelTable): EvalResult {
  const detected = detectedFlows(verdicts);
  const per = new Map<string, ScenarioResult>();
  let unlabelled = 0;
  for (const s of sessions) {
    const l = labels.lookup(s);
    if (!l) {
      unlabelled++;
      continue;
    }
    const k = `${l.cls}\u0000${l.scenario}`;
    let r = per.get(k);
    if (!r) {
      r = { scenario: l.scenario, cls: l.cls, sessions: 0, detected: 0, rate: 0, precision: null };
      per.set(k, r);
    }
    r.sessions++;
    if (detected.has(s.flowId)) r.detected++;
  }
  const scenarios = [...per.values()].sort((a, b) => (a.cls === b.cls ? a.scenario.localeCompare(b.scenario) : a.cls === 'attack' ? -1 : 1));
  let attacks = 0;
  let benign = 0;
  let tp = 0;
  let fp = 0;
  for (const r of scenarios) {
    if (r.cls === 'attack') {
      attacks += r.sessions;
      tp += r.detected;
    } else {
      benign += r.sessions;
      fp += r.detected;
    }
  }
  for (const r of scenarios) {
    r.rate = ratio(r.detected, r.sessions);
    if (r.cls === 'attack') r.precision = ratio(r.detected, r.detected + fp);
  }
  return {
    name,
    scenarios,
    attacks,
    benign,
    truePositives: tp,
    falsePositives: fp,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, attacks),
    falsePositiveRate: ratio(fp, benign),
    unlabelled,
  };
}

const pct = (x: number): string => (x * 100).toFixed(1).padStart(5) + '%';

/** The eval table: one row per scenario, one column group per result (ours, then baselines). */
export function formatEvalTable(results: EvalResult[]): string {
  const first = results[0]!;
  const w = Math.max(8, ...first.scenarios.map((s) => s.scenario.length));
  const head = `${'scenario'.padEnd(w)}  class   sessions` + results.map((r) => `  | ${r.name.padEnd(20)}`).join('');
  const sub = `${''.padEnd(w)}                 ` + results.map(() => `  | ${'detected  rate    prec'.padEnd(20)}`).join('');
  const lines = [head, sub, '-'.repeat(head.length + 4)];
  for (const s of first.scenarios) {
    let line = `${s.scenario.padEnd(w)}  ${s.cls.padEnd(6)}  ${String(s.sessions).padStart(8)}`;
    for (const r of results) {
      const x = r.scenarios.find((y) => y.scenario === s.scenario && y.cls === s.cls)!;
      const what = x.cls === 'attack' ? 'R' : 'F';
      line += `  | ${String(x.detected).padStart(8)}  ${what}${pct(x.rate)}  ${x.precision === null ? '     ' : pct(x.precision)}`;
    }
    lines.push(line);
  }
  lines.push('-'.repeat(head.length + 4));
  for (const [label, f] of [
    ['recall (attacks)', (r: EvalResult) => `${pct(r.recall)} of ${r.attacks}`],
    ['false-positive rate', (r: EvalResult) => `${pct(r.falsePositiveRate)} of ${r.benign}`],
    ['precision', (r: EvalResult) => pct(r.precision)],
  ] as const) {
    lines.push(`${label.padEnd(w + 17)}` + results.map((r) => `  | ${f(r).padEnd(20)}`).join(''));
  }
  lines.push('R = recall (attack scenarios), F = false-positive rate (benign scenarios), prec = precision if that were the only attack');
  return lines.join('\n') + '\n';
}
