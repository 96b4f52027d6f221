import { describe, it, expect } from 'vitest';
import { parseEprtArg, parseEpsvReply, parsePasvReply, parsePortArg, type Announcement } from '../src/common/ftp-data.js';
import { ControlLines, type Announced } from '../src/flows/data-channels.js';

/**
 * ControlLines reads announcements from the bytes (227/PORT as numbers, EPRT |1| in place, LFs found
 * natively when a segment ends a line, byte by byte otherwise); ftp-data's string parsers are the
 * reference. Every stream is cut at every position, so that each line is read whole, carried across
 * a segment end, and from segments that end with and without a line end.
 */

/** server lines (side 1) and client lines (side 0); odd forms on purpose */
const SERVER = [
  '220 ready',
  '227 Entering Passive Mode (10,0,0,5,195,80)',
  '227 Entering Passive Mode (10, 0 ,0,5, 4,1).',
  '227 =192,168,1,200,0,21',
  '227 Entering Passive Mode (256,0,0,5,1,1) (10,0,0,6,1,2)',
  '227 Entering Passive Mode (10,0,0,5,0,0)',
  '227 Entering Passive Mode (1000,0,0,5,1,1)',
  '229 Entering Extended Passive Mode (|||6446|)',
  '229 Entering Extended Passive Mode (!!!65535!)',
  '229 Entering Extended Passive Mode (|||0|)',
  '229 Entering Extended Passive Mode (|||65536|) (|||21|)',
  '229 Entering Extended Passive Mode (111211)',
  '229-first line (|||1234|)',
  '2270 not a reply',
  '150 Opening data connection',
];
const CLIENT = [
  'USER anonymous',
  'PORT 10,0,0,7,4,210',
  'port 10,0,0,7,4,211',
  'PORT 10,0,0,7,0,0',
  'PORT 10,0,0,7,256,1',
  'EPRT |1|132.235.1.2|6275|',
  'eprt !1!132.235.1.2!6276!',
  'EPRT  |1|10.0.0.1|21|',
  'EPRT |1|10.0.0.01|22|',
  'EPRT |1|10.0.0.256|23|',
  'EPRT |1|1.2.3.4|0|',
  'EPRT |1|1.2.3.4|65536|',
  'EPRT |1|1.2.3.4|123456|',
  'EPRT |1| 1.2.3.4 |24|',
  'EPRT |1|1.2.3|25|',
  'EPRT |1|1.2.3.4|26',
  'EPRT 111.2.3.4.1127.1',
  'EPRT .1.1.2.3.4.28.',
  'EPRT |2|::1|6275|',
  'EPRT |2|2001:db8::5|29|',
  'EPRT |3|1.2.3.4|30|',
  'EPRTX |1|1.2.3.4|31|',
  'RETR file',
];

interface Seen {
  active: boolean;
  own: boolean;
  ip: string | null;
  port: number;
}

const dotted = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const seen = (a: Announced): Seen => ({ active: a.active, own: a.own, ip: a.own ? null : a.v6 ? a.ip6 : dotted(a.ip4), port: a.port });

/** what the string parsers make of a line (the text after the code or command word, CR included) */
function expected(server: boolean, line: string): Seen | null {
  let a: Announcement | null = null;
  const arg = line.slice(5) + '\r';
  if (server && line.startsWith('227 ')) a = parsePasvReply(arg);
  else if (server && line.startsWith('229 ')) a = parseEpsvReply(arg);
  else if (!server && /^port /i.test(line)) a = parsePortArg(arg);
  else if (!server && /^eprt /i.test(line)) a = parseEprtArg(arg);
  if (!a) return null;
  if (a.ip === null) return { active: false, own: true, ip: null, port: a.port };
  return { active: a.mode === 'active', own: false, ip: a.ip, port: a.port };
}

/** feed one direction's stream cut at `cut` (and the rest in one piece), return what was announced */
function announced(side: number, text: string, cut: number): Seen[] {
  const out: Seen[] = [];
  const cl = new ControlLines(1, (a) => out.push(seen(a)));
  // the bytes sit inside a larger buffer, as a packet in a capture block (indexOf must stop at the segment)
  const pad = Buffer.from('\n\n227 Entering Passive Mode (9,9,9,9,9,9)\r\n');
  const bytes = Buffer.from(text, 'latin1');
  const block = Buffer.concat([pad, bytes, pad]);
  const at = pad.length;
  cl.feed(side, block, at, cut, 0);
  cl.feed(side, block, at + cut, bytes.length - cut, 0);
  return out;
}

describe('ControlLines: announcements read from the bytes', () => {
  for (const [name, side, lines] of [['server', 1, SERVER], ['client', 0, CLIENT]] as const) {
    it(`${name} lines give what ftp-data's string parsers give, cut at every byte`, () => {
      const want = lines.map((l) => expected(side === 1, l)).filter((a): a is Seen => a !== null);
      // the reference itself sees announcements and refusals (the list is not all one kind)
      expect(want.length).toBeGreaterThan(4);
      expect(want.length).toBeLessThan(lines.length - 4);
      const text = lines.map((l) => l + '\r\n').join('');
      for (let cut = 0; cut <= text.length; cut++) expect(announced(side, text, cut), `cut at ${cut}`).toEqual(want);
    });
  }

  it('a line without its line end is not read until the LF comes', () => {
    const out: Seen[] = [];
    const cl = new ControlLines(1, (a) => out.push(seen(a)));
    const feed = (si: number, text: string): void => cl.feed(si, Buffer.from(text), 0, text.length, 0);
    feed(0, 'EPRT |1|10.1.2.3|4000|\r');
    expect(out).toEqual([]);
    feed(0, '\nNOOP\r\n');
    expect(out).toEqual([{ active: true, own: false, ip: '10.1.2.3', port: 4000 }]);
  });

  it('a hole loses the line it cuts', () => {
    const out: Seen[] = [];
    const cl = new ControlLines(1, (a) => out.push(seen(a)));
    const feed = (si: number, text: string): void => cl.feed(si, Buffer.from(text), 0, text.length, 0);
    feed(1, '227 Entering Passive Mode (10,0,0');
    cl.gap(1);
    feed(1, ',5,1,1)\r\n227 Entering Passive Mode (10,0,0,5,1,2)\r\n');
    expect(out).toEqual([{ active: false, own: false, ip: '10.0.0.5', port: 258 }]);
  });
});
