import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import Ajv from 'ajv';
import { communityIdV1 } from '../src/flows/community-id.js';
import { epochToIso, eveFlowId, parseTime, reasonSentence, VERDICT_COLUMNS } from '../src/match/output.js';
import type { Reason } from '../src/match/matcher.js';
import { DatasetReader } from '../src/dataset/read.js';
import type { Session } from '../src/dataset/types.js';
import type { FtpIdsError } from '../src/common/errors.js';

/**
 * Alert output of ftp-match / ftp-ids detect on samples/ (a model trained on the benign training part,
 * judged on the attacks): every --format and --time-format, read back. The eve lines are validated
 * against schema/ftp-ids-eve.schema.json with ajv and checked against the NDJSON verdicts of the same run.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const S = (f: string) => join(ROOT, 'samples', f);
const IDS = join(ROOT, 'dist/bin/ftp-ids.js');
const MATCH = join(ROOT, 'dist/bin/ftp-match.js');
const have = existsSync(S('attacks.pcap')) && existsSync(S('benign.pcap')) && existsSync(IDS);
const run = (bin: string, ...args: string[]) => execFileSync('node', [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const lines = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('time text', () => {
  it('ISO 8601 as Suricata writes it: UTC, microseconds, numeric offset', () => {
    // Suricata's documented example 2017-04-07T22:24:37.251547+0100 is this instant
    expect(epochToIso(1491600277.251547)).toBe('2017-04-07T21:24:37.251547+0000');
    expect(parseTime('2017-04-07T22:24:37.251547+0100')).toBe(1491600277.251547);
    expect(parseTime('2017-04-07T21:24:37.251547Z')).toBe(1491600277.251547);
    expect(epochToIso(0)).toBe('1970-01-01T00:00:00.000000+0000');
    expect(epochToIso(1795896366)).toBe('2026-11-28T20:06:06.000000+0000');
    expect(epochToIso(1.9999999)).toBe('1970-01-01T00:00:02.000000+0000'); // rounds to µs, carrying
    expect(epochToIso(NaN)).toBe('');
    expect(() => parseTime('yesterday')).toThrow(/not an epoch or ISO 8601 time/);
  });
  it('round-trips every microsecond time exactly (and agrees with Date to the millisecond)', () => {
    let t = 1795896366.714669;
    for (let i = 0; i < 2000; i++) {
      t = Number((t + 0.000001 * ((i * 7919) % 1000003)).toFixed(6));
      const iso = epochToIso(t);
      expect(parseTime(iso)).toBe(t);
      expect(Math.abs(Date.parse(iso) / 1000 - t)).toBeLessThan(0.001);
    }
  });
  it('the dataset reader takes either time; a bad ISO time names its column and line', () => {
    const head = 'flow_id,community_id,client_ip,client_port,server_ip,server_port,label,index,ts_request,ts_reply,command,arg,reply_codes,final_code,flags,tags';
    const row = (ts: string) => `F1,,10.0.0.1,4000,10.0.0.2,21,x,0,${ts},${ts},<greeting>,,220,220,,`;
    const read = (ts: string) => {
      const out: Session[] = [];
      const r = new DatasetReader({ file: 'd.csv' }, (x) => out.push(x));
      r.push(`${head}\n${row(ts)}\n`);
      r.end();
      return out[0]!.exchanges[0]!.tsRequest;
    };
    expect(read('2026-11-28T20:04:41.399568+0000')).toBe(1795896281.399568);
    expect(read('1795896281.399568')).toBe(1795896281.399568);
    expect(() => read('2026-11-28 20:04:41')).toThrow(/ts_request: not an epoch or ISO 8601 time/);
    try {
      read('2026-11-28 20:04:41');
    } catch (e) {
      expect((e as FtpIdsError).describe()).toMatch(/^d\.csv: line 2: /);
    }
  });
  it('one readable sentence per reason kind', () => {
    const rs: Reason[] = [
      { kind: 'window_failed_logins', client: '10.0.0.9', count: 12, limit: 3, window: 60, sessions: [], surprisal: 5 },
      { kind: 'overlong', command: 'CWD', length: 900, limit: 80, exchanges: [3], surprisal: 4 },
      { kind: 'unexplained', count: 4, of: 9, exchanges: [1, 2, 3, 4, 5, 6], surprisal: 2 },
    ];
    expect(rs.map(reasonSentence)).toEqual([
      '10.0.0.9 failed to log in 12 times within 60 s (training limit 3).',
      'CWD with a 900-character argument (training limit 80) (exchange 3).',
      '4 of 9 exchanges are explained by no pattern of the model (exchanges 1, 2, 3, 4, 5, …).',
    ]);
  });
});

describe.skipIf(!have)('alert formats on samples/', () => {
  let model = '';
  let json: Record<string, unknown>[] = [];
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-ids-out-'));
    model = join(dir, 'model.json');
    run(IDS, 'train', '--labels', S('labels.csv'), '--split', 'train', S('benign.pcap'), '-o', model);
    json = lines(run(IDS, 'detect', '--model', model, '--format', 'json', S('attacks.pcap')));
  }, 120_000);

  it('eve: every line validates against the schema; alerts and incidents are those of the NDJSON run', () => {
    const eve = lines(run(IDS, 'detect', '--model', model, '--format', 'eve', S('attacks.pcap')));
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema/ftp-ids-eve.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    for (const e of eve) expect({ e, errors: validate(e) ? null : validate.errors }).toEqual({ e, errors: null });
    const verdicts = json.filter((v) => v.type === undefined);
    const incidents = json.filter((v) => v.type === 'incident');
    const sessions = eve.filter((e) => (e.ftp_ids as { kind: string }).kind === 'session');
    expect(sessions.length).toBe(verdicts.length);
    expect(sessions.length).toBeGreaterThan(100);
    expect(eve.length - sessions.length).toBe(incidents.length);
    expect(incidents.length).toBeGreaterThan(0);
    for (const [i, e] of sessions.entries()) {
      const v = verdicts[i]!;
      const f = e.ftp_ids as Record<string, unknown>;
      // read back: the same session, scores, reasons and times
      expect([f.flow, e.src_ip, e.src_port, e.dest_ip, e.dest_port, e.community_id, f.score, f.threshold, f.update])
        .toEqual([v.flow_id, v.client_ip, v.client_port, v.server_ip, v.server_port, v.community_id, v.score, v.threshold, v.update === 1]);
      expect(e.flow_id).toBe(eveFlowId(String(v.flow_id)));
      expect(parseTime(e.timestamp as string)).toBe(v.end);
      const flow = e.flow as { start: string; end: string };
      expect([parseTime(flow.start), parseTime(flow.end), f.duration]).toEqual([v.start, v.end, v.duration]);
      const reasons = f.reasons as (Record<string, unknown> & { text: string })[];
      expect(reasons.map(({ text, ...r }) => r)).toEqual(v.reasons);
      expect(reasons.map((r) => r.text)).toEqual((v.reasons as Reason[]).map(reasonSentence));
      expect((e.alert as { signature_id: number }).signature_id).toBeGreaterThan(1_000_000);
    }
    // Community ID recomputed from the alert's own tuple, by the function that gives the spec's published
    // example (corelight/community-id-spec: TCP 128.232.110.120:34855 → 66.35.250.204:80) and Arkime's value (flows.test.ts)
    const ip4 = (s: string) => Buffer.from(s.split('.').map(Number));
    expect(communityIdV1(ip4('128.232.110.120'), 34855, ip4('66.35.250.204'), 80)).toBe('1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
    for (const e of sessions.filter((x) => String(x.src_ip).includes('.')).slice(0, 50)) {
      expect(e.community_id).toBe(communityIdV1(ip4(e.src_ip as string), e.src_port as number, ip4(e.dest_ip as string), e.dest_port as number));
    }
    // flow ids differ between sessions: the 51 bits keep them apart
    expect(new Set(sessions.map((e) => e.flow_id)).size).toBe(new Set(verdicts.map((v) => v.flow_id)).size);
    const eveIncidents = eve.filter((e) => (e.ftp_ids as { kind: string }).kind === 'incident');
    for (const [i, e] of eveIncidents.entries()) {
      const inc = incidents[i]!;
      const f = e.ftp_ids as Record<string, unknown>;
      expect([f.incident, e.src_ip, f.sessions, parseTime(f.start as string), parseTime(f.end as string), f.duration])
        .toEqual([inc.id, inc.client, inc.sessions, inc.first, inc.last, inc.duration]);
    }
  });

  it('--time-format iso round-trips to the epoch output in csv and json, verdicts and incidents', () => {
    const epoch = lines(run(IDS, 'detect', '--model', model, '--format', 'json', '--all', '--time-format', 'epoch', S('attacks.pcap')));
    const iso = lines(run(IDS, 'detect', '--model', model, '--format', 'json', '--all', '--time-format', 'iso', S('attacks.pcap')));
    expect(iso.length).toBe(epoch.length);
    expect(epoch.filter((v) => v.type === 'incident').length).toBeGreaterThan(0);
    const times = (r: Record<string, unknown>) => (r.type === 'incident' ? ['first', 'last'] : r.type === 'model_fit' ? ['first'] : ['start', 'end']);
    for (const [i, e] of epoch.entries()) {
      const o = iso[i]!;
      for (const k of times(e)) {
        expect(typeof o[k]).toBe('string');
        expect(parseTime(o[k] as string)).toBe(e[k]);
      }
      const rest = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !times(r).includes(k)));
      expect(rest(o)).toEqual(rest(e));
    }
    const csv = (t: string) => parse(run(MATCH, '--model', model, '--all', '--time-format', t, S('attacks.pcap')), { columns: true }) as Record<string, string>[];
    const ce = csv('epoch');
    const ci = csv('iso');
    expect(Object.keys(ce[0]!)).toEqual([...VERDICT_COLUMNS]);
    expect(ci.length).toBe(ce.length);
    for (const [i, r] of ce.entries()) {
      expect([parseTime(ci[i]!.start!), parseTime(ci[i]!.end!)]).toEqual([Number(r.start), Number(r.end)]);
      expect(Number(r.duration)).toBeCloseTo(Number(r.end) - Number(r.start), 6);
      expect({ ...ci[i], start: '', end: '' }).toEqual({ ...r, start: '', end: '' });
    }
  });

  it('ftp-extract --time-format iso round-trips; ftp-gsp and ftp-match read the ISO dataset as the epoch one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-ids-iso-'));
    const EXTRACT = join(ROOT, 'dist/bin/ftp-extract.js');
    const FLOWS = join(ROOT, 'dist/bin/ftp-flows.js');
    const flows = join(dir, 'flows.ndjson');
    execFileSync('bash', ['-o', 'pipefail', '-c', `node ${FLOWS} ${S('attacks.pcap')} > ${flows}`]);
    const epoch = join(dir, 'epoch.csv');
    const iso = join(dir, 'iso.csv');
    execFileSync('bash', ['-o', 'pipefail', '-c', `node ${EXTRACT} ${flows} > ${epoch} && node ${EXTRACT} --time-format iso ${flows} > ${iso}`]);
    const re = parse(readFileSync(epoch, 'utf8'), { columns: true }) as Record<string, string>[];
    const ri = parse(readFileSync(iso, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(ri.length).toBe(re.length);
    expect(re.length).toBeGreaterThan(5000);
    for (const [i, r] of re.entries()) {
      const o = ri[i]!;
      expect(o.ts_request).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000$/);
      expect([parseTime(o.ts_request!), o.ts_reply === '' ? '' : parseTime(o.ts_reply!)]).toEqual([Number(r.ts_request), r.ts_reply === '' ? '' : Number(r.ts_reply)]);
      expect({ ...o, ts_request: '', ts_reply: '' }).toEqual({ ...r, ts_request: '', ts_reply: '' });
    }
    // the times matter downstream (duration, silence, --time seconds): the same verdicts either way
    expect(run(MATCH, '--model', model, '--format', 'json', '--all', iso)).toBe(run(MATCH, '--model', model, '--format', 'json', '--all', epoch));
    const GSP = join(ROOT, 'dist/bin/ftp-gsp.js');
    expect(run(GSP, '--no-profiles', '-s', '0.5', '--time', 'seconds', '--max-gap', '2', iso)).toBe(run(GSP, '--no-profiles', '-s', '0.5', '--time', 'seconds', '--max-gap', '2', epoch));
  });

  it('ftp-flows --time-format iso: every time of flow and data records as ISO 8601, read back by ftp-label, ftp-extract and ftp-match as the epoch ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-ids-iso-flows-'));
    const FLOWS = join(ROOT, 'dist/bin/ftp-flows.js');
    const EXTRACT = join(ROOT, 'dist/bin/ftp-extract.js');
    const LABEL = join(ROOT, 'dist/bin/ftp-label.js');
    const epoch = join(dir, 'epoch.ndjson');
    const iso = join(dir, 'iso.ndjson');
    execFileSync('bash', ['-o', 'pipefail', '-c', `node ${FLOWS} ${S('corpus2/attacks.pcap')} > ${epoch} && node ${FLOWS} --time-format iso ${S('corpus2/attacks.pcap')} > ${iso}`]);
    const le = readFileSync(epoch, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const li = readFileSync(iso, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(li.length).toBe(le.length);
    expect(li.some((r) => r.type === 'data')).toBe(true);
    const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000$/;
    for (const [i, r] of le.entries()) {
      const o = li[i]!;
      for (const k of ['first_ts', 'last_ts', 'announced_ts']) {
        if (r[k] === undefined) continue;
        expect(o[k]).toMatch(ISO);
        expect(parseTime(o[k])).toBe(r[k]);
      }
      for (const [j, c] of (r.chunks ?? []).entries()) expect(parseTime(o.chunks[j].ts)).toBe(c.ts);
    }
    const rows = (f: string, label = false) => execFileSync('bash', ['-o', 'pipefail', '-c', label ? `node ${LABEL} ${f} | node ${EXTRACT}` : `node ${EXTRACT} ${f}`], { encoding: 'utf8' });
    expect(rows(iso)).toBe(rows(epoch));
    expect(rows(iso, true)).toBe(rows(epoch, true));
    expect(run(MATCH, '--model', model, '--format', 'json', '--all', iso)).toBe(run(MATCH, '--model', model, '--format', 'json', '--all', epoch));
    // ftp-label writes what it is asked, whichever form came in
    const label = (f: string, fmt = '') => execFileSync('bash', ['-o', 'pipefail', '-c', `node ${LABEL} ${fmt} ${f}`], { encoding: 'utf8' });
    expect(label(iso)).toBe(label(epoch));
    expect(label(epoch, '--time-format iso')).toBe(label(iso, '--time-format iso'));
    expect(label(epoch, '--time-format iso')).toMatch(/"first_ts":"\d{4}-/);
    expect(spawnSync('node', [FLOWS, '--time-format', 'local', S('ipv6.pcap')]).status).toBe(2);
  });

  it('the default output is the epoch csv; --json is --format json', () => {
    const base = run(MATCH, '--model', model, S('attacks.pcap'));
    expect(base).toBe(run(MATCH, '--model', model, '--format', 'csv', '--time-format', 'epoch', S('attacks.pcap')));
    expect(base.split('\n')[0]).toBe(VERDICT_COLUMNS.join(','));
    expect(run(MATCH, '--model', model, '--json', S('attacks.pcap'))).toBe(run(MATCH, '--model', model, '--format', 'json', S('attacks.pcap')));
  });

  it('a format or time format it does not know, or --all with eve, is a usage error (exit 2, nothing on stdout)', () => {
    for (const args of [['--format', 'xml'], ['--time-format', 'local'], ['--format', 'eve', '--all'], ['--json', '--format', 'eve']]) {
      const r = spawnSync('node', [MATCH, '--model', model, ...args, S('attacks.pcap')], { encoding: 'utf8' });
      expect({ args, status: r.status, stdout: r.stdout }).toEqual({ args, status: 2, stdout: '' });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
