import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Command-line habits shared by every command: --version, unknown options as a usage error that
 * points at --help (exit 2, one line, nothing on stdout), one "name:" prefix per message, and
 * `ftp-ids detect` reading stdin when no input is named (as ftp-match does).
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const bin = (n: string) => join(ROOT, 'dist/bin', `${n}.js`);
const S = (f: string) => join(ROOT, 'samples', f);
const COMMANDS = ['ftp-flows', 'ftp-label', 'ftp-extract', 'ftp-gsp', 'ftp-match', 'ftp-ids'];
const have = COMMANDS.every((c) => existsSync(bin(c)));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const run = (cmd: string, args: string[], input?: Buffer | string) => spawnSync('node', [bin(cmd), ...args], { input: input ?? '', encoding: 'utf8', maxBuffer: 1 << 28 });

describe.skipIf(!have)('command-line habits', () => {
  it('--version on every command and every ftp-ids subcommand', () => {
    for (const c of COMMANDS) expect([c, run(c, ['--version']).stdout, run(c, ['--version']).status]).toEqual([c, `${c} ${VERSION}\n`, 0]);
    for (const sub of ['train', 'detect', 'eval', 'show', 'report', 'demo']) expect(run('ftp-ids', [sub, '--version']).stdout).toBe(`ftp-ids ${VERSION}\n`);
  });

  it('an unknown option is a usage error naming it and pointing at --help', () => {
    for (const c of COMMANDS.filter((x) => x !== 'ftp-ids')) {
      const r = run(c, ['--no-such-option']);
      expect({ c, status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ c, status: 2, stdout: '', stderr: `${c}: unknown option --no-such-option (see ${c} --help)\n` });
    }
    for (const sub of ['train', 'detect', 'eval', 'show', 'report', 'demo']) {
      expect(run('ftp-ids', [sub, '--no-such-option']).stderr).toBe(`ftp-ids: unknown option --no-such-option (see ftp-ids ${sub} --help)\n`);
    }
    expect(run('ftp-ids', ['bogus']).stderr).toBe('ftp-ids: unknown command "bogus" (train, detect, eval, show, report, demo; see ftp-ids --help)\n');
    const missing = run('ftp-match', ['--model']);
    expect([missing.status, missing.stderr]).toEqual([2, "ftp-match: option '-m, --model <value>' argument missing (see ftp-match --help)\n"]);
  });

  it('every message carries its command\'s prefix once', () => {
    const cases = [
      run('ftp-ids', ['train', '--split', 'train', S('ipv6.pcap')]),
      run('ftp-ids', ['detect', S('ipv6.pcap')]),
      run('ftp-ids', ['eval', '--model', S('labels.csv'), S('ipv6.pcap')]),
      run('ftp-ids', ['show']),
    ];
    for (const r of cases) {
      expect(r.status).toBeGreaterThan(0); // 2: usage; 1: the model file is no model
      expect(r.stderr).toMatch(/^ftp-ids: /);
      expect(r.stderr).not.toMatch(/^ftp-ids: (ftp-ids|train|detect|eval)[ :]+ftp-ids/);
      expect(r.stderr.match(/ftp-ids( train| detect| eval)?:/g)).toHaveLength(1);
    }
  });

  it('docs/cli.md documents every option every --help lists', () => {
    const doc = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    const helps = [...COMMANDS.map((c) => run(c, ['--help']).stdout), ...['train', 'detect', 'eval', 'show', 'report', 'demo'].map((s) => run('ftp-ids', [s, '--help']).stdout)];
    const options = new Set(helps.flatMap((h) => [...h.matchAll(/--([a-z][a-z-]+)/g)].map((m) => m[0])));
    expect(options.size).toBeGreaterThan(60);
    expect([...options].filter((o) => !doc.includes(o))).toEqual([]);
    for (const c of COMMANDS) expect(doc).toContain(`## ${c}\n`);
  });

  describe('ftp-ids detect without an input reads stdin', () => {
    let model = '';
    beforeAll(() => {
      model = join(mkdtempSync(join(tmpdir(), 'ftp-ids-cli-')), 'm.json');
      const r = run('ftp-ids', ['train', S('sll.pcap'), S('sll2.pcap'), S('ipv6.pcap'), '-o', model]);
      expect(r.status).toBe(0);
    }, 60_000);
    it('the same verdicts as with the file named', () => {
      const named = run('ftp-ids', ['detect', '--model', model, '--all', S('ipv6.pcap')]);
      const piped = run('ftp-ids', ['detect', '--model', model, '--all'], readFileSync(S('ipv6.pcap')));
      expect(named.status).toBe(0);
      expect(named.stdout.trim().split('\n').length).toBe(11);
      expect(piped.stdout).toBe(named.stdout);
      expect(piped.status).toBe(0);
    });
  });
});
