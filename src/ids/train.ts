import type { Session } from '../dataset/types.js';
import { normalizeGspConfig } from '../gsp/config.js';
import { flatFromRaw } from '../gsp/db.js';
import { sessionsToSequences } from '../gsp/input.js';
import { readModel, type FtpIdsModel } from '../gsp/model.js';
import { runGsp } from '../gsp/run.js';
import { learnProfiles } from '../match/profiles.js';

/**
 * `ftp-ids train`: sessions → ftp-gsp's mining (maximal patterns by default, the global model and
 * one per server label) + learnProfiles → the model JSON, exactly as
 * `ftp-extract | ftp-gsp --by label` would write it for the same sessions.
 */
export interface TrainOptions {
  /** ftp-gsp options (minSupport, output, items, time, minGap, maxGap, window, maxLength, by) */
  gsp?: Record<string, unknown>;
  /** learnProfiles options */
  profiles?: Record<string, unknown>;
}

/** Defaults of `ftp-ids train` (ftp-gsp's own default support is 0.1; see docs/ARCHITECTURE.md, ftp-ids). */
export const TRAIN_GSP_DEFAULTS: Record<string, unknown> = { minSupport: '0.3', output: 'maximal' };

export function trainModelText(sessions: Session[], options: TrainOptions = {}): string {
  const given = Object.fromEntries(Object.entries(options.gsp ?? {}).filter(([, v]) => v !== undefined));
  const gsp: Record<string, unknown> = { ...TRAIN_GSP_DEFAULTS, ...given };
  const labels = new Set(sessions.map((s) => s.label));
  // one model per label only when there is more than one label
  if (gsp.by === undefined && gsp.byLabel === undefined) gsp.byLabel = labels.size > 1;
  const config = normalizeGspConfig(gsp);
  const flat = flatFromRaw(sessionsToSequences(sessions, config.items, config.time));
  const parts: string[] = [];
  runGsp(
    { flat, itemNames: new Map(), format: 'csv', sessions },
    { config, output: 'model', write: (s) => parts.push(s), extraModelFields: (ss) => ({ profiles: learnProfiles(ss, options.profiles) }) },
  );
  return parts.join('');
}

export function trainModel(sessions: Session[], options: TrainOptions = {}): FtpIdsModel {
  return readModel(trainModelText(sessions, options));
}
