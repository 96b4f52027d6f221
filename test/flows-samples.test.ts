import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flowsOf } from '../scripts/compare-follow.js';
import { createFlowReader } from '../src/flows/reader.js';
import { directionBytes, type FlowRecord } from '../src/flows/record.js';

/**
 * samples/ (real vsftpd, ProFTPD, Pure-FTPd on loopback, see samples/README.md): the labeller's
 * list of control connections, made from the clients' own endpoints, is the reference for which
 * flows content detection must find; the two -i any captures must carry the same sessions.
 */
const S = (n: string): string => fileURLToPath(new URL(`../samples/${n}`, import.meta.url));
const have = ['benign.pcap', 'attacks.pcap', 'labels.csv', 'sll.pcap', 'sll2.pcap', 'ipv6.pcap', 'labels-small.csv'].every((n) => existsSync(S(n)));

const key = (f: FlowRecord): string => `${f.client.ip},${f.client.port},${f.server.ip},${f.server.port}`;
const labelKeys = (file: string): string[] =>
  readFileSync(S(file), 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(',').slice(0, 4).join(','))
    .sort();

describe.skipIf(!have)('samples', () => {
  it('default mode finds exactly the labelled control connections (benign + attacks), client and server right', () => {
    const flows = [...flowsOf(readFileSync(S('benign.pcap'))), ...flowsOf(readFileSync(S('attacks.pcap')))];
    expect(flows.map(key).sort()).toEqual(labelKeys('labels.csv'));
    // the data connections are in the captures but not emitted
    const all = flowsOf(readFileSync(S('benign.pcap')), { all: true });
    expect(all.length).toBeGreaterThan(flows.length / 2 + 50);
  });

  it('the payload account returns to zero: data connections let go of what they held before being judged', () => {
    for (const name of ['benign.pcap', 'attacks.pcap', 'ipv6.pcap']) {
      for (const options of [{}, { maxFlowBytes: 40 }, { detectBytes: 3 }]) {
        const r = createFlowReader(options, () => {});
        r.push(readFileSync(S(name)));
        r.end();
        const st = r.stats();
        // (announced data connections are data records now, never retaining payload; the others are "other")
        expect(st.flows_other + st.flows_data, name).toBeGreaterThan(0);
        expect(st.buffered_bytes_peak, name).toBeGreaterThan(0);
        expect(st.buffered_bytes, `${name} ${JSON.stringify(options)}`).toBe(0);
      }
    }
  });

  it('-i any as LINUX_SLL and LINUX_SLL2: the same sessions and bytes, and the labelled ones', () => {
    const a = flowsOf(readFileSync(S('sll.pcap')));
    const b = flowsOf(readFileSync(S('sll2.pcap')));
    expect(a.length).toBeGreaterThan(5);
    expect(a.map(key).sort()).toEqual(b.map(key).sort());
    const bk = new Map(b.map((f) => [key(f), f]));
    for (const f of a) {
      const g = bk.get(key(f)) as FlowRecord;
      expect(directionBytes(f, 'c').equals(directionBytes(g, 'c'))).toBe(true);
      expect(directionBytes(f, 's').equals(directionBytes(g, 's'))).toBe(true);
      expect(f.end).toBe(g.end);
      expect(f.community_id).toBe(g.community_id);
    }
    const v6 = flowsOf(readFileSync(S('ipv6.pcap')));
    expect([...a, ...v6].map(key).sort()).toEqual(labelKeys('labels-small.csv'));
  });
});
