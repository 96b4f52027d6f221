/**
 * Named bounds with counters. Every table or buffer that grows with untrusted input
 * declares a Bound; hitting it increments a counter (reported by --stats) instead of
 * growing further.
 */
export class Counters {
  private readonly values = new Map<string, number>();
  add(name: string, n = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + n);
  }
  get(name: string): number {
    return this.values.get(name) ?? 0;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
