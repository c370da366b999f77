import { ProviderUnavailable, TrafficShiftFailed } from '../../lambdas/core/errors';
import type { Endpoints, Slot, TrafficProvider, Weights } from '../../lambdas/core/ports';

/** A service the local runtime hosts: its router (admin API) and the two slots. */
export interface LocalServiceTarget {
  endpoints: Endpoints;
  /** Local "deployment" of the candidate version into the idle slot. */
  deploy(slot: Slot, version: string): Promise<void> | void;
}

/** Traffic through the demo router's admin API over real HTTP (GET/PUT /_router/weights). */
export class LocalRouterTraffic implements TrafficProvider {
  constructor(
    private readonly targets: (service: string) => LocalServiceTarget,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  private async call(service: string, init?: RequestInit): Promise<Weights> {
    const url = new URL('/_router/weights', this.targets(service).endpoints.live).toString();
    let res: Response;
    try {
      res = await this.fetchFn(url, { ...init, signal: AbortSignal.timeout(5000) });
    } catch (err) {
      throw new ProviderUnavailable(`router of ${service} at ${url} is unreachable: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as Partial<Weights> & { message?: string };
    if (res.status === 503 || res.status >= 500) {
      throw new ProviderUnavailable(`router of ${service} answered ${res.status}: ${body.message ?? 'unavailable'}`);
    }
    if (!res.ok || typeof body.blue !== 'number' || typeof body.green !== 'number') {
      throw new TrafficShiftFailed(
        `router of ${service} refused the change (${res.status}): ${body.message ?? JSON.stringify(body)}`,
      );
    }
    return { blue: body.blue, green: body.green };
  }

  readWeights(service: string): Promise<Weights> {
    return this.call(service);
  }

  async setWeights(service: string, weights: Weights): Promise<Weights> {
    await this.call(service, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(weights),
    });
    return this.readWeights(service);
  }

  async prepareCandidate(service: string, slot: Slot, version: string): Promise<{ version: string }> {
    await this.targets(service).deploy(slot, version);
    return { version };
  }

  async endpoints(service: string): Promise<Endpoints> {
    return this.targets(service).endpoints;
  }
}
