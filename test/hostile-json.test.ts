import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { FtpIdsError } from '../src/common/errors.js';
import { parseFlowLine } from '../src/extract/flow-line.js';
import { parseFlowRecord } from '../src/flows/record.js';
import { parseModelText, readModelTextFile } from '../src/match/model.js';
import { parseSignatureFile } from '../src/label/signatures.js';

/**
 * Deeply nested and mistyped JSON wherever a JSON value is read (issue 11): the reproducers of
 * ../shared/repro give a one-line, line-numbered error (or are accepted, for unknown fields) and
 * never a stack trace; models name the line and the value's path, accept a byte order mark and are
 * bounded in size.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const REPRO = fileURLToPath(new URL('../../shared/repro/', import.meta.url));
const bin = (name: string): string => join(ROOT, 'dist/bin', `${name}.js`);
const have = existsSync(REPRO) && existsSync(bin('ftp-extract'));
const dir = mkdtempSync(join(tmpdir(), 'ftp-hostile-json-'));

function run(cmd: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', [bin(cmd), ...args], { encoding: 'utf8', input, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, the command's name first, no stack; the error exit (1 here; 2 once errors exit 2). */
function expectOneLineError(r: { status: number | null; stderr: string }, cmd: string, text: string): void {
  expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  expect(r.stderr.split('\n').filter(Boolean)).toEqual([expect.stringContaining(text)]);
  expect(r.stderr.startsWith(`${cmd}: `)).toBe(true);
  expect([1, 2]).toContain(r.status);
}

describe.skipIf(!have)('reproducers of ../shared/repro', () => {
  it('model-deep-version.json: "model version is not supported", with its line', () => {
    const f = join(REPRO, 'model-deep-version.json');
    const r = run('ftp-match', ['--model', f, join(ROOT, 'samples/labels-small.csv')]);
    expectOneLineError(r, 'ftp-match', `${f}: line 1: model version is not supported (an array of 1;`);
    expect(r.stdout).toBe('');
  });
  it('gsp-deep.jsonl: line 2: item is not a string', () => {
    const f = join(REPRO, 'gsp-deep.jsonl');
    const r = run('ftp-gsp', ['-s', '0.3', f]);
    expectOneLineError(r, 'ftp-gsp', `${f}: line 2: item is not a string`);
  });
  it('flow-deep-label.ndjson: line 1: label is not a string (ftp-extract and ftp-label)', () => {
    const f = join(REPRO, 'flow-deep-label.ndjson');
    for (const cmd of ['ftp-extract', 'ftp-label']) expectOneLineError(run(cmd, [f]), cmd, `${f}: line 1: label is not a string`);
  });
  it('flow-flags-number.ndjson: line 1: flags is not an array of strings; {} true and a string too', () => {
    const f = join(REPRO, 'flow-flags-number.ndjson');
    for (const cmd of ['ftp-extract', 'ftp-label']) expectOneLineError(run(cmd, [f]), cmd, `${f}: line 1: flags is not an array of strings`);
    const rec = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
    for (const flags of [{}, true, 'no_syn', ['no_syn', 3], null]) {
      expect(() => parseFlowLine(JSON.stringify({ ...rec, flags }), 4, 'x')).toThrow('flags is not an array of strings');
      expect(() => parseFlowRecord(JSON.stringify({ ...rec, flags }), 4)).toThrow('flags is not an array of strings');
    }
    expect(parseFlowLine(JSON.stringify({ ...rec, flags: ['no_syn'] }), 1, 'x').flags).toEqual(['no_syn']);
  });
  it('flow-deep-extra-field.ndjson: ftp-label and ftp-extract both accept it and drop the field', () => {
    const f = join(REPRO, 'flow-deep-extra-field.ndjson');
    const rec = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
    const known = ['type', 'v', 'id', 'community_id', 'client', 'server', 'first_ts', 'last_ts', 'packets', 'bytes', 'end', 'flags', 'chunks'];
    const extra = Object.keys(rec).filter((k) => !known.includes(k));
    expect(extra.length).toBe(1); // the reproducer holds one unknown field
    const clean = Object.fromEntries(Object.entries(rec).filter(([k]) => known.includes(k)));
    writeFileSync(join(dir, 'clean.ndjson'), JSON.stringify(clean) + '\n');

    const label = run('ftp-label', [f]);
    expect(label.status).toBe(0);
    expect(label.stderr).toBe('');
    const labelled = JSON.parse(label.stdout) as Record<string, unknown>;
    expect(Object.keys(labelled)).toEqual([...known, 'label', 'greeting']);
    expect(label.stdout).toBe(run('ftp-label', [join(dir, 'clean.ndjson')]).stdout);

    const extract = run('ftp-extract', [f]);
    expect(extract.status).toBe(0);
    const rows = parse(extract.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => `${x.command} ${x.final_code}`)).toEqual(['<greeting> 220', 'FEAT ']);
    expect(extract.stdout).toBe(run('ftp-extract', [join(dir, 'clean.ndjson')]).stdout);
    // and through ftp-label: the same rows
    expect(run('ftp-extract', [], label.stdout).stdout).toBe(extract.stdout);
  });
});

describe('flow records: types are checked before use, values never printed whole', () => {
  const base = { type: 'flow', v: 1, id: 'F1', community_id: '1:x', client: { ip: '10.0.0.1', port: 1025 }, server: { ip: '10.0.0.2', port: 21 }, first_ts: 1, last_ts: 2, end: 'fin', flags: [], chunks: [{ dir: 's', ts: 1, data: 'MjIwIGhpDQo=' }] };
  const deep = '['.repeat(20000) + ']'.repeat(20000);
  const err = (text: string): string => {
    try {
      parseFlowLine(text, 7, 'f');
    } catch (e) {
      return (e as FtpIdsError).describe();
    }
    return 'accepted';
  };
  it('names the field and the line', () => {
    const line = JSON.stringify(base);
    expect(err(line.replace('"v":1', `"v":${deep}`))).toBe('f: line 7: flow record version an array of 1 is not supported (expected 1)');
    expect(err(line.replace('"end":"fin"', `"end":${deep}`))).toBe('f: line 7: end is not a string');
    expect(err(line.replace('"first_ts":1', '"first_ts":1e400'))).toBe('f: line 7: first_ts is not a finite number or an ISO 8601 time');
    expect(err(line.replace('"port":21', '"port":70000'))).toBe('f: line 7: server.port is not a port number');
    expect(err(line.replace('"ts":1,', '"ts":"1",'))).toMatch(/^f: line 7: chunk 0: expected/);
    expect(err(line.replace('"id":"F1"', `"id":${deep}`))).toBe('f: line 7: flow record lacks id, client or server');
    expect(err(line.replace('}]}', `,"x":${deep}}]}`))).toBe('accepted'); // unknown field of a chunk: dropped
    expect(err(JSON.stringify({ ...base, greeting: 5 }))).toBe('f: line 7: greeting is not a string');
  });
  it('keeps the documented fields in their order and drops unknown ones, inside chunks and endpoints too', () => {
    const r = parseFlowLine(JSON.stringify({ x: 1, ...base, client: { ...base.client, y: 2 }, chunks: [{ ...base.chunks[0], z: 3 }], label: 'l' }), 1, 'f');
    expect(JSON.stringify(r)).toBe(JSON.stringify({ ...base, label: 'l' }));
  });
});

describe('models: position, byte order mark, size bound', () => {
  const model = (patterns: number): string =>
    `{"format":"ftp-ids-model","version":1,"generator":"t","params":{"items":"command,code"},"dataset":{"sequences":4},"models":{\n"*":{"sequences":4,"minSupportCount":2,"patterns":[` +
    Array.from({ length: patterns }, (_, i) => `\n{"pattern":[["USER","331"],["CMD${i}"]],"support":3,"fraction":0.75}`).join(',') +
    ']}}}\n';
  it('accepts a UTF-8 byte order mark (ftp-match and the library)', () => {
    expect(parseModelText('\uFEFF' + model(2)).global.patterns).toHaveLength(2);
    const f = join(dir, 'bom.json');
    writeFileSync(f, '\uFEFF' + model(2));
    const r = run('ftp-match', ['--model', f, '--baseline', 'study', '--all'], 'flow_id,command,final_code\nF1,USER,331\nF1,CMD1,200\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[1]).toMatch(/^F1,/);
  });
  it('a damaged pattern says which, where and what is wrong', () => {
    const text = model(70).replace('"support":3,"fraction":0.75}', '"support":3,"fraction":"0.75"}');
    expect(() => parseModelText(text, 'm.json')).toThrow('models["*"].patterns[0].fraction: is not a number ("0.75")');
    const t63 = model(70).split('\n');
    t63[2 + 63] = t63[2 + 63].replace('"CMD63"', '7');
    const f = join(dir, 'p63.json');
    writeFileSync(f, t63.join('\n'));
    const r = run('ftp-match', ['--model', f], 'flow_id,command,final_code\n');
    expectOneLineError(r, 'ftp-match', `${f}: line 66: models["*"].patterns[63].pattern[1][0]: item is not a string (7)`);
  });
  it('bounds the model: --max-model-patterns and --max-model-bytes, errors before the model is used', () => {
    const f = join(dir, 'big.json');
    writeFileSync(f, model(300));
    expect(() => parseModelText(model(300), 'm', { maxModelPatterns: 299 })).toThrow('model holds 300 patterns, more than the bound of 299 (--max-model-patterns');
    expect(parseModelText(model(300), 'm', { maxModelPatterns: 300 }).global.patterns).toHaveLength(300);
    const input = 'flow_id,command,final_code\nF1,USER,331\n';
    expectOneLineError(run('ftp-match', ['--model', f, '--max-model-patterns', '100'], input), 'ftp-match', `${f}: model holds 300 patterns, more than the bound of 100`);
    const size = Buffer.byteLength(model(300));
    expectOneLineError(run('ftp-match', ['--model', f, '--max-model-bytes', '16k'], input), 'ftp-match', `${f}: model file is larger than the bound of 16384 bytes (--max-model-bytes)`);
    expect(readModelTextFile(f, { maxModelBytes: size })).toBe(model(300));
    expect(() => readModelTextFile(f, { maxModelBytes: size - 1 })).toThrow('larger than the bound');
    expect(run('ftp-match', ['--model', f, '--baseline', 'study', '--max-model-patterns', '300'], input).status).toBe(0);
  });
});

describe('signature files', () => {
  it('accept a byte order mark; a nested unknown key is named briefly', () => {
    expect(parseSignatureFile('\uFEFF[{"prefix":"220 x","label":"x"}]', 's.json').match('220 x y')).toBe('x');
    expect(parseSignatureFile('\uFEFFprefix,label\n220 y,y\n', 's.csv').match('220 y')).toBe('y');
    const key = 'k'.repeat(5000);
    expect(() => parseSignatureFile(`{"${key}":1}`, 's.json')).toThrow(/^unknown key "k{40}…"$/);
  });
});
