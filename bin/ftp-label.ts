#!/usr/bin/env node
import { createReadStream, readFileSync } from 'node:fs';
import { checkInputsOpen, runCli } from '../src/common/cli.js';
import { parseCommand, versionLine } from '../src/common/argv.js';
import { optEnum, optInt } from '../src/common/options.js';
import { TIME_FORMATS } from '../src/common/time.js';
import { signaturesOption } from '../stages/cli-options.js';
import { runLabel } from '../stages/label.js';

const USAGE = `usage: ftp-label [options] [FILE...]   (flow NDJSON; no FILE or "-": stdin)
  --signatures SET           server labels: default (today's servers), study (the study's 25)
                             or a FILE of banner signatures (.csv prefix,label / .json)
  --suggest                  print a signature file proposed from the greetings instead of flows
  --relabel                  label flows that already carry a label again
  --max-greeting-bytes N     greeting text kept per flow (default 4096)
  --time-format T            epoch (default) | iso: the records' times (ISO 8601 UTC, as ftp-flows --time-format iso)
  --version                  the version`;

runCli('ftp-label', async () => {
  const { values, positionals } = parseCommand('ftp-label', {
      signatures: { type: 'string' },
      suggest: { type: 'boolean' },
      relabel: { type: 'boolean' },
      'max-greeting-bytes': { type: 'string' },
      'time-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
  });
  if (values.version) {
    process.stdout.write(versionLine('ftp-label'));
    return 0;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const signatures = signaturesOption(values.signatures);
  const files = positionals.length ? positionals : ['-'];
  checkInputsOpen(files);
  const inputs = files.map((f) => ({ name: f === '-' ? 'stdin' : f, stream: f === '-' ? process.stdin : createReadStream(f) }));
  await runLabel(inputs, process.stdout, {
    signatures,
    suggest: values.suggest ?? false,
    relabel: values.relabel ?? false,
    maxGreetingBytes: optInt(values, 'max-greeting-bytes', 4096, 16),
    timeFormat: optEnum(values, 'time-format', TIME_FORMATS, 'epoch'),
  });
});
