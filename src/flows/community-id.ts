import { hash } from 'node:crypto';

/**
 * Community ID v1 (https://github.com/corelight/community-id-spec): SHA-1 over
 * seed (2 bytes, network order) | src addr | dst addr | protocol (1 byte) | 0 pad (1 byte) |
 * src port | dst port, with the endpoints ordered so the smaller (address, port) comes first;
 * base64 of the digest, prefixed with "1:".
 */
export function communityIdV1(
  aAddr: Buffer,
  aPort: number,
  bAddr: Buffer,
  bPort: number,
  proto = 6,
  seed = 0,
): string {
  let cmp = Buffer.compare(aAddr, bAddr);
  if (cmp === 0) cmp = aPort - bPort;
  const [sAddr, sPort, dAddr, dPort] = cmp <= 0 ? [aAddr, aPort, bAddr, bPort] : [bAddr, bPort, aAddr, aPort];
  // one buffer and one-shot hashing: a Hash object per flow cost more than the digest
  const n = sAddr.length + dAddr.length;
  const input = Buffer.allocUnsafe(8 + n);
  input.writeUInt16BE(seed & 0xffff, 0);
  sAddr.copy(input, 2);
  dAddr.copy(input, 2 + sAddr.length);
  input[2 + n] = proto;
  input[3 + n] = 0;
  input.writeUInt16BE(sPort, 4 + n);
  input.writeUInt16BE(dPort, 6 + n);
  const digest = hash('sha1', input, 'base64');
  return `1:${digest}`;
}
