/**
 * A Map of at most `max` entries: a new key beyond that drops the oldest inserted one (counted in
 * `dropped`). The oldest is found through a ring of the keys, not through the Map's own order:
 * `map.keys().next()` walks over every entry deleted since the Map's last rehash, and dropping the
 * oldest key that way made 200 000 evictions cost 70 % of ftp-flows' time (gen_hostile.py
 * sessions200k).
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, { v: V; at: number }>();
  private readonly ring: (K | undefined)[];
  private pos = 0;
  /** entries dropped to make room */
  dropped = 0;

  constructor(private readonly max: number) {
    this.ring = new Array<K | undefined>(max).fill(undefined);
  }

  get size(): number {
    return this.map.size;
  }

  get(k: K): V | undefined {
    return this.map.get(k)?.v;
  }

  delete(k: K): void {
    this.map.delete(k);
  }

  /** a key already present keeps its place (its age is its first insertion's) */
  set(k: K, v: V): void {
    const e = this.map.get(k);
    if (e) {
      e.v = v;
      return;
    }
    const old = this.ring[this.pos];
    if (old !== undefined) {
      const oe = this.map.get(old);
      // (the key may have been deleted, or deleted and set again in another ring place)
      if (oe && oe.at === this.pos) {
        this.map.delete(old);
        this.dropped++;
      }
    }
    this.ring[this.pos] = k;
    this.map.set(k, { v, at: this.pos });
    this.pos = this.pos + 1 === this.max ? 0 : this.pos + 1;
  }
}
