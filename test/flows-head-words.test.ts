import { describe, it, expect } from 'vitest';
import { isCommand, isGreeting, isNotFtpClient, isReply } from '../src/flows/head-words.js';

// the byte tests replace these expressions (content detection used to build a string per test)
const REFERENCE: [string, (b: Buffer, off: number, len: number) => boolean, RegExp][] = [
  ['isGreeting', isGreeting, /^[12]20[ -]/],
  ['isReply', isReply, /^[0-9]{3}[ -]/],
  ['isCommand', isCommand, /^[A-Za-z]{3,4}[ \r\n]/],
  ['isNotFtpClient', isNotFtpClient, /^(EHLO|HELO|LHLO|VRFY|EXPN|MAIL|RCPT|RSET)[ \r\n]/i],
];

/** characters that sit on every edge of the expressions (case, digit and word-end boundaries) */
const EDGE = ['1', '2', '0', '9', ' ', '-', '\r', '\n', 'A', 'e', 'H', 'l', 'O', 'z', '@', '[', '`', '{', '/', ':', '\x00', '\xc5', '\xe5'];

function* strings(maxLen: number, alphabet: string[]): Generator<string> {
  yield '';
  let level = [''];
  for (let n = 1; n <= maxLen; n++) {
    const next: string[] = [];
    for (const s of level) for (const c of alphabet) next.push(s + c);
    yield* next;
    level = next;
  }
}

describe('flows head words', () => {
  for (const [name, fn, re] of REFERENCE) {
    it(`${name} agrees with ${re} on every short string over the edge characters, at an offset`, () => {
      const buf = Buffer.alloc(16, 0x41);
      let tested = 0;
      let matched = 0;
      for (const s of strings(4, EDGE)) {
        buf.fill(0x41);
        buf.write(s, 3, 'latin1');
        const want = re.test(s);
        if (fn(buf, 3, s.length) !== want) expect.fail(`${name}(${JSON.stringify(s)}) should be ${want}`);
        tested++;
        if (want) matched++;
      }
      expect(tested).toBeGreaterThan(280_000);
      if (name !== 'isNotFtpClient') expect(matched).toBeGreaterThan(0);
    });
  }

  it('words of five and more bytes: commands, SMTP greetings, the length limit', () => {
    const cases = ['USER x', 'PASS\r\n', 'EHLO a', 'ehlo\r', 'HeLo\n', 'LHLO ', 'VRFY root', 'expn\r', 'MAIL ', 'RCPT\n', 'RSET\r', 'REST 0', 'VRFYX', 'EHLOX', 'STORE', 'ABCD ', 'AB D ', 'HELO', '220-x', '120 ', '221 '];
    for (const s of cases) {
      const buf = Buffer.from('..' + s + 'ZZZZ', 'latin1');
      for (const [name, fn, re] of REFERENCE) {
        // the first bytes only: the table keeps 8 of each direction
        for (let len = 0; len <= s.length; len++) {
          expect(fn(buf, 2, len), `${name}(${JSON.stringify(s.slice(0, len))})`).toBe(re.test(s.slice(0, len)));
        }
      }
    }
  });
});
