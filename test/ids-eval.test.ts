import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvalResult } from '../src/ids/eval.js';
import { parseLabels } from '../src/ids/labels.js';

/**
 * The ftp-ids commands on samples/ (real vsftpd, ProFTPD and Pure-FTPd sessions; ground truth in
 * samples/labels.csv, written by the capture script from what each scenario did, not by us):
 * train on the training part of the benign sessions, judge the held-back benign sessions and every
 * attack.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const S = (f: string) => join(ROOT, 'samples', f);
const IDS = join(ROOT, 'dist/bin/ftp-ids.js');
const have = existsSync(S('attacks.pcap')) && existsSync(S('benign.pcap')) && existsSync(IDS);
const ids = (...args: string[]) => execFileSync('node', [IDS, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const sh = (cmd: string) => execFileSync('bash', ['-o', 'pipefail', '-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 28 });
const bin = (n: string) => `node ${join(ROOT, 'dist/bin', n + '.js')}`;

interface V { flow_id: string; client_ip: string; client_port: number; server_ip: string; server_port: number; verdict: string; update: number; reasons: { kind: string; item?: string; items?: string[]; attribute?: string; exchanges?: number[]; sessions?: string[] }[] }

describe.skipIf(!have)('ftp-ids on samples/', () => {
  let dir = '';
  let model = '';
  let report: { results: EvalResult[]; auc: number; threshold: number; roc: { maxFpr: number; fpr: number; recall: number }[] };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ftp-ids-'));
    model = join(dir, 'model.json');
    ids('train', '--labels', S('labels.csv'), '--split', 'train', '--signatures', S('signatures.csv'), S('benign.pcap'), '-o', model);
    report = JSON.parse(ids('eval', '--labels', S('labels.csv'), '--split', 'held-back', '--signatures', S('signatures.csv'), '--json', '--model', model, S('benign.pcap'), S('attacks.pcap')));
  }, 180_000);

  it('eval --json: every attack scenario with its recall, the study beside it, the ROC points and AUC', () => {
    const [ours, study] = report.results;
    expect(ours!.name).toBe('ftp-ids');
    expect(study!.name).toBe('study (plain GSP)');
    const labelled = new Set([...parseLabels(readFileSync(S('labels.csv'), 'utf8')).byEndpoints.values()].filter((l) => l.cls === 'attack').map((l) => l.scenario));
    expect(new Set(ours!.scenarios.filter((s) => s.cls === 'attack').map((s) => s.scenario))).toEqual(labelled);
    expect(labelled.size).toBeGreaterThanOrEqual(14);
    expect(ours!.benign).toBeGreaterThan(100);
    // the baseline is computed on the same sessions
    expect(study!.attacks).toBe(ours!.attacks);
    expect(study!.benign).toBe(ours!.benign);
    // the curve: recall never falls as the false-positive budget grows; AUC in (0.5, 1]
    const recalls = report.roc.map((p) => p.recall);
    expect([...recalls].sort((a, b) => a - b)).toEqual(recalls);
    for (const p of report.roc) expect(p.fpr).toBeLessThanOrEqual(p.maxFpr + 1e-12);
    expect(report.auc).toBeGreaterThan(0.95);
    expect(report.auc).toBeLessThanOrEqual(1);
    // the calibrated threshold is the model's
    expect(report.threshold).toBe(JSON.parse(readFileSync(model, 'utf8')).detector.threshold);
  });

  it('the text report has the per-scenario table, the ROC rows and the AUC line', () => {
    // 495 attacks: 481 sessions that talked and 14 connections reset before the greeting (`<empty>`)
    const text = ids('eval', '--labels', S('labels.csv'), '--split', 'held-back', '--signatures', S('signatures.csv'), '--model', model, S('benign.pcap'), S('attacks.pcap'));
    expect(text).toMatch(/bounce-port\s+attack\s+24/);
    expect(text).toMatch(/^<=\s+1\.0%/m);
    expect(text).toMatch(/^calibrated/m);
    expect(text).toMatch(/AUC 0\.\d{4} \(495 attacks, 141 benign\)/);
  });

  it('verdict reasons name what each attack did, at its exchanges or sessions', () => {
    const labels = parseLabels(readFileSync(S('labels.csv'), 'utf8'));
    const lines = ids('detect', '--model', model, '--signatures', S('signatures.csv'), '--json', S('attacks.pcap')).trim().split('\n').map((l) => JSON.parse(l));
    const verdicts: V[] = lines.filter((l) => l.type === undefined);
    const byScenario = new Map<string, V[]>();
    for (const v of verdicts) {
      if (v.update) continue;
      const l = labels.lookup({ flowId: v.flow_id, clientIp: v.client_ip, clientPort: v.client_port, serverIp: v.server_ip, serverPort: v.server_port });
      if (!l) continue;
      const list = byScenario.get(l.scenario) ?? [];
      list.push(v);
      byScenario.set(l.scenario, list);
    }
    const share = (scenario: string, pred: (v: V) => boolean) => {
      const list = byScenario.get(scenario) ?? [];
      expect(list.length).toBeGreaterThan(0);
      return list.filter(pred).length / list.length;
    };
    const key = (r: V['reasons'][number]): string[] => (r.item ? [r.item] : r.items ?? []);
    const has = (pred: (r: V['reasons'][number]) => boolean) => (v: V) => v.reasons.some(pred);
    // brute force inside one session: the failed PASS repeated (its key carries the login state)
    expect(share('bruteforce-in-session', has((r) => key(r).some((k) => /^(PASS,530|USER,331)@failed/.test(k))))).toBeGreaterThan(0.9);
    // bounce: the foreign PORT / EPRT target, at the exchange that sent it
    const foreign = (r: V['reasons'][number]) => (r.kind === 'rare_attribute' && r.attribute === 'tag=port_foreign') || key(r).some((k) => k.includes('#tag=port_foreign'));
    expect(share('bounce-port', has((r) => foreign(r) && (r.exchanges ?? []).length > 0))).toBeGreaterThan(0.9);
    // traversal: the exchange that climbed above the login directory (or left it)
    const climb = (r: V['reasons'][number]) => (r.kind === 'rare_attribute' && /^(cwd=above|cwd=outside|tag=path_climb)$/.test(r.attribute ?? '')) || key(r).some((k) => /#(cwd=above|cwd=outside|tag=path_climb)/.test(k));
    expect(share('path-traversal', has(climb))).toBeGreaterThan(0.9);
    expect(share('overlong-args', has((r) => r.kind === 'overlong'))).toBeGreaterThan(0.9);
    // user enumeration: USER answered again and again
    expect(share('user-enumeration', has((r) => key(r).some((k) => k.startsWith('USER,'))))).toBeGreaterThan(0.9);
    // floods and cross-session brute force: incidents name the sessions of the window
    const incidents = lines.filter((l) => l.type === 'incident');
    const named = new Set(incidents.flatMap((i: { sessions: string[] }) => i.sessions));
    expect(share('connect-flood', (v) => named.has(v.flow_id))).toBeGreaterThan(0.9);
    expect(share('bruteforce-across-sessions', (v) => named.has(v.flow_id))).toBeGreaterThan(0.9);
  });

  it('ftp-ids detect equals the shell pipeline ftp-flows | ftp-label | ftp-extract | ftp-match', () => {
    const sig = ['--signatures', S('signatures.csv')];
    const direct = ids('detect', '--model', model, ...sig, '--json', '--all', S('benign.pcap'));
    const shell = sh(`${bin('ftp-flows')} ${S('benign.pcap')} | ${bin('ftp-label')} --signatures ${S('signatures.csv')} | ${bin('ftp-extract')} | ${bin('ftp-match')} --model ${model} --json --all`);
    expect(direct.split('\n').length).toBeGreaterThan(300);
    expect(direct).toBe(shell);
    // attacks.pcap both ways: flow NDJSON straight into ftp-match, and the CSV text path (its command
    // words hold bare CRs, which the CSV writer must quote)
    const attacks = ids('detect', '--model', model, ...sig, '--json', '--all', S('attacks.pcap'));
    expect(attacks).toBe(sh(`${bin('ftp-flows')} ${S('attacks.pcap')} | ${bin('ftp-match')} --model ${model} --signatures ${S('signatures.csv')} --json --all`));
    expect(attacks).toBe(sh(`${bin('ftp-flows')} ${S('attacks.pcap')} | ${bin('ftp-extract')} --signatures ${S('signatures.csv')} | ${bin('ftp-match')} --model ${model} --json --all`));
  });

  it('ftp-ids train equals ftp-flows | ftp-extract | ftp-gsp (same patterns, profiles and calibrated detector)', () => {
    const a = ids('train', '-s', '0.5', '--items', 'command,code', S('benign.pcap'));
    // the default signatures label the three servers, so train mines one model per label: ftp-gsp's --by label
    const b = sh(`${bin('ftp-flows')} ${S('benign.pcap')} | ${bin('ftp-extract')} | ${bin('ftp-gsp')} -s 0.5 --by label`);
    expect(Object.keys(JSON.parse(a).models)).toEqual(['*', 'proftpd', 'pure-ftpd', 'vsftpd']);
    expect(JSON.parse(a).profiles.format).toBe('ftp-ids-profiles');
    expect(JSON.parse(a).detector.format).toBe('ftp-ids-detector');
    expect(a).toBe(b);
  });

  it('the demo prints patterns, alerts and the eval tables of every corpus', () => {
    const out = ids('demo');
    // the default signatures name the three servers, so each gets its own model beside the global one;
    // the total is the sum of the parts
    const m = /mined (\d+) maximal patterns [^:]*: (\d+) over all servers \+ per server label proftpd (\d+) \+ pure-ftpd (\d+) \+ vsftpd (\d+);/.exec(out);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(Number(m![2]) + Number(m![3]) + Number(m![4]) + Number(m![5]));
    // patterns print as ftp-gsp -f text prints them: its item order, support and fraction
    expect(out).toMatch(/\n {2}<\{<greeting>,220\} [^\n]*> {2}#SUP: \d+ \(0\.\d\d\)\n/);
    expect(out).toMatch(/verdicts suspicious/);
    expect(out).toMatch(/bruteforce-then-download\s+attack/);
    expect(out).toMatch(/false-positive rate/);
    expect(out).toMatch(/AUC 0\.\d{4}/);
  }, 300_000);
});
