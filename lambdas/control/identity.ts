import { GoLiveClientError } from '../core/client';
import type { GoLiveConfig } from '../core/config';
import { userForPrincipal } from '../core/roles';
import type { ControlEvent, Identify } from './api';

/**
 * The caller on AWS: the IAM principal API Gateway verified (SigV4, AuthorizationType IAM), from
 * `requestContext.identity.userArn` only, mapped to a golive user through the config's
 * `identities`. Headers, body and query are never consulted: a caller cannot claim to be someone.
 */
export function iamIdentity(config: Pick<GoLiveConfig, 'identities'>): Identify {
  return (event: ControlEvent) => {
    const principal = event.requestContext?.identity?.userArn;
    if (!principal) {
      throw new GoLiveClientError(
        'Unauthorized',
        'no IAM principal in the request: the control API takes SigV4-signed requests only (API Gateway IAM authorization)',
      );
    }
    const user = userForPrincipal(config, principal);
    if (!user) {
      throw new GoLiveClientError(
        'Unauthorized',
        `IAM principal ${principal} is not a golive user: map it in golive.config.yaml under identities ` +
          `(- principal: <role or user ARN>, user: <golive user id>) and redeploy`,
      );
    }
    return { user, verifiedBy: 'iam' };
  };
}
