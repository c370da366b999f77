import { request as httpRequest } from 'node:http';
import { parseConfig, type GoLiveConfig } from '../../lambdas/core/config';
import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';

/**
 * The release-control routes of the control API, over real HTTP to the local control server of one
 * local runtime: `demo` is free to go live, `frozen` sits in a change freeze.
 */

const BEN = 'U_APPROVER_BEN';
const iso = (ms: number) => new Date(ms).toISOString();

function controlsConfig(freezeEnd: string): GoLiveConfig {
  const base = testConfig({ demo: { strategy: { default: 'canary', canarySteps: [10, 50], bakeSeconds: 1 } } });
  const demo = base.services.demo;
  return parseConfig({
    ...base,
    breakGlass: { approvers: [APPROVER, BEN, REQUESTER], minApprovals: 2, timeoutSeconds: 600 },
    freezes: [
      { name: 'year-end', start: iso(Date.now() - 3_600_000), end: freezeEnd, reason: 'close', services: ['frozen'] },
    ],
    services: { demo, frozen: { ...demo, alerts: { ...demo.alerts, alarms: ['frozen-5xx-rate'] } } },
  });
}

interface Answer {
  status: number;
  allow?: string;
  body: { code?: string; message?: string } & Record<string, unknown>;
}

describe('control API: release controls over HTTP', () => {
  let h: Harness;
  const freezeEnd = iso(Date.now() + 2 * 3_600_000);

  /** A raw HTTP request with exactly these headers (fetch would add its own), as `as` when given. */
  function send(method: string, path: string, as?: string, body?: unknown, extra: Record<string, string> = {}) {
    const headers: Record<string, string> = { ...(as ? { 'x-golive-as': as } : {}), ...extra };
    if (method === 'POST') headers['content-type'] ??= 'application/json';
    return new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(`${h.rt.control.url}${path}`, { method, headers }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(res.headers.allow ? { allow: String(res.headers.allow) } : {}),
            body: JSON.parse(text) as Answer['body'],
          }),
        );
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
  const post = (path: string, as: string | undefined, body: unknown = {}) => send('POST', path, as, body);
  const start = async (body: Record<string, unknown>) => {
    const started = await post('/go-lives', REQUESTER, body);
    expect(started.status).toBe(201);
    return started.body as { name: string; executionArn: string; request: Record<string, unknown> };
  };
  const approve = async (arn: string, name: string) => {
    await h.waitForCallback(arn, 'SignOff');
    const voted = await post(`/go-lives/${name}/votes`, APPROVER, { decision: 'approve', attest: ['all'] });
    expect(voted).toMatchObject({ status: 200, body: { kind: 'decided', status: 'approved' } });
  };

  beforeAll(async () => {
    h = await startHarness({ config: controlsConfig(freezeEnd) });
  });
  afterAll(() => h.close());
  afterEach(() => {
    for (const slot of ['blue', 'green'] as const) h.rt.targets.get('demo')![slot].setFaults({ healthFailing: false });
  });

  describe('POST /services/{name}/rollback', () => {
    it('answers 409 while nothing earlier is live, 400 for an unknown service or no caller, 405 to GET', async () => {
      const nothing = await post('/services/demo/rollback', REQUESTER);
      const unknown = await post('/services/payments/rollback', REQUESTER);
      const nobody = await post('/services/demo/rollback', undefined);
      const get = await send('GET', '/services/demo/rollback', REQUESTER);

      expect(nothing).toMatchObject({
        status: 409,
        body: { code: 'Conflict', message: expect.stringContaining('nothing to undo for demo') },
      });
      expect(unknown).toMatchObject({
        status: 400,
        body: { code: 'InvalidRequest', message: expect.stringContaining('unknown service "payments"') },
      });
      expect(nobody).toMatchObject({
        status: 400,
        body: { code: 'InvalidRequest', message: expect.stringContaining('--as') },
      });
      expect(get).toMatchObject({ status: 405, allow: 'POST', body: { code: 'InvalidRequest' } });
      expect((await h.rt.client.list({ service: 'demo' })).goLives).toEqual([]);
    });
  });

  describe('POST /go-lives/{name}/pause|resume|promote', () => {
    it('steers a running go-live for a release manager only, 409 when it changes nothing', async () => {
      const started = await start({ service: 'demo', version: '2.0.0', commitAt: '2026-11-30T09:15:00+01:00' });
      const { name, executionArn: arn } = started;
      expect(started.request).toMatchObject({ commitAt: '2026-11-30T08:15:00.000Z', requestedBy: REQUESTER });

      // Who acts is the header, never the body; no header, a malformed one or a web page: refused.
      const forged = await post(`/go-lives/${name}/pause`, APPROVER, { as: REQUESTER, by: REQUESTER });
      const nobody = await post(`/go-lives/${name}/pause`, undefined);
      const odd = await post(`/go-lives/${name}/pause`, 'U 1; drop');
      const page = await send('POST', `/go-lives/${name}/pause`, REQUESTER, {}, { origin: 'https://evil.example' });
      expect(forged).toMatchObject({
        status: 403,
        body: {
          code: 'Unauthorized',
          message: expect.stringContaining(`${APPROVER} is not a release manager of demo`),
        },
      });
      expect(nobody).toMatchObject({
        status: 400,
        body: { code: 'InvalidRequest', message: expect.stringContaining('--as') },
      });
      expect(odd).toMatchObject({ status: 400, body: { message: expect.stringContaining('is not a user id') } });
      expect(page.status).toBe(403);
      expect((await send('GET', `/go-lives/${name}`)).body).toMatchObject({ paused: false });

      const paused = await post(`/go-lives/${name}/pause`, REQUESTER, { reason: 'payments team' });
      expect(paused).toMatchObject({
        status: 200,
        body: { name, executionArn: arn, service: 'demo', action: 'pause', message: expect.stringContaining('paused') },
      });
      await h.waitForCallback(arn, 'Paused');
      expect((await send('GET', `/go-lives/${name}`)).body).toMatchObject({ paused: true, held: true });
      expect(await post(`/go-lives/${name}/pause`, REQUESTER)).toMatchObject({
        status: 409,
        body: { code: 'Conflict', message: expect.stringContaining('already paused') },
      });
      for (const action of ['pause', 'resume', 'promote']) {
        expect(await send('GET', `/go-lives/${name}/${action}`, REQUESTER)).toMatchObject({
          status: 405,
          allow: 'POST',
        });
        expect(await post(`/go-lives/no-such-go-live/${action}`, REQUESTER)).toMatchObject({
          status: 404,
          body: { code: 'NotFound', message: expect.stringContaining('no go-live named no-such-go-live') },
        });
      }
      expect(await post(`/go-lives/${name}/pause`, REQUESTER, '[1]')).toMatchObject({ status: 400 });

      expect(await post(`/go-lives/${name}/resume`, REQUESTER)).toMatchObject({
        status: 200,
        body: { action: 'resume', message: `${name} resumed` },
      });
      expect(await post(`/go-lives/${name}/resume`, REQUESTER)).toMatchObject({ status: 409 });
      expect(await post(`/go-lives/${name}/promote`, REQUESTER, { reason: 'convincing' })).toMatchObject({
        status: 200,
        body: { action: 'promote' },
      });
      expect(await post(`/go-lives/${name}/promote`, REQUESTER)).toMatchObject({
        status: 409,
        body: { message: expect.stringContaining('already promoted by U_RELEASE_MANAGER') },
      });

      await approve(arn, name);
      expect((await h.finished(arn)).status).toBe('SUCCEEDED');
      expect(await post(`/go-lives/${name}/pause`, REQUESTER)).toMatchObject({
        status: 409,
        body: { message: expect.stringContaining('is not running (it is SUCCEEDED)') },
      });
      const controls = (await h.rt.store.listAudit(arn)).filter((r) => r.step === 'Controls');
      expect(controls.map((r) => `${r.action} ${r.actor}`)).toEqual([
        `pause ${REQUESTER}`,
        `resume ${REQUESTER}`,
        `promote ${REQUESTER}`,
      ]);
    }, 60_000);

    it('refuses a commitAt that is not an ISO time with a zone, naming the field (400)', async () => {
      const refused = await post('/go-lives', REQUESTER, { service: 'demo', version: '2.0.9', commitAt: 'yesterday' });

      expect(refused).toMatchObject({
        status: 400,
        body: {
          code: 'InvalidRequest',
          message: expect.stringContaining('"commitAt" "yesterday" is not an ISO 8601 time'),
        },
      });
    });
  });

  describe('POST /go-lives/{name}/retry', () => {
    it('redrives a go-live a smoke test failed (202), and refuses what a retry cannot change', async () => {
      // The candidate's health check fails its smoke test (after the readiness gate), then recovers.
      const live = await h.rt.store.getLiveVersion('demo');
      const candidate = h.rt.targets.get('demo')![live?.slot === 'green' ? 'blue' : 'green'];
      let failNext = true;
      h.rt.onTask('PreTrafficSmokeTests', () => {
        if (failNext) candidate.setFaults({ healthFailing: true });
        failNext = false;
      });
      const { name, executionArn: arn } = await start({ service: 'demo', version: '2.1.0' });
      expect((await h.finished(arn)).error).toBe('SmokeTestFailed');
      candidate.setFaults({ healthFailing: false });

      expect(await post(`/go-lives/${name}/retry`, undefined)).toMatchObject({ status: 400 });
      expect(await post(`/go-lives/${name}/retry`, APPROVER)).toMatchObject({
        status: 403,
        body: { code: 'Unauthorized' },
      });
      expect(await send('GET', `/go-lives/${name}/retry`, REQUESTER)).toMatchObject({ status: 405, allow: 'POST' });
      expect(await post('/go-lives/no-such-go-live/retry', REQUESTER)).toMatchObject({ status: 404 });
      const retried = await post(`/go-lives/${name}/retry`, REQUESTER, { reason: 'flaky environment' });

      expect(retried).toMatchObject({
        status: 202,
        body: { name, executionArn: arn, attempt: 1, resumeAt: 'PreTrafficSmokeTests' },
      });
      expect((await send('GET', `/go-lives/${name}`)).body).toMatchObject({ status: 'RUNNING' });
      await approve(arn, name);
      expect((await h.finished(arn)).status).toBe('SUCCEEDED');
      expect(await post(`/go-lives/${name}/retry`, REQUESTER)).toMatchObject({
        status: 409,
        body: { code: 'Conflict', message: expect.stringContaining('only a failed go-live can be retried') },
      });
    }, 60_000);
  });

  describe('POST /services/{name}/rollback after go-lives', () => {
    it('starts an undo of the previous version (201), refused while it runs (409) or for an outsider (403)', async () => {
      const outsider = await post('/services/demo/rollback', APPROVER);
      const undo = await post('/services/demo/rollback', REQUESTER, { reason: '2.1.0 breaks exports' });
      const busy = await post('/services/demo/rollback', REQUESTER);

      expect(outsider).toMatchObject({ status: 403, body: { code: 'Unauthorized' } });
      expect(undo).toMatchObject({
        status: 201,
        body: {
          duplicate: false,
          request: { service: 'demo', version: '2.0.0', kind: 'undo', requestedBy: REQUESTER },
        },
      });
      expect(busy).toMatchObject({
        status: 409,
        body: { code: 'AlreadyStarting', message: expect.stringContaining('demo 2.0.0 is already going live') },
      });
      const { name, executionArn: arn } = undo.body as { name: string; executionArn: string };
      await approve(arn, name);
      expect((await h.finished(arn)).status).toBe('SUCCEEDED');
      expect(await h.rt.store.getLiveVersion('demo')).toMatchObject({ version: '2.0.0' });
    }, 60_000);
  });

  describe('a change freeze: POST /go-lives, /break-glass, /review and GET /reviews', () => {
    it('refuses a go-live inside the freeze with 409 FreezeWindow naming the window and its end', async () => {
      const refused = await post('/go-lives', REQUESTER, { service: 'frozen', version: '3.0.0' });
      const noReason = await post('/go-lives', REQUESTER, { service: 'frozen', version: '3.0.0', breakGlass: {} });

      expect(refused).toMatchObject({
        status: 409,
        body: {
          code: 'FreezeWindow',
          message: expect.stringContaining(`inside change freeze "year-end" (close) until ${freezeEnd}`),
        },
      });
      expect(noReason).toMatchObject({
        status: 400,
        body: { code: 'InvalidRequest', message: expect.stringContaining('"breakGlass.reason" is missing') },
      });
      expect((await h.rt.client.list({ service: 'frozen' })).goLives).toEqual([]);
    });

    it('takes break-glass votes of the emergency role, then reviews the go-live until closed with a note', async () => {
      const started = await start({ service: 'frozen', version: '3.0.0', breakGlass: { reason: 'EU checkout down' } });
      const { name, executionArn: arn } = started;
      expect(started.request).toMatchObject({ breakGlass: { reason: 'EU checkout down' } });
      await h.waitForCallback(arn, 'BreakGlass');
      const vote = (as: string | undefined, body: unknown) => post(`/go-lives/${name}/break-glass`, as, body);

      expect(await vote(REQUESTER, { decision: 'approve' })).toMatchObject({
        status: 403,
        body: { code: 'Unauthorized', message: expect.stringContaining('never approves their own break-glass') },
      });
      expect(await vote(APPROVER, { decision: 'maybe' })).toMatchObject({
        status: 400,
        body: { message: expect.stringContaining('"decision" must be approve or reject') },
      });
      expect(await vote(APPROVER, { decision: 'reject' })).toMatchObject({ status: 400 });
      expect(await vote(undefined, { decision: 'approve' })).toMatchObject({ status: 400 });
      expect(await send('GET', `/go-lives/${name}/break-glass`, APPROVER)).toMatchObject({
        status: 405,
        allow: 'POST',
      });
      expect(await post('/go-lives/no-such-go-live/break-glass', APPROVER, { decision: 'approve' })).toMatchObject({
        status: 404,
      });
      expect(await vote(APPROVER, { decision: 'approve' })).toMatchObject({
        status: 200,
        body: { name, kind: 'recorded', message: 'break-glass approval recorded: 1 of 2' },
      });
      expect(await vote(APPROVER, { decision: 'approve' })).toMatchObject({ status: 409, body: { code: 'Conflict' } });
      expect(await send('GET', '/reviews')).toEqual({ status: 200, body: { reviews: [] } });
      expect(await vote(BEN, { decision: 'approve' })).toMatchObject({
        status: 200,
        body: { kind: 'decided', status: 'approved' },
      });
      await approve(arn, name);
      expect((await h.finished(arn)).status).toBe('SUCCEEDED');

      const open = await send('GET', '/reviews?status=open');
      expect(open).toEqual({
        status: 200,
        body: {
          reviews: [
            expect.objectContaining({
              name,
              executionArn: arn,
              status: 'open',
              service: 'frozen',
              version: '3.0.0',
              requestedBy: REQUESTER,
              reason: 'EU checkout down',
              approvedBy: [APPROVER, BEN],
            }),
          ],
        },
      });
      expect(await send('GET', '/reviews?status=everything')).toMatchObject({
        status: 400,
        body: { message: 'status must be open, closed or all, got "everything"' },
      });
      expect(await post('/reviews', REQUESTER)).toMatchObject({ status: 405, allow: 'GET' });

      const review = (as: string | undefined, body: unknown) => post(`/go-lives/${name}/review`, as, body);
      expect(await review(REQUESTER, {})).toMatchObject({
        status: 400,
        body: { message: expect.stringContaining('note') },
      });
      expect(await review(undefined, { note: 'x' })).toMatchObject({ status: 400 });
      expect(await review(APPROVER, { note: 'x' })).toMatchObject({
        status: 403,
        body: { message: expect.stringContaining('neither a release manager nor an auditor of frozen') },
      });
      expect(await send('GET', `/go-lives/${name}/review`, REQUESTER)).toMatchObject({ status: 405, allow: 'POST' });
      const demoGoLive = (await h.rt.client.list({ service: 'demo' })).goLives[0].name;
      expect(await post(`/go-lives/${demoGoLive}/review`, REQUESTER, { note: 'x' })).toMatchObject({
        status: 404,
        body: { code: 'NotFound', message: `${demoGoLive} has no break-glass review` },
      });
      const closed = await review(REQUESTER, { note: 'post-mortem PM-12 filed' });
      expect(closed).toMatchObject({
        status: 200,
        body: {
          name,
          status: 'closed',
          closed: { by: REQUESTER, note: 'post-mortem PM-12 filed', verifiedBy: 'local' },
        },
      });
      expect(await review(REQUESTER, { note: 'again' })).toMatchObject({ status: 409, body: { code: 'Conflict' } });
      expect((await send('GET', '/reviews')).body).toEqual({ reviews: [] });
      expect((await send('GET', '/reviews?status=all')).body.reviews).toEqual([
        expect.objectContaining({ name, status: 'closed' }),
      ]);
    }, 60_000);
  });
});
