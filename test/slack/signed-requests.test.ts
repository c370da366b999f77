import { AwsLambdaReceiver, App, LogLevel } from '@slack/bolt';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { READINESS_VALUE, type ReadinessReport } from '../../lambdas/core/steps/readiness';
import type { SlackLambdaHandler } from '../../lambdas/slack/lambda-receiver';
import { localSlackCredentials } from '../../local/slack-emulator/credentials';
import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import {
  approveSubmissionBody,
  commandBody,
  findApprovalMessage,
  findCard,
  lambdaOverRuntime,
  messageText,
  rejectSubmissionBody,
  slackRequest,
} from './helpers';

const REASON = 'Rückgängig – 回滚';
const now = () => Math.floor(Date.now() / 1000);

describe('signed Slack requests', () => {
  let h: Harness;
  let secret: string;
  let eventsUrl: string;
  let lambda: SlackLambdaHandler;
  let settled: () => Promise<void>;
  const post = async (body: string, headers: Record<string, string>) => {
    const res = await fetch(eventsUrl, { method: 'POST', headers, body });
    return { status: res.status, text: await res.text() };
  };
  const invoke = (body: string, headers: Record<string, string>, base64 = false) =>
    lambda(
      {
        body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
        isBase64Encoded: base64,
        headers,
        rawPath: '/slack/events',
      },
      {},
    );

  beforeAll(async () => {
    h = await startHarness({ config: testConfig({ approval: { minApprovals: 1 } }), slack: { port: 0 } });
    const creds = localSlackCredentials(h.home);
    secret = creds.signingSecret;
    eventsUrl = `${h.rt.slack!.url}/slack/events`;
    ({ lambda, settled } = lambdaOverRuntime(h.rt, creds));
  });
  afterAll(async () => {
    await settled();
    await h.close();
  });

  const receivers = {
    'local HTTP receiver': (body: string, headers: Record<string, string>) => post(body, headers),
    'Lambda receiver': async (body: string, headers: Record<string, string>) => {
      const res = await invoke(body, headers);
      return { status: res.statusCode, text: res.body };
    },
  };

  describe.each(Object.entries(receivers))('%s', (_name, send) => {
    const help = () => commandBody(REQUESTER, 'help');

    it('answers a correctly signed request', async () => {
      const body = help();
      const res = await send(body, slackRequest(secret, body));
      expect(res.status).toBe(200);
      expect(res.text).toContain('/golive status');
    });

    it('refuses a bad signature', async () => {
      const body = help();
      const res = await send(body, slackRequest('not-the-secret', body));
      expect(res.status).toBe(401);
    });

    it('refuses a body altered after signing', async () => {
      const body = help();
      const res = await send(body.replace('help', 'history'), slackRequest(secret, body));
      expect(res.status).toBe(401);
    });

    it('refuses a timestamp more than 5 minutes old', async () => {
      const body = help();
      const res = await send(body, slackRequest(secret, body, { timestamp: now() - 301 }));
      expect(res.status).toBe(401);
    });

    it('refuses a timestamp more than 5 minutes in the future', async () => {
      const body = help();
      const res = await send(body, slackRequest(secret, body, { timestamp: now() + 301 }));
      expect(res.status).toBe(401);
    });

    it.each(['x-slack-signature', 'x-slack-request-timestamp'])('refuses a request without %s', async (header) => {
      const body = help();
      const headers = slackRequest(secret, body);
      delete headers[header];
      const res = await send(body, headers);
      expect(res.status).toBe(401);
    });

    it('refuses a replay of the very same request', async () => {
      const body = help();
      const headers = slackRequest(secret, body);
      const first = await send(body, headers);
      const replay = await send(body, headers);
      expect(first.status).toBe(200);
      expect(replay.status).toBe(401);
    });
  });

  describe('retries and non-ASCII text', () => {
    let executionArn: string;

    it('starts one go-live when Slack retries the command (X-Slack-Retry-Num)', async () => {
      const body = commandBody(
        REQUESTER,
        'demo 2.0.0 canary',
        'trigger-retried-once',
        h.rt.slack!.emulator.responseUrl(REQUESTER),
      );

      const first = await post(body, slackRequest(secret, body));
      const retry = await post(body, slackRequest(secret, body, { timestamp: now() + 1, retryNum: 1 }));
      const retryViaLambda = await invoke(body, slackRequest(secret, body, { timestamp: now() + 2, retryNum: 2 }));
      await h.rt.slack!.emulator.waitFor(findApprovalMessage);

      await settled();

      expect([first.status, retry.status, retryViaLambda.statusCode]).toEqual([200, 200, 200]);
      const { executions = [] } = await h.rt.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: h.rt.stateMachineArn }),
      );
      expect(executions).toHaveLength(1);
      // Told once that it started; the retries, answered while it started, are no error either.
      const told = h.rt.slack!.emulator.ephemerals(REQUESTER).map((e) => e.text);
      expect(told.filter((t) => t.startsWith('🚀 Started'))).toHaveLength(1);
      expect(told.filter((t) => t.startsWith('⚠️'))).toEqual([]);
      executionArn = executions[0].executionArn!;
    });

    it('verifies a base64-encoded body with non-ASCII text through the Lambda receiver', async () => {
      const approval = await h.rt.store.findApprovalByExecution(executionArn);
      const body = rejectSubmissionBody(APPROVER, approval!.approvalId, REASON);

      const res = await invoke(body, slackRequest(secret, body), true);
      const end = await h.finished(executionArn);

      expect(res.statusCode).toBe(200);
      expect(end.status).toBe('FAILED');
      expect(end.error).toBe('ApprovalRejected');
      const decided = await h.rt.store.getApproval(approval!.approvalId);
      expect(decided?.votes).toEqual([
        expect.objectContaining({ voter: APPROVER, decision: 'reject', reason: REASON }),
      ]);
      const card = await h.rt.slack!.emulator.waitFor((e) => {
        const c = findCard(e);
        return c && messageText(c).includes('Rolled back') ? c : undefined;
      });
      expect(card).toBeDefined();
    });

    it("verifies a base64-encoded raw UTF-8 JSON body, which Bolt's AwsLambdaReceiver alone refuses", async () => {
      // Interactivity is form-encoded (non-ASCII percent-encoded); Events API bodies are raw UTF-8 JSON.
      const body = JSON.stringify({ type: 'url_verification', token: 't', challenge: REASON });
      const headers = { ...slackRequest(secret, body), 'content-type': 'application/json' };
      const receiver = new AwsLambdaReceiver({ signingSecret: secret, logLevel: LogLevel.ERROR });
      new App({ receiver, authorize: () => Promise.resolve({ botToken: 'xoxb-x' }), logLevel: LogLevel.ERROR });
      const base64 = Buffer.from(body, 'utf8').toString('base64');

      // Bolt's receiver decodes the body as ASCII: the mangled text either fails to parse or to verify.
      const bare = await receiver
        .toHandler()({ body: base64, isBase64Encoded: true, headers } as never, {})
        .then(
          (r) => r.statusCode,
          (err: Error) => err.name,
        );
      const ours = await invoke(body, headers, true);

      expect(bare).not.toBe(200);
      expect(ours.statusCode).toBe(200);
      expect(JSON.parse(ours.body)).toEqual({ challenge: REASON });
    });

    it('casts one vote when an approve form submission is retried', async () => {
      const arn = await h.start({ version: '2.1.0' });
      await h.waitForCallback(arn, 'SignOff');
      const approval = await h.rt.store.findApprovalByExecution(arn);
      const report = await h.rt.store.getExecutionValue<ReadinessReport>(arn, READINESS_VALUE);
      const mine = report!.items.filter((i) => i.status === 'to-attest' && i.attesters.includes(APPROVER));
      const body = approveSubmissionBody(
        APPROVER,
        approval!.approvalId,
        mine.map((i) => i.id),
      );

      await post(body, slackRequest(secret, body));
      await post(body, slackRequest(secret, body, { timestamp: now() + 1, retryNum: 1 }));
      await invoke(body, slackRequest(secret, body, { timestamp: now() + 2, retryNum: 2 }));
      const end = await h.finished(arn);

      expect(end.status).toBe('SUCCEEDED');
      const record = await h.rt.store.getApproval(approval!.approvalId);
      expect(record?.votes).toHaveLength(1);
    });
  });
});
