/** Reading provider JSON of unknown shape: narrow before touching a field. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A finite number, or 0 (usage counts a provider left out or garbled). */
export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
