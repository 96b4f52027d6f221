/**
 * Throughput of the capture reader + decode + flow table (not a test; numbers go to
 * docs/ARCHITECTURE.md). Builds an in-memory capture of about `MB` megabytes by interleaving
 * copies of a capture's packets with shifted addresses (many concurrent FTP sessions), then
 * times createFlowReader over it in 1 MiB chunks.
 *
 *   node dist/scripts/speed-flows.js [capture=samples/benign.pcap] [MB=100] [--all]
 *
 * (For the bench's own synthetic capture: node dist/bench/gen-capture.js --size 100M -o F, then time
 * createFlowReader over F the same way.)
 */
import { readFileSync } from 'node:fs';
import { createFlowReader } from '../src/flows/reader.js';
import { ethernetPayload, readPackets, writePcap, type Packet } from './pcap-tools.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const file = args[0] ?? 'samples/benign.pcap';
const targetMb = Number(args[1] ?? 100);
const all = process.argv.includes('--all');

const base = readPackets(readFileSync(file)).filter((p) => p.linkType === 1 && ethernetPayload(p.data)?.type === 0x0800);
const baseBytes = base.reduce((n, p) => n + 16 + p.data.length, 0);
const copies = Math.max(1, Math.ceil((targetMb * 1e6) / baseBytes));
const t0 = base[0].tsUs;
const out: Packet[] = [];
// interleave: packet i of every copy before packet i+1 of any copy -> `copies` sessions at a time
for (let i = 0; i < base.length; i++) {
  for (let k = 0; k < copies; k++) {
    const p = base[i];
    const d = Buffer.from(p.data);
    const l3 = 14 + (d.readUInt16BE(12) === 0x8100 ? 4 : 0);
    // shift both addresses' second octet: every copy is a distinct set of connections
    d[l3 + 13] = (d[l3 + 13] + k) & 255;
    d[l3 + 17] = (d[l3 + 17] + k) & 255;
    d[l3 + 14] = (d[l3 + 14] + (k >> 8)) & 255;
    d[l3 + 18] = (d[l3 + 18] + (k >> 8)) & 255;
    out.push({ tsUs: p.tsUs - t0 + 1.7e15 + k, linkType: 1, data: d });
  }
}
const capture = writePcap(out, 1);
const mb = capture.length / 1e6;

function once(): { secs: number; cpu: number; flows: number; stats: Record<string, number> } {
  let flows = 0;
  const r = createFlowReader({ all }, () => flows++);
  const c0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let at = 0; at < capture.length; at += 1 << 20) r.push(capture.subarray(at, at + (1 << 20)));
  r.end();
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const c = process.cpuUsage(c0);
  // CPU time of the process (GC threads included): steadier than wall time on a shared machine
  return { secs, cpu: (c.user + c.system) / 1e6, flows, stats: r.stats() };
}

// plain Buffer loop over the same records, the floor any reader pays
function plainLoop(): number {
  const start = process.hrtime.bigint();
  let pos = 24;
  let sum = 0;
  while (pos + 16 <= capture.length) {
    const incl = capture.readUInt32LE(pos + 8);
    sum += capture[pos + 16 + 23];
    pos += 16 + incl;
  }
  if (sum < 0) console.log(sum);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

once(); // warm-up
const runs = [once(), once(), once()];
const best = runs.reduce((a, b) => (a.secs < b.secs ? a : b));
const loop = Math.min(plainLoop(), plainLoop(), plainLoop());
const packets = best.stats.packets;
process.stdout.write(
  JSON.stringify({
    capture: file,
    copies,
    mb: Number(mb.toFixed(1)),
    packets,
    all,
    flows_emitted: best.flows,
    seconds: Number(best.secs.toFixed(3)),
    mb_per_s: Number((mb / best.secs).toFixed(1)),
    cpu_seconds: Number(best.cpu.toFixed(3)),
    mb_per_cpu_s: Number((mb / best.cpu).toFixed(1)),
    packets_per_s: Math.round(packets / best.secs),
    plain_buffer_loop_mb_per_s: Number((mb / loop).toFixed(0)),
    rss_mb: Math.round(process.memoryUsage().rss / 1e6),
  }) + '\n',
);
