import type { SmokeCheck } from '../config';
import { SmokeTestFailed } from '../errors';
import type { Deps } from '../ports';
import type { StepPayload } from '../workflow/definition';
import { runStep } from './step';

export interface SmokeResult {
  name: string;
  method: string;
  url: string;
  ok: boolean;
  status?: number;
  latencyMs: number;
  attempts: number;
  reason?: string;
}

/** One HTTP smoke check: status, optional body match, latency budget, retries. Same code locally and on AWS. */
export async function runSmokeCheck(fetchFn: typeof fetch, baseUrl: string, check: SmokeCheck): Promise<SmokeResult> {
  const url = new URL(check.path, baseUrl).toString();
  let last: SmokeResult = { name: check.name, method: check.method, url, ok: false, latencyMs: 0, attempts: 0 };
  for (let attempt = 1; attempt <= check.retries + 1; attempt++) {
    const started = performance.now();
    try {
      const res = await fetchFn(url, {
        method: check.method,
        headers: check.headers,
        ...(check.body === undefined ? {} : { body: check.body }),
        signal: AbortSignal.timeout(Math.max(check.maxLatencyMs * 5, 2000)),
      });
      const body = await res.text();
      const latencyMs = Math.round(performance.now() - started);
      const problems: string[] = [];
      if (res.status !== check.expectStatus) problems.push(`status ${res.status}, expected ${check.expectStatus}`);
      if (check.bodyContains !== undefined && !body.includes(check.bodyContains)) {
        problems.push(`body does not contain ${JSON.stringify(check.bodyContains)}`);
      }
      if (latencyMs > check.maxLatencyMs) problems.push(`took ${latencyMs} ms, budget ${check.maxLatencyMs} ms`);
      last = {
        name: check.name,
        method: check.method,
        url,
        ok: problems.length === 0,
        status: res.status,
        latencyMs,
        attempts: attempt,
        ...(problems.length ? { reason: problems.join('; ') } : {}),
      };
    } catch (err) {
      const latencyMs = Math.round(performance.now() - started);
      last = {
        name: check.name,
        method: check.method,
        url,
        ok: false,
        latencyMs,
        attempts: attempt,
        reason: (err as Error).message,
      };
    }
    if (last.ok) break;
  }
  return last;
}

export function runSmokeTests(
  deps: Deps,
  event: StepPayload<'PreTrafficSmokeTests' | 'PostPromotionSmokeTests'>,
): Promise<{ target: string; results: SmokeResult[] }> {
  const postPromotion = event.state === 'PostPromotionSmokeTests';
  return runStep(deps, event, event.state, 'smoke-test', async () => {
    const { service } = event.request;
    const endpoints = await deps.traffic.endpoints(service);
    const target = postPromotion ? endpoints.live : endpoints[event.plan.candidateSlot];
    const results: SmokeResult[] = [];
    for (const check of deps.config.services[service].smokeTests) {
      results.push(await runSmokeCheck(deps.fetch, target, check));
    }
    const failed = results.filter((r) => !r.ok);
    const evidence = { target, results };
    if (failed.length > 0) {
      throw new SmokeTestFailed(
        `${failed.length}/${results.length} smoke test(s) failed against ${target}: ` +
          failed.map((f) => `${f.name} (${f.method} ${f.url}: ${f.reason})`).join('; '),
        { evidence },
      );
    }
    return {
      result: evidence,
      summary: `${results.length} smoke test(s) passed against ${postPromotion ? 'the live endpoint' : `${event.plan.candidateSlot} (candidate)`}`,
      evidence,
    };
  });
}
