#!/usr/bin/env node
// The `archy` executable. Everything else lives in program.ts so it can be tested in-process.
import { runCli } from './program.js';

// Not a top-level await: in the bundled build the lazily loaded chunks (daemon, pipeline)
// import shared code from this entry chunk, and an entry still awaiting them would never finish.
void runCli(process.argv).then((code) => {
  process.exitCode = code;
});
