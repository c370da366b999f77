import { randomUUID } from 'node:crypto';
import type { BeforeTaskContext, LambdaHandler } from './api-types';
import type { WrappedTaskInput } from './definition';
import type { JsonObject } from './running-execution';
import { lambdaError, TaskFailure } from './task-errors';

function jsonCopy<T>(value: T): T {
  if (value === undefined) return null as T;
  return JSON.parse(JSON.stringify(value)) as T;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Calls the in-process handlers the way Lambda invokes a function: by name or ARN, on JSON copies. */
export class LambdaInvoker {
  constructor(
    private readonly region: string,
    private readonly accountId: string,
    private readonly functions: Record<string, LambdaHandler>,
    private readonly beforeTask?: (ctx: BeforeTaskContext) => void | Promise<void>,
  ) {}

  /** Resolve the function, run beforeTask and the handler on JSON copies, as a Lambda invocation would. */
  async call(executionArn: string, meta: WrappedTaskInput['__golive'], params: unknown): Promise<unknown> {
    // Invoke asynchronously, as Lambda does: never inside the library's synchronous call.
    await Promise.resolve();
    const functionRef = meta.kind === 'function' ? meta.resource : isObject(params) ? params.FunctionName : undefined;
    const event = meta.kind === 'function' ? params : isObject(params) ? (params.Payload ?? {}) : {};
    const functionName = this.resolveFunction(functionRef);
    const handler = this.functions[functionName];
    try {
      if (this.beforeTask) {
        await this.beforeTask({
          executionArn,
          stateName: meta.state,
          functionName,
          payload: jsonCopy(event),
        });
      }
      return jsonCopy(await handler(jsonCopy(event)));
    } catch (err) {
      throw lambdaError(err);
    }
  }

  private resolveFunction(ref: unknown): string {
    if (typeof ref !== 'string' || ref.length === 0) {
      throw new TaskFailure(
        'Lambda.InvalidParameterValueException',
        `FunctionName must be a non-empty string (Service: Lambda, Status Code: 400, Request ID: ${randomUUID()})`,
      );
    }
    // Accepts a name, name:qualifier, account:function:name[:qualifier] or a full function ARN.
    const match =
      /^(?:arn:aws[\w-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:function:)?([A-Za-z0-9_-]+)(?::[A-Za-z0-9_$-]+)?$/.exec(ref);
    const name = match?.[1];
    if (!name || !Object.prototype.hasOwnProperty.call(this.functions, name)) {
      const arn = ref.startsWith('arn:') ? ref : `arn:aws:lambda:${this.region}:${this.accountId}:function:${ref}`;
      throw new TaskFailure(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${arn} (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()})`,
      );
    }
    return name;
  }
}
