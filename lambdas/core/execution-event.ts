import { isRecord } from './json';
/** The EventBridge "Step Functions Execution Status Change" event, as much as golive reads. */
export interface ExecutionStatusChange {
  executionArn: string;
  status: string;
  error?: string;
  cause?: string;
}

/** Checked by hand (no schema library in the function bundles); names what is wrong. */
export function parseExecutionStatusChange(event: unknown): ExecutionStatusChange {
  const detail = isRecord(event) ? event.detail : undefined;
  if (!isRecord(detail)) throw new Error('not a Step Functions Execution Status Change event: detail is missing');
  const { executionArn, status, error, cause } = detail;
  if (typeof executionArn !== 'string' || !executionArn)
    throw new Error('execution status change without detail.executionArn');
  if (typeof status !== 'string' || !status) throw new Error('execution status change without detail.status');
  return {
    executionArn,
    status,
    ...(typeof error === 'string' && error ? { error } : {}),
    ...(typeof cause === 'string' && cause ? { cause } : {}),
  };
}
