import type { Reason } from '../match/matcher.js';

/**
 * A reason as a sentence for the report's reader (the demo's text table has its own compact form):
 * what was seen, against what training allowed, and the share of the score it carried.
 */
export function reasonSentence(r: Reason): string {
  const at = (xs: number[]): string => (xs.length === 0 ? '' : ` (exchange${xs.length > 1 ? 's' : ''} ${xs.slice(0, 8).join(', ')}${xs.length > 8 ? ', …' : ''})`);
  const share = r.surprisal > 0 ? `; ${r.surprisal.toFixed(2)} nats of the score` : '';
  switch (r.kind) {
    case 'unexplained':
      return `${r.count} of ${r.of} exchanges explained by no pattern of the server's model${at(r.exchanges)}${share}`;
    case 'unseen_item':
      return `never seen in training: ${r.items.slice(0, 4).join(' · ')}${r.items.length > 4 ? ' …' : ''}${r.count > 1 ? `, ${r.count} times` : ''}${at(r.exchanges)}${share}`;
    case 'repetition':
      return `${r.item} ${r.count} times; at most ${r.limit} in a benign training session${at(r.exchanges)}${share}`;
    case 'overlong':
      return `${r.command} argument of ${r.length} characters; the longest in training was ${r.limit}${at(r.exchanges)}${share}`;
    case 'refused':
      return `${r.count} commands refused (4xx/5xx); at most ${r.limit} in a benign training session${at(r.exchanges)}${share}`;
    case 'rare_attribute':
      return `${r.attribute}: in ${r.trainingSessions} benign training sessions${at(r.exchanges)}${share}`;
    case 'length':
      return `${r.count} exchanges; at most ${r.limit} in a benign training session${share}`;
    case 'duration':
      return `lasted ${r.seconds} s; at most ${r.limit} s in training${share}`;
    case 'idle':
      return `silent for ${r.seconds} s; at most ${r.limit} s in training${share}`;
    case 'window_sessions':
      return `${r.count} sessions from ${r.client} within ${r.window} s; at most ${r.limit} in training${share}`;
    case 'window_failed_logins':
      return `${r.count} failed logins from ${r.client} within ${r.window} s; at most ${r.limit} in training${share}`;
    case 'window_short_sessions':
      return `${r.count} short sessions from ${r.client} within ${r.window} s; at most ${r.limit} in training${share}`;
    case 'incident':
      return `part of incident ${r.incident} (${r.sessions.length} sessions from ${r.client})`;
    case 'no_pattern':
      return `supports none of the model's ${r.patterns} patterns`;
    default:
      return r satisfies never;
  }
}
