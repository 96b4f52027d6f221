#!/usr/bin/env node
import { checkInputsOpen, EXIT_FLAGGED, EXIT_OK, Progress, runCli } from '../src/common/cli.js';
import { parseCommand, versionLine } from '../src/common/argv.js';
import { matchCommandOptions, MATCH_OPTION_SPEC, MATCH_USAGE, readModelFile } from '../stages/cli-options.js';
import { runMatch } from '../stages/match.js';

runCli('ftp-match', async () => {
  const { values, positionals } = parseCommand('ftp-match', MATCH_OPTION_SPEC);
  if (values.version) {
    process.stdout.write(versionLine('ftp-match'));
    return 0;
  }
  if (values.help) {
    process.stdout.write(MATCH_USAGE('ftp-match [options] --model MODEL [FILE...]'));
    return 0;
  }
  const model = readModelFile(values.model, values);
  const opts = matchCommandOptions(values);
  checkInputsOpen(positionals);
  const result = await runMatch(positionals, model, process.stdout, { ...opts, progress: new Progress('ftp-match') });
  if (values.stats) process.stderr.write(JSON.stringify({ ...result.counters.toJSON(), sessions: result.sessions, flagged: result.flagged }) + '\n');
  return values['fail-on-alert'] && result.flagged > 0 ? EXIT_FLAGGED : EXIT_OK;
});
