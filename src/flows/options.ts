import { FtpIdsError } from '../common/errors.js';
import { optBool, optDuration, optInt, optSize } from '../common/options.js';

/** Every bound of ftp-flows, validated in one place (CLI strings or API values). */
export interface FlowOptions {
  /** a capture record/block larger than this is an error, never buffered */
  readonly maxRecordBytes: number;
  /** truncated last record is an error instead of a warning */
  readonly strict: boolean;
  /** capture-time seconds without packets after which a flow is emitted with end "idle" */
  readonly idleTimeout: number;
  /** flows (incl. recently closed ones kept to absorb stray packets) in the table; LRU evicted beyond */
  readonly maxFlows: number;
  /** payload bytes kept per direction of one flow; the head is kept and the flow flagged truncated */
  readonly maxFlowBytes: number;
  /** payload bytes held by all flows together; least recently active flows are evicted beyond */
  readonly maxBufferedBytes: number;
  /** bytes a flow may carry while undecided whether it is FTP before it is treated as not FTP */
  readonly detectBytes: number;
  /** ports whose connections are emitted whatever their content */
  readonly ports: readonly number[];
  /** emit every TCP connection */
  readonly all: boolean;
  /** IP datagrams being reassembled at once */
  readonly maxFragmentDatagrams: number;
  /** fragment bytes held at once */
  readonly maxFragmentBytes: number;
  /** capture-time seconds a datagram may wait for its missing fragments */
  readonly fragmentTimeout: number;
  /** announced data connections waiting for their SYN; the oldest announcement dropped beyond */
  readonly maxExpectedData: number;
  /** capture-time seconds an announced data connection is waited for */
  readonly dataTimeout: number;
}

export const FLOW_OPTION_DEFAULTS: FlowOptions = Object.freeze({
  maxRecordBytes: 262144,
  strict: false,
  idleTimeout: 900,
  maxFlows: 100000,
  maxFlowBytes: 1048576,
  maxBufferedBytes: 128 * 1048576,
  detectBytes: 16384,
  ports: Object.freeze([]) as readonly number[],
  all: false,
  maxFragmentDatagrams: 1024,
  maxFragmentBytes: 4 * 1048576,
  fragmentTimeout: 30,
  maxExpectedData: 10000,
  dataTimeout: 300,
});

/** Accepts camelCase or kebab-case names (CLI flags); throws FtpIdsError('INVALID_OPTION'). */
export function normalizeFlowOptions(raw: Record<string, unknown> = {}): FlowOptions {
  const known = new Set(Object.keys(FLOW_OPTION_DEFAULTS));
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const camel = k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (camel === 'port') {
      r.ports = v;
      continue;
    }
    if (!known.has(camel)) throw new FtpIdsError('INVALID_OPTION', `unknown option ${k}`);
    r[camel] = v;
  }
  const d = FLOW_OPTION_DEFAULTS;
  const portsRaw = r.ports === undefined ? [] : Array.isArray(r.ports) ? r.ports : [r.ports];
  const ports = portsRaw.map((p) => optInt({ port: p }, 'port', 0, 1, 65535));
  return Object.freeze({
    maxRecordBytes: optSize(r, 'maxRecordBytes', d.maxRecordBytes),
    strict: optBool(r, 'strict', d.strict),
    idleTimeout: optDuration(r, 'idleTimeout', d.idleTimeout),
    maxFlows: optInt(r, 'maxFlows', d.maxFlows, 1),
    maxFlowBytes: optSize(r, 'maxFlowBytes', d.maxFlowBytes),
    maxBufferedBytes: optSize(r, 'maxBufferedBytes', d.maxBufferedBytes),
    detectBytes: optSize(r, 'detectBytes', d.detectBytes),
    ports: Object.freeze([...new Set(ports)].sort((a, b) => a - b)),
    all: optBool(r, 'all', d.all),
    maxFragmentDatagrams: optInt(r, 'maxFragmentDatagrams', d.maxFragmentDatagrams, 0),
    maxFragmentBytes: optSize(r, 'maxFragmentBytes', d.maxFragmentBytes),
    fragmentTimeout: optDuration(r, 'fragmentTimeout', d.fragmentTimeout),
    // 0: no data channels (control lines not read, no data records: the bench's baseline)
    maxExpectedData: optInt(r, 'maxExpectedData', d.maxExpectedData, 0),
    dataTimeout: optDuration(r, 'dataTimeout', d.dataTimeout),
  });
}
