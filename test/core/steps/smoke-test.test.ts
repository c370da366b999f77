import { runSmokeTests } from '../../../lambdas/core/steps/smoke-test';
import { fakeDeps, stepPayload, type FakeDeps } from '../../support/fake-deps';

let f: FakeDeps;
/** The demo's three smoke checks answered well by `base`. */
function healthy(base: string) {
  f.http.routes.set(`${base}/health`, { status: 200, body: '{"status":"ok"}' });
  f.http.routes.set(`${base}/api/orders`, { status: 200, body: '[]' });
  f.http.routes.set(`${base}/api/orders/1`, { status: 200, body: '{"id":1}' });
}
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

describe('runSmokeTests (PreTrafficSmokeTests, PostPromotionSmokeTests)', () => {
  it('runs every smoke test of the service against the candidate slot before traffic', async () => {
    healthy('http://green.demo.test');

    const result = await runSmokeTests(f.deps, stepPayload('PreTrafficSmokeTests'));

    expect(result.target).toBe('http://green.demo.test');
    expect(result.results.map((r) => [r.name, r.ok, r.status])).toEqual([
      ['health', true, 200],
      ['list orders', true, 200],
      ['one order', true, 200],
    ]);
    expect((await f.audit())[0].summary).toBe('3 smoke test(s) passed against green (candidate)');
  });

  it('tests the live endpoint after promotion', async () => {
    healthy('http://live.demo.test');

    const result = await runSmokeTests(f.deps, stepPayload('PostPromotionSmokeTests'));

    expect(result.target).toBe('http://live.demo.test');
    expect(new Set(f.http.requests.map((r) => new URL(r.url).host))).toEqual(new Set(['live.demo.test']));
  });

  it('fails with SmokeTestFailed naming each failing check and why', async () => {
    healthy('http://green.demo.test');
    f.http.routes.set('http://green.demo.test/health', { status: 200, body: '{"status":"degraded"}' });
    f.http.routes.set('http://green.demo.test/api/orders/1', new Error('connect ECONNREFUSED'));

    await expect(runSmokeTests(f.deps, stepPayload('PreTrafficSmokeTests'))).rejects.toMatchObject({
      name: 'SmokeTestFailed',
      message:
        '2/3 smoke test(s) failed against http://green.demo.test: ' +
        'health (GET http://green.demo.test/health: body does not contain "\\"status\\":\\"ok\\""); ' +
        'one order (GET http://green.demo.test/api/orders/1: connect ECONNREFUSED)',
    });
    expect((await f.audit())[0].evidence).toMatchObject({ target: 'http://green.demo.test' });
  });

  it('retries a check as configured before failing it', async () => {
    healthy('http://green.demo.test');
    f.http.routes.set('http://green.demo.test/api/orders', { status: 503, body: 'busy' });

    await expect(runSmokeTests(f.deps, stepPayload('PreTrafficSmokeTests'))).rejects.toMatchObject({
      name: 'SmokeTestFailed',
      evidence: { results: expect.arrayContaining([expect.objectContaining({ name: 'list orders', attempts: 2 })]) },
    });
    expect(f.http.requests.filter((r) => r.url.endsWith('/api/orders'))).toHaveLength(2);
  });
});
