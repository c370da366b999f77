/**
 * Checks both receivers add on top of Bolt's own verification (which checks the HMAC in constant
 * time and refuses stale timestamps): timestamps too far in the future, and a request replayed
 * with the very same signature. A replay that slips past this per-process cache (another Lambda
 * container) still cannot start a second go-live or cast a second vote: the listeners are idempotent.
 */
export const MAX_SKEW_SECONDS = 300;

export class RequestGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Returns why the request is refused, or undefined to let Bolt verify it. */
  check(header: (name: string) => string | undefined): string | undefined {
    const nowSec = Math.floor(this.now() / 1000);
    const ts = Number(header('x-slack-request-timestamp'));
    const signature = header('x-slack-signature');
    if (!signature || !Number.isFinite(ts)) return undefined; // Bolt refuses these itself
    if (ts > nowSec + MAX_SKEW_SECONDS) return 'timestamp is more than 5 minutes in the future';
    this.prune(nowSec);
    if (this.seen.has(signature)) return 'replayed request (signature already seen)';
    this.seen.set(signature, ts);
    return undefined;
  }

  /** Signatures older than the window are refused as stale anyway: forget them. */
  private prune(nowSec: number): void {
    for (const [signature, ts] of this.seen) {
      if (ts < nowSec - 2 * MAX_SKEW_SECONDS || this.seen.size > 50_000) this.seen.delete(signature);
    }
  }
}
