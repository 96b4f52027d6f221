import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Exit codes as grep and diff use them, on every command: 0 nothing flagged, 1 something flagged (only
 * with --fail-on-alert), 2 any error — and nothing on stdout when an input cannot be opened (a CSV
 * header alone would look like "no alerts").
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const bin = (name: string): string => join(ROOT, 'dist/bin', `${name}.js`);
const sample = (name: string): string => join(ROOT, 'samples', name);
const run = (name: string, args: string[], input?: string | Buffer) => spawnSync('node', [bin(name), ...args], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
const MISSING = join(tmpdir(), 'ftp-ids-no-such-file.pcap');

describe('exit codes: 0 nothing flagged, 1 flagged (--fail-on-alert), 2 error', () => {
  let dir = '';
  let model = '';
  let flows = '';
  let csv = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ftp-exit-'));
    // a model of samples/ipv6.pcap's sessions (IPv6 clients of vsftpd and Pure-FTPd): its own sessions are
    // normal; the Linux-cooked captures' sessions (other clients, other scenarios) are partly flagged
    model = join(dir, 'model.json');
    const t = run('ftp-ids', ['train', sample('ipv6.pcap'), '-o', model]);
    expect(t.status, t.stderr).toBe(0);
    flows = join(dir, 'flows.ndjson');
    const f = run('ftp-flows', [sample('ipv6.pcap')]);
    expect(f.status).toBe(0);
    writeFileSync(flows, f.stdout);
    csv = join(dir, 'x.csv');
    const x = run('ftp-extract', [flows]);
    expect(x.status).toBe(0);
    writeFileSync(csv, x.stdout);
  }, 60_000);

  const missing = (name: string, args: string[]) => {
    const r = run(name, args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe(''); // nothing before the inputs are known to open
    expect(r.stderr).toMatch(new RegExp(`^${name}: .*ENOENT.*ftp-ids-no-such-file\\.pcap'?\\n$`));
  };

  it('ftp-flows: 0 on a capture, 2 on a missing file (even after a good one), on garbage and on a bad option', () => {
    expect(run('ftp-flows', [sample('ipv6.pcap')]).status).toBe(0);
    missing('ftp-flows', [sample('ipv6.pcap'), MISSING]);
    expect(run('ftp-flows', [], Buffer.from('this is no capture at all')).status).toBe(2);
    expect(run('ftp-flows', ['--bogus']).status).toBe(2);
  });

  it('ftp-label: 0, 2', () => {
    expect(run('ftp-label', [flows]).status).toBe(0);
    missing('ftp-label', [flows, MISSING]);
    expect(run('ftp-label', ['--bogus']).status).toBe(2);
  });

  it('ftp-extract: 0; a missing file leaves no CSV header; 2 on a bad line', () => {
    expect(run('ftp-extract', [flows]).status).toBe(0);
    missing('ftp-extract', [flows, MISSING]);
    expect(run('ftp-extract', [], '{"type":"flow",\n').status).toBe(2);
  });

  it('ftp-gsp: 0, 2', () => {
    expect(run('ftp-gsp', ['-s', '0.5', '--no-profiles', csv]).status).toBe(0);
    missing('ftp-gsp', [csv, MISSING]);
    expect(run('ftp-gsp', ['-s', 'lots', csv]).status).toBe(2);
  });

  for (const [name, pre] of [['ftp-match', []], ['ftp-ids', ['detect']]] as const) {
    it(`${[name, ...pre].join(' ')}: 0 nothing flagged, 1 flagged with --fail-on-alert (0 without), 2 error`, () => {
      const own = run(name, [...pre, '--model', model, '--fail-on-alert', sample('ipv6.pcap')]);
      expect(own.status, own.stderr).toBe(0);
      expect(own.stdout.trim().split('\n')).toHaveLength(1); // the header: nothing flagged
      const other = run(name, [...pre, '--model', model, '--fail-on-alert', sample('sll.pcap')]);
      expect(other.status, other.stderr).toBe(1);
      expect(other.stdout.trim().split('\n').length).toBeGreaterThan(1);
      expect(run(name, [...pre, '--model', model, sample('sll.pcap')]).status).toBe(0);
      missing(name, [...pre, '--model', model, sample('ipv6.pcap'), MISSING]);
      const badModel = join(dir, 'bad.json');
      writeFileSync(badModel, '{"format":"ftp-ids-model","version":7}');
      const bm = run(name, [...pre, '--model', badModel, sample('ipv6.pcap')]);
      expect(bm.status).toBe(2);
      expect(bm.stdout).toBe('');
      expect(run(name, [...pre, '--sensitivity', '-1', '--model', model, sample('ipv6.pcap')]).status).toBe(2);
    });
  }

  it('ftp-ids train, eval, demo: 0, 2', () => {
    const out = join(dir, 'm2.json');
    expect(run('ftp-ids', ['train', csv, '-o', out]).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).detector).toBeTruthy();
    missing('ftp-ids', ['train', csv, MISSING]);
    const ev = run('ftp-ids', ['eval', '--labels', sample('labels.csv'), '--model', model, sample('ipv6.pcap')]);
    expect(ev.status, ev.stderr).toBe(0);
    missing('ftp-ids', ['eval', '--labels', sample('labels.csv'), '--model', model, MISSING]);
    expect(run('ftp-ids', ['eval', '--model', model, sample('ipv6.pcap')]).status).toBe(2); // --labels missing
    expect(run('ftp-ids', ['demo', '--samples', dir]).status).toBe(2);
    expect(run('ftp-ids', ['frobnicate']).status).toBe(2);
    expect(run('ftp-ids', []).status).toBe(2);
  });
});
