import type { FunctionKey } from './catalog';
import type { Deps } from './core/ports';
import type { FunctionPayload } from './core/workflow/definition';
import { parseTaskPayload } from './core/workflow/receive';

/** Where a handler gets its providers: AWS adapters in Lambda, local ones in the local engine. */
export type DepsResolver = () => Promise<Deps>;

/**
 * Builds the handler of a workflow function: check the Step Functions payload against the
 * definition of the state that sent it, resolve the providers once, call the step. Each
 * lambdas/<name>/index.ts exports `createHandler` (used by the local engine with local providers)
 * and `handler` (the same function bound to the AWS providers).
 */
export function taskHandler<F extends FunctionKey, R>(
  fn: F,
  step: (deps: Deps, payload: FunctionPayload<F>) => Promise<R>,
) {
  return (resolveDeps: DepsResolver) =>
    async (event: unknown): Promise<R> => {
      const payload = parseTaskPayload(fn, event);
      return step(await resolveDeps(), payload);
    };
}
