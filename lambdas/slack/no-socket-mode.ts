/**
 * Stands in for `@slack/socket-mode` in the Slack function's bundle (lib/slack-ingress.ts). Bolt's
 * App module loads its Socket Mode receiver, and with it undici (≈ 540 KB, ≈ 50 ms of every cold
 * start), although golive on Lambda answers Slack over HTTP through API Gateway. Only the class
 * Bolt imports is here; constructing it says why it is missing.
 */
export class SocketModeClient {
  constructor() {
    throw new Error(
      "Socket Mode is not part of golive's Lambda bundle: Slack reaches the function through API Gateway (HTTP)",
    );
  }
}
