/**
 * Hostile and odd capture input (issue 11): each case checks the rows or counters that come out,
 * built from ../shared/repro (reproducers) or from captures this file makes.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSessions } from '../stages/match.js';
import type { Session } from '../src/dataset/types.js';
import { FtpIdsError } from '../src/common/errors.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const REPRO = fileURLToPath(new URL('../../shared/repro/', import.meta.url));
const have = existsSync(join(REPRO, 'README.md'));
const bin = (name: string): string => join(ROOT, 'dist/bin', `${name}.js`);

function run(name: string, args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin(name), ...args], { input, maxBuffer: 1 << 28, encoding: 'latin1' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** an error as runCli reports it: one line on stderr, no stack, an error exit (not success, not the crash code) */
function expectOneLineError(r: { status: number | null; stderr: string }, re: RegExp): void {
  expect(r.status).not.toBe(0);
  expect(r.status).not.toBe(70);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(re);
}

describe.skipIf(!have)('gzip input: damaged and cut short', () => {
  const corrupt = join(REPRO, 'corrupt-gzip.pcap');
  const truncated = join(REPRO, 'truncated.pcap.gz');

  it('damaged gzip data: one line with the byte offset, from a file and from stdin (ftp-flows)', () => {
    expectOneLineError(run('ftp-flows', [corrupt]), /^ftp-flows: .*corrupt-gzip\.pcap: byte offset \d+: damaged gzip data .*invalid block type/);
    expectOneLineError(run('ftp-flows', [], readFileSync(corrupt)), /^ftp-flows: byte offset \d+: damaged gzip data/);
  });

  it('a .pcap.gz cut short: the flows before the cut, the truncation warning, exit 0; --strict: an error after the same flows', () => {
    const r = run('ftp-flows', [truncated]);
    expect(r.status).toBe(0);
    const flows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(flows.length).toBeGreaterThan(0);
    expect(flows.every((f) => f.type === 'flow')).toBe(true);
    expect(r.stderr).toMatch(/^ftp-flows: warning: .*truncated\.pcap\.gz: byte offset 20000: gzip stream cut short at compressed byte 20000/m);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    const s = run('ftp-flows', ['--strict', truncated]);
    expect(s.stdout).toBe(r.stdout);
    expectOneLineError(s, /^ftp-flows: .*truncated\.pcap\.gz: byte offset 20000: gzip stream cut short/);
  });

  it('the reader ftp-match and ftp-ids detect share: sessions before the cut, a warning; damaged data an FtpIdsError', async () => {
    const sessions: Session[] = [];
    const warnings: string[] = [];
    await runSessions([truncated], { warn: (m) => warnings.push(m) }, (s) => sessions.push(s));
    expect(sessions.length).toBe(run('ftp-flows', [truncated]).stdout.trim().split('\n').length);
    expect(warnings[0]).toMatch(/byte offset 20000: gzip stream cut short/);
    const err = await runSessions([corrupt], { warn: () => {} }, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FtpIdsError);
    expect((err as FtpIdsError).code).toBe('BAD_GZIP');
    expect((err as FtpIdsError).where.offset).toBeTypeOf('number');
  });
});
