// Per-item cost of the stream layers the stages could use (decision record in docs/ARCHITECTURE.md).
// Run: node bench/stream-overhead.mjs
import _ from "highland";
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
const N = 1_000_000;
function* items() { for (let i = 0; i < N; i++) yield { i }; }
async function hl() {
  const t = performance.now(); let sum = 0;
  await new Promise((res) => _(items()).map((x) => ({ j: x.i })).each((x) => { sum += x.j; }).done(res));
  return performance.now() - t;
}
async function hlBatch() {
  const t = performance.now(); let sum = 0;
  function* batches() { let b = []; for (const x of items()) { b.push(x); if (b.length === 1000) { yield b; b = []; } } if (b.length) yield b; }
  await new Promise((res) => _(batches()).map((b) => b.map((x) => ({ j: x.i }))).each((b) => { for (const x of b) sum += x.j; }).done(res));
  return performance.now() - t;
}
async function node() {
  const t = performance.now(); let sum = 0;
  await pipeline(Readable.from(items()), new Transform({ objectMode: true, transform(x, _e, cb) { cb(null, { j: x.i }); } }), new Writable({ objectMode: true, write(x, _e, cb) { sum += x.j; cb(); } }));
  return performance.now() - t;
}
async function plain() {
  const t = performance.now(); let sum = 0;
  const sink = (x) => { sum += x.j; }; const map = (x) => sink({ j: x.i });
  for (const x of items()) map(x);
  return performance.now() - t;
}
for (const [n, f] of [['highland per item', hl], ['highland batches of 1000', hlBatch], ['node objectMode per item', node], ['plain callbacks', plain]]) {
  await f(); const ms = await f(); console.log(`${n}: ${(N / ms / 1000).toFixed(2)} M items/s (${ms.toFixed(0)} ms for 1M)`);
}
