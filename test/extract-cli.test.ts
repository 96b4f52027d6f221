import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { flowOf } from './extract-helpers.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXTRACT = join(ROOT, 'dist/bin/ftp-extract.js');
const LABEL = join(ROOT, 'dist/bin/ftp-label.js');
const dir = mkdtempSync(join(tmpdir(), 'ftp-extract-cli-'));
const flowLine = (id: string) => JSON.stringify({ ...flowOf([['s', '220 ftp.x.org FTP server (GNU inetutils 2.4) ready\r\n'], ['c', 'USER a\r\n'], ['s', '331 ok\r\n']]), id });

describe('ftp-extract CLI', () => {
  it('bad NDJSON line: rows of the earlier flows are written, error names the line, exit 2', () => {
    const f = join(dir, 'bad.ndjson');
    writeFileSync(f, `${flowLine('F1')}\n${flowLine('F2')}\n{"type":"flow","v":1,"id":\n${flowLine('F4')}\n`);
    const r = spawnSync('node', [EXTRACT, f], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`ftp-extract: ${f}: line 3: invalid JSON`);
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => `${x.flow_id} ${x.command} ${x.final_code} ${x.label}`)).toEqual([
      'F1 <greeting> 220 inetutils-ftpd', 'F1 USER 331 inetutils-ftpd', 'F2 <greeting> 220 inetutils-ftpd', 'F2 USER 331 inetutils-ftpd',
    ]);
  });
  it('a record of another version is refused with its line number', () => {
    const r = spawnSync('node', [EXTRACT], { input: `${flowLine('F1')}\n${JSON.stringify({ ...JSON.parse(flowLine('F2')), v: 2 })}\n`, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/stdin: line 2: flow record version 2/);
  });
  it('closed stdout (| head -1) exits 0 quietly', () => {
    const f = join(dir, 'many.ndjson');
    writeFileSync(f, Array.from({ length: 20000 }, (_, i) => flowLine(`F${i}`)).join('\n') + '\n');
    const r = spawnSync('bash', ['-c', `set -o pipefail; node ${EXTRACT} ${f} | head -1`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('flow_id,community_id,client_ip,client_port,server_ip,server_port,label,index,ts_request,ts_reply,command,arg,reply_codes,final_code,flags,tags,flow_end,reply_path,data_bytes,data_direction,data_duration,data_mode,data_peer,data_type,data_flags');
    expect(r.stderr).toBe('');
  });
  it('reads a Zeek ftp.log and a Suricata eve.json (auto-detected)', () => {
    const zeek = join(ROOT, '../shared/corpus/zeek/fake-server-delays-all/scripts.base.protocols.ftp.ftp-max-pending-commands/ftp.log');
    const z = spawnSync('node', [EXTRACT, zeek], { encoding: 'utf8' });
    expect(z.status).toBe(0);
    expect((parse(z.stdout, { columns: true }) as Record<string, string>[]).map((x) => `${x.command} ${x.final_code}`)).toEqual(['USER 230', 'SYST 215']);
    const eve = join(dir, 'eve.json');
    writeFileSync(eve, [
      { timestamp: '2019-10-10T11:06:06.373524+0000', flow_id: 7, event_type: 'ftp', src_ip: '10.0.0.1', src_port: 4000, dest_ip: '10.0.0.2', dest_port: 21, ftp: { reply: ['(vsFTPd 2.3.5)'], completion_code: ['220'] } },
      { timestamp: '2019-10-10T11:06:07.000000+0000', flow_id: 7, event_type: 'flow', src_ip: '10.0.0.1' },
      { timestamp: '2019-10-10T11:06:08.5+0000', flow_id: 7, event_type: 'ftp', src_ip: '10.0.0.1', src_port: 4000, dest_ip: '10.0.0.2', dest_port: 21, ftp: { command: 'RETR', command_data: 'x', reply: ['Here', 'Done'], completion_code: ['150', '226'], reply_received: 'yes' } },
    ].map((o) => JSON.stringify(o)).join('\n') + '\n');
    const e = spawnSync('node', [EXTRACT, eve], { encoding: 'utf8' });
    expect(e.status).toBe(0);
    expect((parse(e.stdout, { columns: true }) as Record<string, string>[]).map((x) => `${x.index} ${x.command} ${x.reply_codes} ${x.ts_request}`)).toEqual([
      '0 <greeting> 220 1570705566.373524', '1 RETR 150 226 1570705568.5',
    ]);
  });
});

describe('ftp-label CLI', () => {
  it('adds label and greeting; --suggest prints a signature file', () => {
    const r = spawnSync('node', [LABEL], { input: flowLine('F1') + '\n', encoding: 'utf8' });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect([out.id, out.label, out.greeting]).toEqual(['F1', 'inetutils-ftpd', '220 ftp.x.org FTP server (GNU inetutils 2.4) ready\r\n']);
    const s = spawnSync('node', [LABEL, '--suggest'], { input: flowLine('F1') + '\n' + flowLine('F2') + '\n', encoding: 'utf8' });
    expect(s.stdout).toContain('# 2 flows;');
    expect(s.stdout).toContain('220 <domain> FTP server (GNU inetutils 2.4) ready,gnuinetutils');
  });
  it('bad NDJSON line: earlier labelled flows are written, error names the line, exit 2', () => {
    const r = spawnSync('node', [LABEL], { input: `${flowLine('F1')}\n\n{"type":"flow","v":1}\n${flowLine('F4')}\n`, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ftp-label: stdin: line 3: flow record lacks id, client or server');
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['F1']);
  });
  it('a bad signature file is an error naming the line', () => {
    const sig = join(dir, 'bad.csv');
    writeFileSync(sig, 'prefix,label\n220 a,a,b\n');
    const r = spawnSync('node', [LABEL, '--signatures', sig], { input: flowLine('F1') + '\n', encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${sig}: line 2:`);
  });
});
