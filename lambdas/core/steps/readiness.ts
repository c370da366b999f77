import { ReadinessCheckFailed } from '../errors';
import type { ReadinessContext } from '../readiness/checks';
import {
  evaluateChecklist,
  preDecisionKey,
  type ReadinessDecision,
  type ReadinessItem,
  type ReadinessReport,
} from '../readiness/evaluate';
import { checklistDigest } from '../readiness/render';
import type { Deps } from '../ports';
import type { StepPayload } from '../workflow/definition';
import { verifyBreakGlass } from './break-glass';
import { runStep } from './step';

export type { ReadinessItem, ReadinessReport };

/** Where the CheckReadiness report of an execution is kept for the sign-off (attestations, waivers). */
export const READINESS_VALUE = 'readiness';

export function readinessContext(
  deps: Pick<Deps, 'config' | 'readiness' | 'traffic' | 'fetch' | 'now'>,
): ReadinessContext {
  return {
    config: deps.config,
    readiness: deps.readiness,
    endpoints: (service) => deps.traffic.endpoints(service),
    fetch: deps.fetch,
    now: deps.now,
  };
}

/** The production-readiness checklist of a service: automated checks with evidence, attest items, waivers. */
export async function evaluateReadiness(deps: Deps, service: string, version: string): Promise<ReadinessReport> {
  const decisions =
    (await deps.store.getExecutionValue<ReadinessDecision[]>(preDecisionKey(service, version), 'decisions')) ?? [];
  return evaluateChecklist(readinessContext(deps), service, version, decisions);
}

/** "title — what was found — fix: what to do" for every required item failing. */
export function describeFailures(report: ReadinessReport): string {
  return report.items
    .filter((i) => report.failing.includes(i.id))
    .map((i) => `${i.title} [${i.id}] — ${i.summary} — fix: ${i.fix ?? 'see the evidence'}`)
    .join('; ');
}

/**
 * The readiness gate. Required items failing (and not waived) stop the go-live here, before
 * alerts, backups or traffic are touched. Attest items are confirmed at the sign-off.
 */
export function checkReadiness(deps: Deps, event: StepPayload<'CheckReadiness'>): Promise<ReadinessReport> {
  return runStep(deps, event, event.state, 'check', async () => {
    if (event.plan.kind === 'undo') {
      // The version was live before the current one: its checklist was passed then.
      const skipped: ReadinessReport = {
        service: event.request.service,
        version: event.request.version,
        passed: true,
        checkedAt: deps.now().toISOString(),
        failing: [],
        awaitingAttestation: [],
        items: [],
      };
      await deps.store.putExecutionValue(event.executionId, READINESS_VALUE, skipped);
      return {
        result: skipped,
        summary: `readiness gate skipped: an undo to ${event.request.version}, which was live before`,
        evidence: skipped,
      };
    }
    if (event.plan.breakGlass === 'required') {
      // Approved by the emergency role (re-checked from the store), the candidate is deployed now.
      await verifyBreakGlass(deps, event.executionId, event.request, event.plan);
      await deps.traffic.prepareCandidate(event.request.service, event.plan.candidateSlot, event.request.version);
    }
    const report = await evaluateReadiness(deps, event.request.service, event.request.version);
    await deps.store.putExecutionValue(event.executionId, READINESS_VALUE, report);
    if (!report.passed) {
      throw new ReadinessCheckFailed(
        `${report.failing.length} required readiness item(s) failed: ${describeFailures(report)}`,
        { evidence: report },
      );
    }
    return { result: report, summary: checklistDigest(report), evidence: report };
  });
}
