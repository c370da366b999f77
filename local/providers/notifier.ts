import { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';
import type { NotificationEvent, Notifier } from '../../lambdas/core/ports';

/**
 * Local notifications: kept in SQLite (the release channel's log) and emitted to listeners, such
 * as the CLI printing them. The Slack emulator replaces this with the real Web API client.
 */
export class LocalNotifier
  extends EventEmitter<{ notification: [NotificationEvent & { at: string }] }>
  implements Notifier
{
  /** `db` is the store's connection (SqliteStore.db): its migrations create the notifications table. */
  constructor(private readonly db: Database.Database) {
    super();
  }

  async notify(event: NotificationEvent): Promise<{ delivered: boolean; ref?: string }> {
    const at = new Date().toISOString();
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO notifications (at, kind, execution_id, service, text, details) VALUES (?, ?, ?, ?, ?, ?)')
      .run(at, event.kind, event.executionId, event.service, event.text, JSON.stringify(event.details ?? {}));
    this.emit('notification', { ...event, at });
    return { delivered: true, ref: `local-notification-${lastInsertRowid}` };
  }

  list(executionId?: string): (NotificationEvent & { at: string })[] {
    const rows = (
      executionId
        ? this.db.prepare('SELECT * FROM notifications WHERE execution_id = ? ORDER BY id').all(executionId)
        : this.db.prepare('SELECT * FROM notifications ORDER BY id').all()
    ) as {
      at: string;
      kind: NotificationEvent['kind'];
      execution_id: string;
      service: string;
      text: string;
      details: string;
    }[];
    return rows.map((r) => ({
      at: r.at,
      kind: r.kind,
      executionId: r.execution_id,
      service: r.service,
      version: '',
      text: r.text,
      details: JSON.parse(r.details) as Record<string, unknown>,
    }));
  }
}
