#!/usr/bin/env node
import { runCli } from '../src/common/cli.js';
import { gspMain } from '../stages/gsp.js';

runCli('ftp-gsp', () => gspMain(process.argv.slice(2)));
