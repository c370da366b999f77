#!/usr/bin/env node
/** The golive CLI. Logic lives in bin/cli/; this file only wires the process. */
import { main } from './cli/main';

// The SDK warns on every run that Node 20 support ends in 2027; golive supports Node >= 20 and
// says so in the README, so the CLI keeps its output for the go-live.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`golive: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
