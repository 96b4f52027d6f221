#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runCli } from '../src/common/cli.js';
import { matchCommandOptions, MATCH_OPTION_SPEC, MATCH_USAGE, readModelFile } from '../stages/cli-options.js';
import { runMatch } from '../stages/match.js';

runCli('ftp-match', async () => {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: MATCH_OPTION_SPEC });
  if (values.help) {
    process.stdout.write(MATCH_USAGE('ftp-match [options] --model MODEL [FILE...]'));
    return 0;
  }
  const model = readModelFile(values.model, values);
  const opts = matchCommandOptions(values);
  const result = await runMatch(positionals, model, process.stdout, opts);
  if (values.stats) process.stderr.write(JSON.stringify({ ...result.counters.toJSON(), sessions: result.sessions, flagged: result.flagged }) + '\n');
  return values['fail-on-alert'] && result.flagged > 0 ? 1 : 0;
});
