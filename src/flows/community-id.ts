import { sha1 } from '../common/sha1.js';

/**
 * Community ID v1 (https://github.com/corelight/community-id-spec): SHA-1 over
 * seed (2 bytes, network order) | src addr | dst addr | protocol (1 byte) | 0 pad (1 byte) |
 * src port | dst port, with the endpoints ordered so the smaller (address, port) comes first;
 * base64 of the digest, prefixed with "1:".
 */
export function communityIdV1(aAddr: Buffer, aPort: number, bAddr: Buffer, bPort: number, proto = 6, seed = 0): string {
  if (aAddr.length !== bAddr.length) throw new RangeError('community id: addresses of different families');
  aAddr.copy(pair, 0);
  bAddr.copy(pair, aAddr.length);
  return communityIdV1At(pair, 0, aAddr.length, aAddr.length, aPort, bPort, proto, seed);
}

/** the same for two addresses of `len` bytes at buf[aOff] and buf[bOff] (no Buffer per call) */
export function communityIdV1At(buf: Buffer, aOff: number, bOff: number, len: number, aPort: number, bPort: number, proto = 6, seed = 0): string {
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
  return '1:' + sha1(input, n + 6).toString('base64');
}

/** The flow record's id: "F" and the first 16 hex digits of SHA-1(`${communityId}|${firstUs}`). */
export function flowIdOf(communityId: string, firstUs: number): string {
  const text = `${communityId}|${firstUs}`;
  if (text.length > idInput.length) idInput = Buffer.alloc(2 * text.length);
  const n = idInput.write(text, 0, 'latin1');
  return 'F' + sha1(idInput, n).toString('hex', 0, 8);
}

/** seed, two IPv6 addresses, protocol, pad, ports */
const input = Buffer.alloc(2 + 32 + 6);
const pair = Buffer.alloc(32);
let idInput = Buffer.alloc(64);
