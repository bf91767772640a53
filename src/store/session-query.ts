import { validationError } from '../errors.js';
import type { SessionPage, SessionSummary } from './types.js';

/** Where a page of GET /sessions ended: the last session's `updated_at` (epoch ms) and id, the listing's sort key. */
export interface SessionCursor {
  updated_ms: number;
  session_id: string;
}

/** The opaque `next_cursor`: base64url of the sort key of the page's last session. */
export const encodeSessionCursor = (c: SessionCursor): string => Buffer.from(JSON.stringify([c.updated_ms, c.session_id])).toString('base64url');

/** Reads a `cursor` query parameter; a 400 naming `cursor` when it is not one this server issued. */
export function decodeSessionCursor(cursor: string): SessionCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && typeof value[1] === 'string') {
      return { updated_ms: value[0] as number, session_id: value[1] };
    }
  } catch {
    // falls through to the 400
  }
  throw validationError('invalid cursor', [{ path: 'cursor', message: 'not a next_cursor returned by GET /sessions' }]);
}

/** True when a session sorts after the cursor (was updated earlier): most recently updated first, then id descending. */
export const isAfterSessionCursor = (updatedMs: number, sessionId: string, c: SessionCursor): boolean =>
  updatedMs < c.updated_ms || (updatedMs === c.updated_ms && sessionId < c.session_id);

/** Listing order: most recently updated first, then by id (descending), the order cursors follow. */
export const recentlyUpdatedFirst = (a: SessionSummary, b: SessionSummary): number => {
  const d = Date.parse(b.updated_at) - Date.parse(a.updated_at);
  return d !== 0 ? d : a.session_id < b.session_id ? 1 : a.session_id > b.session_id ? -1 : 0;
};

/** The page and its cursor from up to `limit + 1` sessions in listing order. */
export function sessionPageOf(matching: SessionSummary[], limit: number): SessionPage {
  const sessions = matching.slice(0, limit);
  const last = sessions.at(-1);
  const more = matching.length > limit && last !== undefined;
  return { sessions, next_cursor: more ? encodeSessionCursor({ updated_ms: Date.parse(last.updated_at), session_id: last.session_id }) : null };
}
