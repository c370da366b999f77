import * as iam from 'aws-cdk-lib/aws-iam';
import type { Store } from '../lambdas/core/ports';

/**
 * What each function may do in the store (lambdas/providers/aws/store.ts), as IAM can say it: the
 * item actions each Store method sends, on the partition keys (`pk`) it touches, granted with a
 * `dynamodb:LeadingKeys` condition. Nothing here scans, batches or administers the table.
 */
export type StoreOperation = keyof Store;

/** The item-level DynamoDB actions the store sends (TransactWriteItems is authorized item by item). */
export type StoreAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

/** Partition-key prefixes of the store's key design (an exact key when it has no `#` suffix). */
export const STORE_KEYS = {
  lock: 'LOCK#',
  locks: 'LOCKS',
  execution: 'EXEC#',
  callback: 'CALLBACK#',
  alarm: 'ALARM#',
  approval: 'APPROVAL#',
  audit: 'AUDIT#',
  service: 'SERVICE#',
  scratchLeft: 'SCRATCH#LEFT',
} as const;
type Key = keyof typeof STORE_KEYS;

/** The actions and partitions of each Store method; test/aws/store.test.ts checks it against DynamoStore's commands. */
export const STORE_OPERATIONS: Record<StoreOperation, readonly (readonly [StoreAction, Key])[]> = {
  acquireLock: [
    ['PutItem', 'lock'],
    ['PutItem', 'locks'],
    // A refused lock whose holder did not come back with the refusal is read again.
    ['GetItem', 'lock'],
  ],
  getLock: [['GetItem', 'lock']],
  releaseLock: [
    ['DeleteItem', 'lock'],
    ['DeleteItem', 'locks'],
  ],
  listLocks: [['Query', 'locks']],
  putExecutionValue: [['PutItem', 'execution']],
  claimExecutionValue: [['PutItem', 'execution']],
  getExecutionValue: [['GetItem', 'execution']],
  putCallback: [
    ['PutItem', 'callback'],
    ['PutItem', 'execution'],
    ['PutItem', 'alarm'],
  ],
  findCallbacks: [
    ['Query', 'execution'],
    ['Query', 'alarm'],
  ],
  deleteCallback: [
    ['GetItem', 'callback'],
    ['DeleteItem', 'callback'],
    ['DeleteItem', 'execution'],
    ['DeleteItem', 'alarm'],
  ],
  createApproval: [
    ['PutItem', 'approval'],
    ['PutItem', 'execution'],
  ],
  getApproval: [['Query', 'approval']],
  findApprovalByExecution: [
    ['Query', 'execution'],
    ['Query', 'approval'],
  ],
  addVote: [
    ['ConditionCheckItem', 'approval'],
    ['PutItem', 'approval'],
    ['Query', 'approval'],
  ],
  closeApproval: [['UpdateItem', 'approval']],
  // Append-only: a new sequence number, written with attribute_not_exists (never UpdateItem or DeleteItem).
  appendAudit: [
    ['Query', 'audit'],
    ['PutItem', 'audit'],
  ],
  listAudit: [['Query', 'audit']],
  setLiveVersion: [['PutItem', 'service']],
  getLiveVersion: [['GetItem', 'service']],
  markScratchLeft: [['UpdateItem', 'scratchLeft']],
  clearScratchLeft: [['DeleteItem', 'scratchLeft']],
  listScratchLeft: [['Query', 'scratchLeft']],
};

/** Every Store method: for a function that acts for whoever calls it (the default of `bindStore`). */
export const ALL_STORE_OPERATIONS = Object.keys(STORE_OPERATIONS) as StoreOperation[];

/** What every workflow step does: append its audit record and keep the Slack status card (notifier). */
const STEP: StoreOperation[] = [
  'appendAudit',
  'getExecutionValue',
  'putExecutionValue',
  'getApproval',
  // Every workflow function bundles the AWS deps, whose traffic provider reads the release of the
  // service's lock (lambdas/providers/aws/index.ts): read-only, on the lock partitions.
  'getLock',
  // The Slack notifier's status card and messages show the release controls: the trail's control
  // records (paused, promoted, break-glass votes) and, on success, the version an undo goes back to.
  'listAudit',
  'getLiveVersion',
];
/** Closing what a go-live left open: its approval and its callbacks (lock release, abort, alarm). */
const CLOSE: StoreOperation[] = ['findApprovalByExecution', 'closeApproval', 'findCallbacks', 'deleteCallback'];
/** The scratch target of a restore: recorded while it exists, cleared once it is deleted. */
const SCRATCH: StoreOperation[] = ['markScratchLeft', 'clearScratchLeft'];
/** Votes and aborts (lambdas/core/steps/approval.ts, abort.ts), as the Slack app and the client cast them. */
const DECIDE: StoreOperation[] = [...CLOSE, 'addVote', 'getLock', 'listAudit'];

/**
 * The Store methods each function's code calls, keyed like lambdas/catalog.ts (and `slack`).
 * test/cdk/iam-store-access.test.ts checks it against the modules each function bundles.
 */
export const FUNCTION_STORE_OPERATIONS: Record<string, readonly StoreOperation[]> = {
  // Also the step boundaries (Checkpoint) and the retry point (AwaitRetry: write-once retry marks).
  lock: [
    ...STEP,
    ...CLOSE,
    'acquireLock',
    'getLock',
    'releaseLock',
    'getLiveVersion',
    'setLiveVersion',
    'claimExecutionValue',
  ],
  readiness: STEP,
  alerts: STEP,
  backup: [...STEP, ...SCRATCH],
  'smoke-test': STEP,
  // Shifts close the bakes they end; the rollback checks the lock and deletes a scratch target left behind.
  traffic: [...STEP, ...CLOSE, ...SCRATCH, 'getLock'],
  // Also the holds (Paused): registered like a bake, ended at once by a resume that came first.
  bake: [...STEP, 'putCallback', 'deleteCallback'],
  // The sign-off's context reads the canary verdicts from the audit trail.
  approval: [...STEP, ...DECIDE, 'createApproval', 'putCallback', 'listAudit', 'claimExecutionValue'],
  // A sign-off that timed out is told from its approval record.
  notify: [...STEP, 'listAudit', 'findApprovalByExecution'],
  'alarm-handler': [...STEP, ...CLOSE],
  // Rolls back what an ended execution left (traffic, alerts, lock, scratch), sweeps and reconciles.
  janitor: [
    ...STEP,
    ...CLOSE,
    ...SCRATCH,
    'claimExecutionValue',
    'getLock',
    'releaseLock',
    'listLocks',
    'listAudit',
    'getLiveVersion',
    'setLiveVersion',
    'listScratchLeft',
  ],
  'audit-export': ['listAudit', 'getLock'],
  // Starts record who starts them (claimExecutionValue) before StartExecution.
  slack: [...STEP, ...DECIDE, 'claimExecutionValue'],
  // The control API (lib/control-api.ts): starts check the lock; votes and aborts as the Slack app casts them.
  control: [...STEP, ...DECIDE, 'claimExecutionValue'],
};

const pattern = (key: Key) => (STORE_KEYS[key].endsWith('#') ? `${STORE_KEYS[key]}*` : STORE_KEYS[key]);

/**
 * The statements granting `operations` on the store table: one per action, limited to the
 * partitions the operations touch. `ForAllValues` so that every key of the request must match.
 * A Deny keeps audit records write-once for every function, whatever else it is granted: they
 * are appended with PutItem and attribute_not_exists (a condition IAM cannot see), and never
 * updated or deleted.
 */
export function storeStatements(tableArn: string, operations: readonly StoreOperation[]): iam.PolicyStatement[] {
  const byAction = new Map<StoreAction, Set<string>>();
  for (const op of new Set(operations)) {
    for (const [action, key] of STORE_OPERATIONS[op]) {
      const keys = byAction.get(action) ?? new Set<string>();
      keys.add(pattern(key));
      byAction.set(action, keys);
    }
  }
  const order: StoreAction[] = ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'];
  const allows = order
    .filter((action) => byAction.has(action))
    .map(
      (action) =>
        new iam.PolicyStatement({
          actions: [`dynamodb:${action}`],
          resources: [tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...byAction.get(action)!].sort() } },
        }),
    );
  return [...allows, auditWriteOnce(tableArn)];
}

/** Audit records are never rewritten or deleted by anyone holding a golive function's role. */
export function auditWriteOnce(tableArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'AuditRecordsAreWriteOnce',
    effect: iam.Effect.DENY,
    actions: [
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:PartiQLUpdate',
      'dynamodb:PartiQLDelete',
    ],
    resources: [tableArn],
    conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [pattern('audit')] } },
  });
}
