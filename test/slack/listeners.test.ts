import type { SFNClient } from '@aws-sdk/client-sfn';
import { approve } from '../../lambdas/slack/listeners/actions/approve';
import { reject } from '../../lambdas/slack/listeners/actions/reject';
import { golive } from '../../lambdas/slack/listeners/commands/golive';
import { rejectSubmitted } from '../../lambdas/slack/listeners/views/reject-submitted';
import { startSubmitted } from '../../lambdas/slack/listeners/views/start-submitted';
import type { ButtonArgs, CommandArgs, ViewArgs } from '../../lambdas/slack/listeners/types';
import type { SlackAppContext } from '../../lambdas/slack/context';
import type { ApprovalRecord } from '../../lambdas/core/ports';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { APPROVER, REQUESTER, testConfig } from '../support/harness';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:golive-go-live';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:golive-go-live:demo-2-0-0';
const OUTSIDER = 'U_GUEST';

/** Records every call in order, so tests can assert that ack() came first. */
function fakes(ctxOverrides: Partial<SlackAppContext> = {}) {
  const calls: string[] = [];
  const record =
    (name: string, result: unknown = { ok: true }) =>
    (...args: unknown[]) => {
      calls.push(name);
      void args;
      return Promise.resolve(result);
    };
  const client = {
    chat: {
      postMessage: jest.fn(record('chat.postMessage', { ok: true, ts: '2.000001', channel: 'C0RELEASES' })),
      update: jest.fn(record('chat.update')),
      postEphemeral: jest.fn(record('chat.postEphemeral')),
    },
    views: { open: jest.fn(record('views.open')) },
  };
  const ack = jest.fn(record('ack', undefined));
  const respond = jest.fn(record('respond', undefined));
  const sfnSend = jest.fn((command: { constructor: { name: string } }): Promise<unknown> => {
    calls.push(command.constructor.name);
    if (command.constructor.name === 'DescribeExecutionCommand') {
      const err = new Error('does not exist');
      err.name = 'ExecutionDoesNotExist';
      return Promise.reject(err);
    }
    return Promise.resolve({ executionArn: EXECUTION, startDate: new Date() });
  });
  const callbacks = {
    succeed: jest.fn(() => Promise.resolve({ closed: false })),
    fail: jest.fn(() => Promise.resolve({ closed: false })),
  };
  const store = new SqliteStore(':memory:');
  const ctx: SlackAppContext = {
    config: testConfig(),
    store,
    callbacks,
    sfn: { send: sfnSend } as unknown as SFNClient,
    stateMachineArn: ARN,
    now: () => new Date(),
    ...ctxOverrides,
  };
  return { ctx, client, ack, respond, sfnSend, callbacks, calls, store };
}
type Fakes = ReturnType<typeof fakes>;

function command(f: Fakes, user: string, text: string, triggerId = 'trigger-1'): CommandArgs {
  return {
    ack: f.ack,
    respond: f.respond,
    client: f.client,
    command: { user_id: user, text, trigger_id: triggerId, channel_id: 'C0RELEASES' },
  } as unknown as CommandArgs;
}
function click(f: Fakes, user: string, approvalId: string, actionId = 'golive_approve'): ButtonArgs {
  return {
    ack: f.ack,
    client: f.client,
    action: { action_id: actionId, value: approvalId, type: 'button' },
    body: { user: { id: user }, channel: { id: 'C0RELEASES' }, message: { ts: '1.000001' }, trigger_id: 'trigger-2' },
  } as unknown as ButtonArgs;
}
function submission(
  f: Fakes,
  user: string,
  callbackId: string,
  values: Record<string, unknown>,
  meta: unknown,
): ViewArgs {
  return {
    ack: f.ack,
    client: f.client,
    body: { user: { id: user } },
    view: { id: 'V1', callback_id: callbackId, private_metadata: JSON.stringify(meta), state: { values } },
  } as unknown as ViewArgs;
}

async function pendingApproval(f: Fakes, overrides: Partial<ApprovalRecord> = {}): Promise<ApprovalRecord> {
  const record: ApprovalRecord = {
    approvalId: 'apr-1',
    executionId: EXECUTION,
    service: 'demo',
    version: '2.0.0',
    requestedBy: REQUESTER,
    approvers: [APPROVER, 'U_APPROVER_BEN'],
    minApprovals: 1,
    allowSelfApproval: false,
    token: 'secret-task-token',
    status: 'pending',
    createdAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    votes: [],
    ...overrides,
  };
  await f.store.createApproval(record);
  return record;
}
const ackText = (f: Fakes) => JSON.stringify(f.ack.mock.calls[0]);
const ephemeralText = (f: Fakes) => JSON.stringify(f.client.chat.postEphemeral.mock.calls);

describe('/golive command listener', () => {
  it('starts a go-live for a release manager, acking before StartExecution', async () => {
    const f = fakes();

    await golive(f.ctx)(command(f, REQUESTER, 'demo 2.0.0 canary'));

    expect(f.calls[0]).toBe('ack');
    const start = f.sfnSend.mock.calls.find(
      ([c]) => c.constructor.name === 'StartExecutionCommand',
    )?.[0] as unknown as {
      input: { name: string; input: string };
    };
    expect(JSON.parse(start.input.input)).toEqual({
      service: 'demo',
      version: '2.0.0',
      strategy: 'canary',
      requestedBy: REQUESTER,
    });
    expect(start.input.name).toMatch(/^demo-2-0-0-slack-[0-9a-f]{12}$/);
    expect(f.respond).toHaveBeenCalledWith(expect.objectContaining({ response_type: 'ephemeral' }));
  });

  it('does not start a second go-live when the same trigger arrives again (retry)', async () => {
    const f = fakes();
    f.sfnSend.mockImplementation((c: { constructor: { name: string } }) =>
      Promise.resolve(c.constructor.name === 'DescribeExecutionCommand' ? { status: 'RUNNING' } : {}),
    );

    await golive(f.ctx)(command(f, REQUESTER, 'demo 2.0.0'));

    expect(f.sfnSend.mock.calls.map(([c]) => c.constructor.name)).toEqual(['DescribeExecutionCommand']);
  });

  it('refuses anyone who is not a release manager, and starts nothing', async () => {
    const f = fakes();

    await golive(f.ctx)(command(f, APPROVER, 'demo 2.0.0'));

    expect(ackText(f)).toContain('only release managers');
    expect(f.sfnSend).not.toHaveBeenCalled();
  });

  it.each([
    ['demo 2.0', 'not a semantic version'],
    ['nosuch 2.0.0', 'unknown service \\"nosuch\\"'],
    ['demo 2.0.0 yolo', 'unknown strategy \\"yolo\\"'],
    ['demo', 'the version is missing'],
    ['demo 2.0.0 canary extra', 'too many arguments'],
  ])('names the problem and the usage for "%s"', async (text, problem) => {
    const f = fakes();

    await golive(f.ctx)(command(f, REQUESTER, text));

    expect(ackText(f)).toContain(problem);
    expect(ackText(f)).toContain('/golive <service> <version> [strategy]');
    expect(f.ack.mock.calls[0][0]).toEqual(expect.objectContaining({ response_type: 'ephemeral' }));
    expect(f.sfnSend).not.toHaveBeenCalled();
  });

  it('opens the start modal with the configured services when typed alone', async () => {
    const f = fakes();

    await golive(f.ctx)(command(f, REQUESTER, ''));

    expect(f.calls.slice(0, 2)).toEqual(['ack', 'views.open']);
    const view = JSON.stringify(f.client.views.open.mock.calls[0]);
    expect(view).toContain('golive_start_modal');
    expect(view).toContain('"value":"demo"');
  });

  it('does not open the start modal for someone who may not start', async () => {
    const f = fakes();

    await golive(f.ctx)(command(f, OUTSIDER, ''));

    expect(ackText(f)).toContain('only release managers');
    expect(f.client.views.open).not.toHaveBeenCalled();
  });

  it('answers help with the usage', async () => {
    const f = fakes();

    await golive(f.ctx)(command(f, OUTSIDER, 'help'));

    expect(ackText(f)).toContain('/golive abort <execution>');
  });

  it('lets only release managers abort', async () => {
    const f = fakes();

    await golive(f.ctx)(command(f, APPROVER, `abort demo-2-0-0`));

    expect(ackText(f)).toContain('cannot abort');
    expect(await f.store.getExecutionValue(EXECUTION, 'abort')).toBeUndefined();
  });

  it('aborts a running go-live for a release manager', async () => {
    const f = fakes();
    f.sfnSend.mockImplementation(() =>
      Promise.resolve({ status: 'RUNNING', name: 'demo-2-0-0', executionArn: EXECUTION }),
    );

    await golive(f.ctx)(command(f, REQUESTER, 'abort demo-2-0-0 smoke looks off'));

    expect(f.calls[0]).toBe('ack');
    expect(await f.store.getExecutionValue(EXECUTION, 'abort')).toEqual(
      expect.objectContaining({ by: REQUESTER, reason: 'smoke looks off' }),
    );
  });
});

describe('approval button listeners', () => {
  it('decides on an approver click: resumes the task and removes the buttons', async () => {
    const f = fakes();
    await pendingApproval(f);

    await approve(f.ctx)(click(f, APPROVER, 'apr-1'));

    expect(f.calls[0]).toBe('ack');
    expect(f.callbacks.succeed).toHaveBeenCalledWith('secret-task-token', expect.anything());
    const update = JSON.stringify(f.client.chat.update.mock.calls[0]);
    expect(update).toContain('Approved');
    expect(update).not.toContain('golive_approve');
    expect(update).not.toContain('secret-task-token');
  });

  it.each([
    [OUTSIDER, 'is not an approver'],
    [REQUESTER, 'requested this go-live'],
  ])('explains privately to %s why the click changes nothing', async (user, why) => {
    const f = fakes({ config: testConfig({ slack: { approvers: [APPROVER, 'U_APPROVER_BEN', REQUESTER] } }) });
    await pendingApproval(f, { approvers: [APPROVER, 'U_APPROVER_BEN', REQUESTER] });

    await approve(f.ctx)(click(f, user, 'apr-1'));

    expect(ephemeralText(f)).toContain(why);
    expect(f.client.chat.postEphemeral.mock.calls[0][0]).toEqual(expect.objectContaining({ user }));
    expect(f.client.chat.update).not.toHaveBeenCalled();
    expect(f.callbacks.succeed).not.toHaveBeenCalled();
    expect((await f.store.getApproval('apr-1'))?.votes).toEqual([]);
  });

  it('shows N of M progress and keeps the buttons until enough approvals', async () => {
    const f = fakes();
    await pendingApproval(f, { minApprovals: 2 });

    await approve(f.ctx)(click(f, APPROVER, 'apr-1'));

    const update = JSON.stringify(f.client.chat.update.mock.calls[0]);
    expect(update).toContain('1 of 2 needed');
    expect(update).toContain('golive_approve');
    expect(f.callbacks.succeed).not.toHaveBeenCalled();
  });

  it('handles a double click gracefully: counted once, and says so', async () => {
    const f = fakes();
    await pendingApproval(f, { minApprovals: 2 });

    await approve(f.ctx)(click(f, APPROVER, 'apr-1'));
    await approve(f.ctx)(click(f, APPROVER, 'apr-1'));

    expect((await f.store.getApproval('apr-1'))?.votes).toHaveLength(1);
    expect(ephemeralText(f)).toContain('counted once');
  });

  it('says the sign-off is closed when clicked after expiry, and removes the buttons', async () => {
    const f = fakes();
    await pendingApproval(f, { expiresAt: new Date(Date.now() - 1000).toISOString() });

    await approve(f.ctx)(click(f, APPROVER, 'apr-1'));

    expect(ephemeralText(f)).toContain('expired');
    const update = JSON.stringify(f.client.chat.update.mock.calls[0]);
    expect(update).toContain('Expired');
    expect(update).not.toContain('golive_approve');
    expect(f.callbacks.succeed).not.toHaveBeenCalled();
  });

  it('opens the reject modal for an approver, carrying only the approval id', async () => {
    const f = fakes();
    await pendingApproval(f);

    await reject(f.ctx)(click(f, APPROVER, 'apr-1', 'golive_reject'));

    expect(f.calls.slice(0, 2)).toEqual(['ack', 'views.open']);
    const view = JSON.stringify(f.client.views.open.mock.calls[0]);
    expect(view).toContain('golive_reject_modal');
    expect(view).toContain('apr-1');
    expect(view).not.toContain('secret-task-token');
  });

  it('does not open the reject modal for someone not allowed', async () => {
    const f = fakes();
    await pendingApproval(f);

    await reject(f.ctx)(click(f, OUTSIDER, 'apr-1', 'golive_reject'));

    expect(f.client.views.open).not.toHaveBeenCalled();
    expect(ephemeralText(f)).toContain('is not an approver');
  });
});

describe('modal submission listeners', () => {
  it('requires a reason to reject, keeping the modal open', async () => {
    const f = fakes();
    await pendingApproval(f);

    await rejectSubmitted(f.ctx)(
      submission(f, APPROVER, 'golive_reject_modal', { reason: { reason: { value: '   ' } } }, { approvalId: 'apr-1' }),
    );

    expect(f.ack).toHaveBeenCalledWith(expect.objectContaining({ response_action: 'errors' }));
    expect(f.callbacks.fail).not.toHaveBeenCalled();
  });

  it('rejects with the reason: fails the task with ApprovalRejected', async () => {
    const f = fakes();
    await pendingApproval(f);

    await rejectSubmitted(f.ctx)(
      submission(
        f,
        APPROVER,
        'golive_reject_modal',
        { reason: { reason: { value: 'Rückgängig – 回滚' } } },
        { approvalId: 'apr-1', channel: 'C0RELEASES', ts: '1.000001' },
      ),
    );

    expect(f.calls[0]).toBe('ack');
    expect(f.callbacks.fail).toHaveBeenCalledWith(
      'secret-task-token',
      'ApprovalRejected',
      expect.stringContaining('回滚'),
    );
    expect(JSON.stringify(f.client.chat.update.mock.calls[0])).toContain('Rejected');
  });

  it('shows a bad version in the start modal and starts nothing', async () => {
    const f = fakes();

    await startSubmitted(f.ctx)(
      submission(
        f,
        REQUESTER,
        'golive_start_modal',
        { service: { service: { selected_option: { value: 'demo' } } }, version: { version: { value: 'v2' } } },
        { channel: 'C0RELEASES' },
      ),
    );

    expect(f.ack).toHaveBeenCalledWith({
      response_action: 'errors',
      errors: { version: expect.stringContaining('not a semantic version') },
    });
    expect(f.sfnSend).not.toHaveBeenCalled();
  });

  it('starts a go-live from the modal once per view', async () => {
    const f = fakes();
    const values = {
      service: { service: { selected_option: { value: 'demo' } } },
      version: { version: { value: '2.0.0' } },
      strategy: { strategy: { selected_option: { value: 'blue-green' } } },
      notes: { notes: { value: 'after the freeze' } },
    };

    await startSubmitted(f.ctx)(submission(f, REQUESTER, 'golive_start_modal', values, { channel: 'C0RELEASES' }));

    expect(f.calls[0]).toBe('ack');
    const start = f.sfnSend.mock.calls.find(
      ([c]) => c.constructor.name === 'StartExecutionCommand',
    )?.[0] as unknown as {
      input: { input: string };
    };
    expect(JSON.parse(start.input.input)).toEqual(
      expect.objectContaining({ strategy: 'blue-green', notes: 'after the freeze', requestedBy: REQUESTER }),
    );
  });
});
