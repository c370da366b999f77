import type { Deps } from './core/ports';
import { parseStepEvent, type StepEvent } from './core/steps/step';

/** Where a handler gets its providers: AWS adapters in Lambda, local ones in the local engine. */
export type DepsResolver = () => Promise<Deps>;

/**
 * Builds a Lambda handler: validate the Step Functions payload, resolve the providers once,
 * call the step. Each lambdas/<name>/index.ts exports `createHandler` (used by the local engine
 * with local providers) and `handler` (the same function bound to the AWS providers).
 */
export function stepHandler<R>(step: (deps: Deps, event: StepEvent) => Promise<R>) {
  return (resolveDeps: DepsResolver) =>
    async (event: unknown): Promise<R> =>
      // Only ValidateAndLock sees an unvalidated request; it validates it against the config itself.
      step(await resolveDeps(), parseStepEvent(event) as unknown as StepEvent);
}
