import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

/**
 * Connections to an FTP server that never talk (reset before the greeting): visible through the whole
 * pipeline as a session without exchanges and how it ended, counted per server, and a per-client
 * signal for the matcher. samples/corpus2/attacks.pcap has 13 of them (nmap probes, the
 * connect-reset-burst scenario), labelled in samples/corpus2/labels.csv.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const C2 = join(ROOT, 'samples', 'corpus2');
const bin = (name: string): string => join(ROOT, 'dist/bin', `${name}.js`);
const have = existsSync(join(C2, 'attacks.pcap'));
const SIG = join(C2, 'signatures.csv');
const sh = (cmd: string): string => execFileSync('bash', ['-o', 'pipefail', '-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 28 });

describe.skipIf(!have)('connections that never talk', () => {
  let dir = '';
  let rows: Record<string, string>[] = [];
  let stats: Record<string, number> = {};
  let model = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ftp-empty-'));
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `node ${bin('ftp-flows')} ${join(C2, 'attacks.pcap')} | node ${bin('ftp-extract')} --signatures ${SIG} --stats`], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status, r.stderr).toBe(0);
    writeFileSync(join(dir, 'attacks.csv'), r.stdout);
    rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    stats = JSON.parse(r.stderr) as Record<string, number>;
    model = join(dir, 'model.json');
    sh(`node ${bin('ftp-ids')} train ${join(C2, 'benign.pcap')} --signatures ${SIG} -o ${model}`);
  }, 120_000);

  it('ftp-extract: one <empty> row each, how it ended, the server label its other connections showed, counted per server', () => {
    const empty = rows.filter((r) => r.command === '<empty>');
    // the flows ftp-flows emits without any payload
    const noPayload = sh(`node ${bin('ftp-flows')} ${join(C2, 'attacks.pcap')}`).trim().split('\n').map((l) => JSON.parse(l)).filter((f) => f.type === 'flow' && f.chunks.length === 0);
    expect(noPayload.length).toBe(13);
    expect(empty.map((r) => r.flow_id).sort()).toEqual(noPayload.map((f: { id: string }) => f.id).sort());
    for (const r of empty) {
      expect(r.flow_end).toBe('rst');
      expect(r.arg).toBe('no_payload');
      expect(['bsd-ftpd', 'inetutils-ftpd', 'pyftpdlib', 'vsftpd-anonwrite']).toContain(r.label);
      expect(Number(r.ts_reply)).toBeGreaterThanOrEqual(Number(r.ts_request));
      expect(rows.filter((x) => x.flow_id === r.flow_id)).toHaveLength(1);
    }
    expect(stats['extract.empty_connections']).toBe(13);
    const perServer = Object.entries(stats).filter(([k]) => k.startsWith('extract.empty_connections.'));
    expect(perServer.reduce((a, [, v]) => a + v, 0)).toBe(13);
    for (const [k, v] of perServer) {
      const server = k.slice('extract.empty_connections.'.length);
      expect(v).toBe(empty.filter((r) => `${r.server_ip}:${r.server_port}` === server).length);
    }
  });

  it('ftp-match: a session with no exchanges and its end; a lone one is normal, a flood of its client is an incident', () => {
    const out = sh(`node ${bin('ftp-match')} --model ${model} --json --all ${join(dir, 'attacks.csv')}`).trim().split('\n').map((l) => JSON.parse(l));
    const emptyIds = new Set(rows.filter((r) => r.command === '<empty>').map((r) => r.flow_id));
    const last = new Map<string, Record<string, unknown>>();
    for (const v of out) if (v.type === undefined && emptyIds.has(v.flow_id)) last.set(v.flow_id, v);
    expect(last.size).toBe(13);
    for (const v of last.values()) {
      expect(v.exchanges).toBe(0);
      expect(v.flow_end).toBe('rst');
      // each came from a client that also probed or hammered the servers: the incident names it
      expect(v.verdict).toBe('suspicious');
      expect((v.reasons as { kind: string }[]).some((r) => r.kind === 'incident' || r.kind.startsWith('window_'))).toBe(true);
    }
    const incidents = out.filter((v) => v.type === 'incident' && v.client === '127.0.7.45');
    const named = new Set(incidents.flatMap((i) => i.sessions as string[]));
    for (const r of rows.filter((x) => x.command === '<empty>' && x.client_ip === '127.0.7.45')) expect(named.has(r.flow_id)).toBe(true);

    // alone (the same row, no other session of its client): nothing to judge but one connection — normal
    const one = rows.find((r) => r.command === '<empty>')!;
    const header = Object.keys(one).join(',');
    writeFileSync(join(dir, 'one.csv'), `${header}\n${Object.values(one).join(',')}\n`);
    const alone = JSON.parse(sh(`node ${bin('ftp-match')} --model ${model} --json --all ${join(dir, 'one.csv')}`));
    expect(alone.verdict).toBe('normal');
    expect(alone.exchanges).toBe(0);
  });

  it('ftp-match --stats counts them per server (from the exchange CSV too)', () => {
    const r = spawnSync('node', [bin('ftp-match'), '--model', model, '--stats', join(dir, 'attacks.csv')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status, r.stderr).toBe(0);
    const st = JSON.parse(r.stderr.trim().split('\n').pop()!) as Record<string, number>;
    expect(st['match.emptyConnections']).toBe(13);
    for (const [k, v] of Object.entries(stats).filter(([k]) => k.startsWith('extract.empty_connections.'))) {
      expect(st[`match.emptyConnections.${k.slice('extract.empty_connections.'.length)}`]).toBe(v);
    }
  });

  it('a flood of empty connections from one client, and nothing else, is an incident', () => {
    // 30 resets from one address within 15 s, to one server: rows as ftp-extract writes them
    const proto = rows.find((r) => r.command === '<empty>')!;
    const header = Object.keys(proto).join(',');
    const t0 = Number(proto.ts_request);
    const lines = Array.from({ length: 30 }, (_, i) => {
      const r = { ...proto, flow_id: `Fflood${i}`, community_id: '', client_ip: '10.9.9.9', client_port: String(40000 + i), ts_request: String(t0 + i * 0.5), ts_reply: String(t0 + i * 0.5 + 0.001) };
      return Object.values(r).join(',');
    });
    writeFileSync(join(dir, 'flood.csv'), `${header}\n${lines.join('\n')}\n`);
    const out = sh(`node ${bin('ftp-match')} --model ${model} --json --all ${join(dir, 'flood.csv')}`).trim().split('\n').map((l) => JSON.parse(l));
    const incidents = out.filter((v) => v.type === 'incident');
    expect(incidents.length).toBeGreaterThan(0);
    expect(incidents[incidents.length - 1].client).toBe('10.9.9.9');
    expect(['window_sessions', 'window_short_sessions']).toContain(incidents[incidents.length - 1].reason.kind);
    const first = out.find((v) => v.type === undefined && v.flow_id === 'Fflood0' && !v.update);
    expect(first.verdict).toBe('normal'); // the first one alone is nothing
    const final = new Map<string, string>();
    for (const v of out) if (v.type === undefined) final.set(v.flow_id, v.verdict);
    expect([...final.values()].filter((x) => x === 'suspicious').length).toBeGreaterThanOrEqual(25);
  });
});
