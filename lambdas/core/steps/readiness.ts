import { ReadinessCheckFailed } from '../errors';
import type { Deps } from '../ports';
import { runStep, type StepEvent } from './step';

export interface ReadinessItem {
  id: string;
  category: string;
  title: string;
  required: boolean;
  status: 'pass' | 'fail';
  evidence: unknown;
  /** What to do when it fails. */
  fix?: string;
}
export interface ReadinessReport {
  service: string;
  version: string;
  passed: boolean;
  checkedAt: string;
  items: ReadinessItem[];
}

/**
 * The automated part of the production-readiness checklist. Required items failing stop the
 * go-live here, before alerts, backups or traffic are touched.
 */
export async function evaluateReadiness(deps: Deps, service: string, version: string): Promise<ReadinessReport> {
  const cfg = deps.config.services[service];
  const endpoints = await deps.traffic.endpoints(service);
  const items: ReadinessItem[] = [
    {
      id: 'config-valid',
      category: 'Deployment',
      title: 'Service configuration is valid',
      required: true,
      status: 'pass',
      evidence: { strategy: cfg.strategy, traffic: cfg.traffic.kind },
    },
  ];
  for (const slot of ['blue', 'green'] as const) {
    const url = new URL(cfg.healthPath, endpoints[slot]).toString();
    const started = Date.now();
    let evidence: Record<string, unknown>;
    let ok = false;
    try {
      const res = await deps.fetch(url, { signal: AbortSignal.timeout(3000) });
      ok = res.status === 200;
      evidence = { url, status: res.status, latencyMs: Date.now() - started, body: (await res.text()).slice(0, 200) };
    } catch (err) {
      evidence = { url, error: (err as Error).message, latencyMs: Date.now() - started };
    }
    items.push({
      id: `health-${slot}`,
      category: 'Health checks',
      title: `Health endpoint of ${slot} responds 200`,
      required: true,
      status: ok ? 'pass' : 'fail',
      evidence,
      fix: `make ${url} answer 200 (is ${slot} running and healthy?)`,
    });
  }
  items.push(
    {
      id: 'smoke-tests-defined',
      category: 'Smoke tests',
      title: 'Automated smoke tests are defined',
      required: true,
      status: cfg.smokeTests.length > 0 ? 'pass' : 'fail',
      evidence: { count: cfg.smokeTests.length, names: cfg.smokeTests.map((c) => c.name) },
      fix: `add smokeTests to services.${service} in golive.config.yaml`,
    },
    {
      id: 'backup-configured',
      category: 'Backups',
      title: 'A backup strategy is configured',
      required: true,
      status: cfg.backup ? 'pass' : 'fail',
      evidence: cfg.backup,
      fix: `configure services.${service}.backup in golive.config.yaml`,
    },
    {
      id: 'alarms-configured',
      category: 'Alerts',
      title: 'Alarms to watch during the rollout exist',
      required: true,
      status: 'pass',
      evidence: { alarms: cfg.alerts.alarms },
    },
  );
  const alarms = await deps.alerts.describe(cfg.alerts.alarms).then(
    (infos) => ({ ok: true as const, infos }),
    (err: Error) => ({ ok: false as const, error: err.message }),
  );
  const alarmItem = items[items.length - 1];
  if (!alarms.ok) {
    alarmItem.status = 'fail';
    alarmItem.evidence = { alarms: cfg.alerts.alarms, error: alarms.error };
    alarmItem.fix = `create the alarms listed in services.${service}.alerts.alarms or fix their names`;
  } else {
    alarmItem.evidence = { alarms: alarms.infos };
  }
  for (const item of items) if (item.status === 'pass') delete item.fix;
  return {
    service,
    version,
    passed: items.every((i) => i.status === 'pass' || !i.required),
    checkedAt: deps.now().toISOString(),
    items,
  };
}

export function checkReadiness(deps: Deps, event: StepEvent): Promise<ReadinessReport> {
  return runStep(deps, event, 'CheckReadiness', 'check', async () => {
    const report = await evaluateReadiness(deps, event.request.service, event.request.version);
    const failing = report.items.filter((i) => i.required && i.status === 'fail');
    if (failing.length > 0) {
      throw new ReadinessCheckFailed(
        `${failing.length} required readiness item(s) failed: ` +
          failing.map((i) => `${i.title} — fix: ${i.fix}`).join('; '),
        { evidence: report },
      );
    }
    const passed = report.items.filter((i) => i.status === 'pass').length;
    return { result: report, summary: `${passed}/${report.items.length} readiness items passed`, evidence: report };
  });
}
