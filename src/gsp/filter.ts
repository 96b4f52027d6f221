import type { Pattern } from './steps.js';

/**
 * Maximal and closed patterns without keeping every frequent pattern.
 *
 * Order: a pattern a is a sub-pattern of b (a ⊑ b) when the elements of a map, in order, to
 * elements of b such that every item of a's element is an item of b's element or an ancestor of
 * one (taxonomies: <{auth}> ⊑ <{USER}> when USER is-a auth). Without a taxonomy this is the
 * usual subsequence relation.
 *   maximal: frequent, and no other frequent pattern b with a ⊑ b
 *   closed:  frequent, and no other frequent pattern b with a ⊑ b and support(b) = support(a)
 *
 * The miner tells, for each frequent pattern, whether it had a frequent extension at its end
 * (then it cannot be maximal) or one with equal support (then it cannot be closed); only the
 * others are checked against the current candidate set, which holds the maximal (closed) patterns
 * of what was seen so far — never every frequent pattern. A candidate is removed when a later
 * pattern covers it.
 */
export interface FoundPattern {
  readonly pattern: Pattern;
  readonly support: number;
  /** internal sequence indices, only when asked for */
  readonly sids: Int32Array | null;
}

interface Entry extends FoundPattern {
  /** bit signature of the pattern's own items */
  readonly sigOwn: number;
  /** bit signature of the items and their ancestors */
  readonly sigExt: number;
  /** elements extended with ancestors, sorted */
  readonly ext: Int32Array[];
  alive: boolean;
}

const bit = (x: number): number => 1 << (Math.imul(x, 0x9e3779b1) >>> 27);

export class PatternFilter {
  private readonly entries = new Map<number, Entry[]>(); // key: support for closed, 0 for maximal
  private count = 0;
  constructor(
    readonly kind: 'maximal' | 'closed',
    private readonly ancestors: readonly Int32Array[],
  ) {}

  /** Current number of candidates (the memory the filter holds). */
  get size(): number {
    return this.count;
  }

  offer(p: Pattern, support: number, sids: Int32Array | null, hasFrequentExtension: boolean, hasEqualExtension: boolean): void {
    if (this.kind === 'maximal' ? hasFrequentExtension : hasEqualExtension) return;
    const e = this.entry(p, support, sids);
    const key = this.kind === 'closed' ? support : 0;
    let list = this.entries.get(key);
    if (!list) {
      list = [];
      this.entries.set(key, list);
    }
    for (const c of list) {
      if (c.alive && (e.sigOwn & ~c.sigExt) === 0 && isSubPattern(e, c)) return;
    }
    let removed = 0;
    for (const c of list) {
      if (c.alive && (c.sigOwn & ~e.sigExt) === 0 && isSubPattern(c, e)) {
        c.alive = false;
        removed++;
      }
    }
    if (removed > 0 && removed * 4 > list.length) {
      const kept = list.filter((c) => c.alive);
      this.entries.set(key, kept);
      list = kept;
    }
    list.push(e);
    this.count += 1 - removed;
  }

  /** The surviving patterns (maximal or closed). */
  *results(): Generator<FoundPattern> {
    for (const list of this.entries.values()) for (const e of list) if (e.alive) yield e;
  }

  private entry(p: Pattern, support: number, sids: Int32Array | null): Entry {
    let sigOwn = 0;
    let sigExt = 0;
    const ext: Int32Array[] = [];
    for (const el of p) {
      const s = new Set<number>();
      for (const x of el) {
        sigOwn |= bit(x);
        s.add(x);
        for (const a of this.ancestors[x] ?? []) s.add(a);
      }
      for (const x of s) sigExt |= bit(x);
      ext.push(Int32Array.from(s).sort());
    }
    return { pattern: p, support, sids, sigOwn, sigExt, ext, alive: true };
  }
}

/** a ⊑ b, a ≠ b (greedy earliest matching is exact for plain subsequence containment). */
function isSubPattern(a: Entry, b: Entry): boolean {
  const pa = a.pattern;
  if (pa.length > b.pattern.length) return false;
  let j = 0;
  for (let i = 0; i < pa.length; i++) {
    while (j < b.ext.length && !subset(pa[i], b.ext[j])) j++;
    if (j === b.ext.length) return false;
    j++;
  }
  return !samePattern(pa, b.pattern);
}

function subset(a: readonly number[], b: Int32Array): boolean {
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    while (j < b.length && b[j] < a[i]) j++;
    if (j === b.length || b[j] !== a[i]) return false;
    j++;
  }
  return true;
}

function samePattern(a: Pattern, b: Pattern): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return false;
    for (let k = 0; k < a[i].length; k++) if (a[i][k] !== b[i][k]) return false;
  }
  return true;
}
