#!/usr/bin/env node
import { runCli } from '../src/common/cli.js';
import { idsMain } from '../stages/ids.js';

runCli('ftp-ids', () => idsMain(process.argv.slice(2), (s) => void process.stdout.write(s)));
