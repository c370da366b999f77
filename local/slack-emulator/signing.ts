import { createHmac } from 'node:crypto';

/**
 * Signs a request body the way Slack does: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`
 * with the app's signing secret (https://docs.slack.dev/authentication/verifying-requests-from-slack).
 * The emulator uses it to sign what it sends; the app verifies with Bolt's own code.
 */
export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function signedHeaders(
  signingSecret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(signingSecret, timestamp, body),
  };
}
