import { describe, expect, it } from 'vitest';
import { normalizeGspConfig } from '../src/gsp/config.js';
import { buildDb, buildVertical, type RawSequence, type Taxonomy } from '../src/gsp/db.js';
import { minePatterns } from '../src/gsp/mine.js';
import {
  contains,
  dropFirst,
  dropLast,
  frequentItems,
  generateC2,
  join,
  patternKey,
  prune,
  subsequencesForPrune,
  type Pattern,
  type TimeConstraints,
} from '../src/gsp/steps.js';

import { oracleContains, type OracleSeq } from './gsp-oracle.js';

const keys = (ps: Pattern[]): string[] => ps.map(patternKey).sort();

describe('GSP steps', () => {
  it('L1: items held by at least minCount sequences (counted once per sequence)', () => {
    const db = buildDb([
      { name: 0, label: '', itemsets: [['1'], ['1'], ['1']], times: [0, 1, 2] },
      { name: 1, label: '', itemsets: [['2'], ['1', '3']], times: [0, 1] },
      { name: 2, label: '', itemsets: [['2']], times: [0] },
    ]);
    const v = buildVertical(db);
    expect(frequentItems(v, 2).map((x) => db.items[x])).toEqual(['1', '2']);
    expect(frequentItems(v, 3)).toEqual([]);
  });

  it('C2: <{x}{y}> for every ordered pair including x=y, <{x,y}> for x<y: n² + n(n-1)/2', () => {
    const c2 = generateC2([1, 2, 3]);
    expect(c2).toHaveLength(9 + 3);
    expect(keys(c2)).toEqual(
      ['1|1', '1|2', '1|3', '2|1', '2|2', '2|3', '3|1', '3|2', '3|3', '1,2', '1,3', '2,3'].sort(),
    );
    // taxonomy: no element with an item and its ancestor
    expect(keys(generateC2([1, 2], (x, y) => (x === 1 && y === 2) || (x === 2 && y === 1)))).not.toContain('1,2');
  });

  it('drop first / last ITEM, not element', () => {
    expect(dropFirst([[1, 2], [3]])).toEqual([[2], [3]]);
    expect(dropFirst([[1], [2, 3]])).toEqual([[2, 3]]);
    expect(dropLast([[1], [2, 3]])).toEqual([[1], [2]]);
    expect(dropLast([[1, 2], [3]])).toEqual([[1, 2]]);
  });

  // TSK exercise, checked by hand in gsp-notes.md
  const L3: Pattern[] = [
    [[1, 2, 3]],
    [[1, 2], [3]],
    [[1], [2, 3]],
    [[1, 2], [4]],
    [[1, 3], [4]],
    [[1, 2, 4]],
    [[2, 3], [3]],
    [[2, 3], [4]],
    [[2], [3], [3]],
    [[2], [3], [4]],
  ];
  it('join (TSK example): 6 candidates, the new item placed as element or into the last element', () => {
    const joined = join(L3).map((j) => j.cand);
    expect(keys(joined)).toEqual(
      keys([
        [[1, 2, 3], [3]],
        [[1, 2, 3], [4]],
        [[1, 2], [3], [3]],
        [[1, 2], [3], [4]],
        [[1], [2, 3], [3]],
        [[1], [2, 3], [4]],
      ]),
    );
  });
  it('prune (TSK example): only <{1,2,3}{4}> survives, with and without max-gap', () => {
    const set = new Set(L3.map(patternKey));
    for (const contiguous of [false, true]) {
      expect(prune(join(L3), set, contiguous).map((c) => patternKey(c.cand))).toEqual(['1,2,3|4']);
    }
  });
  it('prune: <{1}{2}{3}> is pruned without max-gap but kept with it (only contiguous subsequences)', () => {
    const L2: Pattern[] = [[[1], [2]], [[2], [3]]];
    const set = new Set(L2.map(patternKey));
    const cands = join(L2);
    expect(cands.map((c) => patternKey(c.cand))).toEqual(['1|2|3']);
    expect(prune(cands, set, false)).toEqual([]);
    expect(prune(cands, set, true).map((c) => patternKey(c.cand))).toEqual(['1|2|3']);
    expect(keys(subsequencesForPrune([[1], [2], [3]], true))).toEqual(['1|2', '2|3']);
    expect(keys(subsequencesForPrune([[1], [2, 3], [4]], true))).toEqual(['1|2,3', '1|2|4', '1|3|4', '2,3|4']);
  });
  it('<{1}{2}{3}> with max-gap 1 is found although <{1}{3}> is not frequent (both engines)', () => {
    const raw: RawSequence[] = [0, 1, 2].map((i) => ({ name: i, label: '', itemsets: [['1'], ['2'], ['3']], times: [0, 1, 2] }));
    const db = buildDb(raw);
    for (const algorithm of ['vertical', 'levelwise'] as const) {
      const found = new Map<string, number>();
      minePatterns(db, normalizeGspConfig({ minSupport: 3, maxGap: 1, output: 'all', algorithm }), (fp) =>
        found.set(patternKey(fp.pattern.map((e) => e.map((x) => Number(db.items[x])))), fp.support),
      );
      expect(found.get('1|2|3')).toBe(3);
      expect(found.has('1|3')).toBe(false);
    }
  });
});

describe('containment: forward/backward search', () => {
  // one sequence, items a=1 b=2 c=3 at the given times
  const seq = (tx: [number, string[]][]): { db: ReturnType<typeof buildDb>; id: (s: string) => number } => {
    const db = buildDb([{ name: 0, label: '', itemsets: tx.map((t) => t[1]), times: tx.map((t) => t[0]) }]);
    return { db, id: (s) => db.items.indexOf(s) };
  };
  const test = (tx: [number, string[]][], p: string[][], c: Partial<TimeConstraints>): boolean => {
    const { db, id } = seq(tx);
    const cons: TimeConstraints = { minGap: null, maxGap: Infinity, window: 0, ...c };
    return contains(db, buildVertical(db), 0, p.map((e) => e.map(id).sort((x, y) => x - y)), cons);
  };
  it('max-gap needs the backward phase: a@1 a@4 b@5, <{a}{b}> max-gap 2', () => {
    expect(test([[1, ['a']], [4, ['a']], [5, ['b']]], [['a'], ['b']], { maxGap: 2 })).toBe(true);
    expect(test([[1, ['a']], [5, ['b']]], [['a'], ['b']], { maxGap: 2 })).toBe(false);
  });
  it('backward phase cascades: a@1 b@3 a@4 b@5 c@7, <{a}{b}{c}> max-gap 2 -> a@4 b@5 c@7', () => {
    const d: [number, string[]][] = [[1, ['a']], [3, ['b']], [4, ['a']], [5, ['b']], [7, ['c']]];
    expect(test(d, [['a'], ['b'], ['c']], { maxGap: 2 })).toBe(true);
    expect(test(d, [['a'], ['b'], ['c']], { maxGap: 1 })).toBe(false);
  });
  it('min-gap is strict and measured end(prev) -> start(cur)', () => {
    const d: [number, string[]][] = [[1, ['a']], [2, ['b']], [4, ['c']]];
    expect(test(d, [['a'], ['b']], { minGap: 1 })).toBe(false); // 2-1 = 1 is not > 1
    expect(test(d, [['a'], ['c']], { minGap: 1 })).toBe(true);
    expect(test(d, [['a'], ['b']], { minGap: 0 })).toBe(true);
  });
  it('min-gap with max-gap: a later start of the first element is needed (greedy fails)', () => {
    // a@1 a@3 b@4 b@6, <{a}{b}> with min-gap 2, max-gap 3: a@1 b@4 (gap 3 ok, min 3>2 ok) — and
    // a@3 b@6 also; remove b@4 -> a@1 b@6 violates max-gap, a@3 b@6 works (needs the pull-up)
    expect(test([[1, ['a']], [3, ['a']], [6, ['b']]], [['a'], ['b']], { minGap: 2, maxGap: 3 })).toBe(true);
    expect(test([[1, ['a']], [3, ['a']], [5, ['b']]], [['a'], ['b']], { minGap: 2, maxGap: 3 })).toBe(false);
  });
  it('window: an element may span transactions within the window', () => {
    const d: [number, string[]][] = [[1, ['a']], [2, ['b']], [10, ['c']]];
    expect(test(d, [['a', 'b']], { window: 0 })).toBe(false);
    expect(test(d, [['a', 'b']], { window: 1 })).toBe(true);
    expect(test(d, [['a', 'b'], ['c']], { window: 1, maxGap: 9 })).toBe(true); // 10 - 1 = 9
    expect(test(d, [['a', 'b'], ['c']], { window: 1, maxGap: 8 })).toBe(false);
  });
  it('window on times beyond 2^53 and on Infinity ends, and agrees with the definition', () => {
    // at 2^60 doubles are 256 apart: 2^60+256 - 200 rounds back to 2^60, which once kept the
    // sliding-window search on the same occurrences forever (a fuzz hang, "1e400" as a time)
    const B = 2 ** 60;
    const cases: [number, string[]][][] = [
      [[B, ['a']], [B + 256, ['b']], [B + 512, ['a']], [B + 768, ['b']]],
      [[B, ['a']], [B + 256, ['b']], [B + 512, ['a', 'b']]],
    ];
    for (const d of cases) {
      for (const window of [1, 200, 300]) {
        const { id } = seq(d);
        const o: OracleSeq = { itemsets: d.map((t) => t[1].map(id)), times: d.map((t) => t[0]) };
        const want = oracleContains(o, [[id('a'), id('b')].sort((x, y) => x - y)], { minGap: null, maxGap: Infinity, window });
        expect(test(d, [['a', 'b']], { window }), `${JSON.stringify(d.map((t) => [t[0] - B, t[1]]))} window ${window}`).toBe(want);
      }
    }
    expect(test(cases[1], [['a', 'b']], { window: 200 })).toBe(true);
    // Infinity is refused by every reader now; the search still ends on it (no defined answer:
    // Infinity - Infinity is NaN)
    for (const window of [1, 200]) {
      expect(typeof test([[Infinity, ['a']], [Infinity, ['b']]], [['a', 'b']], { window })).toBe('boolean');
      expect(typeof test([[1, ['a']], [Infinity, ['b']], [Infinity, ['a']]], [['a', 'b']], { window })).toBe('boolean');
    }
  });
});

describe('worked examples', () => {
  // The paper's example database (EDBT 1996): books, times in days; minimum support 2 customers.
  const books: RawSequence[] = [
    { name: 'C1', label: '', itemsets: [['Ringworld'], ['Foundation'], ['Ringworld_Engineers', 'Second_Foundation']], times: [1, 2, 15] },
    { name: 'C2', label: '', itemsets: [['Foundation', 'Ringworld'], ['Foundation_and_Empire'], ['Ringworld_Engineers']], times: [1, 20, 50] },
  ];
  const mine = (raw: RawSequence[], cfg: Record<string, unknown>, tax?: Taxonomy): Map<string, number> => {
    const db = buildDb(raw, tax);
    const out = new Map<string, number>();
    minePatterns(db, normalizeGspConfig({ output: 'all', ...cfg }), (fp) =>
      out.set(fp.pattern.map((e) => `(${e.map((x) => db.items[x]).join(' ')})`).join(''), fp.support),
    );
    return out;
  };
  const twoElement = (m: Map<string, number>): string[] => [...m.keys()].filter((k) => k.split(')(').length === 2).sort();
  it('paper example without constraints: <(Ringworld)(Ringworld Engineers)>, <(Foundation)(Ringworld Engineers)>', () => {
    expect(twoElement(mine(books, { minSupport: 2 }))).toEqual(['(Foundation)(Ringworld_Engineers)', '(Ringworld)(Ringworld_Engineers)']);
  });
  it('paper example, sliding window 7 days: <(Foundation, Ringworld)(Ringworld Engineers)> becomes frequent', () => {
    const m = mine(books, { minSupport: 2, window: 7 });
    expect(m.get('(Foundation Ringworld)(Ringworld_Engineers)')).toBe(2);
  });
  it('paper example, max-gap 30 days: both 2-element patterns drop out', () => {
    expect(twoElement(mine(books, { minSupport: 2, maxGap: 30 }))).toEqual([]);
  });
  it('paper example with the taxonomy: <(Foundation)(Asimov)> is frequent', () => {
    const tax: Taxonomy = new Map([
      ['Foundation', ['Asimov']],
      ['Foundation_and_Empire', ['Asimov']],
      ['Second_Foundation', ['Asimov']],
      ['Ringworld', ['Niven']],
      ['Ringworld_Engineers', ['Niven']],
      ['Asimov', ['Science_Fiction']],
      ['Niven', ['Science_Fiction']],
    ]);
    const m = mine(books, { minSupport: 2 }, tax);
    expect(m.get('(Foundation)(Asimov)')).toBe(2);
    expect(m.get('(Niven)(Niven)')).toBe(2);
    // never an element with an item and its ancestor
    expect([...m.keys()].some((k) => /\(.*Foundation.*Asimov.*\)/.test(k.split(')(')[0]))).toBe(false);
  });

  // gsp-notes.md: 4 FTP sessions at 0.75 -> 63 patterns, 18 with max-gap 1
  const ftp: RawSequence[] = [
    [['USER', '331'], ['PASS', '230'], ['SYST', '215'], ['QUIT', '221']],
    [['USER', '331'], ['PASS', '230'], ['PWD', '257'], ['QUIT', '221']],
    [['USER', '331'], ['PASS', '530'], ['USER', '331'], ['PASS', '230'], ['QUIT', '221']],
    [['USER', '331'], ['PASS', '530'], ['QUIT', '221']],
  ].map((itemsets, i) => ({ name: i, label: '', itemsets, times: itemsets.map((_, j) => j) }));
  it('4 FTP sessions at 0.75: 63 patterns, 18 with max-gap 1, and the supports of the notes', () => {
    for (const algorithm of ['vertical', 'levelwise']) {
      const m = mine(ftp, { minSupport: '0.75', algorithm });
      expect(m.size).toBe(63);
      expect(m.get('(USER)(PASS)')).toBe(4);
      expect(m.get('(USER)(PASS 230)')).toBe(3);
      expect(m.get('(USER 331)(PASS 230)')).toBe(3);
      expect(mine(ftp, { minSupport: '0.75', maxGap: 1, algorithm }).size).toBe(18);
    }
  });
});
