import type { DepsResolver } from '../../handler';

/**
 * AWS adapters (CloudWatch mute rules, ALB / Lambda alias weights, DynamoDB, RDS, AWS Backup,
 * Slack Web API) are the deploy-to-AWS work item. Until they land, a deployed function fails
 * loudly and by name rather than pretending to work.
 */
export const awsDeps: DepsResolver = async () => {
  throw new Error(
    'golive AWS providers are not available in this build: the functions run on the local runtime only (npm start). ' +
      'See the README section "Deploying to AWS".',
  );
};
