/**
 * The "mocked clients" of the shipped bundles (bench/bundles.ts, test/cdk): one HTTP endpoint on 127.0.0.1 that every AWS SDK
 * client (AWS_ENDPOINT_URL) and the Slack Web API client (GOLIVE_SLACK_API_URL) of a probed
 * function talk to. It answers at once with the smallest well-formed success of each operation a
 * first call makes, so a cold start is measured through the real SDK pipeline (serialize, sign,
 * HTTP, parse) without the network or retries, and records which operations were called.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAws {
  url: string;
  /** Operations called since the last reset, in order: `DynamoDB.GetItem`, `Slack.chat.postMessage`. */
  calls: string[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => resolve(text));
  });

const parse = (text: string): Json => {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return {};
  }
};

/** awsJson 1.0 / 1.1 answers by X-Amz-Target (DynamoDB, Secrets Manager, Step Functions, CloudWatch). */
function jsonAnswer(target: string, input: Json): Json {
  const op = target.split('.').pop() ?? '';
  switch (op) {
    case 'GetSecretValue':
      return { SecretString: JSON.stringify({ botToken: 'xoxb-probe', signingSecret: 'probe' }) };
    case 'Query':
      return { Items: [], Count: 0 };
    case 'GetItem': {
      // A go-live started as Slack or the control API start one: its start record names a release manager.
      const key = input.Key as { sk?: { S?: string } } | undefined;
      return key?.sk?.S === 'VALUE#start'
        ? {
            Item: {
              pk: (input.Key as { pk: unknown }).pk,
              sk: { S: 'VALUE#start' },
              data: { S: JSON.stringify({ requestedBy: 'U_RM', verifiedBy: 'slack', at: '2026-01-01T00:00:00Z' }) },
            },
          }
        : {};
    }
    case 'DescribeAlarms':
      return {
        MetricAlarms: ((input.AlarmNames as string[] | undefined) ?? []).map((AlarmName) => ({
          AlarmName,
          AlarmArn: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${AlarmName}`,
          ActionsEnabled: true,
          StateValue: 'OK',
        })),
        CompositeAlarms: [],
      };
    case 'ListAlarmMuteRules':
      return { AlarmMuteRuleSummaries: [] };
    case 'DescribeContinuousBackups':
      return {
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'ENABLED',
          PointInTimeRecoveryDescription: {
            PointInTimeRecoveryStatus: 'ENABLED',
            LatestRestorableDateTime: Date.now() / 1000 - 60,
          },
        },
      };
    case 'RestoreTableToPointInTime':
      return { TableDescription: { TableName: input.TargetTableName, TableStatus: 'CREATING' } };
    default:
      return {};
  }
}

export async function startFakeAws(): Promise<FakeAws> {
  const calls: string[] = [];
  const aliases = new Map<string, Json>();
  const server: Server = createServer((req, res) => {
    void body(req).then((text) => {
      const send = (json: Json) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const url = req.url ?? '/';
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string') {
        calls.push(`${target.split('_')[0].split('.')[0]}.${target.split('.').pop()}`);
        return send(jsonAnswer(target, parse(text)));
      }
      if (url.startsWith('/api/')) {
        calls.push(`Slack.${url.slice(5).split('?')[0]}`);
        return send({ ok: true, channel: 'C0PROBE', ts: '1700000000.000100', message: { ts: '1700000000.000100' } });
      }
      // Lambda (REST JSON): the release is a published version; UpdateAlias / GetAlias read back what was written.
      if (/^\/2015-03-31\/functions\/[^/]+\/versions/.test(url)) {
        calls.push('Lambda.ListVersionsByFunction');
        return send({
          Versions: [
            { Version: '$LATEST', Description: '' },
            { Version: '6', Description: '1.9.0' },
            { Version: '7', Description: '2.0.0' },
          ],
        });
      }
      const alias = /^\/2015-03-31\/functions\/([^/]+)\/aliases\/([^/?]+)/.exec(url);
      if (alias) {
        calls.push(`Lambda.${req.method === 'PUT' ? 'UpdateAlias' : 'GetAlias'}`);
        const key = `${alias[1]}:${alias[2]}`;
        if (req.method === 'PUT') aliases.set(key, { Name: alias[2], FunctionVersion: '6', ...parse(text) });
        return send(aliases.get(key) ?? { Name: alias[2], FunctionVersion: '6' });
      }
      calls.push(`${req.method} ${url.split('?')[0]}`);
      return send({});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
