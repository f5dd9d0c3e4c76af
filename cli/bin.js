#!/usr/bin/env node
'use strict';
// The rollgate command (package.json "bin"): runs the TypeScript CLI through tsx, so that
// `npx rollgate …` works in a checkout without a build step.
require('tsx/cjs');
const { runRollgate } = require('./rollgate');

// A reader that stops early (`rollgate graph plan.yaml | head`) is no error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

runRollgate(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`rollgate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
