import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { NotificationEvent, Notifier, ProgressEvent } from '../../core/ports';
import { slackNotifier, type SlackRefStore } from '../slack/notifier';
import { awsCall, CLIENT_CONFIG, ProviderResourceMissing } from './errors';

/** The Slack app's credentials, one JSON secret: `{ "botToken": "xoxb-…", "signingSecret": "…" }`. */
export interface SlackCredentials {
  botToken: string;
  signingSecret: string;
}

/** How long a warm function trusts its copy of the secret (a rotated token is picked up after this). */
export const SECRET_CACHE_MS = 5 * 60 * 1000;

/**
 * Reads the Slack credentials from Secrets Manager at run time through Powertools Parameters,
 * cached per container for SECRET_CACHE_MS (its `maxAge`). The values never go to environment
 * variables or logs: only the secret's ARN is configured. A value that is not the credentials is
 * not trusted from the cache: the next read asks Secrets Manager again.
 */
export class SlackSecret {
  private readonly provider: SecretsProvider;
  private refetch = false;

  constructor(
    private readonly secretArn: string,
    client: SecretsManagerClient = new SecretsManagerClient(CLIENT_CONFIG),
  ) {
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
  }

  async get(): Promise<SlackCredentials> {
    const forceFetch = this.refetch;
    const value = await awsCall('secretsmanager:GetSecretValue (Slack credentials)', () =>
      this.provider
        .get(this.secretArn, { maxAge: SECRET_CACHE_MS / 1000, forceFetch })
        // Powertools wraps the SDK's error (GetParameterError): classified as the SDK's own.
        .catch((err: unknown) => {
          throw (err as { cause?: unknown }).cause ?? err;
        }),
    );
    const credentials = parseCredentials(value);
    this.refetch = !credentials;
    if (!credentials) {
      throw new ProviderResourceMissing(
        'the Slack secret must be JSON with botToken and signingSecret (see README, "Deploying to AWS")',
      );
    }
    return credentials;
  }
}

/** The credentials in a secret's value, or undefined (never echoing the value). */
function parseCredentials(value: string | Uint8Array | undefined): SlackCredentials | undefined {
  let parsed: Partial<SlackCredentials> | null;
  try {
    const text = typeof value === 'string' ? value : value ? new TextDecoder().decode(value) : '{}';
    parsed = JSON.parse(text) as Partial<SlackCredentials>;
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed.botToken !== 'string' || typeof parsed.signingSecret !== 'string') return undefined;
  if (!parsed.botToken || !parsed.signingSecret) return undefined;
  return { botToken: parsed.botToken, signingSecret: parsed.signingSecret };
}

/** Web API base URL override (GovSlack's https://slack-gov.com/api/, a proxy); set from `slack.apiUrl`. */
export const SLACK_API_URL_ENV = 'GOLIVE_SLACK_API_URL';

/**
 * How a function talks to Slack. WebClient's default retries for up to 30 minutes, longer than any
 * function lives: a Slack outage would time the step out and roll production back for a status
 * message. So each request times out after 3 s and is retried at most twice within 8 s (a
 * rate-limited call still waits for Slack's Retry-After: the important messages must arrive).
 */
export function slackClientOptions(env: NodeJS.ProcessEnv = process.env): WebClientOptions {
  const slackApiUrl = env[SLACK_API_URL_ENV];
  return {
    timeout: 3000,
    retryConfig: { retries: 2, maxRetryTime: 8000 },
    ...(slackApiUrl ? { slackApiUrl } : {}),
  };
}

/**
 * The Slack engineer's notifier (lambdas/providers/slack/notifier.ts) over a WebClient built from
 * the secret on first use; the client is rebuilt only when the token changes.
 */
export function secretSlackNotifier(
  secret: SlackSecret,
  channel: string,
  createClient: (token: string) => WebClient = (token) => new WebClient(token, slackClientOptions()),
  /** The golive store: every function (its own Lambda) must find the same status card and approval message. */
  store?: SlackRefStore,
  /** controls.undoButtonSeconds: how long the success message offers its Roll back button. */
  options: { undoButtonSeconds?: number } = {},
): Notifier {
  let current: { token: string; notifier: Notifier } | undefined;
  const notifier = async (): Promise<Notifier> => {
    const { botToken } = await secret.get();
    if (current?.token !== botToken)
      current = {
        token: botToken,
        notifier: slackNotifier(createClient(botToken), {
          channel,
          ...(store ? { store } : {}),
          ...(options.undoButtonSeconds === undefined ? {} : { undoButtonSeconds: options.undoButtonSeconds }),
        }),
      };
    return current.notifier;
  };
  return {
    async notify(event: NotificationEvent) {
      return (await notifier()).notify(event);
    },
    async progress(event: ProgressEvent) {
      const n = await notifier();
      if (n.progress) await n.progress(event);
    },
  };
}
