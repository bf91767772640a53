import { validationError } from '../errors.js';

/**
 * Cursor paging for the newest-first listings (GET /runs, GET /sessions): items sort by a time (epoch ms)
 * descending, then by id descending, and a page's opaque `next_cursor` names the sort key of its last item.
 */
export interface PageCursor {
  ms: number;
  id: string;
}

/** The opaque `next_cursor`: base64url of the sort key of a page's last item. */
export const encodePageCursor = (c: PageCursor): string => Buffer.from(JSON.stringify([c.ms, c.id])).toString('base64url');

/** Reads a `cursor` query parameter; a 400 naming `cursor` when it is not one `listing` (e.g. 'GET /runs') issued. */
export function decodePageCursor(cursor: string, listing: string): PageCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && typeof value[1] === 'string') {
      return { ms: value[0] as number, id: value[1] };
    }
  } catch {
    // falls through to the 400
  }
  throw validationError('invalid cursor', [{ path: 'cursor', message: `not a next_cursor returned by ${listing}` }]);
}

/** True when an item with sort key (`ms`, `id`) sorts after the cursor (is older). */
export const isAfterPageCursor = (ms: number, id: string, c: PageCursor): boolean => ms < c.ms || (ms === c.ms && id < c.id);

/** Listing order over sort keys: newest first, then by id (descending), the order cursors follow. */
export const newestKeyFirst = (a: PageCursor, b: PageCursor): number => {
  const d = b.ms - a.ms;
  return d !== 0 ? d : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
};

/** The page and its cursor from up to `limit + 1` items in listing order; `keyOf` gives an item's sort key. */
export function pageWithCursor<T>(matching: T[], limit: number, keyOf: (item: T) => PageCursor): { items: T[]; next_cursor: string | null } {
  const items = matching.slice(0, limit);
  const last = items.at(-1);
  const more = matching.length > limit && last !== undefined;
  return { items, next_cursor: more ? encodePageCursor(keyOf(last)) : null };
}
