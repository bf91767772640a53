/** Reading provider JSON of unknown shape: narrow before touching a field. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const NONE: readonly unknown[] = Object.freeze([]);

/** The array a field holds, else one shared empty list (read-only): no array allocated per read of an absent field. */
export const listOf = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : NONE);

/** A finite number, or 0 (usage counts a provider left out or garbled). */
export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A value that says something: a non-empty string, array or object, a number or a boolean. */
export const said = (v: unknown): boolean =>
  typeof v === 'string' ? v !== '' : Array.isArray(v) ? v.length > 0 : isObject(v) ? Object.keys(v).length > 0 : v !== null && v !== undefined;
