import { validationError } from '../errors.js';
import type { RunResult } from '../orchestrator/workflow/types.js';
import { decodePageCursor, isAfterPageCursor, newestKeyFirst, pageWithCursor, type PageCursor } from './page-cursor.js';
import type { RunQuery } from './types.js';

/** The fields of a run that GET /runs filters and sorts on. */
export type RunListKey = Pick<RunResult, 'run_id' | 'status' | 'workflow' | 'session_id' | 'started_at'>;

/** A run's place in GET /runs: its start (epoch ms) and id. */
const runKey = (run: RunListKey): PageCursor => ({ ms: Date.parse(run.started_at), id: run.run_id });

/** Reads a `cursor` query parameter of GET /runs; a 400 naming `cursor` when it is not one this server issued. */
export const decodeCursor = (cursor: string): PageCursor => decodePageCursor(cursor, 'GET /runs');

/** Epoch ms of an ISO time given as a filter; a 400 naming the parameter when it is not a time. */
export function filterTime(value: string, path: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw validationError('invalid time', [{ path, message: `'${value}' is not an ISO 8601 time` }]);
  return ms;
}

/** The filters of `query` as a predicate over records (memory and Redis drivers; SQLite filters in SQL). */
export function runFilter(query: RunQuery): (run: RunListKey) => boolean {
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
      (cursor === undefined || isAfterPageCursor(started, run.run_id, cursor))
    );
  };
}

/** Newest first: by start time, then by id (descending), the order cursors follow. */
export const newestFirst = (a: RunListKey, b: RunListKey): number => newestKeyFirst(runKey(a), runKey(b));

/** The page and its cursor from up to `limit + 1` matching runs in listing order. */
export function pageOf(matching: RunResult[], limit: number): { runs: RunResult[]; next_cursor: string | null } {
  const { items, next_cursor } = pageWithCursor(matching, limit, runKey);
  return { runs: items, next_cursor };
}

/** Run statuses that are not final: what a restart resumes. */
export const UNFINISHED_STATUSES = ['queued', 'running'] as const;
