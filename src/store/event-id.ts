import { validationError, type AppError } from '../errors.js';

/** A 400 for a `Last-Event-ID` that is not an id of this run's log. */
export const badEventId = (id: string): AppError =>
  validationError('invalid Last-Event-ID', [{ path: 'last-event-id', message: `'${id.slice(0, 100)}' is not an event id of this run` }]);

/** The sequence number of a memory or SQLite event id (a positive integer). */
export function sequenceOf(id: string): number {
  if (!/^\d{1,15}$/.test(id)) throw badEventId(id);
  return Number(id);
}
