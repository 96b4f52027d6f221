import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { compareWithTshark, flowsOf, readCaptureFile } from '../scripts/compare-follow.js';
import { hasTshark, tsharkFollowGuess, type TsharkStream } from '../scripts/tshark-follow.js';
import { directionBytes } from '../src/flows/record.js';

/**
 * Acceptance: for every TCP connection of every capture in ../shared/corpus and samples/, the
 * flows (--all) carry exactly the bytes per direction that `tshark -z follow,tcp,raw,N` shows —
 * holes included, as tshark's own "[N bytes missing in capture file]" marker at the same place.
 * Without tshark, the committed `.tshark-follow-lines.tsv` listings are the reference instead.
 */
const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../samples/', import.meta.url));

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : [p];
    })
    .filter((p) => /\.(pcap|pcapng|cap)(\.gz)?$/.test(p))
    .sort();
}

const CORPUS = walk(join(SHARED, 'corpus'));
const SAMPLE_FILES = walk(SAMPLES);
const TSHARK = hasTshark();

async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

async function tsharkReference(file: string): Promise<TsharkStream[]> {
  const guess = flowsOf(readCaptureFile(file), { all: true }).length;
  const { streams, allIds } = await tsharkFollowGuess(file, guess + 1);
  const missing = allIds.filter((id) => id > guess);
  if (missing.length) {
    // more streams than we found flows: follow those too, so the comparison reports them
    const more = await tsharkFollowGuess(file, Math.max(...missing) + 1);
    return more.streams;
  }
  return streams;
}

describe.skipIf(!TSHARK)('byte-exact against tshark follow,tcp,raw', () => {
  it('corpus holds captures to compare', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
  });

  it('every TCP connection of every corpus and samples/ capture', async () => {
    const files = [...CORPUS, ...SAMPLE_FILES];
    const results = await pool(files, 3, async (file) => {
      const ref = await tsharkReference(file);
      return { file, ...compareWithTshark(file, ref) };
    });
    const mismatches = results.flatMap((r) => r.mismatches.map((m) => `${relative(SHARED, m.file)} stream ${m.stream} ${m.pair}: ${m.what}`));
    expect(mismatches).toEqual([]);
    // the comparison really covered connections with payload, holes and IPv6
    const streams = results.reduce((n, r) => n + r.streams, 0);
    expect(streams).toBeGreaterThan(300);
    // tshark runs once per connection (hundreds of processes): minutes on a loaded 2-core machine
  }, 600_000);
});

/** Fallback reference: the per-line listing of FTP control streams built from tshark's follow. */
function followLines(file: string): Map<string, { dir: string; kind: string; verb: string }[]> {
  const p = `${file}.tshark-follow-lines.tsv`;
  const text = existsSync(p) ? readFileSync(p, 'latin1') : existsSync(`${p}.gz`) ? gunzipSync(readFileSync(`${p}.gz`)).toString('latin1') : '';
  const m = new Map<string, { dir: string; kind: string; verb: string }[]>();
  for (const line of text.split('\n').slice(1)) {
    if (!line) continue;
    const c = line.split('\t');
    const key = `${c[1].replace(/^\[(.*)\]/, '$1')}>${c[2].replace(/^\[(.*)\]/, '$1')}`;
    const rows = m.get(key) ?? [];
    rows.push({ dir: c[4], kind: c[5], verb: c[6] });
    m.set(key, rows);
  }
  return m;
}

describe('FTP control connections recognised by content (default mode)', () => {
  // Named, deliberate differences from the listings, which decide by port (21, 2811) alone:
  const NOT_FTP_BY_CONTENT: Record<string, string> = {
    'suricata-verify/ftp-quit/input.pcap': 'no greeting: the client sends only QUIT and the server resets',
    'zeek/nvt-line-limit-crlf-heap-buffer-overflow/nvt-line-limit-crlf-heap-buffer-overflow.pcap.gz': 'server never sends a byte',
    'zeek/telnet-auth-missing-name/telnet-auth-missing-name.pcap': 'server sends Telnet IAC bytes, not FTP',
    'ndpi/fuzz-2006-06-26-2594/fuzz-2006-06-26-2594.pcap': 'bit-flipped addresses split the session; only the part with the greeting is FTP by content',
  };
  for (const file of CORPUS) {
    const name = relative(join(SHARED, 'corpus'), file);
    it(name, () => {
      const ref = followLines(file);
      const mine = flowsOf(readCaptureFile(file));
      const keys = new Set(mine.map((f) => `${f.client.ip}:${f.client.port}>${f.server.ip}:${f.server.port}`));
      if (NOT_FTP_BY_CONTENT[name]) {
        expect(keys.size).toBeLessThan(ref.size);
        // forcing the port gives them all (client/server by port as the listing does)
        const forced = flowsOf(readCaptureFile(file), { port: [21, 2811] });
        const fk = new Set(forced.map((f) => `${f.client.ip}:${f.client.port}>${f.server.ip}:${f.server.port}`));
        for (const k of ref.keys()) expect(fk.has(k)).toBe(true);
        return;
      }
      expect([...keys].sort()).toEqual([...ref.keys()].sort());
      {
        // line structure against the committed listing (the reference when tshark is missing; flows without holes)
        for (const f of mine) {
          if (f.flags.includes('gap')) continue;
          const rows = ref.get(`${f.client.ip}:${f.client.port}>${f.server.ip}:${f.server.port}`) ?? [];
          for (const [dir, d] of [
            ['C', 'c'],
            ['S', 's'],
          ] as const) {
            const lines = directionBytes(f, d).toString('latin1').split('\n');
            if (lines[lines.length - 1] === '') lines.pop();
            expect(lines.length).toBe(rows.filter((r) => r.dir === dir).length);
          }
        }
      }
    });
  }
});

describe('deliberate differences from tshark, each with its reason', () => {
  const NVT = join(SHARED, 'corpus/zeek/nvt-line-limit-crlf-heap-buffer-overflow/nvt-line-limit-crlf-heap-buffer-overflow.pcap.gz');

  it('--max-flow-bytes keeps the head of a 16 MB line and flags the flow truncated (tshark keeps it all)', () => {
    const full = flowsOf(readCaptureFile(NVT), { all: true, maxFlowBytes: '64M' })[0];
    const cut = flowsOf(readCaptureFile(NVT), { all: true, maxFlowBytes: '1M' })[0];
    const fullC = directionBytes(full, 'c');
    expect(fullC.length).toBeGreaterThan(16_000_000);
    expect(cut.flags).toContain('truncated_c');
    expect(directionBytes(cut, 'c').equals(fullC.subarray(0, 1048576))).toBe(true);
    // the counters still describe the whole stream
    expect(cut.bytes.c).toBe(full.bytes.c);
  });

  it('data queued beyond a FIN (a bit-flipped sequence number) is dropped, as tshark does', () => {
    const FUZZ = join(SHARED, 'corpus/ndpi/fuzz-2006-06-26-2594/fuzz-2006-06-26-2594.pcap');
    const f = flowsOf(readCaptureFile(FUZZ), { all: true }).find((x) => x.client.port === 2720 && x.server.ip === '147.234.1.253');
    expect(f).toBeDefined();
    // the corrupt segment lies 383 KB past the server's FIN: no gap of that size is invented
    expect(Math.max(...f!.chunks.map((c) => c.gap ?? 0))).toBeLessThan(383760);
    expect(f!.chunks.some((c) => c.gap === 383760)).toBe(false);
  });
});
