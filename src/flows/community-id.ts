import { createHash } from 'node:crypto';

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
  const head = Buffer.alloc(2);
  head.writeUInt16BE(seed & 0xffff);
  const tail = Buffer.alloc(6);
  tail[0] = proto;
  tail[1] = 0;
  tail.writeUInt16BE(sPort, 2);
  tail.writeUInt16BE(dPort, 4);
  const digest = createHash('sha1').update(head).update(sAddr).update(dAddr).update(tail).digest('base64');
  return `1:${digest}`;
}
