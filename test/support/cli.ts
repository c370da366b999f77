import { main, type Io } from '../../bin/cli/main';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `golive <args>` in-process through the CLI's main(), as a terminal would, capturing what it prints. */
export async function runCli(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
