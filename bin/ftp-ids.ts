#!/usr/bin/env node
import { runCli } from '../src/common/cli.js';
import { idsMain } from '../src/ids/command.js';

runCli('ftp-ids', () => idsMain(process.argv.slice(2), (s) => void process.stdout.write(s)));
