import type { Session } from '../dataset/types.js';
import { configParams, minSupportCount, type GspConfig } from './config.js';
import { finishDb, subDb, type FlatInput, type SeqDb, type Taxonomy } from './db.js';
import type { FoundPattern } from './filter.js';
import type { InputFormat } from './input.js';
import { minePatterns, type MineResult } from './mine.js';
import { ModelWriter } from './model.js';
import { ftpTaxonomy } from './taxonomy.js';

export type OutputFormat = 'model' | 'text' | 'spmf';
export const GENERATOR = 'ftp-gsp 0.1.0';

export interface GspInput {
  flat: FlatInput;
  itemNames: Map<string, string>;
  format: InputFormat;
  /** the sessions, when the input was the exchange CSV (for extraModelFields) */
  sessions?: Session[];
}

export interface RunGspOptions {
  config: GspConfig;
  output: OutputFormat;
  write: (s: string) => void;
  /** the is-a hierarchy read from config.taxonomy when it names a file */
  taxonomyFile?: Taxonomy;
  /**
   * Hook for further top-level model fields learned from the same training sessions (stages/gsp.ts gspMain
   * passes `profiles: learnProfiles(sessions)` from src/match/profiles.ts). Only for CSV input.
   */
  extraModelFields?: (sessions: Session[]) => Record<string, unknown>;
  progress?: (model: string, level: number, candidates: number, frequent: number) => void;
  /** mining threads (maximal/closed output, depth-first engine); default 1 */
  threads?: number;
  /** stop mining after this many ms in all (every model of --by label shares it); what was found goes out, marked incomplete */
  timeBudgetMs?: number;
}

export interface RunGspSummary {
  models: { name: string; result: MineResult }[];
  /** some model stopped at the time budget */
  incomplete: boolean;
}

/** `<{USER,331} {PASS,230}>` */
export const patternText = (p: readonly (readonly string[])[]): string => `<${p.map((e) => `{${e.join(',')}}`).join(' ')}>`;

/** `1 -1 2 3 -1` (SPMF's output format) */
export const patternSpmf = (p: readonly (readonly string[])[]): string => p.map((e) => `${e.join(' ')} -1`).join(' ');

/** Mine every model (all sequences, and per label with byLabel) and write them in the chosen format. */
export function runGsp(input: GspInput, o: RunGspOptions): RunGspSummary {
  const cfg = o.config;
  let tax: Taxonomy | undefined;
  if (cfg.taxonomy === 'ftp') {
    tax = ftpTaxonomy(input.flat.dict);
  } else if (cfg.taxonomy !== 'none') tax = o.taxonomyFile;
  const db = finishDb(input.flat, tax);
  const display = db.items.map((s) => input.itemNames.get(s) ?? s);
  const parts: { name: string; db: SeqDb }[] = [{ name: '*', db }];
  if (cfg.byLabel) {
    const byLabel = new Map<string, number[]>();
    db.labels.forEach((l, i) => {
      const list = byLabel.get(l);
      if (list) list.push(i);
      else byLabel.set(l, [i]);
    });
    for (const l of [...byLabel.keys()].sort()) parts.push({ name: l, db: subDb(db, byLabel.get(l)!) });
  }
  const toStrings = (fp: FoundPattern): string[][] => fp.pattern.map((e) => e.map((x) => display[x]));
  const summary: RunGspSummary = { models: [], incomplete: false };
  const deadline = o.timeBudgetMs !== undefined ? Date.now() + o.timeBudgetMs : Infinity;
  let writer: ModelWriter | null = null;
  if (o.output === 'model') {
    writer = new ModelWriter(o.write, {
      generator: GENERATOR,
      params: { ...configParams(cfg), input: input.format },
      dataset: { sequences: db.n },
    });
  }
  for (const part of parts) {
    const n = part.db.n;
    const names = part.db.names;
    const sidList = (fp: FoundPattern): (string | number)[] => Array.from(fp.sids ?? [], (i) => names[i]);
    let onPattern: (fp: FoundPattern) => void;
    if (writer) {
      const w = writer;
      onPattern = (fp) => {
        const mp: { pattern: string[][]; support: number; fraction: number; sids?: (string | number)[] } = {
          pattern: toStrings(fp),
          support: fp.support,
          fraction: fp.support / n,
        };
        if (cfg.sids) mp.sids = sidList(fp);
        w.pattern(mp);
      };
    } else if (o.output === 'text') {
      onPattern = (fp) =>
        o.write(
          `${patternText(toStrings(fp))}  #SUP: ${fp.support} (${(fp.support / n).toFixed(2)})${cfg.sids ? `  #SID: ${sidList(fp).join(' ')}` : ''}\n`,
        );
    } else {
      onPattern = (fp) => o.write(`${patternSpmf(toStrings(fp))} #SUP: ${fp.support}${cfg.sids ? ` #SID: ${sidList(fp).join(' ')}` : ''}\n`);
    }
    const countFor = minSupportCountOf(cfg, n);
    if (writer) writer.beginModel(part.name, n, countFor);
    else if (cfg.byLabel) o.write(`# model ${part.name}: ${n} sequences, min support ${countFor}\n`);
    const result = minePatterns(part.db, cfg, onPattern, o.progress ? (l, c, f) => o.progress!(part.name, l, c, f) : undefined, {
      threads: o.threads,
      timeBudgetMs: deadline < Infinity ? Math.max(0, deadline - Date.now()) : undefined,
    });
    // a run cut by the time budget says so where the patterns are (the key only appears then, so
    // complete models are byte-identical whatever the budget and threads)
    const cut = result.incomplete ? { incomplete: true } : {};
    if (writer) {
      writer.endModel({ frequentPatterns: result.frequent, engine: result.engine, levels: result.stats.levels, ...cut });
    } else if (result.incomplete) {
      o.write(`# incomplete: model ${part.name} stopped at the time budget; the patterns above are those found so far\n`);
    }
    if (result.incomplete) summary.incomplete = true;
    summary.models.push({ name: part.name, result });
  }
  if (writer) {
    // an incomplete run skips the extra fields: calibrating them mines the sessions again, and the budget is spent
    const extra = o.extraModelFields && input.sessions && !summary.incomplete ? o.extraModelFields(input.sessions) : {};
    writer.end(summary.incomplete ? { incomplete: true, ...extra } : extra);
  }
  return summary;
}

const minSupportCountOf = (cfg: GspConfig, n: number): number => minSupportCount(cfg.minSupport, n);
