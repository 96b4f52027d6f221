import { describe, it, expect } from 'vitest';
import { optInt, optNumber, optBool, optEnum, optDuration, optSize } from '../src/common/options.js';
import { FtpIdsError } from '../src/common/errors.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof FtpIdsError ? e.code : 'not-FtpIdsError';
  }
  return undefined;
}

describe('option normaliser helpers', () => {
  it('parse CLI strings and API numbers alike, with defaults', () => {
    expect(optInt({ n: '42' }, 'n', 1)).toBe(42);
    expect(optInt({ n: 7 }, 'n', 1)).toBe(7);
    expect(optInt({}, 'n', 1)).toBe(1);
    expect(optNumber({ f: '0.25' }, 'f', 0, 0, 1)).toBe(0.25);
    expect(optBool({ b: 'false' }, 'b', true)).toBe(false);
    expect(optEnum({ e: 'json' }, 'e', ['csv', 'json'] as const, 'csv')).toBe('json');
    expect(optDuration({ t: '5m' }, 't', 0)).toBe(300);
    expect(optDuration({ t: '250ms' }, 't', 0)).toBe(0.25);
    expect(optSize({ s: '16M' }, 's', 0)).toBe(16 * 1024 * 1024);
  });

  it('reject bad values with INVALID_OPTION naming the option', () => {
    expect(codeOf(() => optInt({ n: '4x' }, 'n', 1))).toBe('INVALID_OPTION');
    expect(codeOf(() => optInt({ n: '-1' }, 'n', 1, 0))).toBe('INVALID_OPTION');
    expect(codeOf(() => optNumber({ f: '2' }, 'f', 0, 0, 1))).toBe('INVALID_OPTION');
    expect(codeOf(() => optEnum({ e: 'xml' }, 'e', ['csv', 'json'] as const, 'csv'))).toBe('INVALID_OPTION');
    expect(codeOf(() => optDuration({ t: 'soon' }, 't', 0))).toBe('INVALID_OPTION');
    expect(codeOf(() => optSize({ s: '1T' }, 's', 0))).toBe('INVALID_OPTION');
    expect(() => optInt({ 'max-flows': 'many' }, 'max-flows', 1)).toThrow(/max-flows/);
  });

  it('describe errors with their place', () => {
    expect(new FtpIdsError('X', 'bad length', { file: 'a.pcap', offset: 4096 }).describe()).toBe('a.pcap: byte offset 4096: bad length');
    expect(new FtpIdsError('X', 'bad row', { line: 12 }).describe()).toBe('line 12: bad row');
  });
});
