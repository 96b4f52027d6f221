import { fnv1a } from '../common/hash.js';
import type { Session } from '../dataset/types.js';
import { endpointKey, type LabelTable, type SessionLabel } from './labels.js';

/**
 * The demo's deterministic train / held-back split of labelled benign sessions: within every
 * (scenario, server) group, sessions are ordered by a hash of their endpoints and every
 * `heldBackEvery`-th one is held back. Every benign scenario of every server is in both parts,
 * and the split does not depend on capture order or on timestamps.
 */
export { fnv1a };

export interface LabelledSession {
  session: Session;
  label: SessionLabel | undefined;
}

export interface Split {
  train: Session[];
  heldBack: Session[];
  /** sessions that are attacks (all go to detection) */
  attacks: Session[];
  /** sessions with no label (left out of both) */
  unlabelled: Session[];
}

export function splitSessions(sessions: Session[], labels: LabelTable, heldBackEvery = 3): Split {
  const groups = new Map<string, { s: Session; h: number }[]>();
  const out: Split = { train: [], heldBack: [], attacks: [], unlabelled: [] };
  for (const s of sessions) {
    const l = labels.lookup(s);
    if (!l) out.unlabelled.push(s);
    else if (l.cls === 'attack') out.attacks.push(s);
    else {
      const g = `${l.scenario}|${l.server}`;
      const e = { s, h: fnv1a(endpointKey(s.clientIp, s.clientPort, s.serverIp, s.serverPort)) };
      const list = groups.get(g);
      if (list) list.push(e);
      else groups.set(g, [e]);
    }
  }
  const held = new Set<Session>();
  for (const list of groups.values()) {
    list.sort((a, b) => a.h - b.h || (a.s.flowId < b.s.flowId ? -1 : 1));
    list.forEach((e, i) => {
      if (i % heldBackEvery === heldBackEvery - 1) held.add(e.s);
    });
  }
  // keep input order inside each part (the cross-session windows depend on it)
  for (const s of sessions) {
    const l = labels.lookup(s);
    if (l?.cls === 'benign') (held.has(s) ? out.heldBack : out.train).push(s);
  }
  return out;
}
