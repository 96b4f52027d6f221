/**
 * Positions in JSON text for error messages: where a syntax error is, and where the value at a
 * path (`models["*"].patterns[63]`) starts, as a 1-based line. JSON.parse gives values without
 * positions; these scans run only once something is found wrong, never on the good path. Both are
 * loops (no recursion), so a value nested 10,000 deep costs time, not stack.
 */

/** 1-based line of character `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * Character offset of a JSON syntax error: the engine's `at position N` when it gives one, else the
 * shortest prefix whose error is not merely "input ended too early" (binary search).
 */
export function jsonErrorOffset(text: string, message: string): number {
  const pos = /at position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  const endedEarly = (len: number): boolean => {
    try {
      JSON.parse(text.slice(0, len));
      return true;
    } catch (e) {
      // V8 names the offending token only as `Unexpected token …, "…" is not valid JSON`; any other
      // message on a prefix means the prefix merely stopped early
      return !/is not valid JSON$/.test((e as Error).message);
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (endedEarly(mid + 1)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Offset of the value at `path` (object keys and array indexes) in JSON text that parses, or -1.
 * The first of duplicate keys is taken (JSON.parse keeps the last; writers here write none).
 */
export function jsonPathOffset(text: string, path: readonly (string | number)[]): number {
  let i = skipWs(text, 0);
  for (const key of path) {
    const open = text.charCodeAt(i);
    if (typeof key === 'number' ? open !== 0x5b : open !== 0x7b) return -1;
    i = skipWs(text, i + 1);
    for (let k = 0; ; k++) {
      const c = text.charCodeAt(i);
      if (c === 0x5d || c === 0x7d || Number.isNaN(c)) return -1;
      let found = typeof key === 'number' && k === key;
      if (typeof key === 'string') {
        const end = skipValue(text, i);
        let name: unknown;
        try {
          name = JSON.parse(text.slice(i, end));
        } catch {
          return -1;
        }
        i = skipWs(text, end);
        if (text.charCodeAt(i) !== 0x3a) return -1;
        i = skipWs(text, i + 1);
        found = name === key;
      }
      if (found) break;
      i = skipWs(text, skipValue(text, i));
      if (text.charCodeAt(i) !== 0x2c) return -1;
      i = skipWs(text, i + 1);
    }
  }
  return i;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return i;
}

/** End of the value starting at `i` (a string, a container by bracket depth, or a literal). */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return skipString(text, i);
  if (c === 0x5b || c === 0x7b) {
    let depth = 0;
    for (; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (d === 0x22) i = skipString(text, i) - 1;
      else if (d === 0x5b || d === 0x7b) depth++;
      else if (d === 0x5d || d === 0x7d) {
        if (--depth === 0) return i + 1;
      }
    }
    return i;
  }
  while (i < text.length) {
    const d = text.charCodeAt(i);
    if (d === 0x2c || d === 0x5d || d === 0x7d || isWs(d)) break;
    i++;
  }
  return i;
}
