import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { EvalResult } from '../src/ids/eval.js';

/**
 * `ftp-ids report` opened in a real browser (Debian's chromium, headless, through playwright-core),
 * every request but the report file itself refused: the page must work from disk alone. The report
 * is made by the built command from samples/ (real servers and clients), and its numbers are checked
 * against `ftp-ids eval` and `ftp-ids detect` on the same inputs.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const S = (f: string) => join(ROOT, 'samples', f);
const IDS = join(ROOT, 'dist/bin/ftp-ids.js');
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const have = haveChromium && existsSync(IDS) && existsSync(S('labels.csv'));
if (!haveChromium) console.warn(`report-browser tests skipped: ${CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)`);

const ids = (...args: string[]) => execFileSync('node', [IDS, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const sh = (cmd: string) => execFileSync('bash', ['-o', 'pipefail', '-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 28 });
const CAPTURES = [S('benign.pcap'), S('attacks.pcap')];
const SIG = ['--signatures', S('signatures.csv')];

interface V { flow_id: string; client_ip: string; verdict: string; update: number; reasons: { kind: string; exchanges?: number[] }[]; exchanges: number }

describe.skipIf(!have)('ftp-ids report in headless Chromium', () => {
  let dir = '';
  let model = '';
  let ctx: BrowserContext;
  const refused: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ftp-report-'));
    model = join(dir, 'model.json');
    ids('train', '--labels', S('labels.csv'), '--split', 'train', ...SIG, S('benign.pcap'), '-o', model);
    ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'ftp-report-profile-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // no network: only the report file itself may load
    await ctx.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file://') && url.endsWith('.html')) return route.continue();
      refused.push(url);
      return route.abort();
    });
  }, 240_000);

  afterAll(async () => {
    await ctx?.close();
  });

  async function open(file: string): Promise<Page> {
    const page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${file}: console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${file}: ${e.message}`));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
    return page;
  }

  const value = (page: Page, k: string) => page.locator(`[data-k="${k}"]`).first().textContent();

  it('with labels: the summary numbers are ftp-ids eval\'s; the charts draw; nothing is fetched, nothing logged', async () => {
    const args = ['--labels', S('labels.csv'), '--split', 'held-back', ...SIG, '--model', model, ...CAPTURES];
    const ev = JSON.parse(ids('eval', '--json', ...args)) as { results: EvalResult[]; auc: number };
    const file = join(dir, 'labelled.html');
    ids('report', ...args, '-o', file);
    const page = await open(file);
    const ours = ev.results[0]!;
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    expect(await value(page, 'attacks')).toBe(String(ours.attacks));
    expect(await value(page, 'benign')).toBe(String(ours.benign));
    expect(await value(page, 'tp')).toBe(String(ours.truePositives));
    expect(await value(page, 'fp')).toBe(String(ours.falsePositives));
    expect(await value(page, 'recall')).toBe(pct(ours.recall));
    expect(await value(page, 'fpr')).toBe(pct(ours.falsePositiveRate));
    expect(await value(page, 'precision')).toBe(pct(ours.precision));
    expect(await value(page, 'auc')).toBe(ev.auc.toFixed(3));
    expect(await value(page, 'sessions')).toBe(String(ours.attacks + ours.benign + ours.unlabelled));
    // the eval table: one row per scenario, detected counts as eval's
    const rows = await page.locator('#eval-table tbody tr').allTextContents();
    expect(rows.length).toBe(ours.scenarios.length);
    for (const sc of ours.scenarios) expect(rows.some((r) => r.startsWith(`${sc.scenario}${sc.cls}${sc.sessions}${sc.detected}`))).toBe(true);
    // every chart: a canvas with pixels drawn on it
    for (const id of ['#timeline-chart', '#scores-chart', '#roc-chart']) {
      const inked = await page.locator(`${id} canvas`).evaluate((c: HTMLCanvasElement) => {
        const g = c.getContext('2d')!;
        const px = g.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) n++;
        return { w: c.width, h: c.height, n };
      });
      expect(inked.w).toBeGreaterThan(200);
      expect(inked.h).toBeGreaterThan(100);
      expect(inked.n, `${id} has ink`).toBeGreaterThan(500);
    }
    await page.close();
    expect(refused).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('filtering by a client shows exactly its sessions; clicking an alert shows its exchanges, the named ones highlighted', async () => {
    const file = join(dir, 'all.html');
    ids('report', ...SIG, '--model', model, ...CAPTURES, '-o', file);
    const records = ids('detect', '--json', '--all', ...SIG, '--model', model, ...CAPTURES)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as V & { type?: string; id?: string; client?: string });
    const verdicts = records.filter((v) => v.type === undefined && !v.update);
    const incidents = records.filter((r) => r.type === 'incident');
    const page = await open(file);
    expect(await value(page, 'sessions')).toBe(String(verdicts.length));
    // the client with the most sessions
    const per = new Map<string, string[]>();
    for (const v of verdicts) per.set(v.client_ip, [...(per.get(v.client_ip) ?? []), v.flow_id]);
    const [client, flows] = [...per.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
    expect(flows.length).toBeGreaterThan(3);
    await page.selectOption('#f-which', 'all');
    await page.selectOption('#f-client', client);
    const shown = await page.locator('#sessions tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.id!));
    expect(shown.sort()).toEqual([...flows].sort());
    expect(await page.locator('#sessions-count').textContent()).toBe(`${flows.length} sessions`);
    // the incidents table follows the client filter: exactly that client's incidents
    const incClient = incidents[0]!.client!;
    await page.selectOption('#f-client', incClient);
    const incShown = await page.locator('#incidents tbody tr').evaluateAll((trs) => trs.map((tr) => tr.firstElementChild!.textContent!));
    expect(incShown.sort()).toEqual([...new Set(incidents.filter((r) => r.client === incClient).map((r) => r.id!))].sort());

    // an alert whose reasons name exchanges: click it
    await page.selectOption('#f-which', 'alerts');
    await page.selectOption('#f-client', '');
    const alert = verdicts.find((v) => v.verdict === 'suspicious' && v.reasons.some((r) => (r.exchanges ?? []).length > 0) && v.exchanges < 300)!;
    expect(alert).toBeDefined();
    await page.locator(`#sessions tbody tr[data-id="${alert.flow_id}"]`).click();
    await page.waitForSelector('#detail table.dialogue');
    const hl = await page.locator('#detail table.dialogue tr.hl').evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.index)));
    const named = [...new Set(alert.reasons.flatMap((r) => r.exchanges ?? []))].sort((a, b) => a - b);
    expect(hl.sort((a, b) => a - b)).toEqual(named);
    expect(await page.locator('#detail table.dialogue tbody tr').count()).toBe(alert.exchanges);
    expect(await page.locator('#detail ul.reasons li').count()).toBe(alert.reasons.length);
    await page.close();
    expect(refused).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('from a verdict stream (ftp-match --json --all | ftp-ids report): the same summary, dialogues not available', async () => {
    const file = join(dir, 'stream.html');
    const match = `node ${join(ROOT, 'dist/bin/ftp-match.js')}`;
    sh(`${match} --json --all ${SIG.join(' ')} --model ${model} ${CAPTURES.join(' ')} | node ${IDS} report --model ${model} -o ${file}`);
    const page = await open(file);
    const direct = await open(join(dir, 'all.html'));
    for (const k of ['sessions', 'alerts', 'incidents', 'clients', 'first', 'last']) expect(await value(page, k), k).toBe(await value(direct, k));
    expect(await page.locator('#detail-note').textContent()).toContain('verdict stream');
    await page.locator('#sessions tbody tr').first().click();
    expect(await page.locator('#detail').textContent()).toContain('not in a verdict stream');
    expect(readFileSync(file, 'utf8')).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    await page.close();
    await direct.close();
    expect(refused).toEqual([]);
    expect(problems).toEqual([]);
  });
});
