/**
 * Each function's store grant (lib/store-access.ts FUNCTION_STORE_OPERATIONS) covers every Store
 * method its code can call: the modules esbuild bundles for the function (as `cdk synth` does)
 * are read for calls of Store methods. Reading the code, not running it, also covers the paths no
 * test drives (a rollback after a failed rollback, a janitor sweep).
 */
import * as path from 'node:path';
import { build } from 'esbuild';
import { API_FUNCTIONS, EVENT_FUNCTIONS, FUNCTIONS } from '../../lambdas/catalog';
import { FUNCTION_STORE_OPERATIONS, STORE_OPERATIONS, type StoreOperation } from '../../lib/store-access';

const REPO_ROOT = path.join(__dirname, '..', '..');
const KEYS = [...Object.keys(FUNCTIONS), ...Object.keys(EVENT_FUNCTIONS), ...Object.keys(API_FUNCTIONS), 'slack'];
const METHODS = Object.keys(STORE_OPERATIONS) as StoreOperation[];
/** The store itself (its methods call each other) is not a caller. */
const STORE_MODULES = ['lambdas/providers/aws/store.ts'];
/**
 * Providers a function bundles through createAwsDeps but never resolves (each loads on first use):
 * the audit export takes only `store` from awsDeps, so the Slack notifier never runs there.
 */
const NEVER_RESOLVED: Record<string, string[]> = {
  'audit-export': ['lambdas/providers/aws/notifier.ts', 'lambdas/providers/slack/'],
};

const called = new Map<string, Set<StoreOperation>>();

beforeAll(async () => {
  for (const key of KEYS) {
    const result = await build({
      entryPoints: [path.join(REPO_ROOT, 'lambdas', key, 'index.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['@aws-sdk/*'],
      define: { __GOLIVE_CONFIG__: '"{}"' },
      logLevel: 'silent',
    });
    // Tree-shaken like the shipped bundle (code nothing calls is left out); esbuild heads each
    // module's code with its path, so the store's own section is set aside.
    const sections = result.outputFiles[0].text.split(/^(?=\/\/ [\w./@-]+\n)/m);
    const skipped = [...STORE_MODULES, ...(NEVER_RESOLVED[key] ?? [])];
    const text = sections.filter((section) => !skipped.some((m) => section.startsWith(`// ${m}`))).join('');
    called.set(key, new Set(METHODS.filter((method) => new RegExp(`\\.${method}(<[^>(]*>)?\\(`).test(text))));
  }
}, 120_000);

describe('FUNCTION_STORE_OPERATIONS', () => {
  it('lists every function golive deploys', () => {
    expect(Object.keys(FUNCTION_STORE_OPERATIONS).sort()).toEqual([...KEYS].sort());
  });

  it.each(KEYS)('grants %s every Store method its bundled code calls', (key) => {
    const missing = [...called.get(key)!].filter((method) => !FUNCTION_STORE_OPERATIONS[key].includes(method));

    expect(missing).toEqual([]);
  });

  it('keeps the Slack function from anything a workflow step alone does (locks, scratch targets, callbacks)', () => {
    const slack = FUNCTION_STORE_OPERATIONS.slack;

    expect(
      slack.filter((op) =>
        ['acquireLock', 'releaseLock', 'putCallback', 'markScratchLeft', 'clearScratchLeft', 'setLiveVersion'].includes(
          op,
        ),
      ),
    ).toEqual([]);
  });
});
