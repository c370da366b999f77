import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { WebClient } from '@slack/web-api';
import type { ProgressEvent } from '../../lambdas/core/ports';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsDeps } from '../../lambdas/providers/aws';
import { bundledConfig } from '../../lambdas/providers/aws/config';
import { readEnv } from '../../lambdas/providers/aws/env';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SECRET_CACHE_MS,
  secretSlackNotifier,
  SLACK_API_URL_ENV,
  slackClientOptions,
  SlackSecret,
} from '../../lambdas/providers/aws/notifier';
import { awsConfig } from './helpers';

const sm = mockClient(SecretsManagerClient);
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:golive/slack-AbCdEf';
const secretValue = (botToken: string) => ({ SecretString: JSON.stringify({ botToken, signingSecret: 'shh' }) });

beforeEach(() => sm.reset());

describe('SlackSecret', () => {
  it('reads the secret once and serves it from cache until it is stale', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce(secretValue('xoxb-1')).resolves(secretValue('xoxb-2'));
    // Powertools Parameters' cache expires by the clock: only Date is fake here.
    jest.useFakeTimers({
      now: 0,
      doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'setTimeout', 'setInterval'],
    });
    const secret = new SlackSecret(SECRET_ARN, new SecretsManagerClient({}));

    const first = await secret.get();
    jest.setSystemTime(SECRET_CACHE_MS - 1000);
    const cached = await secret.get();
    jest.setSystemTime(SECRET_CACHE_MS + 1000);
    const refreshed = await secret.get();
    jest.useRealTimers();

    expect([first.botToken, cached.botToken, refreshed.botToken]).toEqual(['xoxb-1', 'xoxb-1', 'xoxb-2']);
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: SECRET_ARN },
      { SecretId: SECRET_ARN },
    ]);
  });

  it('does not cache a failed read, and never echoes a malformed secret', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'xoxb-leaked-if-echoed' })
      .resolves(secretValue('xoxb-1'));
    const secret = new SlackSecret(SECRET_ARN, new SecretsManagerClient({}));

    const failure = await secret.get().catch((err: Error) => err);
    const retried = await secret.get();

    expect(failure).toMatchObject({ name: 'ProviderResourceMissing' });
    expect((failure as Error).message).not.toContain('xoxb-leaked');
    expect(retried.botToken).toBe('xoxb-1');
  });
});

describe('secretSlackNotifier', () => {
  it('posts to the release channel with a WebClient built from the secret’s bot token', async () => {
    sm.on(GetSecretValueCommand).resolves(secretValue('xoxb-1'));
    const posted: unknown[] = [];
    const tokens: string[] = [];
    const createClient = (token: string) => {
      tokens.push(token);
      return {
        chat: { postMessage: async (args: unknown) => (posted.push(args), { ok: true, ts: '1.2' }) },
      } as unknown as WebClient;
    };
    const notifier = secretSlackNotifier(
      new SlackSecret(SECRET_ARN, new SecretsManagerClient({})),
      '#releases',
      createClient,
    );
    const event = {
      kind: 'succeeded' as const,
      executionId: 'e',
      service: 'orders',
      version: '2.4.0',
      text: 'orders 2.4.0 is live',
    };

    const first = await notifier.notify(event);
    await notifier.notify(event);

    expect(first).toEqual({ delivered: true, ref: '1.2' });
    expect(tokens).toEqual(['xoxb-1']);
    expect(posted[0]).toMatchObject({ channel: '#releases', text: 'orders 2.4.0 is live' });
  });
});

describe('the Slack Web API client of the AWS functions', () => {
  let server: Server;
  let apiUrl: string;
  const requests: { path: string; auth?: string; body: string }[] = [];
  let status = 200;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ path: req.url ?? '', auth: req.headers.authorization, body });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 200 ? JSON.stringify({ ok: true, ts: '9.9', channel: 'C1' }) : 'unavailable');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    requests.length = 0;
    status = 200;
    process.env[SLACK_API_URL_ENV] = apiUrl;
  });
  afterEach(() => delete process.env[SLACK_API_URL_ENV]);

  it('posts to the API URL the construct sets (GovSlack, a proxy), with the bot token from the secret', async () => {
    sm.on(GetSecretValueCommand).resolves(secretValue('xoxb-gov'));
    const notifier = secretSlackNotifier(new SlackSecret(SECRET_ARN, new SecretsManagerClient({})), '#releases');

    const result = await notifier.notify({
      kind: 'succeeded',
      executionId: 'e',
      service: 'orders',
      version: '2',
      text: 'live',
    });

    expect(result).toEqual({ delivered: true, ref: '9.9' });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ path: '/api/chat.postMessage', auth: 'Bearer xoxb-gov' });
    expect(requests[0].body).toContain('releases');
  });

  it('gives up on a Slack outage after two retries instead of retrying for half an hour', async () => {
    status = 503;
    sm.on(GetSecretValueCommand).resolves(secretValue('xoxb-1'));
    const notifier = secretSlackNotifier(new SlackSecret(SECRET_ARN, new SecretsManagerClient({})), '#releases');

    const result = await notifier
      .notify({ kind: 'succeeded', executionId: 'e', service: 'orders', version: '2', text: 'live' })
      .then(
        (r) => r,
        (err: Error) => err,
      );

    expect(result).not.toEqual(expect.objectContaining({ delivered: true }));
    expect(requests).toHaveLength(3);
    expect(slackClientOptions({})).toEqual({ timeout: 3000, retryConfig: { retries: 2, maxRetryTime: 8000 } });
  }, 20_000);
});

describe('secretSlackNotifier with the store', () => {
  /** The part of the golive store the Slack notifier keeps its message refs in, in memory. */
  const memoryRefStore = () => {
    const values = new Map<string, unknown>();
    const store = {
      getExecutionValue: async <T>(id: string, key: string) => values.get(`${id}/${key}`) as T | undefined,
      putExecutionValue: async (id: string, key: string, value: unknown) => void values.set(`${id}/${key}`, value),
      getApproval: async () => undefined,
    };
    return { values, store };
  };

  it('keeps the status card in the store, so another function (another Lambda) updates the same card', async () => {
    sm.on(GetSecretValueCommand).resolves(secretValue('xoxb-1'));
    const { values, store } = memoryRefStore();
    const calls: string[] = [];
    const createClient = () =>
      ({
        chat: {
          postMessage: async () => (calls.push('postMessage'), { ok: true, ts: '1.1' }),
          update: async () => (calls.push('update'), { ok: true, ts: '1.1' }),
        },
      }) as unknown as WebClient;
    const secret = () => new SlackSecret(SECRET_ARN, new SecretsManagerClient({}));
    const progress: ProgressEvent = {
      executionId: 'e',
      service: 'orders',
      version: '2.4.0',
      step: 'CheckReadiness',
      state: 'started',
      at: '2026-01-01T00:00:00Z',
    };

    await secretSlackNotifier(secret(), '#releases', createClient, store).progress!(progress);
    await secretSlackNotifier(secret(), '#releases', createClient, store).progress!({
      ...progress,
      state: 'succeeded',
    });

    expect(calls[0]).toBe('postMessage');
    expect(calls.slice(1).every((c) => c === 'update')).toBe(true);
    expect([...values.keys()].some((k) => k.startsWith('e/'))).toBe(true);
  });

  it('offers the Roll back button on the success message for controls.undoButtonSeconds', async () => {
    sm.on(GetSecretValueCommand).resolves(secretValue('xoxb-1'));
    const { store } = memoryRefStore();
    const posted: Record<string, unknown>[] = [];
    const createClient = () =>
      ({
        chat: {
          postMessage: async (args: Record<string, unknown>) => (posted.push(args), { ok: true, ts: '1.1' }),
          update: async () => ({ ok: true, ts: '1.1' }),
        },
      }) as unknown as WebClient;
    const live = { version: '2.4.0', slot: 'green' as const, at: '2026-01-01T00:05:00Z', executionId: 'e' };
    const withLive = {
      ...store,
      getLiveVersion: async () => ({ ...live, previous: { version: '2.3.0', slot: 'blue' as const } }),
    };
    const notifier = secretSlackNotifier(
      new SlackSecret(SECRET_ARN, new SecretsManagerClient({})),
      '#releases',
      createClient,
      withLive,
      { undoButtonSeconds: 3600 },
    );
    await notifier.progress!({
      executionId: 'e',
      service: 'orders',
      version: '2.4.0',
      step: 'ReleaseLock',
      state: 'succeeded',
      at: '2026-01-01T00:05:00Z',
    });

    await notifier.notify({ kind: 'succeeded', executionId: 'e', service: 'orders', version: '2.4.0', text: 'live' });

    expect(JSON.stringify(posted.at(-1))).toContain('Roll back to 2.3.0');
  });

  it('replies in the go-live’s thread, and in the channel too for a scratch copy the sweeper reports days later', async () => {
    sm.on(GetSecretValueCommand).resolves(secretValue('xoxb-1'));
    const { store } = memoryRefStore();
    const posted: Record<string, unknown>[] = [];
    const createClient = () =>
      ({
        chat: {
          postMessage: async (args: Record<string, unknown>) => (posted.push(args), { ok: true, ts: '1.1' }),
          update: async () => ({ ok: true, ts: '1.1' }),
        },
      }) as unknown as WebClient;
    const notifier = secretSlackNotifier(
      new SlackSecret(SECRET_ARN, new SecretsManagerClient({})),
      '#releases',
      createClient,
      store,
    );
    await notifier.progress!({
      executionId: 'e',
      service: 'orders',
      version: '2.4.0',
      step: 'StartRestore',
      state: 'started',
      at: '2026-01-01T00:00:00Z',
    });

    await notifier.notify({ kind: 'alarm', executionId: 'e', service: 'orders', version: '2.4.0', text: 'alarm' });
    await notifier.notify({
      kind: 'scratch',
      executionId: 'e',
      service: 'orders',
      version: '',
      text: 'scratch deleted',
    });

    const [alarm, scratch] = posted.slice(-2);
    expect(alarm).toMatchObject({ thread_ts: '1.1', text: 'alarm' });
    expect(alarm.reply_broadcast).not.toBe(true);
    expect(scratch).toMatchObject({ thread_ts: '1.1', text: 'scratch deleted', reply_broadcast: true });
  });
});

describe('AWS deps from the environment', () => {
  it('fails fast naming the first missing variable', () => {
    expect(() => readEnv(['table', 'slackSecretArn'], { GOLIVE_TABLE: 't' })).toThrow(
      /environment variable GOLIVE_SLACK_SECRET_ARN is not set/,
    );
    expect(() => createAwsDeps(awsConfig(), {})).toThrow(/GOLIVE_TABLE is not set/);
  });

  it('builds every provider from the environment and the bundled config, reading no secret yet', () => {
    const deps = createAwsDeps(awsConfig(), { GOLIVE_TABLE: 'store', GOLIVE_SLACK_SECRET_ARN: SECRET_ARN });

    expect(Object.keys(deps).sort()).toEqual(
      [
        'alerts',
        'backup',
        'callbacks',
        'config',
        'executions',
        'fetch',
        'metrics',
        'notifier',
        'now',
        'readiness',
        'requireStartRecord',
        'store',
        'traffic',
      ].sort(),
    );
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('validates the bundled config, and says how to build a bundle that has none', () => {
    const json = JSON.stringify(awsConfig());

    expect(bundledConfig(json).services.orders.backup.kind).toBe('dynamodb-pitr');
    expect(() => bundledConfig(undefined)).toThrow(/carries no golive config: build it through the GoLiveOrchestrator/);
    expect(() => bundledConfig(JSON.stringify({ slack: {} }))).toThrow(/the bundled golive config is invalid/);
  });
});
