#!/usr/bin/env node
import { createReadStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkInputsOpen, Progress, runCli } from '../src/common/cli.js';
import { Counters } from '../src/common/bounds.js';
import { optEnum, optInt, optSize } from '../src/common/options.js';
import { normalizeExtractOptions } from '../src/extract/options.js';
import { OUTPUT_FORMATS } from '../src/extract/csv.js';
import { parseSignatureFile } from '../src/label/signatures.js';
import { runExtract } from '../stages/extract.js';

const USAGE = `usage: ftp-extract [options] [FILE...]   (no FILE or "-": stdin)
Input (detected): flow NDJSON (ftp-flows / ftp-label), Zeek ftp.log (TSV or JSON), Suricata eve.json.
  --format csv|seed          csv: the exchange dataset (default); seed: the study's srcip:sport-dstip:dport,label,command,code
  --signatures FILE          banner signatures (.json or .csv) for flows without a label
  --show-passwords           keep PASS arguments (masked as **** by default)
  --no-args                  leave every argument empty
  --max-line-bytes N         cut longer lines, flag them overlong (default 8192)
  --max-command-bytes N      flag longer command words overlong (default 32)
  --max-reply-lines N        close longer multi-line replies (default 10000)
  --max-pending-commands N   commands waiting for replies per flow (default 1000)
  --max-record-bytes N       longest input line (default 512M)
  --max-buffered-rows N      Zeek/Suricata input: rows held to keep sessions together (default 1000000)
  --stats                    counters as JSON on stderr at the end`;

runCli('ftp-extract', async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      format: { type: 'string' },
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
    },
  });
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
  });
  const signatures = values.signatures ? parseSignatureFile(readFileSync(values.signatures, 'utf8'), values.signatures) : undefined;
  const files = positionals.length ? positionals : ['-'];
  checkInputsOpen(files);
  const inputs = files.map((f) => ({ name: f === '-' ? 'stdin' : f, stream: f === '-' ? process.stdin : createReadStream(f) }));
  try {
    await runExtract(inputs, process.stdout, {
      format,
      signatures,
      counters,
      extract: { ...extract },
      maxRecordBytes: optSize(values, 'max-record-bytes', 512 * 1024 * 1024),
      maxBufferedRows: optInt(values, 'max-buffered-rows', 1_000_000, 1),
      progress: new Progress('ftp-extract'),
    });
  } finally {
    if (values.stats) process.stderr.write(JSON.stringify(counters) + '\n');
  }
});
