import type { DemoFaults } from './demo-app';

/** The demo app's fault admin route: GET shows, POST adds (merges), DELETE clears every fault. */
export const FAULTS_PATH = '/__golive/faults';

export const MAX_LATENCY_MS = 60_000;

/** Faults as they travel over HTTP (`golive local fault` and the admin route). */
export interface FaultSettings {
  errorRate: number;
  latencyMs: number;
  health: 'ok' | 'failing';
}

const WIRE_FIELDS: ReadonlyArray<keyof FaultSettings> = ['errorRate', 'latencyMs', 'health'];

const shown = (value: unknown): string =>
  typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));

/** An invalid fault; `field` names the input and `problem` says what it must be. */
export class InvalidFaultsError extends RangeError {
  override readonly name = 'InvalidFaults';
  constructor(
    readonly field: string,
    readonly problem: string,
    value?: unknown,
  ) {
    super(`${field} ${problem}${value === undefined ? '' : `, got ${shown(value)}`}`);
  }
}

/** The rules every fault obeys, set in-process or over HTTP. */
export function checkFaults(f: Partial<DemoFaults>): void {
  const { errorRate, latencyMs, healthFailing } = f;
  if (errorRate !== undefined && !(Number.isFinite(errorRate) && errorRate >= 0 && errorRate <= 1)) {
    throw new InvalidFaultsError('errorRate', 'must be a number between 0 and 1', errorRate);
  }
  if (latencyMs !== undefined && !(Number.isInteger(latencyMs) && latencyMs >= 0 && latencyMs <= MAX_LATENCY_MS)) {
    throw new InvalidFaultsError(
      'latencyMs',
      `must be a whole number of milliseconds from 0 to ${MAX_LATENCY_MS}`,
      latencyMs,
    );
  }
  if (healthFailing !== undefined && typeof healthFailing !== 'boolean') {
    throw new InvalidFaultsError('healthFailing', 'must be a boolean', healthFailing);
  }
}

/** A POSTed body: a JSON object with at least one known field, every one valid. */
export function parseFaultSettings(input: unknown): Partial<DemoFaults> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidFaultsError(
      'body',
      'must be a JSON object like {"errorRate": 0.2, "latencyMs": 300, "health": "failing"}',
    );
  }
  const body = input as Record<string, unknown>;
  const unknown = Object.keys(body).filter((key) => !WIRE_FIELDS.includes(key as keyof FaultSettings));
  if (unknown.length > 0) {
    throw new InvalidFaultsError(
      unknown.join(', '),
      `${unknown.length === 1 ? 'is not a fault' : 'are not faults'}: only ${WIRE_FIELDS.join(', ')} are accepted`,
    );
  }
  if (Object.keys(body).length === 0) {
    throw new InvalidFaultsError('body', `names no fault: give one of ${WIRE_FIELDS.join(', ')}`);
  }
  const { errorRate, latencyMs, health } = body;
  if (errorRate !== undefined && typeof errorRate !== 'number') {
    throw new InvalidFaultsError('errorRate', 'must be a number between 0 and 1', errorRate);
  }
  if (latencyMs !== undefined && typeof latencyMs !== 'number') {
    throw new InvalidFaultsError(
      'latencyMs',
      `must be a whole number of milliseconds from 0 to ${MAX_LATENCY_MS}`,
      latencyMs,
    );
  }
  if (health !== undefined && health !== 'ok' && health !== 'failing') {
    throw new InvalidFaultsError('health', 'must be "failing" or "ok"', health);
  }
  const faults: Partial<DemoFaults> = {
    ...(errorRate !== undefined && { errorRate }),
    ...(latencyMs !== undefined && { latencyMs }),
    ...(health !== undefined && { healthFailing: health === 'failing' }),
  };
  checkFaults(faults);
  return faults;
}

export function toFaultSettings(faults: DemoFaults): FaultSettings {
  return { errorRate: faults.errorRate, latencyMs: faults.latencyMs, health: faults.healthFailing ? 'failing' : 'ok' };
}

/** What the admin route answers: the slot and the faults now in force. */
export interface FaultsState {
  slot: string;
  version: string;
  faults: FaultSettings;
}
