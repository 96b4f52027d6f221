#!/usr/bin/env node
import { createReadStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkInputsOpen, runCli } from '../src/common/cli.js';
import { optInt } from '../src/common/options.js';
import { parseSignatureFile } from '../src/label/signatures.js';
import { runLabel } from '../stages/label.js';

const USAGE = `usage: ftp-label [options] [FILE...]   (flow NDJSON; no FILE or "-": stdin)
  --signatures FILE          banner signatures (.json or .csv; default: the study's 25)
  --suggest                  print a signature file proposed from the greetings instead of flows
  --relabel                  label flows that already carry a label again
  --max-greeting-bytes N     greeting text kept per flow (default 4096)`;

runCli('ftp-label', async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      signatures: { type: 'string' },
      suggest: { type: 'boolean' },
      relabel: { type: 'boolean' },
      'max-greeting-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const signatures = values.signatures ? parseSignatureFile(readFileSync(values.signatures, 'utf8'), values.signatures) : undefined;
  const files = positionals.length ? positionals : ['-'];
  checkInputsOpen(files);
  const inputs = files.map((f) => ({ name: f === '-' ? 'stdin' : f, stream: f === '-' ? process.stdin : createReadStream(f) }));
  await runLabel(inputs, process.stdout, {
    signatures,
    suggest: values.suggest ?? false,
    relabel: values.relabel ?? false,
    maxGreetingBytes: optInt(values, 'max-greeting-bytes', 4096, 16),
  });
});
