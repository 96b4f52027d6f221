import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { describeValue, FtpIdsError } from '../common/errors.js';
import { optInt, optSize } from '../common/options.js';
import { DEFAULT_ITEMS, parseItemsSpec, type ItemsConfig } from '../dataset/items.js';
import { NO_CONSTRAINTS, type TimeConstraints } from './embed.js';
import { checkProfiles, type Profiles } from './profiles.js';
import { checkDetector, type Detector, type KeyTable } from './detector.js';
import { itemOrder } from '../gsp/db.js';
import { MODEL_FORMAT, MODEL_VERSION, readModel } from '../gsp/model.js';

/**
 * The model as the matcher uses it: patterns (elements of item strings) per server label and
 * global, how transactions were built (items, time), the time constraints the miner applied,
 * and the count-aware profiles. Built from the model JSON of ftp-gsp by `toMatchModel`.
 */
export interface MatchPattern {
  elements: string[][];
  support: number;
}

export interface PatternSet {
  /** training sessions the patterns were mined from */
  sessions: number;
  patterns: MatchPattern[];
}

export interface MatchModel {
  items: ItemsConfig;
  /** transaction times: the exchange index, or the request timestamp in seconds */
  time: 'index' | 'seconds';
  constraints: TimeConstraints;
  global: PatternSet;
  byLabel: Record<string, PatternSet>;
  profiles: Profiles | null;
  /** the calibrated score (src/match/detector.ts); null in a model mined without it */
  detector: Detector | null;
  /** exchange keys without a detector: only while calibrating (a fold's model) */
  keys?: { global: KeyTable; byLabel: Record<string, KeyTable> };
}

export { MODEL_FORMAT, MODEL_VERSION };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function damaged(msg: string): never {
  throw new FtpIdsError('MODEL_DAMAGED', `model: ${msg}`);
}

/** Parse a pattern given as `[["USER","331"],["PASS"]]`, `{"elements":[…]}` or `<{USER,331} {PASS}>`. */
export function parsePattern(v: unknown, where: string): string[][] {
  if (typeof v === 'string') {
    const m = /^<(.*)>$/.exec(v.trim());
    if (!m) damaged(`${where}: pattern text ${describeValue(v)} is not <{a,b} {c}>`);
    const elements = [...m[1]!.matchAll(/\{([^}]*)\}/g)].map((e) => e[1]!.split(',').map((x) => x.trim()).filter(Boolean));
    if (elements.length === 0 || elements.some((e) => e.length === 0)) damaged(`${where}: empty element in ${describeValue(v)}`);
    return elements;
  }
  const arr = isObj(v) && Array.isArray(v.elements) ? v.elements : v;
  if (!Array.isArray(arr) || arr.length === 0) damaged(`${where}: pattern is not a non-empty list of elements`);
  return arr.map((e, i) => {
    if (!Array.isArray(e) || e.length === 0 || e.some((x) => typeof x !== 'string' || x === '')) {
      damaged(`${where}: element ${i} is not a non-empty list of item strings`);
    }
    // ftp-gsp's item order (commands before codes, src/gsp/db.ts): one order in every printed pattern
    return [...new Set(e as string[])].sort(itemOrder);
  });
}

function num(v: unknown, dflt: number, where: string): number {
  if (v === undefined || v === null) return dflt; // JSON has no Infinity: null means "none"

  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) damaged(`${where} is not a non-negative number`);
  return v;
}

/** Check a plain pattern-set-ish object. */
export function toPatternSet(v: unknown, where: string): PatternSet {
  if (!isObj(v)) damaged(`${where} is not an object`);
  if (!Array.isArray(v.patterns)) damaged(`${where}.patterns is not a list`);
  const patterns = v.patterns.map((p, i): MatchPattern => {
    const w = `${where}.patterns[${i}]`;
    const elements = parsePattern(isObj(p) ? p.pattern : p, w);
    const support = isObj(p) ? num(p.support, 0, `${w}.support`) : 0;
    return { elements, support };
  });
  return { sessions: num(v.sessions, 0, `${where}.sessions`), patterns };
}


/** bound on a model's size-class bounds (learnSizeEdges makes at most 5) */
const MAX_SIZE_EDGES = 64;

/**
 * Build the matcher's view of a model (the JSON of ftp-gsp / ftp-ids train, documented in
 * src/gsp/model.ts, checked by its readModel): `models["*"]` is the global pattern set, every other
 * entry of `models` the set of one server label; `params` says how transactions were built and
 * which time constraints the miner applied; `profiles` (src/match/profiles.ts) are checked here.
 * A model mined with a taxonomy is refused: its patterns hold ancestor items (`auth`, `2xx`) that
 * the matcher does not derive from exchanges.
 */
export function toMatchModel(v: unknown): MatchModel {
  if (!isObj(v)) damaged('not a JSON object');
  if (v.format !== MODEL_FORMAT) damaged(`format is ${describeValue(v.format)}, expected "${MODEL_FORMAT}" (is this an ftp-gsp model?)`);
  if (v.version !== MODEL_VERSION) {
    throw new FtpIdsError('MODEL_VERSION', `model: version ${describeValue(v.version)} is not supported (this ftp-match reads version ${MODEL_VERSION}); mine the model again with this version of ftp-gsp`);
  }
  const params = isObj(v.params) ? v.params : damaged('no "params" object');
  let items: ItemsConfig = DEFAULT_ITEMS;
  if (typeof params.items === 'string') {
    try {
      items = parseItemsSpec(params.items);
    } catch (e) {
      damaged(`params.items: ${(e as Error).message}`);
    }
  }
  if (items.data && params.sizeEdges !== undefined) {
    const e = params.sizeEdges;
    // ascending finite numbers: the size classes' bounds (ftp-gsp --items …,data learned them)
    if (!Array.isArray(e) || e.length > MAX_SIZE_EDGES || !e.every((x, i) => typeof x === 'number' && Number.isFinite(x) && (i === 0 || x > (e[i - 1] as number)))) {
      damaged(`params.sizeEdges: expected at most ${MAX_SIZE_EDGES} ascending numbers, got ${describeValue(e)}`);
    }
    items = Object.freeze({ ...items, sizeEdges: Object.freeze([...(e as number[])]) });
  }
  if (params.taxonomy !== undefined && params.taxonomy !== 'none') {
    throw new FtpIdsError('MODEL_UNSUPPORTED', `model: mined with taxonomy ${describeValue(params.taxonomy)}; ftp-match needs a model mined without one (--taxonomy none)`);
  }
  const time = params.time === 'seconds' ? 'seconds' : 'index';
  const constraints: TimeConstraints = {
    // null: no min-gap (consecutive elements only have to be in order), no max-gap
    minGap: num(params.minGap, NO_CONSTRAINTS.minGap, 'params.minGap'),
    maxGap: num(params.maxGap, NO_CONSTRAINTS.maxGap, 'params.maxGap'),
    window: num(params.window, NO_CONSTRAINTS.window, 'params.window'),
  };
  const models = isObj(v.models) ? v.models : damaged('no "models" object');
  if (!isObj(models['*'])) damaged('no global model (models["*"])');
  const set = (name: string): PatternSet => {
    const m = models[name] as Record<string, unknown>;
    return toPatternSet({ sessions: m.sequences, patterns: m.patterns }, `models["${name}"]`);
  };
  const byLabel: Record<string, PatternSet> = {};
  for (const name of Object.keys(models)) if (name !== '*') byLabel[name] = set(name);
  const profiles = v.profiles === undefined || v.profiles === null ? null : checkProfiles(v.profiles);
  const detector = v.detector === undefined || v.detector === null ? null : checkDetector(v.detector);
  return { items, time, constraints, global: set('*'), byLabel, profiles, detector };
}

/**
 * Bounds on the model ftp-match loads (ftp-match holds every pattern, encoded, for the whole run):
 * measured, a model of 100,000 patterns took 330 MB in ftp-match, about 3.3 KB a pattern. The
 * defaults allow 50,000 patterns (~165 MB) and 64 MiB of model text; models of ftp-ids train hold
 * tens to hundreds of patterns, ftp-gsp's `--output all` at a low support thousands.
 */
export interface ModelBounds {
  /** bytes of model text read (more: an error before anything is parsed) */
  maxModelBytes: number;
  /** patterns in all pattern sets together */
  maxModelPatterns: number;
}

export function normalizeModelBounds(raw: Record<string, unknown> = {}): ModelBounds {
  return Object.freeze({
    maxModelBytes: optSize(raw, 'maxModelBytes', 64 * 1024 * 1024),
    maxModelPatterns: optInt(raw, 'maxModelPatterns', 50_000, 1),
  });
}

/**
 * Read and check model text (a file read by ftp-match: with `bounds`, their defaults when empty): ftp-gsp's readModel refuses another format or version and damaged
 * content (MODEL_FORMAT / MODEL_VERSION / MODEL_DAMAGED, with the line and the value's path); the
 * pattern bound (MODEL_TOO_LARGE); then the matcher's own checks.
 */
export function parseModelText(text: string, file?: string, bounds?: Record<string, unknown> | ModelBounds): MatchModel {
  // no bounds given: a model this process mined itself (the calibration's fold models)
  const max = bounds ? normalizeModelBounds(bounds as Record<string, unknown>).maxModelPatterns : Infinity;
  const obj = readModel(text, file);
  let patterns = 0;
  for (const m of Object.values(obj.models)) patterns += m.patterns.length;
  if (patterns > max) {
    throw new FtpIdsError(
      'MODEL_TOO_LARGE',
      `model holds ${patterns} patterns, more than the bound of ${max} (--max-model-patterns; mine with a higher support or --output maximal)`,
      { file },
    );
  }
  try {
    return toMatchModel(obj);
  } catch (e) {
    if (e instanceof FtpIdsError && !e.where.file) throw new FtpIdsError(e.code, e.message, { file });
    throw e;
  }
}

/**
 * A model file's text, read only up to the byte bound: a larger file (or a pipe that goes on) is
 * an error before anything is parsed, so the bound holds for the text, the parse and the model.
 */
export function readModelTextFile(path: string, bounds: Record<string, unknown> | ModelBounds = {}): string {
  const { maxModelBytes } = normalizeModelBounds(bounds as Record<string, unknown>);
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    const tooLarge = (): never => {
      throw new FtpIdsError('MODEL_TOO_LARGE', `model file is larger than the bound of ${maxModelBytes} bytes (--max-model-bytes)`, { file: path });
    };
    if (st.isFile() && st.size > maxModelBytes) tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, maxModelBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > maxModelBytes) tooLarge();
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
