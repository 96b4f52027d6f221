/** ftp-label core: flow record → labelled flow (format 2): the flow plus `label` and `greeting`. */
import { readGreeting } from '../extract/greeting.js';
import type { FlowRecord, LabelledFlowRecord } from '../extract/types.js';
import { DEFAULT_SIGNATURES, type SignatureSet } from './signatures.js';

export interface LabelOptions {
  signatures?: SignatureSet;
  /** bound on the greeting text kept per flow */
  maxGreetingBytes?: number;
  /** relabel flows that already carry a label */
  relabel?: boolean;
}

export function labelFlow(flow: FlowRecord, options: LabelOptions = {}): LabelledFlowRecord {
  const sigs = options.signatures ?? DEFAULT_SIGNATURES;
  if (!options.relabel && typeof flow.label === 'string' && typeof flow.greeting === 'string') {
    return flow as LabelledFlowRecord;
  }
  const greeting = typeof flow.greeting === 'string' ? flow.greeting : readGreeting(flow, options.maxGreetingBytes ?? 4096);
  const label = !options.relabel && typeof flow.label === 'string' ? flow.label : sigs.match(greeting);
  return { ...flow, label, greeting };
}

/** Label function for the extractor: the flow's own label, else the signature match of its greeting. */
export function labelOf(signatures: SignatureSet = DEFAULT_SIGNATURES, maxGreetingBytes = 4096): (flow: FlowRecord) => string {
  return (flow) => flow.label ?? signatures.match(flow.greeting ?? readGreeting(flow, maxGreetingBytes));
}
