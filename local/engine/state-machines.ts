import type { DescribeStateMachineForExecutionOutput } from '@aws-sdk/client-sfn';
import {
  decodePageToken,
  encodePageToken,
  getExecutionRow,
  getStateMachineRow,
  pageSize,
  requireString,
  validateName,
  type ApiScope,
} from './api-input';
import type {
  CreateStateMachineInput,
  DescribeStateMachineResult,
  LambdaHandler,
  ListStateMachinesResult,
} from './api-types';
import { prepareDefinition, prepareSubstituted, type PreparedDefinition } from './definition';
import { SfnError } from './errors';
import type { StateMachineRow } from './store';

/** State machines: their rows in the store and, per ARN, the prepared definition new executions run. */
export class StateMachines {
  private readonly prepared = new Map<string, PreparedDefinition>();

  constructor(
    private readonly scope: ApiScope,
    private readonly functions: Record<string, LambdaHandler>,
  ) {}

  create(input: CreateStateMachineInput): { stateMachineArn: string; creationDate: Date } {
    const { region, accountId, store } = this.scope;
    const name = validateName(input.name, 'state machine');
    const definition = requireString(input.definition, 'definition');
    const prepared = prepareDefinition(
      definition,
      input.substitutions ?? {},
      Object.keys(this.functions),
      region,
      accountId,
    );
    const arn = `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
    const existing = store.getStateMachine(arn);
    const now = Date.now();
    const row: StateMachineRow = {
      arn,
      name,
      definition: prepared.definition,
      roleArn: input.roleArn ?? existing?.roleArn ?? `arn:aws:iam::${accountId}:role/golive-local-${name}`,
      creationDate: existing?.creationDate ?? now,
      updateDate: now,
    };
    store.upsertStateMachine(row);
    // Running executions keep the definition they started with, as on AWS.
    this.prepared.set(arn, prepared);
    return { stateMachineArn: arn, creationDate: new Date(row.creationDate) };
  }

  describe(input: { stateMachineArn: string }): DescribeStateMachineResult {
    const row = this.row(input?.stateMachineArn);
    return {
      stateMachineArn: row.arn,
      name: row.name,
      status: 'ACTIVE',
      definition: row.definition,
      roleArn: row.roleArn,
      type: 'STANDARD',
      creationDate: new Date(row.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  /** `runningDefinition` gives the definition a live execution started with, if it runs in this process. */
  describeForExecution(
    input: { executionArn: string },
    runningDefinition: (executionArn: string) => string | undefined,
  ): DescribeStateMachineForExecutionOutput {
    const execution = getExecutionRow(this.scope, input?.executionArn);
    const row = this.scope.store.getStateMachine(execution.stateMachineArn);
    if (!row)
      throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${execution.stateMachineArn}'`);
    return {
      stateMachineArn: row.arn,
      name: row.name,
      definition: runningDefinition(execution.arn) ?? row.definition,
      roleArn: row.roleArn,
      updateDate: new Date(row.updateDate),
    };
  }

  list(input: { maxResults?: number; nextToken?: string } = {}): ListStateMachinesResult {
    const limit = pageSize(input.maxResults);
    const after = decodePageToken<string>(input.nextToken, 'stateMachines', 'string');
    const rows = this.scope.store.listStateMachines(after, limit + 1);
    const page = rows.slice(0, limit);
    return {
      stateMachines: page.map((r) => ({
        stateMachineArn: r.arn,
        name: r.name,
        type: 'STANDARD',
        creationDate: new Date(r.creationDate),
      })),
      nextToken: rows.length > limit ? encodePageToken(page[page.length - 1].name, 'stateMachines') : undefined,
    };
  }

  /** The row of a state machine ARN given to the API (StateMachineDoesNotExist otherwise). */
  row(stateMachineArn: unknown): StateMachineRow {
    return getStateMachineRow(this.scope, stateMachineArn);
  }

  /** The prepared definition a new execution of `row` runs (prepared once per process). */
  load(row: StateMachineRow): PreparedDefinition {
    let prepared = this.prepared.get(row.arn);
    if (!prepared) {
      prepared = prepareSubstituted(row.definition);
      this.prepared.set(row.arn, prepared);
    }
    return prepared;
  }
}
