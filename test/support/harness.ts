import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { parseConfig, type GoLiveConfig } from '../../lambdas/core/config';
import { loadConfig } from '../../lambdas/core/config-file';
import { castVote } from '../../lambdas/core/steps/approval';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime';

export const REPO_ROOT = join(__dirname, '..', '..');
export const REQUESTER = 'U_RELEASE_MANAGER';
export const APPROVER = 'U_APPROVER_ANA';

/** The bundled demo config with test-sized timings, plus any overrides (deep-merged one level). */
export function testConfig(
  overrides: {
    approval?: Partial<GoLiveConfig['approval']>;
    demo?: Record<string, unknown>;
    slack?: Partial<GoLiveConfig['slack']>;
  } = {},
): GoLiveConfig {
  const base = loadConfig(join(REPO_ROOT, 'golive.config.yaml'));
  const demo = base.services.demo;
  return parseConfig({
    ...base,
    slack: { ...base.slack, ...overrides.slack },
    approval: { ...base.approval, ...overrides.approval },
    services: {
      demo: { ...demo, strategy: { ...demo.strategy, bakeSeconds: 1 }, ...overrides.demo },
    },
  });
}

export interface Harness {
  rt: LocalRuntime;
  home: string;
  start(input?: Record<string, unknown>, name?: string): Promise<string>;
  /** Resolves with the final DescribeExecution once the execution ends. */
  finished(executionArn: string): Promise<DescribeExecutionCommandOutput>;
  /** Resolves when a history event matching `predicate` is recorded for the execution. */
  waitForEvent(executionArn: string, predicate: (e: HistoryEvent) => boolean): Promise<HistoryEvent>;
  /** Resolves once the callback task `state` (SignOff, Bake…) of the execution is waiting for its token. */
  waitForCallback(executionArn: string, state: string): Promise<void>;
  /** Approves every sign-off as `voter` as soon as it is requested. Returns a stop function. */
  autoApprove(voter?: string): () => void;
  /** Stops every auto-approver started so far. */
  stopAutoApprove(): void;
  /** Sends n real requests through the router and returns how many each slot served. */
  measureTraffic(n?: number): Promise<{ blue: number; green: number }>;
  /** `crash` leaves running executions RUNNING in the database, as a killed process would. */
  close(options?: { keepHome?: boolean; crash?: boolean }): Promise<void>;
}

let counter = 0;

export async function startHarness(
  options: Partial<LocalRuntimeOptions> & { config?: GoLiveConfig; home?: string } = {},
): Promise<Harness> {
  const ownHome = !options.home;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'golive-test-'));
  const rt = await startLocalRuntime({
    home,
    config: options.config ?? testConfig(),
    ports: { sfn: 0, router: 0, blue: 0, green: 0 },
    ...options,
  });
  const ended = new Map<string, Promise<void>>();
  const endedResolvers = new Map<string, () => void>();
  const onEnd = (arn: string) => {
    if (!ended.has(arn)) ended.set(arn, new Promise<void>((resolve) => endedResolvers.set(arn, resolve)));
    return ended.get(arn)!;
  };
  rt.engine.on('executionStatusChange', (detail) => {
    if (detail.status !== 'RUNNING') {
      void onEnd(detail.executionArn);
      endedResolvers.get(detail.executionArn)?.();
    }
  });
  const stops: Array<() => void> = [];
  // Which callback states each execution is (or was) waiting in; recorded from the start so no event is missed.
  const currentState = new Map<string, string>();
  const submitted = new Map<string, Set<string>>();
  const waiters: Array<{ arn: string; state: string; resolve: () => void }> = [];
  rt.engine.on('history', (arn, event) => {
    if (event.type === 'TaskStateEntered') currentState.set(arn, event.stateEnteredEventDetails?.name ?? '');
    if (event.type !== 'TaskSubmitted') return;
    const state = currentState.get(arn) ?? '';
    submitted.set(arn, new Set([...(submitted.get(arn) ?? []), state]));
    for (const w of waiters.filter((x) => x.arn === arn && x.state === state)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const harness: Harness = {
    rt,
    home,
    async start(input = {}, name) {
      const { executionArn } = await rt.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: rt.stateMachineArn,
          name: name ?? `test-${process.pid}-${++counter}-${Date.now()}`,
          input: JSON.stringify({ service: 'demo', version: '2.0.0', requestedBy: REQUESTER, ...input }),
        }),
      );
      void onEnd(executionArn!);
      return executionArn!;
    },
    async finished(executionArn) {
      // A redriven execution runs again after it ended once: wait for an end after the last start.
      for (;;) {
        const current = await rt.sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (current.status !== 'RUNNING') break;
        const next = new Promise<void>((resolve) => {
          const listener = (detail: { executionArn: string; status: string }) => {
            if (detail.executionArn === executionArn && detail.status !== 'RUNNING') {
              rt.engine.off('executionStatusChange', listener);
              resolve();
            }
          };
          rt.engine.on('executionStatusChange', listener);
          // Re-checked now and then: an end between the describe and the listener is not missed.
          setTimeout(() => {
            rt.engine.off('executionStatusChange', listener);
            resolve();
          }, 250).unref();
        });
        await next;
      }
      // The bus delivers status changes asynchronously (janitor); let it settle before asserting.
      await rt.bus.drain();
      return rt.sfn.send(new DescribeExecutionCommand({ executionArn }));
    },
    waitForEvent(executionArn, predicate) {
      // Listening first, then reading the history so far: an event already recorded is found too.
      return new Promise((resolve, reject) => {
        let done = false;
        const finish = (event: HistoryEvent) => {
          if (done) return;
          done = true;
          rt.engine.off('history', listener);
          resolve(event);
        };
        const listener = (arn: string, event: HistoryEvent) => {
          if (arn === executionArn && predicate(event)) finish(event);
        };
        rt.engine.on('history', listener);
        rt.sfn
          .send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))
          .then(({ events = [] }) => {
            const found = events.find(predicate);
            if (found) finish(found);
          })
          .catch(reject);
      });
    },
    waitForCallback(executionArn, state) {
      if (submitted.get(executionArn)?.has(state)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ arn: executionArn, state, resolve }));
    },
    autoApprove(voter = APPROVER) {
      let current: string | undefined;
      const listener = (arn: string, event: HistoryEvent) => {
        if (event.type === 'TaskStateEntered') current = event.stateEnteredEventDetails?.name;
        if (event.type === 'TaskSubmitted' && current === 'SignOff') {
          void castVote(rt.deps, { executionId: arn }, { voter, decision: 'approve', attest: ['all'] });
        }
      };
      rt.engine.on('history', listener);
      const stop = () => rt.engine.off('history', listener);
      stops.push(stop);
      return stop;
    },
    stopAutoApprove() {
      stops.splice(0).forEach((stop) => stop());
    },
    async measureTraffic(n = 20) {
      const router = rt.targets.get('demo')!.router;
      const before = router.stats();
      for (let i = 0; i < n; i++) {
        const res = await fetch(new URL('/api/orders/1', router.url));
        await res.arrayBuffer();
      }
      const after = router.stats();
      return { blue: after.blue.requests - before.blue.requests, green: after.green.requests - before.green.requests };
    },
    async close({ keepHome = false, crash = false } = {}) {
      stops.forEach((stop) => stop());
      if (crash) await rt.engine.close();
      await rt.close();
      if (ownHome && !keepHome) rmSync(home, { recursive: true, force: true });
    },
  };
  return harness;
}
