import { z } from 'zod';
import { cleanUpEndedExecution } from '../core/steps/janitor';
import type { DepsResolver } from '../handler';
import { awsDeps } from '../providers/aws';

/** The EventBridge "Step Functions Execution Status Change" event, as much as the janitor reads. */
const statusChangeSchema = z.object({
  detail: z.object({
    executionArn: z.string(),
    status: z.string(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

export const createHandler = (resolveDeps: DepsResolver) => async (event: unknown) => {
  const { detail } = statusChangeSchema.parse(event);
  return cleanUpEndedExecution(await resolveDeps(), {
    executionArn: detail.executionArn,
    status: detail.status,
    ...(detail.error ? { error: detail.error } : {}),
    ...(detail.cause ? { cause: detail.cause } : {}),
  });
};
export const handler = createHandler(awsDeps);
