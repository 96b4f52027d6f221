import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FtpIdsError } from '../src/common/errors.js';
import { sessionTransactions } from '../src/dataset/items.js';
import type { Session } from '../src/dataset/types.js';
import { loadCorpus, trainOn, type Corpus } from '../src/ids/experiment.js';
import { createMatcher, type Incident, type MatchEvent, type Verdict } from '../src/match/matcher.js';
import type { MatchModel } from '../src/match/model.js';
import { verdictJsonLine } from '../src/match/output.js';
import { isFailedLogin } from '../src/match/profiles.js';
import { binSeconds, BottomK, histogram, ReportBuilder, sampleKey, type ReportData } from '../src/report/data.js';
import { renderReport, scriptJson } from '../src/report/page.js';
import { looksLikeVerdicts, VerdictStreamReader } from '../src/report/verdicts.js';
import { runSessions } from '../stages/match.js';

/**
 * The report's data (src/report/data.ts) on samples/ (real servers and clients): a model trained on
 * the benign training part, every session of the corpus matched, and the builder's numbers checked
 * against the verdicts themselves; the verdict stream read back, cut at every byte.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const have = existsSync(join(ROOT, 'samples', 'labels.csv'));

async function readSessions(inputs: string[], opts: object): Promise<Session[]> {
  const out: Session[] = [];
  await runSessions(inputs, opts, (s) => out.push(s));
  return out;
}

function runAll(model: MatchModel, sessions: Session[], builder?: ReportBuilder): { verdicts: Verdict[]; events: MatchEvent[] } {
  const verdicts: Verdict[] = [];
  const events: MatchEvent[] = [];
  const m = createMatcher(
    model,
    {},
    (v) => {
      verdicts.push(v);
      builder?.verdict(v);
    },
    (e) => {
      events.push(e);
      builder?.event(e);
    },
  );
  for (const s of sessions) {
    builder?.session(s);
    m.pushSession(s);
  }
  m.end();
  return { verdicts, events };
}

describe.skipIf(!have)('ftp-ids report data on samples/', () => {
  let corpus: Corpus;
  let model: MatchModel;
  let verdicts: Verdict[];
  let events: MatchEvent[];
  let data: ReportData;
  beforeAll(async () => {
    corpus = await loadCorpus(join(ROOT, 'samples'), 'samples', readSessions);
    model = trainOn([corpus]);
    const b = new ReportBuilder(model, { source: 'sessions', inputs: ['samples'] });
    ({ verdicts, events } = runAll(model, corpus.sessions, b));
    data = b.result();
  }, 180_000);

  it('summary: sessions, alerts (updates included once), incidents, clients, servers and time range as the verdicts say', () => {
    const own = verdicts.filter((v) => !v.update);
    expect(data.summary.sessions).toBe(corpus.sessions.length);
    expect(own.length).toBe(corpus.sessions.length);
    const flagged = new Set(verdicts.filter((v) => v.verdict === 'suspicious').map((v) => v.flowId));
    expect(flagged.size).toBeGreaterThan(100);
    expect(data.summary.alerts).toBe(flagged.size);
    expect(data.summary.incidents).toBe(new Set(events.filter((e): e is Incident => e.type === 'incident').map((e) => e.id)).size);
    expect(data.summary.incidents).toBeGreaterThan(0);
    expect(data.summary.clients).toBe(new Set(own.map((v) => v.clientIp)).size);
    expect(data.summary.servers.map((s) => s.server).sort()).toEqual([...new Set(own.map((v) => `${v.serverIp}:${v.serverPort}`))].sort());
    expect(data.summary.first).toBe(Math.min(...own.map((v) => v.start)));
    expect(data.summary.last).toBe(Math.max(...own.map((v) => v.end)));
    // everything fits the default bounds here: every session is in the page
    expect(data.sessions.length).toBe(corpus.sessions.length);
    expect(data.sessions.filter((r) => r.verdict === 'suspicious').length).toBe(flagged.size);
    expect(data.summary.thresholdText).toContain(model.detector!.threshold.toFixed(2));
    expect(data.summary.thresholdText).not.toContain('sensitivity');
  });

  it('timeline: the bins hold every session and every alert once', () => {
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(data.timeline.series.flatMap((s) => s.counts))).toBe(corpus.sessions.length);
    expect(sum(data.timeline.alerts)).toBe(data.summary.alerts);
    // samples/ spans minutes: binned by seconds, at most 120 bins
    expect(data.timeline.binSeconds).toBeLessThan(60);
    expect(data.timeline.t.length).toBeLessThanOrEqual(121);
  });

  it('an alert\'s dialogue highlights exactly the exchanges its reasons name, and the best pattern is placed in order', () => {
    let checked = 0;
    let placed = 0;
    const byId = new Map(corpus.sessions.map((s) => [s.flowId, s]));
    for (const r of data.sessions) {
      const named = new Set(r.reasons.flatMap((x) => ('exchanges' in x ? x.exchanges : [])));
      const hl = r.exchanges!.filter((x) => x.hl).map((x) => x.i);
      expect(hl.sort((a, b) => a - b)).toEqual([...named].filter((i) => r.exchanges!.some((x) => x.i === i)).sort((a, b) => a - b));
      if (named.size) checked++;
      if (!r.pattern) continue;
      const tx = sessionTransactions(byId.get(r.id)!, model.items);
      let prev = -1;
      for (const [k, at] of r.pattern.at.entries()) {
        if (at === null || at < 0) continue;
        const items = tx.find((t) => t.exchange?.index === at)!.items;
        expect(r.pattern.elements[k]!.every((x) => items.includes(x))).toBe(true);
        expect(at).toBeGreaterThan(prev);
        prev = at;
        placed++;
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(placed).toBeGreaterThan(100);
  });

  it('per client: failed logins and the command bytes sent, counted from the exchanges', () => {
    const per = new Map<string, Session[]>();
    for (const s of corpus.sessions) per.set(s.clientIp, [...(per.get(s.clientIp) ?? []), s]);
    for (const c of data.clients) {
      const ss = per.get(c.client)!;
      expect(c.sessions).toBe(ss.length);
      const ex = ss.flatMap((s) => s.exchanges);
      expect(c.failedLogins).toBe(ex.filter(isFailedLogin).length);
      // the command word is decoded as latin1 by ftp-extract (one byte a character), the argument as UTF-8
      const sent = ex.filter((e) => !e.command.startsWith('<'));
      const wire = Buffer.byteLength(sent.map((e) => e.command).join(''), 'latin1') + Buffer.byteLength(sent.map((e) => (e.arg ? ` ${e.arg}\r\n` : '\r\n')).join(''));
      expect(c.commandBytes).toBe(wire);
    }
    expect(data.clients.some((c) => c.failedLogins > 0)).toBe(true);
  });

  it('bounds: at most maxAlerts alerts and maxSample others in detail, the rest counted', () => {
    const b = new ReportBuilder(model, { source: 'sessions', inputs: [] }, { maxAlerts: 10, maxSample: 5, maxExchanges: 3, recentSessions: 20 });
    runAll(model, corpus.sessions, b);
    const d = b.result();
    expect(d.sessions.filter((r) => r.why === 'alert').length).toBe(10);
    expect(d.sessions.filter((r) => r.why === 'sample').length).toBe(5);
    expect(d.sessions.filter((r) => r.why === 'sample').every((r) => r.verdict === 'normal')).toBe(true);
    expect(d.summary.detail.alertsNotKept).toBe(data.summary.alerts - 10);
    expect(d.summary.alerts).toBe(data.summary.alerts);
    expect(d.summary.detail.sampledFrom).toBe(verdicts.filter((v) => !v.update && v.verdict === 'normal').length);
    const withDialogue = d.sessions.filter((r) => r.exchanges !== null);
    expect(withDialogue.every((r) => r.exchanges!.length <= 3 && r.exchangesOmitted === r.nExchanges - r.exchanges!.length)).toBe(true);
    // a session out of the recent window when an incident names it later has no dialogue, and only such a one
    expect(d.sessions.filter((r) => r.exchanges === null).every((r) => r.updated)).toBe(true);
    // the sessions kept for incident updates: the last 20, the others forgotten (counted)
    expect(d.counters['report.recentSessionsForgotten']).toBe(corpus.sessions.length - 20);
  });

  it('a verdict stream read back (cut at every byte) gives the same verdicts and the same summary', () => {
    const lines = [...verdicts.map(verdictJsonLine), ...events.map((e) => JSON.stringify(e) + '\n')];
    const text = Buffer.from(lines.join(''));
    expect(looksLikeVerdicts(text)).toBe(true);
    const read = (chunks: Buffer[]): { v: Verdict[]; e: MatchEvent[] } => {
      const v: Verdict[] = [];
      const e: MatchEvent[] = [];
      const r = new VerdictStreamReader('stream', (x) => v.push(x), (x) => e.push(x));
      for (const c of chunks) r.push(c);
      r.end();
      return { v, e };
    };
    const whole = read([text]);
    expect(whole.v.length).toBe(verdicts.length);
    expect(whole.e.length).toBe(events.length);
    expect(whole.v.map(verdictJsonLine)).toEqual(verdicts.map(verdictJsonLine));
    // every cut of the first lines
    const head = Buffer.from(lines.slice(0, 12).join(''));
    const want = read([head]).v.map(verdictJsonLine);
    for (let i = 0; i <= head.length; i++) expect(read([head.subarray(0, i), head.subarray(i)]).v.map(verdictJsonLine)).toEqual(want);
    // the summary of a verdict-stream report equals the in-process one
    const b = new ReportBuilder(model, { source: 'verdicts', inputs: ['-'] });
    for (const v of whole.v) b.verdict(v);
    for (const e of whole.e) b.event(e);
    const d = b.result();
    for (const k of ['sessions', 'alerts', 'incidents', 'clients', 'first', 'last'] as const) expect(d.summary[k]).toEqual(data.summary[k]);
    expect(d.sessions.every((r) => r.exchanges === null)).toBe(true);
  });
});

describe('ftp-ids report data: parts', () => {
  it('a bad verdict line is an error naming its line; a line beyond the bound too', () => {
    const r = new VerdictStreamReader('v.json', () => {}, () => {});
    r.push(Buffer.from('{"type":"model_fit","label":"x","server":"1.2.3.4:21","first":1,"message":"m"}\n\n{"flow_id":"F1"'));
    let err: unknown;
    try {
      r.push(Buffer.from(',"verdict":"odd"}\n'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FtpIdsError);
    expect((err as FtpIdsError).describe()).toMatch(/^v\.json: line 3: /);
    const small = new VerdictStreamReader('v', () => {}, () => {}, 100);
    expect(() => small.push(Buffer.alloc(101, 0x20))).toThrow(/longer than 100 bytes/);
    expect(looksLikeVerdicts(Buffer.from('{"type":"flow","v":1'))).toBe(false);
    expect(looksLikeVerdicts(Buffer.from('flow_id,community_id'))).toBe(false);
  });

  it('the sample is the same whatever the order the sessions come in', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `F${i.toString(16)}`);
    const pick = (order: string[]): string[] => {
      const b = new BottomK<string>(50);
      for (const id of order) b.offer(sampleKey(7, id), id, () => id);
      return b.values().sort();
    };
    const a = pick(ids);
    expect(a.length).toBe(50);
    expect(pick([...ids].reverse())).toEqual(a);
    // spread over the whole range, not the first ids
    expect(a.filter((id) => parseInt(id.slice(1), 16) >= 2500).length).toBeGreaterThan(10);
  });

  it('bins: seconds for a short span, minutes up to maxBins, then wider; histogram puts the top in the last bin', () => {
    expect(binSeconds(180, 1500, true)).toBe(2);
    expect(binSeconds(180, 1500, false)).toBe(60);
    expect(binSeconds(86_400, 1500)).toBe(60);
    expect(binSeconds(7 * 86_400, 1500)).toBe(600);
    expect(binSeconds(14 * 86_400, 1500)).toBe(900);
    expect(histogram([0, 0.5, 1, 9, 100, Infinity], [0, 1, 2, 10])).toEqual([2, 1, 3]);
  });

  it('the page: data that holds </script> stays data', () => {
    expect(scriptJson({ a: '</script><script>alert(1)</script>' })).not.toContain('</script>');
    const html = renderReport({ summary: { alerts: 0, sessions: 0 }, label: '</script><b>' } as unknown as ReportData, { chartJs: 'var uPlot = 1;', chartCss: '' });
    expect(html.match(/<\/script>/g)!.length).toBe(3);
    expect(html).toContain("default-src 'none'");
  });
});

describe.skipIf(!have || !existsSync(join(ROOT, 'dist/bin/ftp-ids.js')))('ftp-ids report: the command on bad input', () => {
  it('a bad line in a verdict stream: an error exit, one line naming the line, and the page of what came before is still written', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'ftp-report-bad-'));
    const IDS = join(ROOT, 'dist/bin/ftp-ids.js');
    const model = join(dir, 'model.json');
    const S = (f: string) => join(ROOT, 'samples', f);
    execFileSync('node', [IDS, 'train', '--labels', S('labels.csv'), '--split', 'train', '--signatures', S('signatures.csv'), S('benign.pcap'), '-o', model]);
    const stream = execFileSync('node', [IDS, 'detect', '--json', '--all', '--model', model, '--signatures', S('signatures.csv'), S('attacks.pcap')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const lines = stream.split('\n').filter((l) => l.startsWith('{"flow_id"'));
    writeFileSync(join(dir, 'v.json'), [lines[0], lines[1], lines[2]!.slice(0, 40), lines[3]].join('\n') + '\n');
    const page = join(dir, 'r.html');
    const r = spawnSync('node', [IDS, 'report', '--model', model, join(dir, 'v.json'), '-o', page], { encoding: 'utf8' });
    expect(r.status).toBe(2); // runCli: every error exits 2 (1 means "flagged")
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/v\.json: line 3: not JSON/);
    const html = readFileSync(page, 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as ReportData;
    expect(data.summary.sessions).toBe(2);
    expect(data.inputs.at(-1)).toMatch(/stopped: .*line 3/);
    // --help and a missing model are usage errors
    expect(spawnSync('node', [IDS, 'report', '--help'], { encoding: 'utf8' }).stdout).toContain('usage: ftp-ids report');
    const noModel = spawnSync('node', [IDS, 'report', join(dir, 'v.json')], { encoding: 'utf8' });
    expect(noModel.status).toBe(2);
    expect(noModel.stderr).toContain('--model');
  }, 180_000);
});
