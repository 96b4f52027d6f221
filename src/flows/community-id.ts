import { sha1 } from '../common/sha1.js';

/**
 * Community ID v1 (https://github.com/corelight/community-id-spec): SHA-1 over
 * seed (2 bytes, network order) | src addr | dst addr | protocol (1 byte) | 0 pad (1 byte) |
 * src port | dst port, with the endpoints ordered so the smaller (address, port) comes first;
 * base64 of the digest, prefixed with "1:".
 *
 * The flow table writes both ids of every emitted flow straight into its output (put*): no string
 * is made on that path.
 */
export function communityIdV1(aAddr: Buffer, aPort: number, bAddr: Buffer, bPort: number, proto = 6, seed = 0): string {
  if (aAddr.length !== bAddr.length) throw new RangeError('community id: addresses of different families');
  aAddr.copy(pair, 0);
  bAddr.copy(pair, aAddr.length);
  return communityIdV1At(pair, 0, aAddr.length, aAddr.length, aPort, bPort, proto, seed);
}

/** the same for two addresses of `len` bytes at buf[aOff] and buf[bOff] (no Buffer per call) */
export function communityIdV1At(buf: Buffer, aOff: number, bOff: number, len: number, aPort: number, bPort: number, proto = 6, seed = 0): string {
  const n = putCommunityIdV1(text, 0, buf, aOff, bOff, len, aPort, bPort, proto, seed);
  return text.toString('latin1', 0, n);
}

/** Community ID text ("1:" and base64: COMMUNITY_ID_BYTES) into out at pos; returns the position after it */
export function putCommunityIdV1(
  out: Buffer, pos: number, buf: Buffer, aOff: number, bOff: number, len: number, aPort: number, bPort: number, proto = 6, seed = 0,
): number {
  let cmp = 0;
  for (let i = 0; i < len && cmp === 0; i++) cmp = buf[aOff + i] - buf[bOff + i];
  if (cmp === 0) cmp = aPort - bPort;
  const sOff = cmp <= 0 ? aOff : bOff;
  const dOff = cmp <= 0 ? bOff : aOff;
  input[0] = (seed >> 8) & 0xff;
  input[1] = seed & 0xff;
  for (let i = 0; i < len; i++) {
    input[2 + i] = buf[sOff + i];
    input[2 + len + i] = buf[dOff + i];
  }
  const n = 2 + 2 * len;
  input[n] = proto;
  input[n + 1] = 0;
  const sPort = cmp <= 0 ? aPort : bPort;
  const dPort = cmp <= 0 ? bPort : aPort;
  input[n + 2] = sPort >> 8;
  input[n + 3] = sPort & 0xff;
  input[n + 4] = dPort >> 8;
  input[n + 5] = dPort & 0xff;
  const d = sha1(input, n + 6);
  out[pos++] = 0x31; // 1
  out[pos++] = 0x3a; // :
  // base64 of 20 bytes: six groups of three, then two bytes and one "="
  for (let i = 0; i < 18; i += 3) {
    const v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    out[pos++] = B64[v >>> 18];
    out[pos++] = B64[(v >>> 12) & 63];
    out[pos++] = B64[(v >>> 6) & 63];
    out[pos++] = B64[v & 63];
  }
  const v = (d[18] << 16) | (d[19] << 8);
  out[pos++] = B64[v >>> 18];
  out[pos++] = B64[(v >>> 12) & 63];
  out[pos++] = B64[(v >>> 6) & 63];
  out[pos++] = 0x3d; // =
  return pos;
}

export const COMMUNITY_ID_BYTES = 30;

/** The flow record's id: "F" and the first 16 hex digits of SHA-1(`${communityId}|${firstUs}`). */
export function flowIdOf(communityId: string, firstUs: number): string {
  if (communityId.length > 60) throw new RangeError('flow id: not a community id');
  const n = text.write(communityId, 0, 'latin1');
  return text.toString('latin1', 64, putFlowId(text, 64, text, 0, n, firstUs));
}

/** the flow id (17 bytes) into out at pos, from the community id text at cid[cidOff, cidOff+cidLen) */
export function putFlowId(out: Buffer, pos: number, cid: Buffer, cidOff: number, cidLen: number, firstUs: number, repeat = 0): number {
  for (let i = 0; i < cidLen; i++) idInput[i] = cid[cidOff + i];
  idInput[cidLen] = 0x7c; // |
  let n = cidLen + 1;
  if (Number.isSafeInteger(firstUs) && firstUs >= 0) {
    // String(firstUs), digit by digit
    let digits = 1;
    for (let t = firstUs; t >= 10; t = Math.floor(t / 10)) digits++;
    for (let k = n + digits - 1, t = firstUs; k >= n; k--, t = Math.floor(t / 10)) idInput[k] = 0x30 + (t % 10);
    n += digits;
  } else n += idInput.write(String(firstUs), n, 'latin1');
  // the n-th record of one connection and first time in a run (no SYN told them apart): "|n" more
  if (repeat > 0) n += idInput.write(`|${repeat}`, n, 'latin1');
  const d = sha1(idInput, n);
  out[pos++] = 0x46; // F
  for (let i = 0; i < 8; i++) {
    out[pos++] = HEX[d[i] >> 4];
    out[pos++] = HEX[d[i] & 15];
  }
  return pos;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const B64 = ascii('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const HEX = ascii('0123456789abcdef');
/** seed, two IPv6 addresses, protocol, pad, ports */
const input = Buffer.alloc(2 + 32 + 6);
const pair = Buffer.alloc(32);
/** a community id and a time (String of any number is under 30 characters) */
const idInput = Buffer.alloc(128);
const text = Buffer.alloc(128);
