import { SFNClient } from '@aws-sdk/client-sfn';
import { approve } from '../../lambdas/slack/listeners/actions/approve';
import { approveSubmitted } from '../../lambdas/slack/listeners/views/approve-submitted';
import { READINESS_VALUE, type ReadinessItem, type ReadinessReport } from '../../lambdas/core/steps/readiness';
import { reject } from '../../lambdas/slack/listeners/actions/reject';
import { golive } from '../../lambdas/slack/listeners/commands/golive';
import { rejectSubmitted } from '../../lambdas/slack/listeners/views/reject-submitted';
import { startSubmitted } from '../../lambdas/slack/listeners/views/start-submitted';
import type { ButtonArgs, CommandArgs, ViewArgs } from '../../lambdas/slack/listeners/types';
import { LEG_KEY, type Leg } from '../../lambdas/slack/listeners/legs';
import { slackAppContext, type SlackAppContext } from '../../lambdas/slack/context';
import { GoLiveClient } from '../../lambdas/core/client';
import type { ApprovalRecord } from '../../lambdas/core/ports';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { parseConfig, type GoLiveConfig } from '../../lambdas/core/config';
import { APPROVER, REQUESTER, testConfig } from '../support/harness';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:golive-go-live';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:golive-go-live:demo-2-0-0';
const OUTSIDER = 'U_GUEST';
const NAMES: Record<string, string> = {
  [APPROVER]: 'Ana',
  U_APPROVER_BEN: 'Ben',
  [REQUESTER]: 'Rita',
};

/** DescribeExecution of EXECUTION: a RUNNING go-live of demo requested by REQUESTER. */
const RUNNING = {
  status: 'RUNNING',
  name: 'demo-2-0-0',
  executionArn: EXECUTION,
  input: JSON.stringify({ service: 'demo', version: '2.0.0', requestedBy: REQUESTER }),
};

/**
 * Records every call in order, so tests can assert that ack() came first. Step Functions is a fake
 * behind a real GoLiveClient: EXECUTION is running, any other execution does not exist.
 */
function fakes(options: { config?: GoLiveConfig } = {}) {
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
    users: {
      info: jest.fn((args: { user: string }) => {
        calls.push('users.info');
        const name = NAMES[args.user];
        return name
          ? Promise.resolve({ ok: true, user: { id: args.user, name, profile: { display_name: name } } })
          : Promise.reject(new Error('An API error occurred: user_not_found'));
      }),
    },
  };
  const ack = jest.fn(record('ack', undefined));
  const respond = jest.fn(record('respond', undefined));
  const sfnSend = jest.fn(
    (command: { constructor: { name: string }; input: { executionArn?: string } }): Promise<unknown> => {
      calls.push(command.constructor.name);
      if (command.constructor.name === 'DescribeExecutionCommand') {
        if (command.input.executionArn === EXECUTION) return Promise.resolve(RUNNING);
        const err = new Error('does not exist');
        err.name = 'ExecutionDoesNotExist';
        return Promise.reject(err);
      }
      return Promise.resolve({ executionArn: EXECUTION, startDate: new Date() });
    },
  );
  const callbacks = {
    succeed: jest.fn(() => Promise.resolve({ closed: false })),
    fail: jest.fn(() => Promise.resolve({ closed: false })),
  };
  const store = new SqliteStore(':memory:');
  // A real client (the SDK's paginators want one) whose every call is the fake.
  const sfn = new SFNClient({ region: 'us-east-1' });
  sfn.send = sfnSend as unknown as SFNClient['send'];
  const goLives = new GoLiveClient({
    config: options.config ?? testConfig(),
    sfn,
    stateMachineArn: ARN,
    store,
    callbacks,
    now: () => new Date(),
  });
  const ctx: SlackAppContext = slackAppContext(goLives, store);
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
/** DescribeExecution answers a RUNNING go-live of demo, whatever the execution. */
function running(f: Fakes) {
  f.sfnSend.mockImplementation((command) => {
    f.calls.push(command.constructor.name);
    return Promise.resolve(command.constructor.name === 'DescribeExecutionCommand' ? RUNNING : {});
  });
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
      verifiedBy: 'slack',
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
    running(f);

    await golive(f.ctx)(command(f, REQUESTER, 'abort demo-2-0-0 smoke looks off'));

    expect(f.calls[0]).toBe('ack');
    expect(await f.store.getExecutionValue(EXECUTION, 'abort')).toEqual(
      expect.objectContaining({ by: REQUESTER, reason: 'smoke looks off' }),
    );
    expect(await f.store.listAudit(EXECUTION)).toEqual([
      expect.objectContaining({ action: 'abort', actor: REQUESTER, verifiedBy: 'slack', actorName: 'Rita' }),
    ]);
  });
});

/** An approve-form submission ticking `attest`. */
function approveForm(f: Fakes, user: string, attest: string[] = [], note?: string): ViewArgs {
  return submission(
    f,
    user,
    'golive_approve_modal',
    {
      'attest:0': { attest: { type: 'checkboxes', selected_options: attest.map((value) => ({ value })) } },
      ...(note ? { note: { note: { value: note } } } : {}),
    },
    { approvalId: 'apr-1', channel: 'C0RELEASES', ts: '1.000001' },
  );
}

function item(id: string, overrides: Partial<ReadinessItem> = {}): ReadinessItem {
  return {
    id,
    category: 'Network',
    title: `Title of ${id}`,
    kind: 'attest',
    attestRole: 'production-team',
    level: 'required',
    required: true,
    status: 'to-attest',
    summary: 'to attest at the sign-off',
    evidence: {},
    attesters: [APPROVER, 'U_APPROVER_BEN'],
    waivableBy: [],
    ...overrides,
  };
}

/** A checklist in the store: two required items Ana may attest, one only Ben may, one advisory. */
async function checklist(f: Fakes): Promise<ReadinessReport> {
  const report: ReadinessReport = {
    service: 'demo',
    version: '2.0.0',
    passed: true,
    checkedAt: new Date().toISOString(),
    failing: [],
    awaitingAttestation: ['ingress', 'db-private', 'security-review'],
    items: [
      item('ingress'),
      item('db-private'),
      item('security-review', { category: 'Access', attestRole: 'security', attesters: ['U_APPROVER_BEN'] }),
      item('multi-location', { level: 'advisory', required: false }),
      item('db-not-public', { kind: 'check', status: 'pass', summary: 'private', attesters: [] }),
    ],
  };
  await f.store.putExecutionValue(EXECUTION, READINESS_VALUE, report);
  return report;
}

describe('/golive with hostile input', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'answers "%s 1.0.0" at once as an unknown service, starting nothing',
    async (service) => {
      const f = fakes();

      await golive(f.ctx)(command(f, REQUESTER, `${service} 1.0.0`));

      expect(f.ack).toHaveBeenCalledTimes(1);
      expect(ackText(f)).toContain(`unknown service \\"${service}\\"`);
      expect(f.sfnSend).not.toHaveBeenCalled();
    },
  );

  it.each(['status constructor', 'history __proto__', 'history toString'])(
    'does not take "%s" for a service',
    async (text) => {
      const f = fakes();

      await golive(f.ctx)(command(f, REQUESTER, text));

      expect(f.ack).toHaveBeenCalledTimes(1);
      const said = JSON.stringify([f.ack.mock.calls, f.respond.mock.calls]);
      expect(said).toMatch(/unknown service|neither a service/);
      expect(said).not.toContain('has no go-lives yet');
    },
  );

  it('shows what the user typed, never as Slack controls', async () => {
    const f = fakes();

    await golive(f.ctx)(command(f, REQUESTER, '<!channel> 1.0.0'));

    expect(ackText(f)).toContain('unknown service \\"&lt;!channel&gt;\\"');
    expect(ackText(f)).not.toContain('<!channel>');
  });

  it('escapes an abort reason in the thread and names the release manager by mention', async () => {
    const f = fakes();
    running(f);
    await f.store.putExecutionValue(EXECUTION, 'slack.card', { channel: 'C0RELEASES', ts: '1.000001' });

    await golive(f.ctx)(command(f, REQUESTER, 'abort demo-2-0-0 <!channel> & <@U_APPROVER_BEN>'));

    const posted = f.client.chat.postMessage.mock.calls.map((c) => (c as unknown as [{ text: string }])[0].text);
    expect(posted).toEqual([
      '🛑 Abort requested by <@U_RELEASE_MANAGER>: &lt;!channel&gt; &amp; &lt;@U_APPROVER_BEN&gt;. Rolling back.',
    ]);
  });

  it('escapes a reject reason in the thread and on the approval message', async () => {
    const f = fakes();
    await pendingApproval(f);
    await f.store.putExecutionValue(EXECUTION, 'slack.card', { channel: 'C0RELEASES', ts: '0.000001' });

    await rejectSubmitted(f.ctx)(
      submission(
        f,
        APPROVER,
        'golive_reject_modal',
        { reason: { reason: { value: '<!channel> <!here> <@U_APPROVER_BEN> R&D' } } },
        { approvalId: 'apr-1', channel: 'C0RELEASES', ts: '1.000001' },
      ),
    );

    const all = JSON.stringify([f.client.chat.postMessage.mock.calls, f.client.chat.update.mock.calls]);
    expect(all).toContain('&lt;!channel&gt; &lt;!here&gt; &lt;@U_APPROVER_BEN&gt; R&amp;D');
    expect(all).not.toMatch(/<!channel>|<!here>|<@U_APPROVER_BEN> R&D/);
    expect((await f.store.getApproval('apr-1'))?.votes).toEqual([
      expect.objectContaining({ decision: 'reject', verifiedBy: 'slack', voterName: 'Ana' }),
    ]);
  });
});

describe('/golive with roles per service', () => {
  /** demo names its own release manager: the global one is not one of demo's. */
  const perService = () => testConfig({ demo: { roles: { releaseManagers: ['U_DEMO_RM'] } } });

  it('refuses a global release manager who is not one of the service', async () => {
    const f = fakes({ config: perService() });

    await golive(f.ctx)(command(f, REQUESTER, 'demo 2.0.0'));

    expect(ackText(f)).toContain('only release managers of demo (<@U_DEMO_RM>)');
    expect(f.sfnSend).not.toHaveBeenCalled();
  });

  it("starts for the service's own release manager", async () => {
    const f = fakes({ config: perService() });

    await golive(f.ctx)(command(f, 'U_DEMO_RM', 'demo 2.0.0'));

    expect(f.sfnSend.mock.calls.map(([c]) => c.constructor.name)).toContain('StartExecutionCommand');
  });

  it('offers in the start form only the services the user manages, and refuses the others there', async () => {
    const f = fakes({ config: perService() });

    await golive(f.ctx)(command(f, REQUESTER, ''));
    await startSubmitted(f.ctx)(
      submission(
        f,
        REQUESTER,
        'golive_start_modal',
        { service: { service: { selected_option: { value: 'demo' } } }, version: { version: { value: '2.0.0' } } },
        { channel: 'C0RELEASES' },
      ),
    );

    expect(f.client.views.open).not.toHaveBeenCalled();
    expect(ackText(f)).toContain('only release managers');
    expect(f.ack.mock.calls[1][0]).toEqual({
      response_action: 'errors',
      errors: { service: expect.stringContaining('not a release manager of demo') },
    });
    expect(f.sfnSend).not.toHaveBeenCalled();
  });

  it("refuses an abort by a release manager of another service than the go-live's", async () => {
    const base = perService();
    const config = parseConfig({
      ...base,
      services: { ...base.services, other: { ...base.services.demo, roles: {} } },
    });
    const f = fakes({ config });
    running(f);

    await golive(f.ctx)(command(f, REQUESTER, 'abort demo-2-0-0'));

    expect(f.calls[0]).toBe('ack');
    expect(JSON.stringify(f.respond.mock.calls)).toContain(
      '🚫 <@U_RELEASE_MANAGER> is not a release manager of demo (release managers: <@U_DEMO_RM>)',
    );
    expect(await f.store.getExecutionValue(EXECUTION, 'abort')).toBeUndefined();
  });
});

describe('approval button listeners', () => {
  it('opens the approve form for an approver: the items they may attest, none ticked, and what approving attests', async () => {
    const f = fakes();
    await pendingApproval(f);
    await checklist(f);

    await approve(f.ctx)(click(f, APPROVER, 'apr-1'));

    expect(f.calls[0]).toBe('ack');
    expect(f.client.views.open).toHaveBeenCalledTimes(1);
    const { view } = f.client.views.open.mock.calls[0][0] as unknown as { view: { blocks: unknown[] } };
    const text = JSON.stringify(view);
    expect(text).toContain('golive_approve_modal');
    expect(text).toContain('Approving attests only the items you tick');
    const offered = view.blocks.flatMap((b) => {
      const el = (b as { element?: { type: string; options: { value: string }[]; initial_options?: unknown } }).element;
      expect(el?.initial_options).toBeUndefined();
      return el?.type === 'checkboxes' ? el.options.map((o) => o.value) : [];
    });
    expect(offered).toEqual(['ingress', 'db-private', 'multi-location']);
    expect(text).toContain('requested by Rita');
    expect(text).toContain('Title of security-review — Ben');
    expect(text).not.toContain('secret-task-token');
    expect(f.callbacks.succeed).not.toHaveBeenCalled();
  });

  it('decides on a submitted approve form: resumes the task and removes the buttons', async () => {
    const f = fakes();
    await pendingApproval(f);

    await approveSubmitted(f.ctx)(approveForm(f, APPROVER));

    expect(f.callbacks.succeed).toHaveBeenCalledWith('secret-task-token', expect.anything());
    const update = JSON.stringify(f.client.chat.update.mock.calls[0]);
    expect(update).toContain('Approved');
    expect(update).not.toContain('golive_approve');
    expect(update).not.toContain('secret-task-token');
  });

  it('refuses an approval in the form while required items stay unattested, naming them and who may attest', async () => {
    const f = fakes();
    await pendingApproval(f);
    await checklist(f);

    await approveSubmitted(f.ctx)(approveForm(f, APPROVER, ['ingress']));

    const [response] = f.ack.mock.calls[0] as unknown as [{ response_action: string; errors: Record<string, string> }];
    expect(response.response_action).toBe('errors');
    const error = response.errors['attest:0'];
    expect(error).toBe(
      'Not approved, nothing recorded: 2 required item(s) would stay unattested: db-private (may attest: Ana, Ben); ' +
        'security-review (may attest: Ben). Tick those you have checked yourself, or have them attested or waived first.',
    );
    expect((await f.store.getApproval('apr-1'))?.votes).toEqual([]);
    expect(f.callbacks.succeed).not.toHaveBeenCalled();
    const report = await f.store.getExecutionValue<ReadinessReport>(EXECUTION, READINESS_VALUE);
    expect(report?.items.find((i) => i.id === 'ingress')?.status).toBe('to-attest');
  });

  it('attests exactly the ticked items, with the voter verified by Slack and named', async () => {
    const f = fakes();
    await pendingApproval(f, { approvers: [APPROVER, 'U_APPROVER_BEN'], minApprovals: 2 });
    const report = await checklist(f);
    report.awaitingAttestation = ['ingress', 'db-private'];
    report.items = report.items.filter((i) => i.id !== 'security-review');
    await f.store.putExecutionValue(EXECUTION, READINESS_VALUE, report);

    await approveSubmitted(f.ctx)(approveForm(f, APPROVER, ['ingress', 'db-private'], 'checked <!channel>'));

    expect(f.ack).toHaveBeenCalledWith();
    const record = await f.store.getApproval('apr-1');
    expect(record?.votes).toEqual([
      expect.objectContaining({
        voter: APPROVER,
        decision: 'approve',
        verifiedBy: 'slack',
        voterName: 'Ana',
        reason: 'checked <!channel>',
      }),
    ]);
    const after = await f.store.getExecutionValue<ReadinessReport>(EXECUTION, READINESS_VALUE);
    expect(after?.items.filter((i) => i.status === 'attested').map((i) => i.id)).toEqual(['ingress', 'db-private']);
    expect(after?.items.find((i) => i.id === 'multi-location')?.status).toBe('to-attest');
    const audit = await f.store.listAudit(EXECUTION);
    expect(audit.filter((a) => a.action === 'attest')).toEqual([
      expect.objectContaining({ actor: APPROVER, verifiedBy: 'slack', actorName: 'Ana' }),
      expect.objectContaining({ actor: APPROVER, verifiedBy: 'slack', actorName: 'Ana' }),
    ]);
    const update = JSON.stringify(f.client.chat.update.mock.calls[0]);
    expect(update).toContain('checked &lt;!channel&gt;');
    expect(update).not.toContain('<!channel>');
  });

  it('shows the checklist as signed off once decided: who attested or waived each item and when', async () => {
    const f = fakes();
    await pendingApproval(f);
    const report = await checklist(f);
    const security = report.items.find((i) => i.id === 'security-review')!;
    Object.assign(security, {
      status: 'waived',
      waiver: {
        by: 'U_APPROVER_BEN',
        reason: '<!here> pen test next week',
        at: '2026-05-04T10:20:30.000Z',
        was: 'to-attest',
      },
    });
    report.awaitingAttestation = ['ingress', 'db-private'];
    await f.store.putExecutionValue(EXECUTION, READINESS_VALUE, report);

    await approveSubmitted(f.ctx)(approveForm(f, APPROVER, ['ingress', 'db-private']));

    expect(f.callbacks.succeed).toHaveBeenCalledTimes(1);
    const final = JSON.stringify(f.client.chat.update.mock.calls.at(-1));
    expect(final).toContain('Checklist at the sign-off');
    expect(final).toMatch(/Title of ingress — attested by <@U_APPROVER_ANA> at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(final).toContain(
      'Title of security-review — waived by <@U_APPROVER_BEN> at 2026-05-04 10:20 UTC: &lt;!here&gt; pen test next week',
    );
    expect(final).toContain('Title of multi-location (advisory) — not attested');
    expect(final).not.toContain('<!here>');
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
    expect(f.client.views.open).not.toHaveBeenCalled();
    expect(f.client.chat.update).not.toHaveBeenCalled();
    expect(f.callbacks.succeed).not.toHaveBeenCalled();
    expect((await f.store.getApproval('apr-1'))?.votes).toEqual([]);
  });

  it('writes people as mentions in what it tells a refused voter', async () => {
    const f = fakes();
    await pendingApproval(f);

    await approve(f.ctx)(click(f, OUTSIDER, 'apr-1'));

    expect(ephemeralText(f)).toContain(
      '<@U_GUEST> is not an approver of this go-live (approvers: <@U_APPROVER_ANA>, <@U_APPROVER_BEN>)',
    );
  });

  it('shows N of M progress and keeps the buttons until enough approvals', async () => {
    const f = fakes();
    await pendingApproval(f, { minApprovals: 2 });

    await approveSubmitted(f.ctx)(approveForm(f, APPROVER));

    const update = JSON.stringify(f.client.chat.update.mock.calls[0]);
    expect(update).toContain('1 of 2 needed');
    expect(update).toContain('golive_approve');
    expect(f.callbacks.succeed).not.toHaveBeenCalled();
  });

  it('handles a double submission gracefully: counted once, and says so', async () => {
    const f = fakes();
    await pendingApproval(f, { minApprovals: 2 });

    await approveSubmitted(f.ctx)(approveForm(f, APPROVER));
    await approveSubmitted(f.ctx)(approveForm(f, APPROVER));

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
    expect(f.client.views.open).not.toHaveBeenCalled();
    expect(f.callbacks.succeed).not.toHaveBeenCalled();
  });

  it('says a sign-off is unknown when an approve form carries no approval id', async () => {
    const f = fakes();
    const args = approveForm(f, APPROVER);
    (args.view as { private_metadata: string }).private_metadata = 'not json';

    await approveSubmitted(f.ctx)(args);

    expect(f.ack).toHaveBeenCalledWith();
    expect(ephemeralText(f)).toContain('this sign-off is unknown');
  });

  it('opens the reject modal for an approver, carrying only the approval id', async () => {
    const f = fakes();
    await pendingApproval(f);

    await reject(f.ctx)(click(f, APPROVER, 'apr-1', 'golive_reject'));

    expect(f.calls[0]).toBe('ack');
    expect(f.client.views.open).toHaveBeenCalledTimes(1);
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

describe('listeners in two legs (Lambda: the answer, then the work in a second invocation)', () => {
  /** The command as Bolt hands it to the listener in a leg: its parsed body and the leg in its context. */
  function inLeg(args: CommandArgs, leg: Leg): CommandArgs {
    return { ...args, body: { ...args.command }, context: { [LEG_KEY]: leg } } as unknown as CommandArgs;
  }

  it('answers and hands the request over in the answer leg, starting nothing', async () => {
    const f = fakes();
    const handOver = jest.fn();
    const args = inLeg(command(f, REQUESTER, 'demo 2.0.0'), { kind: 'answer', handOver });

    await golive(f.ctx)(args);

    expect(f.ack).toHaveBeenCalledWith({ response_type: 'ephemeral', text: 'Starting demo 2.0.0 (canary)…' });
    expect(handOver).toHaveBeenCalledWith(args.body);
    expect(f.sfnSend).not.toHaveBeenCalled();
    expect(f.respond).not.toHaveBeenCalled();
  });

  it('hands nothing over when the answer refuses', async () => {
    const f = fakes();
    const handOver = jest.fn();

    await golive(f.ctx)(inLeg(command(f, APPROVER, 'demo 2.0.0'), { kind: 'answer', handOver }));

    expect(ackText(f)).toContain('only release managers');
    expect(handOver).not.toHaveBeenCalled();
  });

  it('does the work in the work leg without answering again', async () => {
    const f = fakes();

    await golive(f.ctx)(inLeg(command(f, REQUESTER, 'demo 2.0.0'), { kind: 'work' }));

    expect(f.ack).not.toHaveBeenCalled();
    expect(f.sfnSend.mock.calls.map(([c]) => c.constructor.name)).toContain('StartExecutionCommand');
    expect(JSON.stringify(f.respond.mock.calls)).toContain('🚀 Started');
  });

  it('tells a refusal of GoLiveClient in the work as an answer: the service is locked', async () => {
    const f = fakes();
    const now = new Date();
    await f.store.acquireLock(
      {
        service: 'demo',
        executionId: EXECUTION,
        version: '1.9.0',
        requestedBy: REQUESTER,
        acquiredAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + 3600_000).toISOString(),
      },
      now,
    );

    await golive(f.ctx)(inLeg(command(f, REQUESTER, 'demo 2.0.0'), { kind: 'work' }));

    expect(f.respond).toHaveBeenCalledWith({
      response_type: 'ephemeral',
      text: expect.stringMatching(/^⚠️ demo is locked by demo-2-0-0 \(1\.9\.0, requested by <@U_RELEASE_MANAGER>/),
    });
    expect(f.sfnSend.mock.calls.map(([c]) => c.constructor.name)).not.toContain('StartExecutionCommand');
  });

  it('tells the user when the work fails, and fails the invocation with the error', async () => {
    const f = fakes();
    f.sfnSend.mockImplementation(() => Promise.reject(Object.assign(new Error('boom'), { name: 'InternalFailure' })));

    const work = golive(f.ctx)(inLeg(command(f, REQUESTER, 'demo 2.0.0'), { kind: 'work' }));

    await expect(work).rejects.toMatchObject({ name: 'InternalFailure' });
    expect(JSON.stringify(f.respond.mock.calls)).toContain('golive could not finish this (InternalFailure)');
  });
});

describe('/golive history and status, through GoLiveClient', () => {
  /** Twelve ended go-lives of demo, newest first, and one of another service among them. */
  function history(f: Fakes) {
    const prefix = EXECUTION.slice(0, EXECUTION.lastIndexOf(':') + 1);
    const executions = Array.from({ length: 13 }, (_, i) => ({
      name: `go-${i}`,
      executionArn: `${prefix}go-${i}`,
      status: 'SUCCEEDED',
      startDate: new Date(Date.UTC(2026, 4, 4, 12 - i)),
      stopDate: new Date(Date.UTC(2026, 4, 4, 12 - i, 30)),
      input: JSON.stringify({
        service: i === 3 ? 'other' : 'demo',
        version: `2.0.${i}`,
        requestedBy: REQUESTER,
      }),
    }));
    f.sfnSend.mockImplementation((command) => {
      f.calls.push(command.constructor.name);
      const input = (command as unknown as { input: { executionArn?: string } }).input;
      if (command.constructor.name === 'ListExecutionsCommand') return Promise.resolve({ executions });
      if (command.constructor.name === 'DescribeExecutionCommand')
        return Promise.resolve(executions.find((e) => e.executionArn === input.executionArn));
      return Promise.resolve({ events: [] });
    });
  }
  const told = (f: Fakes) => (f.respond.mock.calls.at(-1)![0] as unknown as { text: string }).text;

  it('lists ten at a time, newest first, and names the command for the next page', async () => {
    const f = fakes();
    history(f);

    await golive(f.ctx)(command(f, APPROVER, 'history demo'));
    const first = told(f);
    const next = /`\/golive history demo (\S+)`/.exec(first)?.[1];
    await golive(f.ctx)(command(f, APPROVER, `history demo ${next}`));
    const second = told(f);

    expect(first.split('\n')[0]).toBe('*demo: last 10 go-live(s)*');
    expect(first).toContain('`go-0` demo 2.0.0 — *SUCCEEDED*');
    expect(first).toContain('`go-10` demo 2.0.10');
    expect(first).not.toContain('`go-3`');
    expect(second.split('\n')[0]).toBe('*demo: 2 older go-live(s)*');
    expect(second).toContain('`go-11`');
    expect(second).toContain('`go-12`');
    expect(second).not.toContain('Older ones');
    // Bounded: each page describes only what it examines (11 for the first page, 2 for the second).
    expect(f.calls.filter((c) => c === 'DescribeExecutionCommand')).toHaveLength(13);
  });

  it('says a page token that golive did not give is not one', async () => {
    const f = fakes();
    history(f);

    await golive(f.ctx)(command(f, APPROVER, 'history demo <!channel>'));

    expect(told(f)).toBe('⚠️ that page is not one golive gave for demo: start again with `/golive history demo`.');
  });

  it('answers the status of a service with its newest go-live and the last audit entry', async () => {
    const f = fakes();
    history(f);
    await f.store.appendAudit({
      executionId: `${EXECUTION.slice(0, EXECUTION.lastIndexOf(':') + 1)}go-0`,
      service: 'demo',
      step: 'Notify',
      action: 'notify',
      actor: 'golive',
      outcome: 'info',
      summary: 'demo 2.0.0 is live <!here>',
      evidence: {},
      at: new Date().toISOString(),
    });

    await golive(f.ctx)(command(f, APPROVER, 'status demo'));

    expect(told(f)).toMatch(/^✅ `go-0` demo 2\.0\.0 — \*SUCCEEDED\*, took 30m/);
    expect(told(f)).toContain('\nlast: Notify — demo 2.0.0 is live &lt;!here&gt;');
  });
});
