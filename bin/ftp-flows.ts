#!/usr/bin/env node
import { runCli } from '../src/common/cli.js';
import { parseCommand, versionLine } from '../src/common/argv.js';
import { runFlowsCommand } from '../src/flows/command.js';

runCli('ftp-flows', async () => {
  const { values, positionals } = parseCommand('ftp-flows', {
      all: { type: 'boolean' },
      port: { type: 'string', multiple: true },
      'idle-timeout': { type: 'string' },
      'max-flows': { type: 'string' },
      'max-flow-bytes': { type: 'string' },
      'max-buffered-bytes': { type: 'string' },
      'detect-bytes': { type: 'string' },
      'max-record-bytes': { type: 'string' },
      'max-fragment-datagrams': { type: 'string' },
      'max-fragment-bytes': { type: 'string' },
      'fragment-timeout': { type: 'string' },
      'max-expected-data': { type: 'string' },
      'data-timeout': { type: 'string' },
      strict: { type: 'boolean' },
      stats: { type: 'boolean' },
      'stats-format': { type: 'string' },
      'time-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
  });
  if (values.version) {
    process.stdout.write(versionLine('ftp-flows'));
    return 0;
  }
  return runFlowsCommand(values, positionals);
});
