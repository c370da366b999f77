import { S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { parseExecutionStatusChange } from '../core/execution-event';
import { exportExecutionAudit, type ArchiveDeps, type ExecutionSource } from '../core/report/archive';
import { awsDeps } from '../providers/aws';
import { executionHistory } from '../providers/sfn-history';
import { S3AuditArchive } from './s3-archive';

export const AUDIT_BUCKET_ENV = 'GOLIVE_AUDIT_BUCKET';

/** DescribeExecution and every page of GetExecutionHistory, through one SFN client. */
export function sfnExecutionSource(sfn: SFNClient): ExecutionSource {
  return {
    describe: (executionArn) => sfn.send(new DescribeExecutionCommand({ executionArn })),
    history: (executionArn) => executionHistory(sfn, executionArn),
  };
}

/** EventBridge rule target: an execution ended (any status) → its complete audit record into the archive. */
export const createHandler = (resolveDeps: () => Promise<ArchiveDeps>) => async (event: unknown) => {
  const { executionArn, status } = parseExecutionStatusChange(event);
  return exportExecutionAudit(await resolveDeps(), { executionArn, status });
};

const s3 = new S3Client({});
const sfn = new SFNClient({});

export const handler = createHandler(async () => {
  const bucket = process.env[AUDIT_BUCKET_ENV];
  if (!bucket) throw new Error(`environment variable ${AUDIT_BUCKET_ENV} is not set`);
  const { store } = await awsDeps();
  return { store, archive: new S3AuditArchive(bucket, s3), executions: sfnExecutionSource(sfn), now: () => new Date() };
});
