import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../errors.js';
import { guarded, toStoreError } from './store-error.js';

const sqliteError = (code: string) => new Database.SqliteError(`driver says ${code}`, code);

describe('store errors', () => {
  it.each([
    ['SQLITE_FULL', 'disk full'],
    ['SQLITE_BUSY', 'database is locked'],
    ['SQLITE_LOCKED', 'database is locked'],
    ['SQLITE_IOERR_WRITE', 'disk I/O error'],
    ['SQLITE_READONLY', 'database is read-only'],
  ])('turns %s into a 503 naming the reason', (code, reason) => {
    const err = toStoreError(sqliteError(code));
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ type: 'overloaded', status: 503, message: `session store unavailable: ${reason}`, retryAfterS: 5 });
  });

  it('treats a closed connection as unavailable', () => {
    expect(toStoreError(new TypeError('The database connection is not open'))).toMatchObject({
      type: 'overloaded',
      message: 'session store unavailable: database is closed',
    });
  });

  it.each([
    ['a TypeError', new TypeError('cannot read properties of undefined')],
    ['a constraint violation', sqliteError('SQLITE_CONSTRAINT_CHECK')],
  ])('rethrows %s untouched: it is a bug, not an outage', (_what, bug) => {
    expect(() => guarded(() => { throw bug; })).toThrow(bug);
  });

  it('logs one error line per storage failure', () => {
    const log = { error: vi.fn() };
    expect(() => guarded(() => { throw sqliteError('SQLITE_FULL'); }, log)).toThrow(AppError);
    expect(log.error).toHaveBeenCalledTimes(1);
    expect(log.error.mock.calls[0]![1]).toBe('session store unavailable: disk full');
  });
});
