/**
 * Reading a submitted modal without trusting its shape: a signed request can still carry values of
 * any type, and private_metadata that is not the JSON golive put there.
 */
interface SubmittedView {
  private_metadata?: unknown;
  state?: { values?: unknown };
}
type Values = Record<string, Record<string, Record<string, unknown>>>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function values(view: SubmittedView): Values {
  return (isObject(view.state?.values) ? view.state.values : {}) as Values;
}

/** The element `id` of block `id` (golive names both after the field). */
function element(view: SubmittedView, id: string): Record<string, unknown> | undefined {
  const block = values(view)[id];
  const el = isObject(block) ? block[id] : undefined;
  return isObject(el) ? el : undefined;
}

/** A text input or a static select, trimmed; undefined when empty or not text. */
export function fieldText(view: SubmittedView, id: string): string | undefined {
  const el = element(view, id);
  const selected = isObject(el?.selected_option) ? el.selected_option.value : undefined;
  const raw = typeof selected === 'string' ? selected : el?.value;
  return typeof raw === 'string' ? raw.trim() || undefined : undefined;
}

/** Every ticked checkbox value of the blocks whose id starts with `prefix`. */
export function checkedValues(view: SubmittedView, prefix: string): string[] {
  const out: string[] = [];
  for (const [blockId, block] of Object.entries(values(view))) {
    if (!blockId.startsWith(prefix) || !isObject(block)) continue;
    for (const el of Object.values(block)) {
      const selected = isObject(el) && Array.isArray(el.selected_options) ? el.selected_options : [];
      for (const option of selected) if (isObject(option) && typeof option.value === 'string') out.push(option.value);
    }
  }
  return [...new Set(out)];
}

/** The modal's private_metadata as an object ({} when missing or not JSON). */
export function viewMeta(view: SubmittedView): Record<string, unknown> {
  if (typeof view.private_metadata !== 'string' || !view.private_metadata) return {};
  try {
    const parsed: unknown = JSON.parse(view.private_metadata);
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** A string field of the metadata, or undefined. */
export const metaText = (meta: Record<string, unknown>, key: string): string | undefined =>
  typeof meta[key] === 'string' && meta[key] ? meta[key] : undefined;
