import type Database from 'better-sqlite3';
import type { AlarmInfo, AlertsProvider, MuteRecord } from '../../lambdas/core/ports';

/** What the local provider needs from the alarm evaluator: current states by name. */
export interface AlarmStateSource {
  describe(): { name: string; state: AlarmInfo['state']; reason: string }[];
}

/**
 * Local CloudWatch: alarm states come from the evaluator over the router's real traffic; mute
 * rules (with their own expiry) and "actions enabled" live in SQLite. `page` is the alarm action:
 * it is recorded only when the alarm is neither muted nor disabled, which is what muting is for.
 */
export class LocalAlerts implements AlertsProvider {
  /** `db` is the store's connection (SqliteStore.db): its migrations create the alarm_* tables. */
  constructor(
    private readonly db: Database.Database,
    private readonly source: AlarmStateSource,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private known(): Map<string, { state: AlarmInfo['state']; reason: string }> {
    return new Map(this.source.describe().map((a) => [a.name, a]));
  }

  private activeRules(): { name: string; alarms: string[] }[] {
    const rows = this.db
      .prepare('SELECT name, alarms FROM alarm_mute_rules WHERE expires_at > ?')
      .all(this.now().toISOString()) as { name: string; alarms: string }[];
    return rows.map((r) => ({ name: r.name, alarms: JSON.parse(r.alarms) as string[] }));
  }

  private actionsEnabled(name: string): boolean {
    const row = this.db.prepare('SELECT actions_enabled FROM alarm_settings WHERE name = ?').get(name) as
      { actions_enabled: number } | undefined;
    return row ? row.actions_enabled === 1 : true;
  }

  async describe(alarmNames: string[]): Promise<AlarmInfo[]> {
    const known = this.known();
    const rules = this.activeRules();
    return alarmNames.map((name) => {
      const alarm = known.get(name);
      if (!alarm)
        throw new Error(`alarm ${name} does not exist (known alarms: ${[...known.keys()].join(', ') || 'none'})`);
      return {
        name,
        state: alarm.state,
        actionsEnabled: this.actionsEnabled(name),
        muted: rules.some((r) => r.alarms.includes(name)),
      };
    });
  }

  async mute(request: {
    ruleName: string;
    alarms: string[];
    mode: MuteRecord['mode'];
    expiresAt: Date;
  }): Promise<void> {
    if (request.mode === 'mute-rule') {
      this.db
        .prepare('INSERT OR REPLACE INTO alarm_mute_rules (name, alarms, expires_at) VALUES (?, ?, ?)')
        .run(request.ruleName, JSON.stringify(request.alarms), request.expiresAt.toISOString());
    } else {
      for (const name of request.alarms) this.setActionsEnabled(name, false);
    }
  }

  async unmute(record: MuteRecord): Promise<void> {
    if (record.mode === 'mute-rule') {
      if (record.ruleName) this.db.prepare('DELETE FROM alarm_mute_rules WHERE name = ?').run(record.ruleName);
    } else {
      for (const name of record.muted) this.setActionsEnabled(name, true);
    }
  }

  /** For operators and tests: the state before a go-live that golive must leave alone. */
  setActionsEnabled(name: string, enabled: boolean): void {
    this.db
      .prepare('INSERT OR REPLACE INTO alarm_settings (name, actions_enabled) VALUES (?, ?)')
      .run(name, enabled ? 1 : 0);
  }

  addMuteRule(name: string, alarms: string[], expiresAt: Date): void {
    this.db
      .prepare('INSERT OR REPLACE INTO alarm_mute_rules (name, alarms, expires_at) VALUES (?, ?, ?)')
      .run(name, JSON.stringify(alarms), expiresAt.toISOString());
  }

  muteRules(): { name: string; alarms: string[] }[] {
    return this.activeRules();
  }

  /** The alarm action (paging on-call), called on every transition to ALARM. Returns whether it paged. */
  async page(alarm: string, state: string, reason: string): Promise<boolean> {
    const [info] = await this.describe([alarm]);
    if (info.muted || !info.actionsEnabled) return false;
    this.db
      .prepare('INSERT INTO alarm_actions (alarm, state, at, reason) VALUES (?, ?, ?, ?)')
      .run(alarm, state, this.now().toISOString(), reason);
    return true;
  }

  pages(): { alarm: string; state: string; at: string; reason: string }[] {
    return this.db.prepare('SELECT alarm, state, at, reason FROM alarm_actions ORDER BY id').all() as never;
  }
}
