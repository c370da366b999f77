import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SealEntry, SealLogEvidence } from '../lambdas/core/audit-verify';
import type { NotificationEvent, Notifier } from '../lambdas/core/ports';

/**
 * The local seal log: one JSON line per ended go-live, `{executionId, finalHash, records, at}`,
 * in `$GOLIVE_HOME/audit-seal.log`, outside both SQLite files. Opened with O_APPEND and never
 * rewritten, so rewriting the audit store and the engine's executions together still leaves the
 * seal written when the go-live ended. It does not stop someone who rewrites every local file.
 */
export const SEAL_LOG_FILE = 'audit-seal.log';

export const sealLogPath = (home: string): string => join(home, SEAL_LOG_FILE);

/** Appends one seal line and flushes it to disk before returning. */
export function appendSeal(file: string, seal: SealEntry): string {
  mkdirSync(dirname(file), { recursive: true });
  const line = JSON.stringify({
    executionId: seal.executionId,
    finalHash: seal.finalHash,
    records: seal.records,
    at: seal.at,
  });
  // 'a' is O_WRONLY | O_CREAT | O_APPEND: every write lands at the end, whatever else writes.
  const fd = openSync(file, 'a', 0o644);
  try {
    writeSync(fd, `${line}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return line;
}

/** The seal log as the verification reads it; a line that is not a seal is reported, not skipped. */
export function readSealLog(file: string): SealLogEvidence {
  if (!existsSync(file)) {
    return { state: 'missing', detail: `no seal log at ${file}: it was deleted, or no go-live ended here yet` };
  }
  const seals: SealEntry[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const [i, text] of lines.entries()) {
    if (!text.trim()) continue;
    let parsed: Partial<SealEntry>;
    try {
      parsed = JSON.parse(text) as Partial<SealEntry>;
    } catch {
      return { state: 'missing', detail: `line ${i + 1} of ${file} is not a seal: the log was edited` };
    }
    if (
      typeof parsed.executionId !== 'string' ||
      (parsed.finalHash !== null && typeof parsed.finalHash !== 'string') ||
      typeof parsed.records !== 'number' ||
      typeof parsed.at !== 'string'
    ) {
      return { state: 'missing', detail: `line ${i + 1} of ${file} is not a seal: the log was edited` };
    }
    seals.push(parsed as SealEntry);
  }
  return { state: 'found', file, seals };
}

interface SealNotice {
  audit?: { records?: unknown; intact?: unknown; finalHash?: unknown };
}

/**
 * Wraps the runtime's notifier: the 'audit-sealed' notification (the final hash, told after the
 * last record) is also appended to the seal log, before it is delivered, so a failed delivery
 * never loses the seal. `onSeal` hears each line (npm start prints it).
 */
export function sealingNotifier(inner: Notifier, file: string, onSeal?: (line: string) => void): Notifier {
  return {
    ...(inner.progress ? { progress: inner.progress.bind(inner) } : {}),
    async notify(event: NotificationEvent) {
      if (event.kind === 'audit-sealed') {
        const audit = (event.details as SealNotice | undefined)?.audit;
        if (audit && typeof audit.records === 'number') {
          const line = appendSeal(file, {
            executionId: event.executionId,
            finalHash: audit.intact === true && typeof audit.finalHash === 'string' ? audit.finalHash : null,
            records: audit.records,
            at: new Date().toISOString(),
          });
          onSeal?.(line);
        }
      }
      return inner.notify(event);
    },
  };
}
