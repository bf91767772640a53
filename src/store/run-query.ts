import { validationError } from '../errors.js';
import type { RunResult } from '../orchestrator/workflow/types.js';
import type { RunQuery } from './types.js';

/** Where a page of GET /runs ended: the last run's start (epoch ms) and id, the listing's sort key. */
export interface RunCursor {
  started_ms: number;
  run_id: string;
}

/** The opaque `next_cursor`: base64url of the sort key of the page's last run. */
export const encodeCursor = (c: RunCursor): string => Buffer.from(JSON.stringify([c.started_ms, c.run_id])).toString('base64url');

/** Reads a `cursor` query parameter; a 400 naming `cursor` when it is not one this server issued. */
export function decodeCursor(cursor: string): RunCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && typeof value[1] === 'string') {
      return { started_ms: value[0] as number, run_id: value[1] };
    }
  } catch {
    // falls through to the 400
  }
  throw validationError('invalid cursor', [{ path: 'cursor', message: 'not a next_cursor returned by GET /runs' }]);
}

/** Epoch ms of an ISO time given as a filter; a 400 naming the parameter when it is not a time. */
export function filterTime(value: string, path: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw validationError('invalid time', [{ path, message: `'${value}' is not an ISO 8601 time` }]);
  return ms;
}

/** True when the run sorts after the cursor (is older), newest-first order. */
export const isAfterCursor = (startedMs: number, runId: string, c: RunCursor): boolean =>
  startedMs < c.started_ms || (startedMs === c.started_ms && runId < c.run_id);

/** The filters of `query` as a predicate over records (memory and Redis drivers; SQLite filters in SQL). */
export function runFilter(query: RunQuery): (run: RunResult) => boolean {
  const since = query.since === undefined ? undefined : filterTime(query.since, 'since');
  const until = query.until === undefined ? undefined : filterTime(query.until, 'until');
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  return (run) => {
    const started = Date.parse(run.started_at);
    return (
      (query.status === undefined || run.status === query.status) &&
      (query.workflow === undefined || run.workflow === query.workflow) &&
      (query.session_id === undefined || run.session_id === query.session_id) &&
      (since === undefined || started >= since) &&
      (until === undefined || started < until) &&
      (cursor === undefined || isAfterCursor(started, run.run_id, cursor))
    );
  };
}

/** Newest first: by start time, then by id (descending), the order cursors follow. */
export const newestFirst = (a: RunResult, b: RunResult): number => {
  const d = Date.parse(b.started_at) - Date.parse(a.started_at);
  return d !== 0 ? d : a.run_id < b.run_id ? 1 : a.run_id > b.run_id ? -1 : 0;
};

/** The page and its cursor from up to `limit + 1` matching runs in listing order. */
export function pageOf(matching: RunResult[], limit: number): { runs: RunResult[]; next_cursor: string | null } {
  const runs = matching.slice(0, limit);
  const last = runs.at(-1);
  const more = matching.length > limit && last !== undefined;
  return { runs, next_cursor: more ? encodeCursor({ started_ms: Date.parse(last.started_at), run_id: last.run_id }) : null };
}

/** Run statuses that are not final: what a restart resumes. */
export const UNFINISHED_STATUSES = ['queued', 'running'] as const;
