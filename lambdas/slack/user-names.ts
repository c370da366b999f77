import type { WebClient } from '@slack/web-api';

export type UsersInfoClient = Pick<WebClient, 'users'>;

/** An hour: display names rarely change, and a listener must answer Slack within 3 seconds. */
export const NAME_TTL_MS = 60 * 60 * 1000;
/** A failed lookup is not retried on every click; the id stands in for a minute. */
const FAILED_TTL_MS = 60 * 1000;
/** users.info must not hold up an acknowledgement (the client itself may retry for longer). */
const LOOKUP_TIMEOUT_MS = 1500;

/**
 * Display names of Slack users (users.info), for the places where a `<@U…>` mention does not render:
 * modal texts, errors shown in a modal, names kept in the audit trail. Cached per process; when
 * users.info fails or is slow, the id is the name.
 */
export class UserNames {
  private readonly cache = new Map<string, { name: string; until: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = NAME_TTL_MS,
  ) {}

  async name(client: UsersInfoClient, user: string): Promise<string> {
    const hit = this.cache.get(user);
    if (hit && hit.until > this.now()) return hit.name;
    try {
      const res = await withTimeout(client.users.info({ user }), LOOKUP_TIMEOUT_MS);
      const u = res.user;
      const name = u?.profile?.display_name || u?.real_name || u?.profile?.real_name || u?.name || user;
      this.cache.set(user, { name, until: this.now() + this.ttlMs });
      return name;
    } catch {
      this.cache.set(user, { name: user, until: this.now() + FAILED_TTL_MS });
      return user;
    }
  }

  /** Names of several users at once (id → name). */
  async names(client: UsersInfoClient, users: Iterable<string>): Promise<Map<string, string>> {
    const ids = [...new Set(users)].filter(Boolean);
    const names = await Promise.all(ids.map((id) => this.name(client, id)));
    return new Map(ids.map((id, i) => [id, names[i]]));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Text for plain_text places (modal errors): each known user id replaced by their display name. */
export function withNames(text: string, names: Map<string, string>): string {
  let out = text;
  for (const [id, name] of [...names].sort(([a], [b]) => b.length - a.length)) {
    if (name === id) continue;
    out = out.replace(new RegExp(`(?<![\\w])${id.replace(/[^A-Za-z0-9_]/g, '\\$&')}(?!\\w)`, 'g'), name);
  }
  return out;
}
