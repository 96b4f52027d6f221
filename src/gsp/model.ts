import { describeValue, FtpIdsError, stripBom } from '../common/errors.js';
import { jsonErrorOffset, jsonPathOffset, lineAt } from '../common/json-position.js';

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

/**
 * Parse and validate a model file. Refuses another format or version, and damaged content: every
 * error says what is wrong and where (the line, and the path of the value: `models["*"].patterns[63]:
 * support is not a non-negative integer`). A UTF-8 byte order mark is accepted. Untrusted values
 * are described, never quoted whole (describeValue).
 */
export function readModel(input: string, file?: string): FtpIdsModel {
  const text = stripBom(input);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    throw new FtpIdsError('MODEL_DAMAGED', `not a JSON model (${msg})`, { file, line: lineAt(text, jsonErrorOffset(text, msg)) });
  }
  /** an error about the value at `path` (its line when it can be found) */
  const bad = (path: (string | number)[], msg: string, code = 'MODEL_DAMAGED', named = true): never => {
    const at = jsonPathOffset(text, path);
    const where = named && path.length ? `${pathText(path)}: ` : '';
    throw new FtpIdsError(code, `${where}${msg}`, at >= 0 ? { file, line: lineAt(text, at) } : { file });
  };
  if (!isObj(v)) return bad([], 'model is not a JSON object');
  const o = v;
  if (o.format !== MODEL_FORMAT) {
    bad(['format'], `not an ftp-ids model (format ${describeValue(o.format)}, expected "${MODEL_FORMAT}")`, 'MODEL_FORMAT', false);
  }
  if (o.version !== MODEL_VERSION) {
    // a scalar is named in the sentence, a container only described
    const d = describeValue(o.version);
    const known = `this reader knows version ${MODEL_VERSION}`;
    const container = typeof o.version === 'object' && o.version !== null;
    bad(['version'], container ? `model version is not supported (${d}; ${known})` : `model version ${d} is not supported (${known})`, 'MODEL_VERSION', false);
  }
  if (!isObj(o.params)) bad(['params'], 'model has no "params" object');
  if (!isObj(o.dataset) || !Number.isInteger(o.dataset.sequences)) bad(['dataset'], 'model has no "dataset.sequences" count');
  if (!isObj(o.models)) return bad(['models'], 'model has no "models" object');
  for (const [name, m] of Object.entries(o.models)) {
    const at = ['models', name];
    if (!isObj(m)) return bad(at, 'is not an object');
    for (const k of ['sequences', 'minSupportCount']) {
      if (!isCount(m[k])) bad([...at, k], `is not a non-negative integer (${describeValue(m[k])})`);
    }
    if (!Array.isArray(m.patterns)) return bad([...at, 'patterns'], `is not an array (${describeValue(m.patterns)})`);
    m.patterns.forEach((p, i) => {
      const problem = patternProblem(p);
      if (problem) bad([...at, 'patterns', i, ...problem.path], problem.msg);
    });
  }
  return o as unknown as FtpIdsModel;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** `models["*"].patterns[63].support` */
function pathText(path: readonly (string | number)[]): string {
  let s = '';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : /^[A-Za-z_]\w*$/.test(k) ? `${s ? '.' : ''}${k}` : `[${describeValue(k)}]`;
  return s;
}

/** What is wrong with one pattern entry, and where inside it; null when it is good. */
function patternProblem(p: unknown): { path: (string | number)[]; msg: string } | null {
  if (!isObj(p)) return { path: [], msg: `is not an object (${describeValue(p)})` };
  const pat = p.pattern;
  if (!Array.isArray(pat) || pat.length === 0) return { path: ['pattern'], msg: `is not a non-empty array of elements (${describeValue(pat)})` };
  for (let e = 0; e < pat.length; e++) {
    const el: unknown = pat[e];
    if (!Array.isArray(el) || el.length === 0) return { path: ['pattern', e], msg: `is not a non-empty array of items (${describeValue(el)})` };
    for (let j = 0; j < el.length; j++) {
      if (typeof el[j] !== 'string') return { path: ['pattern', e, j], msg: `item is not a string (${describeValue(el[j])})` };
    }
  }
  if (!isCount(p.support)) return { path: ['support'], msg: `is not a non-negative integer (${describeValue(p.support)})` };
  if (typeof p.fraction !== 'number') return { path: ['fraction'], msg: `is not a number (${describeValue(p.fraction)})` };
  if (p.sids !== undefined && !Array.isArray(p.sids)) return { path: ['sids'], msg: `is not an array (${describeValue(p.sids)})` };
  return null;
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
