#!/usr/bin/env node
/** The golive CLI. Logic lives in bin/cli/; this file only wires the process. */
import { main } from './cli/main';

// The SDK warns on every run that Node 20 support ends in 2027; golive supports Node >= 20 and
// says so in the README, so the CLI keeps its output for the go-live.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `golive history | head -1`: once the reader is gone there is nobody left to tell, so the command
// ends quietly with what it would have answered, rather than with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

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
