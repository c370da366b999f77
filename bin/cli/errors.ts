/** Exit codes (DESIGN.md): the contract scripts rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, rollbackFailed: 4 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** Maps SDK/network failures to "the runtime is not running" with the fix. */
export function explainSdkError(err: unknown, endpoint: string): CliError {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const network = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'];
  if (
    network.includes(e.code ?? '') ||
    network.includes(e.cause?.code ?? '') ||
    /ECONNREFUSED|socket hang up/.test(e.message ?? '')
  ) {
    return new CliError(
      `cannot reach the Step Functions endpoint at ${endpoint}: is the local runtime running? Start it with \`golive local up\` ` +
        '(or point --endpoint / GOLIVE_ENDPOINT at a running one).',
      EXIT.unreachable,
    );
  }
  if (e.name === 'ExecutionDoesNotExist') {
    return usageError(`${e.message ?? 'execution does not exist'}: list executions with \`golive history\``);
  }
  return new CliError(`${e.name ?? 'Error'}: ${e.message ?? String(err)}`, EXIT.failed);
}
