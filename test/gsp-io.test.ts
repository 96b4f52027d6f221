import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FtpIdsError } from '../src/common/errors.js';
import { minSupportCount, normalizeGspConfig, parseMinSupport } from '../src/gsp/config.js';
import { finishDb } from '../src/gsp/db.js';
import { parseJsonLines, parseSpmf, sniffFormat } from '../src/gsp/input.js';
import { minePatterns } from '../src/gsp/mine.js';
import { MODEL_FORMAT, readModel } from '../src/gsp/model.js';
import { ftpTaxonomy, parseTaxonomy } from '../src/gsp/taxonomy.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const BIN = join(ROOT, 'dist/bin/ftp-gsp.js');

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof FtpIdsError ? `${e.code}@${e.where.line ?? ''}` : `other:${(e as Error).message}`;
  }
  return undefined;
};

describe('config normaliser', () => {
  it('min-support: fraction -> ceil(f·N) exactly, percentage, absolute count', () => {
    expect(minSupportCount(parseMinSupport('0.07'), 100)).toBe(7); // 0.07*100 = 7.000000000000001 in floats
    expect(minSupportCount(parseMinSupport('0.1'), 5834)).toBe(584);
    expect(minSupportCount(parseMinSupport('0.005'), 59601)).toBe(299);
    expect(minSupportCount(parseMinSupport('5%'), 59601)).toBe(2981);
    expect(minSupportCount(parseMinSupport('12'), 100)).toBe(12);
    expect(minSupportCount(parseMinSupport(0.25), 10)).toBe(3);
    expect(minSupportCount(parseMinSupport(3), 10)).toBe(3);
    expect(minSupportCount(parseMinSupport('1.0'), 10)).toBe(10);
    for (const bad of ['0', '1.5', '-0.1', 'abc', '150%', '', 0]) expect(code(() => parseMinSupport(bad))).toBe('INVALID_OPTION@');
  });
  it('validated and frozen, coded errors naming the option', () => {
    const c = normalizeGspConfig({ minSupport: '0.5', maxGap: '3', minGap: '1', output: 'closed', by: 'label' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(c).toMatchObject({ maxGap: 3, minGap: 1, window: 0, output: 'closed', byLabel: true, maxLength: Infinity });
    expect(normalizeGspConfig({}).minGap).toBeNull();
    expect(code(() => normalizeGspConfig({ maxGap: 1, minGap: 1 }))).toBe('INVALID_OPTION@');
    expect(code(() => normalizeGspConfig({ output: 'some' }))).toBe('INVALID_OPTION@');
    expect(code(() => normalizeGspConfig({ window: -1 }))).toBe('INVALID_OPTION@');
    expect(code(() => normalizeGspConfig({ maxLength: 0 }))).toBe('INVALID_OPTION@');
    expect(code(() => normalizeGspConfig({ items: 'command,bogus' }))).toBe('INVALID_OPTION@');
  });
});

describe('bounds', () => {
  it('the maximal/closed candidate set is bounded: exceeding it is a coded error, not a silent cut', () => {
    const db = finishDb(parseJsonLines('[["a"],["b"]]\n[["c"],["d"]]\n').flat);
    const run = (maxCandidates: number): number => {
      let n = 0;
      minePatterns(db, normalizeGspConfig({ minSupport: 1, output: 'maximal', maxCandidates }), () => n++);
      return n;
    };
    expect(run(2)).toBe(2); // <{a}{b}> and <{c}{d}>
    expect(code(() => run(1))).toBe('BOUND_MAX_CANDIDATES@');
  });
});

describe('inputs', () => {
  it('SPMF: -1/-2, timestamps, @ITEM names, comments and blank lines skipped', () => {
    const p = parseSpmf('@CONVERTED_FROM_TEXT\n@ITEM=1=USER\n@ITEM=2=PASS\n# comment\n1 -1 2 -1 -2\n\n<5> 2 1 -1 <9> 2 -1 -2\n');
    expect(p.flat.seqStart).toEqual([0, 2]);
    expect(p.flat.txTime).toEqual([0, 1, 5, 9]);
    expect(p.itemNames.get('1')).toBe('USER');
    const db = finishDb(p.flat);
    expect(db.n).toBe(2);
    expect(db.items).toEqual(['1', '2']);
  });
  it('SPMF: malformed lines are errors naming the line', () => {
    expect(code(() => parseSpmf('1 -1 -2\n1 2 -1\n'))).toBe('SPMF_LINE@2'); // no -2
    expect(code(() => parseSpmf('1 -1 -2\n\n1 x -1 -2\n'))).toBe('SPMF_LINE@3');
    expect(code(() => parseSpmf('-1 -2\n'))).toBe('SPMF_LINE@1'); // empty itemset
    expect(code(() => parseSpmf('1 -2\n'))).toBe('SPMF_LINE@1'); // itemset not closed
    expect(code(() => parseSpmf('1 -1 -2 3 -1\n'))).toBe('SPMF_LINE@1'); // data after -2
    expect(code(() => parseSpmf('<5> 1 -1 <2> 1 -1 -2\n'))).toBe('SPMF_LINE@1'); // time backwards
    expect(code(() => parseSpmf('@WHAT=1\n'))).toBe('SPMF_LINE@1');
    // 400 digits are Infinity as a number: no window or gap arithmetic survives it
    expect(code(() => parseSpmf(`1 -1 -2\n<${'9'.repeat(400)}> 1 -1 -2\n`))).toBe('SPMF_LINE@2');
  });
  it('JSON lines: arrays or objects with sid/label/times; errors name the line', () => {
    const p = parseJsonLines('[["USER","331"],["PASS"]]\n\n{"sid":"x","label":"vsftpd","sequence":[["A"],["B"]],"times":[1,5]}\n');
    expect(p.flat.names).toEqual([0, 'x']);
    expect(p.flat.labels).toEqual(['', 'vsftpd']);
    expect(p.flat.txTime).toEqual([0, 1, 1, 5]);
    expect(code(() => parseJsonLines('[["a"]]\n[["a"],[]]\n'))).toBe('JSONL_LINE@2');
    expect(code(() => parseJsonLines('[["a"]]\n{oops\n'))).toBe('JSONL_LINE@2');
    expect(code(() => parseJsonLines('{"sequence":[["a"],["b"]],"times":[3,1]}\n'))).toBe('JSONL_LINE@1');
    expect(code(() => parseJsonLines('[["a b"]]\n'))).toBe('JSONL_LINE@1');
  });
  it('format sniffing', () => {
    expect(sniffFormat('flow_id,command\n')).toBe('csv');
    expect(sniffFormat('\n1 -1 -2\n')).toBe('spmf');
    expect(sniffFormat('@ITEM=1=a\n')).toBe('spmf');
    expect(sniffFormat('[["a"]]\n')).toBe('jsonl');
  });
  it('taxonomy file and the built-in FTP taxonomy', () => {
    const t = parseTaxonomy('# is-a\nUSER auth\nauth access control\n');
    expect(t.get('auth')).toEqual(['access', 'control']);
    expect(code(() => parseTaxonomy('ok parent\nlonely\n'))).toBe('TAXONOMY_LINE@2');
    const f = ftpTaxonomy(['USER', '230', '530', 'RETR', 'XYZZ', '<greeting>']);
    expect(f.get('230')).toEqual(['2xx']);
    expect(f.get('2xx')).toEqual(['success']);
    expect(f.get('5xx')).toEqual(['failure']);
    expect(f.get('USER')).toEqual(['auth']);
    expect(f.get('RETR')).toEqual(['transfer']);
    expect(f.get('XYZZ')).toEqual(['other-command']);
  });
  it('a cyclic taxonomy is refused', () => {
    expect(code(() => finishDb({ dict: ['a'], seqStart: [0], txStart: [0], txTime: [0], txItems: [0], names: [0], labels: [''] }, parseTaxonomy('a b\nb a\n')))).toBe(
      'TAXONOMY_CYCLE@',
    );
  });
});

describe('model file', () => {
  const good = {
    format: MODEL_FORMAT,
    version: 1,
    generator: 'x',
    params: {},
    dataset: { sequences: 2 },
    models: { '*': { sequences: 2, minSupportCount: 1, patterns: [{ pattern: [['USER']], support: 2, fraction: 1 }] } },
  };
  it('reads a valid model', () => {
    expect(readModel(JSON.stringify(good)).models['*'].patterns[0].support).toBe(2);
  });
  it('refuses another format, another version, and damage, with clear coded errors', () => {
    expect(code(() => readModel(JSON.stringify({ ...good, format: 'other' })))).toBe('MODEL_FORMAT@1');
    expect(code(() => readModel(JSON.stringify({ ...good, version: 2 })))).toBe('MODEL_VERSION@1');
    expect(code(() => readModel(JSON.stringify(good).slice(0, 50)))).toBe('MODEL_DAMAGED@1');
    const broken = structuredClone(good) as Record<string, any>;
    broken.models['*'].patterns[0].pattern = [[]];
    expect(code(() => readModel(JSON.stringify(broken)))).toBe('MODEL_DAMAGED@1');
  });
  it('says where and what is wrong: the line and the path of the value, never the value whole', () => {
    // one pattern a line, as ModelWriter writes them: pattern 2 of "*" is on line 5
    const lines = JSON.stringify(good, null, 0).replace('"patterns":[', '"patterns":[\n');
    const three = lines.replace(/(\{"pattern":\[\["USER"\]\],"support":2,"fraction":1\})/, '$1,\n$1,\n{"pattern":[["USER"]],"support":"12","fraction":1}');
    const text = three.replace('{"format"', '\n\n{"format"');
    const err = (() => {
      try {
        readModel(text, 'm.json');
      } catch (e) {
        return e as FtpIdsError;
      }
      throw new Error('accepted');
    })();
    expect(err.code).toBe('MODEL_DAMAGED');
    expect(err.describe()).toBe('m.json: line 6: models["*"].patterns[2].support: is not a non-negative integer ("12")');
    // an item that is not a string, nested deep: described, not printed
    const deep = JSON.stringify(good).replace('[["USER"]]', `[["USER",${'['.repeat(5000)}${']'.repeat(5000)}]]`);
    expect(() => readModel(deep)).toThrow('models["*"].patterns[0].pattern[0][1]: item is not a string (an array of 1)');
    // a syntax error names its line
    expect(code(() => readModel('{\n"format": "ftp-ids-model",\n"version": 1,,\n}'))).toBe('MODEL_DAMAGED@3');
  });
  it('accepts a UTF-8 byte order mark', () => {
    expect(readModel('\uFEFF' + JSON.stringify(good)).models['*'].patterns).toHaveLength(1);
  });
});

describe('pattern counts of the public benchmarks (SOURCES.md table, same counts as SPMF)', () => {
  const file = (n: string): string => join(SHARED, 'gsp-datasets', n);
  const count = (name: string, s: string): number => {
    const db = finishDb(parseSpmf(readFileSync(file(name), 'utf8')).flat);
    let n = 0;
    minePatterns(db, normalizeGspConfig({ minSupport: s, output: 'all' }), () => n++);
    return n;
  };
  it.skipIf(!existsSync(file('SIGN.txt')))('SIGN: 173 at 0.5, 518 at 0.4', () => {
    expect(count('SIGN.txt', '0.5')).toBe(173);
    expect(count('SIGN.txt', '0.4')).toBe(518);
  });
  it.skipIf(!existsSync(file('LEVIATHAN.txt')))('LEVIATHAN: 651 at 0.1', () => {
    expect(count('LEVIATHAN.txt', '0.1')).toBe(651);
  });
});

describe.skipIf(!existsSync(BIN))('ftp-gsp command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gsp-cli-'));
  const header = 'flow_id,community_id,client_ip,client_port,server_ip,server_port,label,index,ts_request,ts_reply,command,arg,reply_codes,final_code,flags,tags';
  const row = (f: string, label: string, i: number, cmd: string, c: string): string =>
    `${f},,127.0.0.1,4000,127.0.0.2,21,${label},${i},${100 + i},${100 + i},${cmd},,${c},${c},,`;
  const sessions: [string, string, [string, string][]][] = [
    ['F1', 'vsftpd', [['USER', '331'], ['PASS', '230'], ['QUIT', '221']]],
    ['F2', 'vsftpd', [['USER', '331'], ['PASS', '230'], ['LIST', '226'], ['QUIT', '221']]],
    ['F3', 'proftpd', [['USER', '331'], ['PASS', '530'], ['QUIT', '221']]],
    ['F4', 'proftpd', [['USER', '331'], ['PASS', '230'], ['QUIT', '']]],
  ];
  const csv = [header, ...sessions.flatMap(([f, l, ex]) => ex.map(([c, r], i) => row(f, l, i, c, r)))].join('\n') + '\n';
  const csvFile = join(dir, 'd.csv');
  writeFileSync(csvFile, csv);
  const run = (args: string[], input?: string) => spawnSync('node', [BIN, ...args], { input, encoding: 'utf8' });

  it('text output: <{USER,331} {PASS,230}>  #SUP: n (fraction), supports hand-counted', () => {
    const r = run(['-s', '0.75', '--output', 'all', '-f', 'text', csvFile]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('<{USER,331} {PASS,230}>  #SUP: 3 (0.75)');
    expect(lines).toContain('<{USER,331} {PASS} {QUIT}>  #SUP: 4 (1.00)');
    expect(lines).not.toContain('<{LIST}>  #SUP: 1 (0.25)');
  });
  it('model JSON with --by label and --sids, read back by readModel; profiles included for CSV input', () => {
    const r = run(['--min-count', '1', '--output', 'maximal', '--by', 'label', '--sids'], csv);
    expect(r.status).toBe(0);
    const m = readModel(r.stdout);
    expect(Object.keys(m.models).sort()).toEqual(['*', 'proftpd', 'vsftpd']);
    expect(m.models.vsftpd.sequences).toBe(2);
    expect(m.params).toMatchObject({ minSupport: '1', output: 'maximal', byLabel: true, items: 'command,code' });
    // with support 1 the maximal patterns of a label are its whole sessions
    const vs = m.models.vsftpd.patterns.map((p) => JSON.stringify(p.pattern)).sort();
    expect(vs).toEqual([JSON.stringify([['USER', '331'], ['PASS', '230'], ['LIST', '226'], ['QUIT', '221']])]);
    expect(m.models.vsftpd.patterns[0].sids).toEqual(['F2']);
    expect(m.profiles).toBeDefined();
  });
  it('SPMF in, SPMF out with item names; SIGN-style integer items', () => {
    const r = run(['--min-count', '2', '--output', 'all', '-f', 'spmf', '--sids'], '@ITEM=1=USER\n@ITEM=2=PASS\n1 -1 2 -1 -2\n1 -1 2 -1 -2\n1 -1 -2\n');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['PASS -1 #SUP: 2 #SID: 0 1', 'USER -1 #SUP: 3 #SID: 0 1 2', 'USER -1 PASS -1 #SUP: 2 #SID: 0 1']);
  });
  it('malformed input: non-zero exit and a message naming the line', () => {
    const r = run(['--min-count', '1'], '1 -1 -2\n1 2\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/line 2/);
    const r2 = run(['--min-count', '1', '--time', 'seconds'], `${header}\n${row('F1', 'x', 0, 'USER', '331').replace(',100,100,', ',,,')}\n`);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/line 2: --time seconds/);
  });
  it('support that cannot be misread: -s takes a fraction or percentage, --min-count a number of sessions', () => {
    const models = (args: string[]) => {
      const r = run([...args, '--no-profiles'], csv);
      expect(r.status).toBe(0);
      return readModel(r.stdout).models['*'].minSupportCount;
    };
    // 4 sessions: 50 % and 0.5 are 2 sessions, --min-count 3 is 3; the default is 0.3 (ceil(1.2) = 2)
    expect([models(['-s', '50%']), models(['-s', '0.5']), models(['--min-count', '3']), models([])]).toEqual([2, 2, 3, 2]);
    expect(readModel(run(['--no-profiles'], csv).stdout).params.minSupport).toBe('0.3');
    for (const [args, hint] of [
      [['-s', '2'], '"2" is ambiguous: write 2% for a percentage of the sessions, or --min-count 2 for 2 sessions'],
      [['-s', '1'], 'write 1% for a percentage of the sessions or 1.0 for every session, or --min-count 1'],
      [['-s', '0.5', '--min-count', '2'], 'not both'],
      [['--min-count', '0.5'], 'option --min-count: expected a whole number of sessions'],
      [['-s', '2.5'], 'a percentage (30%) or a count of sequences (--min-count 12)'],
    ] as const) {
      const r = run([...args], csv);
      expect({ args, status: r.status, stdout: r.stdout }).toEqual({ args, status: 2, stdout: '' });
      expect(r.stderr).toContain(hint);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
  it('bad options exit 2', () => {
    expect(run(['-s', 'lots'], '').status).toBe(2);
    expect(run(['--format', 'xml'], '').status).toBe(2);
  });
  it('a closed stdout ends quietly with exit 0', () => {
    const r = spawnSync('bash', ['-c', `node ${BIN} --min-count 1 --output all -f text ${csvFile} | head -1`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').length).toBe(2);
  });
});
