import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskCallbacks } from '../core/ports';

/** A task that already ended (timed out, decided, aborted) answers with one of these. */
const CLOSED_TASK_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** SendTaskSuccess / SendTaskFailure through @aws-sdk/client-sfn: AWS, or the local endpoint. */
export class SfnTaskCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient) {}

  async succeed(token: string, output: unknown): Promise<{ closed: boolean }> {
    return this.send(() =>
      this.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })),
    );
  }

  async fail(token: string, error: string, cause: string): Promise<{ closed: boolean }> {
    // Step Functions limits: error 256 characters, cause 32768.
    return this.send(() =>
      this.client.send(
        new SendTaskFailureCommand({ taskToken: token, error: error.slice(0, 256), cause: cause.slice(0, 32768) }),
      ),
    );
  }

  private async send(call: () => Promise<unknown>): Promise<{ closed: boolean }> {
    try {
      await call();
      return { closed: false };
    } catch (err) {
      if (err instanceof Error && CLOSED_TASK_ERRORS.has(err.name)) return { closed: true };
      throw err;
    }
  }
}
