import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ITEMS, learnSizeEdges, parseItemsSpec, sessionTransactions, sizeClass, SIZE_QUANTILES } from '../src/dataset/items.js';
import type { Session } from '../src/dataset/types.js';
import { loadCorpus, type Corpus } from '../src/ids/experiment.js';
import { trainModelText } from '../src/ids/train.js';
import { createMatcher, type Verdict } from '../src/match/matcher.js';
import { parseModelText, type MatchModel } from '../src/match/model.js';
import { runSessions } from '../stages/match.js';

/**
 * Data items (issue 16): a transfer's size class (log-scale bounds learned from the training
 * sessions, carried in the model) and the data connection's flags (third_host, never_opened,
 * no_data_226) as items, on samples/ (real servers and clients, ftp-flows' data records linked by
 * ftp-extract).
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const have = existsSync(join(ROOT, 'samples', 'labels.csv'));

const DATA_ITEMS = 'command,code,context,data';

function verdictsOf(model: MatchModel, sessions: Session[]): Verdict[] {
  const out: Verdict[] = [];
  const m = createMatcher(model, {}, (v) => !v.update && out.push(v));
  for (const s of sessions) m.pushSession(s);
  m.end();
  return out;
}

describe.skipIf(!have)('data items on samples/', () => {
  let corpus: Corpus;
  let train: Session[];
  let modelText: string;
  let model: MatchModel;
  beforeAll(async () => {
    corpus = await loadCorpus(join(ROOT, 'samples'), 'samples', async (inputs, opts) => {
      const all: Session[] = [];
      await runSessions(inputs, opts, (s) => all.push(s));
      return all;
    });
    train = corpus.split.train;
    modelText = trainModelText(train, { gsp: { items: DATA_ITEMS }, calibrate: { folds: 4 } });
    model = parseModelText(modelText);
  }, 300_000);

  it('size bounds are learned from the training transfers: powers of two at the quantiles, one past the largest', () => {
    const sizes = train.flatMap((s) => s.exchanges.map((e) => e.dataBytes ?? NaN)).filter(Number.isFinite).sort((a, b) => a - b);
    expect(sizes.length).toBeGreaterThan(100);
    const edges = learnSizeEdges(train);
    const top = sizes[sizes.length - 1] + 1;
    expect(edges[edges.length - 1]).toBe(top);
    for (let i = 1; i < edges.length; i++) expect(edges[i]).toBeGreaterThan(edges[i - 1]);
    for (const q of SIZE_QUANTILES) {
      const v = sizes[Math.floor(q * sizes.length)];
      if (v < 1) continue;
      // the quantile's nearest power of two (on the log scale: within a factor √2) bounds a class
      const e = edges.find((x) => x < top && Math.abs(Math.log2(x) - Math.log2(v)) <= 0.5);
      expect(e, `quantile ${q} (${v} bytes)`).toBeDefined();
      expect(Number.isInteger(Math.log2(e!))).toBe(true);
    }
    // no training transfer is in the top class; one byte more than the largest is
    expect(Math.max(...sizes.map((b) => sizeClass(b, edges)))).toBe(edges.length - 1);
    expect(sizeClass(top, edges)).toBe(edges.length);
    expect(sizeClass(0, edges)).toBe(0);
    // they follow the sessions given: training on the sessions without a transfer above 1 kB gives other bounds
    const small = train.filter((x) => x.exchanges.every((e) => !((e.dataBytes ?? 0) > 1000)));
    const smallEdges = learnSizeEdges(small);
    expect(smallEdges[smallEdges.length - 1]).toBeLessThanOrEqual(1001);
    expect(smallEdges).not.toEqual(edges);
  });

  it('the bounds travel in the model: ftp-ids train writes them into params, the matcher reads them into its items', () => {
    const params = (JSON.parse(modelText) as { params: Record<string, unknown> }).params;
    expect(params.items).toBe('command,code,tags,login,cwd,end,pace,data');
    expect(params.sizeEdges).toEqual(learnSizeEdges(train));
    expect(model.items.data).toBe(true);
    expect(model.items.sizeEdges).toEqual(learnSizeEdges(train));
    // the mined patterns use them
    expect(modelText).toMatch(/"size=\d+"/);
    // a model without data items has no bounds and no such items
    const plain = trainModelText(train.slice(0, 60), { gsp: { items: 'command,code' }, calibrate: { folds: 2 } });
    expect(JSON.parse(plain).params.sizeEdges).toBeUndefined();
    expect(plain).not.toMatch(/"(size|data)=/);
  });

  it('a damaged sizeEdges is refused, named', () => {
    const bad = JSON.parse(modelText) as { params: Record<string, unknown> };
    bad.params.sizeEdges = [4096, 512];
    expect(() => parseModelText(JSON.stringify(bad))).toThrow(/params\.sizeEdges/);
    bad.params.sizeEdges = 'big';
    expect(() => parseModelText(JSON.stringify(bad))).toThrow(/params\.sizeEdges/);
  });

  it('the matcher uses them: a transfer larger than any in training is the top class, and its session scores higher', () => {
    const edges = model.items.sizeEdges!;
    const benign = corpus.split.heldBack.filter((s) => s.exchanges.some((e) => e.command === 'RETR' && Number.isFinite(e.dataBytes ?? NaN)));
    expect(benign.length).toBeGreaterThan(5);
    const s = benign[0];
    const big: Session = {
      ...s,
      flowId: `${s.flowId}-big`,
      exchanges: s.exchanges.map((e) => (e.command === 'RETR' && Number.isFinite(e.dataBytes ?? NaN) ? { ...e, dataBytes: edges[edges.length - 1] * 1000 } : e)),
    };
    const items = (x: Session): string[] => sessionTransactions(x, model.items).flatMap((t) => t.items);
    expect(items(big)).toContain(`size=${edges.length}`);
    expect(items(s)).not.toContain(`size=${edges.length}`);
    const [vs, vb] = verdictsOf(model, [s, big]);
    expect(vb.score).toBeGreaterThan(vs.score);
  });

  it('a bounce (PORT to 127.0.0.99, which ProFTPD connects to) carries data=third_host; without data items it does not', () => {
    const bounced = corpus.sessions.filter((s) => s.exchanges.some((e) => (e.dataFlags ?? []).includes('third_host')));
    expect(bounced.length).toBeGreaterThan(0);
    const withData = { ...DEFAULT_ITEMS, ...parseItemsSpec('command,code,data') };
    for (const s of bounced) {
      expect(corpus.labels.lookup(s)?.cls).toBe('attack');
      const tx = sessionTransactions(s, withData);
      const t = tx.find((x) => x.items.includes('data=third_host'));
      expect(t, s.flowId).toBeDefined();
      expect(t!.exchange!.dataFlags).toContain('third_host');
      expect(sessionTransactions(s, DEFAULT_ITEMS).flatMap((x) => x.items).some((i) => i.startsWith('data='))).toBe(false);
    }
  });
});
