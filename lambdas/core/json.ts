/** A plain JSON object (not null, not an array): what a payload or an event must be. */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
