#!/usr/bin/env node
// The `archy` executable. Everything else lives in program.ts so it can be tested in-process.
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
