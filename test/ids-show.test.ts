import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelSummary } from '../src/ids/show.js';

/**
 * `ftp-ids show`: a model read by a person. Patterns print exactly as `ftp-gsp -f text` prints the same
 * mining (item order, supports, fractions), per server label; the threshold, training data, limits and
 * profiles are those in the file; a model given to ftp-gsp as input is a clear error.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const S = (f: string) => join(ROOT, 'samples', f);
const bin = (n: string) => join(ROOT, 'dist/bin', `${n}.js`);
const have = existsSync(S('benign.pcap')) && existsSync(bin('ftp-ids'));
const sh = (cmd: string) => execFileSync('bash', ['-o', 'pipefail', '-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 28 });

describe.skipIf(!have)('ftp-ids show', () => {
  let dir = '';
  let model = '';
  let csv = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ftp-ids-show-'));
    csv = join(dir, 'benign.csv');
    model = join(dir, 'model.json');
    sh(`node ${bin('ftp-flows')} ${S('benign.pcap')} | node ${bin('ftp-extract')} > ${csv}`);
    sh(`node ${bin('ftp-gsp')} -s 0.5 --by label ${csv} > ${model}`);
  }, 120_000);

  it('patterns per label as ftp-gsp -f text prints them; the numbers are the model\'s', () => {
    const text = sh(`node ${bin('ftp-ids')} show ${model}`);
    const gsp = sh(`node ${bin('ftp-gsp')} -s 0.5 --by label -f text ${csv}`);
    // ftp-gsp: "# model NAME: …" then its patterns; show: "-- NAME: …" then the same lines
    const blocks = (t: string, head: RegExp): Map<string, string[]> => {
      const out = new Map<string, string[]>();
      let cur: string[] | null = null;
      for (const line of t.split('\n')) {
        const m = head.exec(line);
        if (m) out.set(m[1] === '*' ? 'global' : m[1]!, (cur = []));
        else if (cur && line.startsWith('<')) cur.push(line);
        else if (line.startsWith('==')) cur = null;
      }
      return out;
    };
    const ours = blocks(text, /^-- (\S+): \d+ patterns/);
    const theirs = blocks(gsp, /^# model (\S+):/);
    expect([...ours.keys()]).toEqual(['global', 'proftpd', 'pure-ftpd', 'vsftpd']);
    expect(ours).toEqual(theirs);
    const m = JSON.parse(readFileSync(model, 'utf8'));
    const total = Object.values(m.models as Record<string, { patterns: unknown[] }>).reduce((n, x) => n + x.patterns.length, 0);
    expect(text).toContain(`== patterns: ${total} in all (global ${m.models['*'].patterns.length} + proftpd ${m.models.proftpd.patterns.length} + pure-ftpd ${m.models['pure-ftpd'].patterns.length} + vsftpd ${m.models.vsftpd.patterns.length})`);
    expect(text).toContain(`training: 444 sessions; server labels: proftpd 148, pure-ftpd 148, vsftpd 148`);
    expect(text).toContain(`detector: threshold ${Math.round(m.detector.threshold * 1e4) / 1e4} (calibrated for a false-positive rate of 1 % by ${m.detector.folds}-fold`);
    expect(text).toMatch(/== limits: [^\n]*\nfeature +global +proftpd +pure-ftpd +vsftpd\n/);
    expect(text).toMatch(/\nwindow 60 s: failed logins per client +\d/);
    // --top cuts every list and says so
    const top = sh(`node ${bin('ftp-ids')} show --top 2 ${model}`);
    expect(top.split('\n').filter((l) => l.startsWith('<')).length).toBe(8);
    expect(top).toContain(`… ${m.models['*'].patterns.length - 2} more (--top N)`);
  });

  it('--json: the same summary for scripts; the limits are the largest cross-validated training values', () => {
    const s = JSON.parse(sh(`node ${bin('ftp-ids')} show --json ${model}`)) as ModelSummary;
    const m = JSON.parse(readFileSync(model, 'utf8'));
    expect(s.training).toEqual({ sessions: 444, labels: { proftpd: 148, 'pure-ftpd': 148, vsftpd: 148 } });
    expect(s.detector!.threshold).toBeCloseTo(m.detector.threshold, 3);
    expect(s.patterns.models.map((x) => [x.name, x.patterns.length, x.minSupportCount])).toEqual(
      ['*', 'proftpd', 'pure-ftpd', 'vsftpd'].map((k) => [k === '*' ? 'global' : k, m.models[k].patterns.length, m.models[k].minSupportCount]),
    );
    const last = (t: { v: number[] }) => t.v[t.v.length - 1];
    expect(s.limits!.global.length).toBe(last(m.detector.references.length));
    expect(s.limits!.vsftpd.refused).toBe(last(m.detector.referencesByLabel.vsftpd.refused));
    expect(s.profiles!.window.seconds).toBe(60);
    expect(s.profiles!.bySet.global!.length[s.profiles!.quantiles.length - 1]).toBe(m.profiles.global.length.q.at(-1));
  });

  it('misuse: a model given to ftp-gsp, or text output given to show, says what to run instead', () => {
    const g = spawnSync('node', [bin('ftp-gsp'), '-f', 'text', model], { encoding: 'utf8' });
    expect([g.status, g.stdout]).toEqual([2, '']);
    expect(g.stderr).toBe(`ftp-gsp: ${model}: this is a model (ftp-ids-model), not sessions to mine: to read it, run "ftp-ids show ${model}" (--json for JSON)\n`);
    const txt = join(dir, 'patterns.txt');
    writeFileSync(txt, sh(`node ${bin('ftp-gsp')} -s 0.9 -f text ${csv}`));
    const s = spawnSync('node', [bin('ftp-ids'), 'show', txt], { encoding: 'utf8' });
    expect(s.status).not.toBe(0);
    expect(s.stderr).toMatch(/this is ftp-gsp text or SPMF output, not a model file/);
    const c = spawnSync('node', [bin('ftp-ids'), 'show', csv], { encoding: 'utf8' });
    expect(c.status).not.toBe(0);
    expect(c.stderr).toBe(`ftp-ids: ${csv}: this is a dataset (exchange CSV or flow NDJSON), not a model: mine one with "ftp-ids train" or ftp-gsp\n`);
  });
});
