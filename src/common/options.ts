import { describeValue, FtpIdsError } from './errors.js';

/**
 * Small validators for option normalisers. Every stage has one `normalizeXOptions(raw)`
 * that turns user input (CLI strings or API values) into a frozen, validated object and
 * throws FtpIdsError('INVALID_OPTION', ...) naming the option.
 */
export function optInt(
  raw: Record<string, unknown>,
  name: string,
  dflt: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = raw[name];
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FtpIdsError('INVALID_OPTION', `option ${name}: expected an integer from ${min} to ${max}, got ${describeValue(v)}`);
  }
  return n;
}

export function optNumber(
  raw: Record<string, unknown>,
  name: string,
  dflt: number,
  min = -Infinity,
  max = Infinity,
): number {
  const v = raw[name];
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) && !(n === Infinity && max === Infinity)) {
    throw new FtpIdsError('INVALID_OPTION', `option ${name}: expected a number, got ${describeValue(v)}`);
  }
  if (n < min || n > max) {
    throw new FtpIdsError('INVALID_OPTION', `option ${name}: expected a number from ${min} to ${max}, got ${describeValue(v)}`);
  }
  return n;
}

export function optBool(raw: Record<string, unknown>, name: string, dflt: boolean): boolean {
  const v = raw[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new FtpIdsError('INVALID_OPTION', `option ${name}: expected true or false, got ${describeValue(v)}`);
}

export function optEnum<T extends string>(
  raw: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
  dflt: T,
): T {
  const v = raw[name];
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new FtpIdsError('INVALID_OPTION', `option ${name}: expected one of ${allowed.join(', ')}, got ${describeValue(v)}`);
}

/** Durations: "30", "30s", "5m", "1h", "250ms" -> seconds */
export function optDuration(raw: Record<string, unknown>, name: string, dflt: number): number {
  const v = raw[name];
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'number' && v >= 0) return v;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim()) : null;
  if (!m) throw new FtpIdsError('INVALID_OPTION', `option ${name}: expected a duration such as 30s, 5m or 1h, got ${describeValue(v)}`);
  const mult = m[2] === 'ms' ? 0.001 : m[2] === 'm' ? 60 : m[2] === 'h' ? 3600 : 1;
  return Number(m[1]) * mult;
}

/** Sizes: "1048576", "64k", "16M", "1G" -> bytes */
export function optSize(raw: Record<string, unknown>, name: string, dflt: number): number {
  const v = raw[name];
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  const m = typeof v === 'string' ? /^(\d+)([kKmMgG])?[bB]?$/.exec(v.trim()) : null;
  if (!m) throw new FtpIdsError('INVALID_OPTION', `option ${name}: expected a size such as 65536, 64k or 16M, got ${describeValue(v)}`);
  const mult = !m[2] ? 1 : m[2].toLowerCase() === 'k' ? 1024 : m[2].toLowerCase() === 'm' ? 1024 ** 2 : 1024 ** 3;
  return Number(m[1]) * mult;
}
