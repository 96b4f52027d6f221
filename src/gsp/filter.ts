import { FtpIdsError } from '../common/errors.js';
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
  /** signature of the pattern's own items (see signature) */
  readonly sigOwn: Int32Array;
  /** signature of the items and their ancestors */
  readonly sigExt: Int32Array;
  /** pairs of items sharing an element, own and with ancestors (see pairBits) */
  readonly pairOwnLo: number;
  readonly pairOwnHi: number;
  readonly pairExtLo: number;
  readonly pairExtHi: number;
  /** elements extended with ancestors, sorted */
  readonly ext: Int32Array[];
  alive: boolean;
}

/**
 * Signature of an item multiset: 64 bits per level, item x at bit x mod 64, level k set when x
 * occurs at least 2^k times (k = 0..3). a ⊑ b needs every item of a at least as often in b (each
 * element of a maps to its own element of b), so sig(a) ⊆ sig(b) word by word is necessary: most
 * pairs of FTP patterns share their items and differ in how often PASV/226/RETR repeat, which the
 * count levels see without a subsequence test.
 */
const SIG_WORDS = 8;
function signature(counts: Map<number, number>): Int32Array {
  const sig = new Int32Array(SIG_WORDS);
  for (const [x, c] of counts) {
    const word = (x >> 5) & 1;
    const bit = 1 << (x & 31);
    for (let k = 0, need = 1; k < 4 && c >= need; k++, need *= 2) sig[2 * k + word] |= bit;
  }
  return sig;
}
/**
 * Pairs of items that share an element, hashed into 64 bits: a ⊑ b maps each element of a into one
 * element of b (with ancestors), so every pair of a's must be a pair of b's extended elements. The
 * item counts of the signature cannot tell <{USER,331}{PASS,230}> from <{PASS,USER,230,331}>
 * (windows make both frequent); this can, without a subsequence test.
 */
function pairBits(elements: readonly (readonly number[] | Int32Array)[]): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const el of elements) {
    for (let i = 0; i < el.length; i++) {
      for (let j = i + 1; j < el.length; j++) {
        const h = (el[i] * 73 + el[j] * 151) & 63;
        if (h < 32) lo |= 1 << h;
        else hi |= 1 << (h - 32);
      }
    }
  }
  return [lo, hi];
}
/** Necessary for a ⊑ b: the item signature and the element pairs. */
function mayCover(a: Entry, b: Entry): boolean {
  return (a.pairOwnLo & ~b.pairExtLo) === 0 && (a.pairOwnHi & ~b.pairExtHi) === 0 && sigWithin(a.sigOwn, b.sigExt);
}
/** whether sig a ⊆ sig b */
function sigWithin(a: Int32Array, b: Int32Array): boolean {
  for (let k = 0; k < SIG_WORDS; k++) if ((a[k] & ~b[k]) !== 0) return false;
  return true;
}

/**
 * The candidates of one support class (all of them for maximal), indexed by signature key (bit
 * index 0..255 of the 8-word signature):
 *  - byExt[k]: candidates whose extended signature has key k. A new pattern e is covered only by a
 *    candidate holding every key of e's own signature, so scanning the shortest byExt list of those
 *    keys finds it;
 *  - byAnchor[k]: each candidate once, under its anchor, a key of its own signature of the highest
 *    count level (the rarest kind). A candidate c ⊑ e has all its own keys among e's extended keys,
 *    its anchor included, so scanning the anchor lists of e's extended keys finds every such c.
 * Removed candidates are marked dead and dropped from the lists when they are the majority.
 */
/** dead candidates tolerated in the lists before they are rebuilt (when also the majority) */
const COMPACT_AFTER = 1024;

class CandidateIndex {
  all: Entry[] = [];
  private readonly byExt: Entry[][] = Array.from({ length: 32 * SIG_WORDS }, () => []);
  private readonly byAnchor: Entry[][] = Array.from({ length: 32 * SIG_WORDS }, () => []);
  private dead = 0;

  /**
   * Whether a live candidate covers e (e ⊑ c, e ≠ c). The depth-first engines offer neighbours of
   * the search tree one after another, and they are mostly covered by the same candidate, or by
   * one found lately: the last cover is tried first, then the list from its newest end (the
   * answer does not depend on the order). With the pair signature (mayCover) this took the
   * samples at 20 % with --window 1 from 6.8M signature and 1.65M subsequence tests to 0.6M and
   * 0.44M (docs/BENCHMARKS.md).
   */
  covered(e: Entry): boolean {
    const last = this.lastCover;
    if (last !== null && last.alive && mayCover(e, last) && isSubPattern(e, last)) return true;
    let best: Entry[] | null = null;
    for (let k = 0; k < 32 * SIG_WORDS; k++) {
      if ((e.sigOwn[k >> 5] & (1 << (k & 31))) === 0) continue;
      const l = this.byExt[k];
      if (best === null || l.length < best.length) best = l;
    }
    const list = best ?? this.all;
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i];
      if (c.alive && mayCover(e, c) && isSubPattern(e, c)) {
        this.lastCover = c;
        return true;
      }
    }
    return false;
  }
  private lastCover: Entry | null = null;

  /** Marks dead every live candidate c ⊑ e; returns how many. */
  removeCoveredBy(e: Entry): number {
    let removed = 0;
    for (let k = 0; k < 32 * SIG_WORDS; k++) {
      if ((e.sigExt[k >> 5] & (1 << (k & 31))) === 0) continue;
      for (const c of this.byAnchor[k]) {
        if (c.alive && mayCover(c, e) && isSubPattern(c, e)) {
          c.alive = false;
          removed++;
        }
      }
    }
    this.dead += removed;
    if (this.dead > COMPACT_AFTER && this.dead * 2 > this.all.length) this.compact();
    return removed;
  }

  add(e: Entry): void {
    this.all.push(e);
    let anchor = -1;
    for (let k = 0; k < 32 * SIG_WORDS; k++) {
      if ((e.sigExt[k >> 5] & (1 << (k & 31))) !== 0) this.byExt[k].push(e);
      // words 2j, 2j+1 hold level j: a later k has a level at least as high
      if ((e.sigOwn[k >> 5] & (1 << (k & 31))) !== 0 && (anchor < 0 || k >> 6 > anchor >> 6 || this.byAnchor[k].length < this.byAnchor[anchor].length)) anchor = k;
    }
    if (anchor < 0) anchor = 0; // the empty pattern: never offered
    this.byAnchor[anchor].push(e);
  }

  private compact(): void {
    const keep = (l: Entry[]): Entry[] => l.filter((c) => c.alive);
    this.all = keep(this.all);
    for (let k = 0; k < 32 * SIG_WORDS; k++) {
      this.byExt[k] = keep(this.byExt[k]);
      this.byAnchor[k] = keep(this.byAnchor[k]);
    }
    this.dead = 0;
  }
}

export class PatternFilter {
  private readonly entries = new Map<number, CandidateIndex>(); // key: support for closed, 0 for maximal
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
    let index = this.entries.get(key);
    if (!index) {
      index = new CandidateIndex();
      this.entries.set(key, index);
    }
    if (index.covered(e)) return;
    const removed = index.removeCoveredBy(e);
    index.add(e);
    this.count += 1 - removed;
  }

  /** The surviving patterns (maximal or closed). */
  *results(): Generator<FoundPattern> {
    for (const index of this.entries.values()) for (const e of index.all) if (e.alive) yield e;
  }

  private entry(p: Pattern, support: number, sids: Int32Array | null): Entry {
    const own = new Map<number, number>();
    const extended = new Map<number, number>();
    const ext: Int32Array[] = [];
    for (const el of p) {
      const s = new Set<number>();
      for (const x of el) {
        own.set(x, (own.get(x) ?? 0) + 1);
        s.add(x);
        for (const a of this.ancestors[x] ?? []) s.add(a);
      }
      for (const x of s) extended.set(x, (extended.get(x) ?? 0) + 1);
      ext.push(Int32Array.from(s).sort());
    }
    const po = pairBits(p);
    const pe = pairBits(ext);
    return {
      pattern: p,
      support,
      sids,
      sigOwn: signature(own),
      sigExt: signature(extended),
      pairOwnLo: po[0],
      pairOwnHi: po[1],
      pairExtLo: pe[0],
      pairExtHi: pe[1],
      ext,
      alive: true,
    };
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

/**
 * The order of the depth-first search (preorder): a pattern before its extensions, S-extensions
 * (a new element) before I-extensions (into the last element), each by item. Maximal and closed
 * patterns are handed out in this order whatever order they were found in, so the output does not
 * depend on how the search was split among threads.
 */
export function comparePreorder(a: Pattern, b: Pattern): number {
  let i = 0;
  let j = 0;
  let ai = 0;
  let bj = 0;
  for (;;) {
    if (i === a.length) return j === b.length ? 0 : -1;
    if (j === b.length) return 1;
    // step kind: 0 = first item of an element (new element), 1 = added into the element
    const ka = ai === 0 ? 0 : 1;
    const kb = bj === 0 ? 0 : 1;
    if (ka !== kb) return ka - kb;
    const d = a[i][ai] - b[j][bj];
    if (d !== 0) return d;
    if (++ai === a[i].length) {
      i++;
      ai = 0;
    }
    if (++bj === b[j].length) {
      j++;
      bj = 0;
    }
  }
}

/** A PatternFilter fed by an engine: counts the frequent patterns, bounds the candidates held at once. */
export class FilterSink {
  readonly filter: PatternFilter;
  frequent = 0;
  peak = 0;
  constructor(
    readonly kind: 'maximal' | 'closed',
    ancestors: readonly Int32Array[],
    private readonly bound: number,
    /** sequence indices as the caller wants them (merged database -> input) */
    private readonly mapSids: (sids: Int32Array | null) => Int32Array | null = (s) => s,
  ) {
    this.filter = new PatternFilter(kind, ancestors);
  }
  pattern(p: () => Pattern, support: number, sids: Int32Array | null, hasFreqExt: boolean, hasEqExt: boolean): void {
    this.frequent++;
    if (this.kind === 'maximal' ? hasFreqExt : hasEqExt) return; // cannot be maximal / closed
    this.offer(p(), support, sids && this.mapSids(sids));
  }
  offer(p: Pattern, support: number, sids: Int32Array | null): void {
    const f = this.filter;
    f.offer(p, support, sids, false, false);
    if (f.size > this.peak) {
      this.peak = f.size;
      if (this.peak > this.bound) {
        throw new FtpIdsError(
          'BOUND_MAX_CANDIDATES',
          `more than ${this.bound} ${this.kind} pattern candidates held at once (option maxCandidates / --max-candidates); raise min-support or the bound`,
        );
      }
    }
  }
}
