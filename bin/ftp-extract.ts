#!/usr/bin/env node
import { createReadStream, readFileSync } from 'node:fs';
import { checkInputsOpen, Progress, runCli } from '../src/common/cli.js';
import { parseCommand, versionLine } from '../src/common/argv.js';
import { Counters } from '../src/common/bounds.js';
import { optEnum, optInt, optSize } from '../src/common/options.js';
import { normalizeExtractOptions } from '../src/extract/options.js';
import { OUTPUT_FORMATS } from '../src/extract/csv.js';
import { TIME_FORMATS } from '../src/common/time.js';
import { signaturesOption } from '../stages/cli-options.js';
import { runExtract } from '../stages/extract.js';

const USAGE = `usage: ftp-extract [options] [FILE...]   (no FILE or "-": stdin)
Input (detected, .gz too): a capture (pcap/pcapng: read as ftp-flows reads it, with its defaults, in this
process; several captures are one capture), flow NDJSON (ftp-flows / ftp-label), Zeek ftp.log (TSV or
JSON), Suricata eve.json.
  --format csv|seed          csv: the exchange dataset (default); seed: the study's srcip:sport-dstip:dport,label,command,code
  --time-format T            ts_request/ts_reply as epoch seconds (default) or iso (ISO 8601 UTC, as
                             Suricata's eve; ftp-gsp and ftp-match read either)
  --signatures SET           server labels: default (today's servers), study (the study's 25)
                             or a FILE of banner signatures (.csv prefix,label / .json)
  --show-passwords           keep PASS arguments (masked as **** by default)
  --no-args                  leave every argument empty
  --max-line-bytes N         cut longer lines, flag them overlong (default 8192)
  --max-command-bytes N      flag longer command words overlong (default 32)
  --max-reply-lines N        close longer multi-line replies (default 10000)
  --max-pending-commands N   commands waiting for replies per flow (default 1000)
  --max-record-bytes N       longest input line (default 512M)
  --max-buffered-rows N      Zeek/Suricata input: rows held to keep sessions together (default 1000000)
  --stats                    counters as JSON on stderr at the end
  --version                  the version`;

runCli('ftp-extract', async () => {
  const { values, positionals } = parseCommand('ftp-extract', {
      format: { type: 'string' },
      'time-format': { type: 'string' },
      signatures: { type: 'string' },
      'show-passwords': { type: 'boolean' },
      'no-args': { type: 'boolean' },
      'max-line-bytes': { type: 'string' },
      'max-command-bytes': { type: 'string' },
      'max-reply-lines': { type: 'string' },
      'max-pending-commands': { type: 'string' },
      'max-record-bytes': { type: 'string' },
      'max-buffered-rows': { type: 'string' },
      stats: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
  });
  if (values.version) {
    process.stdout.write(versionLine('ftp-extract'));
    return 0;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const format = optEnum(values, 'format', OUTPUT_FORMATS, 'csv');
  const counters = new Counters();
  const extract = normalizeExtractOptions({
    maxLineBytes: values['max-line-bytes'],
    maxCommandBytes: values['max-command-bytes'],
    maxReplyLines: values['max-reply-lines'],
    maxPendingCommands: values['max-pending-commands'],
    showPasswords: values['show-passwords'] ?? false,
    noArgs: values['no-args'] ?? false,
    counters,
    onWarning: (m: string) => process.stderr.write(`ftp-extract: warning: ${m}\n`),
  });
  const signatures = signaturesOption(values.signatures);
  const files = positionals.length ? positionals : ['-'];
  checkInputsOpen(files);
  const inputs = files.map((f) => (f === '-' ? { name: 'stdin', stream: process.stdin } : { name: f, stream: createReadStream(f), path: f }));
  try {
    await runExtract(inputs, process.stdout, {
      format,
      timeFormat: optEnum(values, 'time-format', TIME_FORMATS, 'epoch'),
      signatures,
      counters,
      extract: { ...extract },
      maxRecordBytes: optSize(values, 'max-record-bytes', 512 * 1024 * 1024),
      maxBufferedRows: optInt(values, 'max-buffered-rows', 1_000_000, 1),
      progress: new Progress('ftp-extract'),
      warn: (m: string) => process.stderr.write(`ftp-extract: warning: ${m}\n`),
    });
  } finally {
    if (values.stats) process.stderr.write(JSON.stringify(counters) + '\n');
  }
});
