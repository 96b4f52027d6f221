import { LineSplitter } from './lines.js';
import { ReplyAssembler } from './replies.js';
import { pushChunk, type FlowRecord } from './types.js';

/**
 * The server's first reply as text: every line up to and including the one that completes the
 * first reply (all lines of a multi-line 220; empty lines before it kept), each ended by `\r\n`.
 * Reading stops at the first hole in the server stream and after `maxBytes` of text. A flow picked up
 * mid-session (`no_syn`) has a greeting only if its first reply is a 220.
 */
export function readGreeting(flow: FlowRecord, maxBytes = 4096): string {
  let text = '';
  let done = false;
  const replies = new ReplyAssembler(1000);
  const split = new LineSplitter(maxBytes, (buf, start, end) => {
    if (done) return;
    text += buf.toString('utf8', start, end) + '\r\n';
    if (replies.line(buf, start, end) || text.length >= maxBytes) done = true;
  });
  for (const ch of flow.chunks) {
    if (done) break; // (the rest of the flow's chunks cannot change the text)
    if (ch.dir !== 's') continue;
    if (typeof ch.gap === 'number') break;
    if (ch.data !== undefined) pushChunk(split, ch);
  }
  // picked up mid-session: the first reply is a greeting only if it is a 220 (as in the extractor)
  if (flow.flags?.includes('no_syn') && !text.startsWith('220')) return '';
  return text.length > maxBytes ? text.slice(0, maxBytes) : text;
}
