import { z } from 'zod';

/**
 * Change-freeze calendar (config `freezes`): fixed windows (`start`/`end`) and recurring ones (a
 * cron rule in a time zone, with a duration). A go-live inside a window that applies to its service
 * is refused with FreezeWindow unless it is a break-glass.
 *
 * STUB: the schema's shape and the functions' contracts are fixed; the evaluation is being written.
 */

export const freezeWindowSchema = z
  .object({
    name: z.string().min(1),
    start: z.string().optional(),
    end: z.string().optional(),
    cron: z.string().optional(),
    duration: z.string().optional(),
    timeZone: z.string().optional(),
    /** The services it applies to; absent = every service. */
    services: z.array(z.string()).min(1).optional(),
    reason: z.string().optional(),
  })
  .strict();

export const freezesSchema = z.array(freezeWindowSchema);

export type FreezeWindow = z.infer<typeof freezeWindowSchema>;

/** One occurrence of a window: when it starts and ends (ISO 8601, UTC). */
export interface FreezeOccurrence {
  name: string;
  start: string;
  end: string;
  services?: string[];
  reason?: string;
}

/** The occurrences in force for `service` at `now` (start inclusive, end exclusive), latest end first. */
export function activeFreezes(
  _windows: readonly FreezeWindow[],
  _service: string | undefined,
  _now: Date,
): FreezeOccurrence[] {
  return [];
}

/** Occurrences that overlap [from, to), for `service` (or every service when undefined), by start. */
export function freezeOccurrences(
  _windows: readonly FreezeWindow[],
  _service: string | undefined,
  _from: Date,
  _to: Date,
): FreezeOccurrence[] {
  return [];
}
