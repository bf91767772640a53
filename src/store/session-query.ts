import { decodePageCursor, newestKeyFirst, pageWithCursor, type PageCursor } from './page-cursor.js';
import type { SessionPage, SessionSummary } from './types.js';

/** A session's place in GET /sessions: its `updated_at` (epoch ms) and id. */
const sessionKey = (s: SessionSummary): PageCursor => ({ ms: Date.parse(s.updated_at), id: s.session_id });

/** Reads a `cursor` query parameter of GET /sessions; a 400 naming `cursor` when it is not one this server issued. */
export const decodeSessionCursor = (cursor: string): PageCursor => decodePageCursor(cursor, 'GET /sessions');

/** Listing order: most recently updated first, then by id (descending), the order cursors follow. */
export const recentlyUpdatedFirst = (a: SessionSummary, b: SessionSummary): number => newestKeyFirst(sessionKey(a), sessionKey(b));

/** The page and its cursor from up to `limit + 1` sessions in listing order. */
export function sessionPageOf(matching: SessionSummary[], limit: number): SessionPage {
  const { items, next_cursor } = pageWithCursor(matching, limit, sessionKey);
  return { sessions: items, next_cursor };
}
