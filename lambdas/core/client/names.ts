import { createHash } from 'node:crypto';
import { GoLiveClientError } from './errors';

/** Step Functions execution names: 1-80 characters, none of whitespace, brackets, wildcards or `"#%\^|~`$&,;:/`. */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;

/** `demo-2.0.0-20261126T100000Z`: readable, sortable, and the same for two starts in one second. */
export function executionNameFor(service: string, version: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${service}-${version.replace(/[^0-9A-Za-z.-]/g, '-')}-${stamp}`.slice(0, 80);
}

/**
 * The name of a start that must happen once per trigger (a Slack interaction retried, a request
 * replayed): derived from the trigger, so the repeat finds the execution the first one started.
 */
export function dedupeExecutionName(service: string, version: string, dedupeKey: string, label = 'slack'): string {
  const key = createHash('sha256').update(dedupeKey).digest('hex').slice(0, 12);
  return `${service}-${version.replace(/[^0-9A-Za-z-]/g, '-')}`.slice(0, 60) + `-${label}-${key}`;
}

/** The ARN prefix of a state machine's executions: `arn:…:execution:<machine>:`. */
export function executionPrefix(stateMachineArn: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
}

/**
 * A go-live named by its execution name or full ARN, as this state machine's execution ARN.
 * Anything else (another state machine's execution, a name Step Functions would refuse) is refused
 * here, naming what was expected.
 */
export function executionArnFor(stateMachineArn: string, ref: unknown): string {
  if (typeof ref !== 'string' || ref.trim() === '') {
    throw new GoLiveClientError('InvalidRequest', 'name the go-live: its execution name or ARN (see `golive history`)');
  }
  const prefix = executionPrefix(stateMachineArn);
  if (ref.startsWith('arn:')) {
    const name = ref.startsWith(prefix) ? ref.slice(prefix.length) : '';
    if (!EXECUTION_NAME.test(name)) {
      throw new GoLiveClientError(
        'InvalidRequest',
        `${ref} is not a go-live of this golive: its executions are ${prefix}<name>`,
      );
    }
    return ref;
  }
  if (!EXECUTION_NAME.test(ref)) {
    throw new GoLiveClientError(
      'InvalidRequest',
      `"${ref.slice(0, 100)}" is not an execution name (1-80 characters, no spaces or punctuation such as / : ; ,): see \`golive history\``,
    );
  }
  return `${prefix}${ref}`;
}

export function nameOf(executionArn: string): string {
  return executionArn.split(':').pop() ?? executionArn;
}
