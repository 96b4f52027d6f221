import type { Session } from '../dataset/types.js';
import { DEFAULT_MIN_SUPPORT, normalizeGspConfig } from '../gsp/config.js';
import { readModel, type FtpIdsModel } from '../gsp/model.js';
import { configForSessions, mineModelText, modelExtras } from '../match/calibrate.js';

/**
 * `ftp-ids train`: sessions → ftp-gsp's mining (maximal patterns by default, the global model and
 * one per server label) + the profiles + the detector calibrated by cross-validation → the model
 * JSON, exactly as `ftp-extract | ftp-gsp --by label --items command,code,context` would write it
 * for the same sessions.
 */
export interface TrainOptions {
  /** ftp-gsp options (minSupport, output, items, time, minGap, maxGap, window, maxLength, by) */
  gsp?: Record<string, unknown>;
  /** learnProfiles options */
  profiles?: Record<string, unknown>;
  /** calibration options (targetFpr, folds) */
  calibrate?: Record<string, unknown>;
  /** called before each cross-validation fold is mined (progress) */
  onFold?: (fold: number, folds: number) => void;
  /** mining threads, for the model and the calibration folds (the same model for any number); default 1 */
  threads?: number;
}

/**
 * Defaults of `ftp-ids train` (ftp-gsp's own default support is 0.1 and its items the study's; see
 * docs/ARCHITECTURE.md, ftp-ids): the session context items, support 0.3.
 */
export const TRAIN_GSP_DEFAULTS: Record<string, unknown> = { minSupport: DEFAULT_MIN_SUPPORT, output: 'maximal', items: 'command,code,context' };

export function trainModelText(sessions: Session[], options: TrainOptions = {}): string {
  const given = Object.fromEntries(Object.entries(options.gsp ?? {}).filter(([, v]) => v !== undefined));
  const gsp: Record<string, unknown> = { ...TRAIN_GSP_DEFAULTS, ...given };
  const labels = new Set(sessions.map((s) => s.label));
  // one model per label only when there is more than one label
  if (gsp.by === undefined && gsp.byLabel === undefined) gsp.byLabel = labels.size > 1;
  const config = configForSessions(normalizeGspConfig(gsp), sessions);
  const threads = options.threads ?? 1;
  return mineModelText(sessions, config, (ss) => modelExtras(ss, config, { profiles: options.profiles, calibrate: options.calibrate, onFold: options.onFold, threads }), threads);
}

export function trainModel(sessions: Session[], options: TrainOptions = {}): FtpIdsModel {
  return readModel(trainModelText(sessions, options));
}
