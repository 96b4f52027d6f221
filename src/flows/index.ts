export { createEmittingFlowReader, createFlowReader, type FlowReader, type FlowReaderWarning } from './reader.js';
export { normalizeFlowOptions, FLOW_OPTION_DEFAULTS, type FlowOptions } from './options.js';
export { flowToJsonLine, parseFlowRecord, directionBytes } from './record.js';
export type { FlowRecord, FlowChunk, FlowEnd, FlowFlag, Endpoint } from './record.js';
export { communityIdV1 } from './community-id.js';
