import { parseArgs, type ParseArgsConfig } from 'node:util';
import { StateTooNew } from '../../local/sqlite-schema';
import { CliError, EXIT, EXIT_HELP, usageError } from './errors';
import {
  abortCommand,
  approveCommand,
  attestCommand,
  historyCommand,
  startCommand,
  statusCommand,
  watchCommand,
} from './commands/executions';
import { auditCommand } from './commands/audit';
import {
  breakGlassCommand,
  pauseCommand,
  promoteCommand,
  resumeCommand,
  retryCommand,
  reviewCloseCommand,
  reviewListCommand,
  rollbackCommand,
} from './commands/controls';
import { configCommand } from './commands/config';
import { demoCommand } from './commands/demo';
import { freezeListCommand } from './commands/freeze';
import { localUpCommand } from './commands/local';
import { localFaultCommand } from './commands/local-fault';
import { metricsCommand } from './commands/metrics';
import { readinessCommand } from './commands/readiness';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;
const GLOBAL: Options = {
  config: { type: 'string' },
  home: { type: 'string' },
  endpoint: { type: 'string' },
  api: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export interface Command {
  usage: string;
  summary: string;
  options: Options;
  run(args: { positionals: string[]; values: Record<string, string | boolean | undefined> }, io: Io): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  demo: demoCommand,
  'local up': localUpCommand,
  'local fault': localFaultCommand,
  'freeze list': freezeListCommand,
  start: startCommand,
  watch: watchCommand,
  status: statusCommand,
  approve: approveCommand('approve'),
  reject: approveCommand('reject'),
  attest: attestCommand,
  abort: abortCommand,
  history: historyCommand,
  config: configCommand,
  readiness: readinessCommand,
  audit: auditCommand,
  metrics: metricsCommand,
  pause: pauseCommand,
  resume: resumeCommand,
  promote: promoteCommand,
  retry: retryCommand,
  rollback: rollbackCommand,
  'break-glass approve': breakGlassCommand('approve'),
  'break-glass reject': breakGlassCommand('reject'),
  'review list': reviewListCommand,
  'review close': reviewCloseCommand,
};

const GLOBAL_HELP = `Global options:
  --config <file>     golive.config.yaml to use (default: ./golive.config.yaml, else the bundled demo config)
  --home <dir>        local state directory (default: ./.golive, or GOLIVE_HOME)
  --api <url>         control API that start, status, history, approve, reject, attest, abort and the
                      release controls (pause, resume, promote, retry, rollback, break-glass, review) act through
                      (default: GOLIVE_API, else the local runtime of --home, else http://127.0.0.1:8084;
                      on AWS the stack's ControlApiUrl output: requests are signed with your AWS credentials)
  --endpoint <url>    Step Functions endpoint that watch and audit read (default: GOLIVE_ENDPOINT, else
                      http://127.0.0.1:8083; with an AWS --api, that region's Step Functions)
  --json              machine-readable output
  -h, --help          this help

${EXIT_HELP}`;

function topHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}`);
  return `golive — go-live orchestrator (AWS Step Functions, driven from Slack; runnable locally)

Usage: golive <command> [options]

Commands:
${lines.join('\n')}

Run \`golive <command> --help\` for a command's options.

${GLOBAL_HELP}`;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [first, second] = argv;
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    io.out(topHelp());
    return first ? EXIT.ok : EXIT.usage;
  }
  // Grouped commands (`local up`, `freeze list`) are named by their first two words.
  const group = Object.keys(COMMANDS).some((c) => c.startsWith(`${first} `));
  const name = group ? `${first} ${second ?? ''}`.trim() : first;
  const command = COMMANDS[name];
  if (!command) {
    io.err(
      group
        ? `unknown command "golive ${name}": ${first} commands are ${Object.keys(COMMANDS)
            .filter((c) => c.startsWith(`${first} `))
            .map((c) => `\`golive ${c}\``)
            .join(', ')}`
        : `unknown command "${first}". Commands: ${Object.keys(COMMANDS).join(', ')}. See \`golive --help\`.`,
    );
    return EXIT.usage;
  }
  const rest = argv.slice(name.split(' ').length);
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...GLOBAL, ...command.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw usageError(`${(err as Error).message}\nUsage: ${command.usage}`);
    }
    if (parsed.values.help) {
      io.out(`Usage: ${command.usage}\n\n${command.summary}\n\n${GLOBAL_HELP}`);
      return EXIT.ok;
    }
    return await command.run(parsed as never, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`golive: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof StateTooNew) {
      io.err(`golive: ${err.message}`);
      return EXIT.unreachable; // the local state is unusable by this golive
    }
    io.err(`golive: unexpected error: ${(err as Error).stack ?? String(err)}`);
    return EXIT.failed;
  }
}
