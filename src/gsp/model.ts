import { FtpIdsError } from '../common/errors.js';

/**
 * The model file ftp-gsp writes and ftp-match reads (docs/ARCHITECTURE.md §5). JSON, version 1:
 *
 * {
 *   "format": "ftp-ids-model",        // always this string; readers refuse anything else
 *   "version": 1,                     // readers refuse any other version
 *   "generator": "ftp-gsp 0.1.0",
 *   "params": {                       // every mining parameter, as used
 *     "minSupport": "0.1",            // as given: fraction "0.1", percentage "5%", or count "12"
 *     "minGap": null | number,        // strict: t(l_i) - t(u_{i-1}) > minGap; null = only order
 *     "maxGap": null | number,        // t(u_i) - t(l_{i-1}) <= maxGap; null = none
 *     "window": number,               // 0 = an element is one transaction
 *     "maxLength": null | number,     // most items per pattern
 *     "output": "all" | "maximal" | "closed",
 *     "time": "index" | "seconds",    // transaction time: exchange index or ts_request
 *     "items": "command,code",        // itemset spec (src/dataset/items.ts)
 *     "taxonomy": "none" | "ftp" | "<file>",
 *     "byLabel": boolean,
 *     "algorithm": "auto" | "vertical" | "levelwise",
 *     "maxCandidates": number,       // bound on the maximal/closed candidate set
 *     "input": "csv" | "spmf" | "jsonl"
 *   },
 *   "dataset": { "sequences": N },    // sequences read (sessions)
 *   "models": {
 *     "*": {                          // all sequences; with byLabel also one entry per server label
 *       "sequences": N,               // sequences in this model
 *       "minSupportCount": n,         // ceil(f·N) for a fraction, else the count
 *       "patterns": [
 *         { "pattern": [["PASS","230"],["RETR"]],   // elements in order, items as strings
 *           "support": 12,                         // sequences that contain it (each once)
 *           "fraction": 0.4,                       // support / sequences
 *           "sids": ["F…", …] }                    // only with --sids: the supporting sequence ids
 *       ],
 *       "stats": { "frequentPatterns": F, "engine": "vertical", "levels": [...] }   // informative
 *     }
 *   },
 *   "profiles": …                     // optional, written by src/match/profiles.ts; opaque here
 * }
 *
 * The writer streams: patterns go out as they are found (output all) — nothing requires the
 * whole model in memory.
 */
export const MODEL_FORMAT = 'ftp-ids-model';
export const MODEL_VERSION = 1;

export interface ModelPattern {
  pattern: string[][];
  support: number;
  fraction: number;
  sids?: (string | number)[];
}

export interface PatternModel {
  sequences: number;
  minSupportCount: number;
  patterns: ModelPattern[];
  stats?: Record<string, unknown>;
}

export interface FtpIdsModel {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  generator: string;
  params: Record<string, unknown>;
  dataset: { sequences: number };
  models: Record<string, PatternModel>;
  profiles?: unknown;
}

/** Parse and validate a model file. Refuses another format or version, and damaged content. */
export function readModel(text: string, file?: string): FtpIdsModel {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new FtpIdsError('MODEL_DAMAGED', `not a JSON model (${(e as Error).message})`, { file });
  }
  const bad = (msg: string): never => {
    throw new FtpIdsError('MODEL_DAMAGED', msg, { file });
  };
  if (!v || typeof v !== 'object' || Array.isArray(v)) return bad('model is not a JSON object');
  const o = v as Record<string, unknown>;
  if (o.format !== MODEL_FORMAT) {
    throw new FtpIdsError('MODEL_FORMAT', `not an ftp-ids model (format ${JSON.stringify(o.format)}, expected "${MODEL_FORMAT}")`, { file });
  }
  if (o.version !== MODEL_VERSION) {
    throw new FtpIdsError('MODEL_VERSION', `model version ${JSON.stringify(o.version)} is not supported (this reader knows version ${MODEL_VERSION})`, {
      file,
    });
  }
  if (!o.params || typeof o.params !== 'object') bad('model has no "params" object');
  const ds = o.dataset as Record<string, unknown> | undefined;
  if (!ds || !Number.isInteger(ds.sequences)) bad('model has no "dataset.sequences" count');
  if (!o.models || typeof o.models !== 'object' || Array.isArray(o.models)) bad('model has no "models" object');
  for (const [name, m] of Object.entries(o.models as Record<string, unknown>)) {
    const pm = m as Record<string, unknown>;
    if (!pm || typeof pm !== 'object') bad(`model "${name}" is not an object`);
    if (!Number.isInteger(pm.sequences) || !Number.isInteger(pm.minSupportCount)) bad(`model "${name}": sequences/minSupportCount missing`);
    if (!Array.isArray(pm.patterns)) bad(`model "${name}": "patterns" is not an array`);
    (pm.patterns as unknown[]).forEach((p, i) => {
      const pp = p as Record<string, unknown>;
      const ok =
        pp &&
        Array.isArray(pp.pattern) &&
        pp.pattern.length > 0 &&
        pp.pattern.every((e) => Array.isArray(e) && e.length > 0 && e.every((x) => typeof x === 'string')) &&
        Number.isInteger(pp.support) &&
        typeof pp.fraction === 'number' &&
        (pp.sids === undefined || Array.isArray(pp.sids));
      if (!ok) bad(`model "${name}": pattern ${i} is damaged`);
    });
  }
  return o as unknown as FtpIdsModel;
}

/** Streams a model as JSON text through `write`. Call order: beginModel, pattern*, endModel, …, end. */
export class ModelWriter {
  private models = 0;
  private patterns = 0;
  constructor(
    private readonly write: (s: string) => void,
    header: { generator: string; params: Record<string, unknown>; dataset: { sequences: number } },
  ) {
    write(
      `{"format":${JSON.stringify(MODEL_FORMAT)},"version":${MODEL_VERSION},"generator":${JSON.stringify(header.generator)},` +
        `"params":${JSON.stringify(header.params)},"dataset":${JSON.stringify(header.dataset)},"models":{`,
    );
  }
  beginModel(name: string, sequences: number, minSupportCount: number): void {
    this.write(`${this.models++ ? ',' : ''}\n${JSON.stringify(name)}:{"sequences":${sequences},"minSupportCount":${minSupportCount},"patterns":[`);
    this.patterns = 0;
  }
  pattern(p: ModelPattern): void {
    this.write(`${this.patterns++ ? ',' : ''}\n${JSON.stringify(p)}`);
  }
  endModel(stats: Record<string, unknown>): void {
    this.write(`],"stats":${JSON.stringify(stats)}}`);
  }
  /** `extra`: further top-level fields (e.g. profiles) */
  end(extra: Record<string, unknown> = {}): void {
    let s = '}';
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) s += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
    this.write(`${s}}\n`);
  }
}
