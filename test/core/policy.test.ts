import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chainRecord, GENESIS_HASH, verifyChain } from '../../lambdas/core/audit';
import { ConfigError, configJsonSchema, parseConfig } from '../../lambdas/core/config';
import { effectivePolicy } from '../../lambdas/core/readiness/effective';
import { checkVote } from '../../lambdas/core/steps/approval';
import type { ApprovalRecord, AuditEntry, AuditRecord } from '../../lambdas/core/ports';
import { planRollout, validateRequest } from '../../lambdas/core/request';
import { testConfig } from '../support/harness';

describe('config validation', () => {
  it('names the field and the reason for every problem', () => {
    const bad = {
      ...testConfig(),
      approval: { minApprovals: 5 },
      services: { demo: { ...testConfig().services.demo, smokeTests: [] } },
    };

    const error = (() => {
      try {
        parseConfig(bad);
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues).toEqual(
      expect.arrayContaining([
        'services.demo.smokeTests: define at least one smoke test',
        'approval.minApprovals: is 5 but only 2 approver(s) are listed in slack.approvers',
      ]),
    );
  });

  it('takes an https Slack Web API URL (GovSlack) and refuses anything else, naming the field', () => {
    const cfg = testConfig();
    const withUrl = (apiUrl: string) => parseConfig({ ...cfg, slack: { ...cfg.slack, apiUrl } });
    expect(withUrl('https://slack-gov.com/api/').slack.apiUrl).toBe('https://slack-gov.com/api/');
    expect(() => withUrl('http://slack-gov.com/api/')).toThrow(/slack\.apiUrl: must be an https:\/\/ URL ending in \//);
    expect(() => withUrl('slack-gov')).toThrow(/slack\.apiUrl: must be a URL/);
  });

  it('gives the built-in checklist (no readiness section) the same defaults as written items', () => {
    const { readiness: _omitted, ...withoutReadiness } = testConfig() as ReturnType<typeof testConfig> & {
      readiness?: unknown;
    };
    const config = parseConfig(withoutReadiness);

    expect(config.readiness.items.length).toBeGreaterThan(30);
    for (const item of config.readiness.items) {
      expect([item.id, Array.isArray(item.waivableBy), ['required', 'advisory'].includes(item.level)]).toEqual([
        item.id,
        true,
        true,
      ]);
    }
    // The demo service disables one item; every other item is there, with its people resolved.
    expect(effectivePolicy(config, 'demo').every((i) => Array.isArray(i.waivers))).toBe(true);
    expect(effectivePolicy(config, 'demo').length).toBeGreaterThan(30);
  });

  it('rejects canary steps that do not increase', () => {
    const cfg = testConfig();
    expect(() =>
      parseConfig({ ...cfg, services: { demo: { ...cfg.services.demo, strategy: { canarySteps: [50, 10] } } } }),
    ).toThrow(/services\.demo\.strategy\.canarySteps: must be strictly increasing/);
  });
});

it('refuses bakes and sign-off windows that cannot fit in the 24 h execution', () => {
  const cfg = testConfig();
  expect(() =>
    parseConfig({
      ...cfg,
      approval: { ...cfg.approval, timeoutSeconds: 80000 },
      services: { demo: { ...cfg.services.demo, strategy: { canarySteps: [10, 50], bakeSeconds: 3600 } } },
    }),
  ).toThrow(
    /services\.demo\.strategy\.bakeSeconds: a go-live can take up to \d+ s \(bakes of 3600 s, approval\.timeoutSeconds 80000 s/,
  );
});

describe('request validation and rollout plan', () => {
  const config = testConfig();

  it.each([
    [{ service: 'nope', version: '1.0.0', requestedBy: 'U1' }, 'unknown service "nope"'],
    [{ service: 'constructor', version: '1.0.0', requestedBy: 'U1' }, 'unknown service "constructor"'],
    [{ service: '__proto__', version: '1.0.0', requestedBy: 'U1' }, 'unknown service "__proto__"'],
    [{ service: 'demo', version: '1.0', requestedBy: 'U1' }, 'is not a semantic version'],
    [{ service: 'demo', version: '1.0.0', strategy: 'big-bang', requestedBy: 'U1' }, 'unknown strategy "big-bang"'],
    [{ service: 'demo', version: '1.0.0' }, '"requestedBy" is missing'],
    [
      { service: 'demo', version: '1.0.0', requestedBy: 'U1', notes: 'x'.repeat(2001) },
      '"notes" is 2001 characters: keep it to 2000',
    ],
    [
      { service: 'demo', version: '1.0.0', requestedBy: 'U1', verifiedBy: 'root' },
      '"verifiedBy" must be slack, iam or local',
    ],
  ])('refuses %j with InvalidRequest', (input, message) => {
    expect(() => validateRequest(input, config)).toThrow(
      expect.objectContaining({ name: 'InvalidRequest', message: expect.stringContaining(message) }),
    );
  });

  it('plans canary steps, bakes and a run-time bound that covers every task budget', () => {
    const request = validateRequest({ service: 'demo', version: '2.0.0', requestedBy: 'U1' }, config);
    const plan = planRollout(request, config.services.demo, config, { stableSlot: 'blue', candidateSlot: 'green' });

    expect(plan).toMatchObject({
      strategy: 'canary',
      steps: [10, 50],
      stepCount: 2,
      bakeSeconds: 1,
      // Every strategy watches alarms after promotion, canary included.
      postPromotionBakeSeconds: 1,
    });
    // Each Task: (1 + 3 retries) × its timeout + 1 + 2 + 4 s of backoff; a callback: 3 failed 30 s
    // invocations + backoff + its wait. Before traffic: lock 127, break-glass 7 (no wait: not one),
    // readiness 487, mute 247, start / check / verify restore and smoke 4 × 1207, the 900 s restore
    // budget; per canary step: checkpoint 127 + shift 487 + bake 11 + its analysis 247; sign-off 997;
    // holds: 3 × 30 + 7 + the 3600 s hold budget, and 7; after: checkpoint 127, promote 487, smoke
    // 1207, post bake 11, unmute 247, release 127, notify 127; rollback path: 1207 + 247 (+ 247
    // restoring alerts after a failed rollback) + 127 + 127 + 127, and AwaitRetry 247.
    expect(plan.maxRunSeconds).toBe(
      127 +
        7 +
        487 +
        247 +
        4 * 1207 +
        900 +
        2 * (127 + 487 + 11 + 247) +
        997 +
        (3697 + 7) +
        (127 + 2206) +
        (2082 + 247),
    );
    const blueGreen = planRollout({ ...request, strategy: 'blue-green' }, config.services.demo, config, {
      stableSlot: 'green',
      candidateSlot: 'blue',
    });
    expect(blueGreen).toMatchObject({ steps: [], stepCount: 0, postPromotionBakeSeconds: 1 });
  });
});

describe('vote policy', () => {
  const approval: ApprovalRecord = {
    approvalId: 'apr-1',
    executionId: 'arn:x',
    service: 'demo',
    version: '2.0.0',
    requestedBy: 'U_RM',
    approvers: ['U_A', 'U_B', 'U_RM'],
    minApprovals: 2,
    allowSelfApproval: false,
    token: 't',
    status: 'pending',
    createdAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-01-01T01:00:00Z',
    votes: [{ voter: 'U_A', decision: 'approve', at: '2026-01-01T00:01:00Z' }],
  };
  const now = new Date('2026-01-01T00:10:00Z');
  const vote = (voter: string, decision: 'approve' | 'reject' = 'approve', reason?: string) => ({
    voter,
    decision,
    ...(reason ? { reason } : {}),
    at: now.toISOString(),
  });

  it('lets a listed approver vote once', () => {
    expect(checkVote(approval, vote('U_B'), now)).toBeUndefined();
    expect(checkVote(approval, vote('U_A'), now)?.kind).toBe('duplicate');
  });

  it('refuses strangers, the requester, and rejections without a reason', () => {
    expect(checkVote(approval, vote('U_X'), now)?.kind).toBe('refused');
    expect(checkVote(approval, vote('U_RM'), now)?.message).toContain('cannot approve or reject it');
    expect(checkVote({ ...approval, allowSelfApproval: true }, vote('U_RM'), now)).toBeUndefined();
    expect(checkVote(approval, vote('U_B', 'reject', '  '), now)?.message).toContain('needs a reason');
  });

  it('answers a closed or expired approval without changing anything', () => {
    expect(checkVote({ ...approval, status: 'rejected' }, vote('U_B'), now)).toMatchObject({
      kind: 'closed',
      status: 'rejected',
    });
    expect(checkVote(approval, vote('U_B'), new Date('2026-01-01T02:00:00Z'))).toMatchObject({
      kind: 'closed',
      status: 'expired',
    });
  });
});

describe('audit hash chain', () => {
  const entry = (i: number): AuditEntry => ({
    executionId: 'arn:x',
    service: 'demo',
    step: `Step${i}`,
    action: 'a',
    actor: 'system',
    outcome: 'succeeded',
    summary: `step ${i}`,
    evidence: { i, nested: { b: 1, a: [1, 2] } },
    at: `2026-01-01T00:00:0${i}Z`,
  });
  const chain = (): AuditRecord[] => {
    const records: AuditRecord[] = [];
    for (let i = 1; i <= 4; i++) records.push(chainRecord(entry(i), i, records.at(-1)?.hash ?? GENESIS_HASH));
    return records;
  };

  it('verifies an untouched chain and returns the final hash', () => {
    const records = chain();
    expect(verifyChain(records)).toEqual({ intact: true, records: 4, finalHash: records[3].hash });
  });

  it('detects a modified, deleted, inserted or reordered record', () => {
    const modified = chain();
    modified[1] = { ...modified[1], summary: 'nothing to see' };
    expect(verifyChain(modified)).toMatchObject({ intact: false, badSeq: 2 });

    const deleted = chain();
    deleted.splice(2, 1);
    expect(verifyChain(deleted)).toMatchObject({ intact: false, badSeq: 3 });

    const inserted = chain();
    inserted.splice(1, 0, chainRecord(entry(9), 2, inserted[0].hash));
    expect(verifyChain(inserted)).toMatchObject({ intact: false });

    const reordered = chain();
    [reordered[1], reordered[2]] = [reordered[2], reordered[1]];
    expect(verifyChain(reordered)).toMatchObject({ intact: false, badSeq: 2 });
  });
});

describe('golive.config.schema.json', () => {
  it('is the JSON Schema generated from the zod schema (run `npm run schema` after changing it)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'golive.config.schema.json'), 'utf8');

    expect(committed).toBe(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });
});
