import { Counters } from '../common/bounds.js';
import { optBool, optInt } from '../common/options.js';
import type { FlowRecord } from './types.js';
import { labelOf as signatureLabel } from '../label/label.js';

/** Validated ftp-extract options (one normaliser: INVALID_OPTION names the option). */
export interface ExtractOptions {
  /** a line longer than this is cut and flagged `overlong` (bound on the per-direction line buffer) */
  readonly maxLineBytes: number;
  /** a command word longer than this is flagged `overlong` */
  readonly maxCommandBytes: number;
  /** a multi-line reply is closed after this many lines and flagged `overlong` */
  readonly maxReplyLines: number;
  /** commands waiting for a reply; beyond it the oldest is written unanswered (`pending_overflow`) */
  readonly maxPendingCommands: number;
  readonly showPasswords: boolean;
  readonly noArgs: boolean;
  /** label of a flow that carries none (default: the study's signatures on its greeting) */
  readonly labelOf: (flow: FlowRecord) => string;
  readonly counters: Counters;
  /** a warning about the input (given once per kind and run; default: none) */
  readonly onWarning: (message: string) => void;
  /** data records held until their control flow comes (the oldest dropped beyond, counted) */
  readonly maxDataRecords: number;
  /**
   * the row handed to onRow is one object per extractor, refilled for every row: valid during the
   * call only (for a consumer that writes each row at once: ftp-extract's CSV)
   */
  readonly reuseRows: boolean;
}

export const EXTRACT_DEFAULTS = {
  maxLineBytes: 8192,
  maxCommandBytes: 32,
  maxReplyLines: 10000,
  maxPendingCommands: 1000,
  maxDataRecords: 100000,
};

const DEFAULT_LABEL_OF = signatureLabel();

export function normalizeExtractOptions(raw: Record<string, unknown> = {}): ExtractOptions {
  const labelOf = raw.labelOf;
  const counters = raw.counters;
  const onWarning = raw.onWarning;
  return Object.freeze({
    maxLineBytes: optInt(raw, 'maxLineBytes', EXTRACT_DEFAULTS.maxLineBytes, 16, 1 << 30),
    maxCommandBytes: optInt(raw, 'maxCommandBytes', EXTRACT_DEFAULTS.maxCommandBytes, 1, 1 << 20),
    maxReplyLines: optInt(raw, 'maxReplyLines', EXTRACT_DEFAULTS.maxReplyLines, 1),
    maxPendingCommands: optInt(raw, 'maxPendingCommands', EXTRACT_DEFAULTS.maxPendingCommands, 1),
    showPasswords: optBool(raw, 'showPasswords', false),
    noArgs: optBool(raw, 'noArgs', false),
    maxDataRecords: optInt(raw, 'maxDataRecords', EXTRACT_DEFAULTS.maxDataRecords, 1),
    reuseRows: optBool(raw, 'reuseRows', false),
    labelOf: typeof labelOf === 'function' ? (labelOf as (f: FlowRecord) => string) : DEFAULT_LABEL_OF,
    counters: counters instanceof Counters ? counters : new Counters(),
    onWarning: typeof onWarning === 'function' ? (onWarning as (message: string) => void) : () => {},
  });
}
