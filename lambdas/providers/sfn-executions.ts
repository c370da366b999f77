import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionState, Executions } from '../core/ports';

/** DescribeExecution through @aws-sdk/client-sfn: AWS, or the local endpoint. */
export class SfnExecutions implements Executions {
  constructor(private readonly client: SFNClient) {}

  async describe(executionArn: string): Promise<ExecutionState | undefined> {
    try {
      const { status, error, cause } = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return { status: status ?? 'UNKNOWN', ...(error ? { error } : {}), ...(cause ? { cause } : {}) };
    } catch (err) {
      // Never started, or older than Step Functions keeps history (90 days).
      if (err instanceof Error && err.name === 'ExecutionDoesNotExist') return undefined;
      throw err;
    }
  }
}
