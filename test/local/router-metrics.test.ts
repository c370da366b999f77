import { startDemoTarget, type DemoTarget } from '../../local/demo';
import { LocalRouterMetrics } from '../../local/providers/router-metrics';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('LocalRouterMetrics', () => {
  let dir: string;
  let target: DemoTarget;
  const metrics = new LocalRouterMetrics();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golive-metrics-'));
    target = await startDemoTarget({ dir, ports: { router: 0, blue: 0, green: 0 } });
    metrics.track('demo', target.router);
  });
  afterAll(async () => {
    metrics.stop();
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('measures what each slot really served through the router in the window, with per-request latency', async () => {
    target.router.setWeights({ blue: 50, green: 50 });
    target.green.setFaults({ errorRate: 1 });
    const from = new Date();
    for (let i = 0; i < 40; i++) await fetch(`${target.router.url}/api/items`).then((r) => r.arrayBuffer());
    const to = new Date();
    target.green.setFaults({ errorRate: 0 });

    const m = await metrics.measure({ service: 'demo', from, to, candidateSlot: 'green', stableSlot: 'blue' });

    expect(m.candidate.requests + m.baseline.requests).toBe(40);
    expect(m.candidate.requests).toBeGreaterThan(0);
    expect(m.candidate.errors).toBe(m.candidate.requests);
    expect(m.baseline.errors).toBe(0);
    expect(m.candidate.latencyMs).toHaveLength(m.candidate.requests);
    expect(m.source).toMatch(/^local router samples /);

    const before = await metrics.measure({
      service: 'demo',
      from: new Date(from.getTime() - 60_000),
      to: new Date(from.getTime() - 1),
      candidateSlot: 'green',
      stableSlot: 'blue',
    });
    expect(before.candidate.requests + before.baseline.requests).toBe(0);
  });

  it('refuses a service it does not track', async () => {
    await expect(
      metrics.measure({
        service: 'orders',
        from: new Date(),
        to: new Date(),
        candidateSlot: 'green',
        stableSlot: 'blue',
      }),
    ).rejects.toThrow('no router is tracked for orders');
  });
});
