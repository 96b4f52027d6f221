import { describe, it, expect } from 'vitest';
import { hash } from 'node:crypto';
import { sha1 } from '../src/common/sha1.js';
import { communityIdV1, communityIdV1At, flowIdOf } from '../src/flows/community-id.js';

describe('one-block SHA-1', () => {
  it('equals crypto for every length 0..130 (one block up to 55, crypto beyond) and every byte value', () => {
    const msg = Buffer.alloc(200);
    let x = 99;
    for (let len = 0; len <= 130; len++) {
      for (let rep = 0; rep < 8; rep++) {
        for (let i = 0; i < len; i++) msg[i] = rep === 0 ? 0xff : rep === 1 ? 0 : (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
        expect(sha1(msg, len).toString('hex'), `length ${len}`).toBe(hash('sha1', msg.subarray(0, len), 'hex'));
      }
    }
  });

  it('community id from offsets equals the Buffer form, IPv4 and IPv6, either order; flow id as before', () => {
    const v6a = Buffer.from('20010db8000000000000000000000001', 'hex');
    const v6b = Buffer.from('20010db8000000000000000000000002', 'hex');
    const buf = Buffer.concat([Buffer.alloc(3), v6b, v6a]);
    expect(communityIdV1At(buf, 19, 3, 16, 50000, 21)).toBe(communityIdV1(v6a, 50000, v6b, 21));
    expect(communityIdV1At(buf, 3, 19, 16, 21, 50000)).toBe(communityIdV1(v6a, 50000, v6b, 21));
    // same address both ends: the ports decide the order
    expect(communityIdV1(v6a, 21, v6a, 20)).toBe(communityIdV1(v6a, 20, v6a, 21));
    const cid = '1:Y6I3JhgebNYJ7cm/dvZaIvCLNoU=';
    for (const firstUs of [0, 1700000000123456, 1.5, 1e21]) {
      expect(flowIdOf(cid, firstUs)).toBe('F' + hash('sha1', `${cid}|${firstUs}`, 'hex').slice(0, 16));
    }
  });
});
