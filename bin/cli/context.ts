import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { executionArnFor } from '../../lambdas/core/client/names';
import { ConfigError, type GoLiveConfig } from '../../lambdas/core/config';
import { loadConfig } from '../../lambdas/core/config-file';
import { eachPage } from '../../lambdas/providers/pages';
import { STATE_MACHINE_NAME, sfnClient } from '../../local/runtime';
import { CliError, EXIT, explainSdkError, usageError } from './errors';

export interface GlobalOptions {
  config?: string;
  home?: string;
  endpoint?: string;
  /** The control API (bin/cli/api.ts): where start, status, history, votes and aborts go. */
  api?: string;
  json?: boolean;
}

/** The config next to the user's working directory wins; otherwise the bundled demo config. */
export function configPath(opts: GlobalOptions): string {
  if (opts.config) return resolve(opts.config);
  if (process.env.GOLIVE_CONFIG) return resolve(process.env.GOLIVE_CONFIG);
  const local = resolve('golive.config.yaml');
  return existsSync(local) ? local : join(__dirname, '..', '..', 'golive.config.yaml');
}

export function readConfig(opts: GlobalOptions): GoLiveConfig {
  try {
    return loadConfig(configPath(opts));
  } catch (err) {
    if (err instanceof ConfigError) throw usageError(err.message);
    throw err;
  }
}

export function homeDir(opts: GlobalOptions): string {
  return resolve(opts.home ?? process.env.GOLIVE_HOME ?? '.golive');
}

export function endpointUrl(opts: GlobalOptions): string {
  return opts.endpoint ?? process.env.GOLIVE_ENDPOINT ?? 'http://127.0.0.1:8083';
}

/**
 * The local runtime's endpoint takes any credentials; another one (AWS: https://states.<region>.amazonaws.com)
 * gets the caller's, from the standard AWS credential chain.
 */
function stepFunctionsClient(endpoint: string): SFNClient {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    throw usageError(`--endpoint "${endpoint}" is not a URL: e.g. http://127.0.0.1:8083`);
  }
  if (['127.0.0.1', 'localhost', '[::1]'].includes(host)) return sfnClient(endpoint);
  const region = /^states[.-](?:fips[.-])?([a-z0-9-]+)\.amazonaws\.com/.exec(host)?.[1] ?? process.env.AWS_REGION;
  return new SFNClient({ endpoint, ...(region ? { region } : {}) });
}

export class Remote {
  readonly sfn: SFNClient;
  private machineArn?: string;
  constructor(readonly endpoint: string) {
    this.sfn = stepFunctionsClient(endpoint);
  }

  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw explainSdkError(err, this.endpoint);
    }
  }

  /** The pages of an SDK paginator over this client, each request's failure explained like `call`. */
  pages<T>(pages: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
    return eachPage(pages, (request) => this.call(request));
  }

  async stateMachineArn(): Promise<string> {
    if (this.machineArn) return this.machineArn;
    const { stateMachines = [] } = await this.call(() => this.sfn.send(new ListStateMachinesCommand({})));
    const machine = stateMachines.find((m) => m.name === STATE_MACHINE_NAME || m.name?.startsWith('GoLive'));
    if (!machine?.stateMachineArn) {
      throw new CliError(
        `no golive state machine at ${this.endpoint}: start the local runtime with \`golive local up\``,
        EXIT.unreachable,
      );
    }
    this.machineArn = machine.stateMachineArn;
    return this.machineArn;
  }

  /** Accepts a full execution ARN or just its name. */
  async executionArn(ref: string | undefined): Promise<string> {
    if (!ref) throw usageError('name the execution (its name or ARN, see `golive history`)');
    if (ref.startsWith('arn:')) return ref;
    // Name → ARN exists once, in the client core (lambdas/core/client/names.ts).
    return executionArnFor(await this.stateMachineArn(), ref);
  }

  close(): void {
    this.sfn.destroy();
  }
}
