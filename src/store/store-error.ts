import { AppError } from '../errors.js';

/** Where store failures are reported; a pino logger fits. */
export interface StoreLog {
  error(obj: object, msg: string): void;
}

/** SQLite result codes that mean "storage cannot serve now" (as opposed to a bug in a statement), by reason. */
const UNAVAILABLE: [prefix: string, reason: string][] = [
  ['SQLITE_FULL', 'disk full'],
  ['SQLITE_BUSY', 'database is locked'],
  ['SQLITE_LOCKED', 'database is locked'],
  ['SQLITE_IOERR', 'disk I/O error'],
  ['SQLITE_READONLY', 'database is read-only'],
  ['SQLITE_CANTOPEN', 'database file cannot be opened'],
  ['SQLITE_CORRUPT', 'database file is corrupt'],
  ['SQLITE_NOTADB', 'database file is corrupt'],
  ['SQLITE_NOMEM', 'out of memory'],
  ['SQLITE_PROTOCOL', 'database is locked'],
];

/**
 * better-sqlite3's SqliteError carries a `SQLITE_*` code (extended codes such as
 * `SQLITE_IOERR_WRITE` share their primary's prefix); a closed handle throws a TypeError instead.
 */
function reasonOf(err: unknown): string | null {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return null;
  if (typeof e.code === 'string') {
    const code = e.code;
    const hit = UNAVAILABLE.find(([prefix]) => code === prefix || code.startsWith(`${prefix}_`));
    if (hit) return hit[1];
  }
  if (typeof e.message === 'string' && /database connection is not open/i.test(e.message)) return 'database is closed';
  return null;
}

/**
 * Converts a driver failure into the API's 503, so a full disk or a locked file
 * is a clear error body for the caller (who may retry) rather than a crash.
 * Anything else (a constraint violation, a bad statement) is rethrown untouched:
 * it is a bug, and the error handler makes it a logged 500.
 */
export function toStoreError(err: unknown, log?: StoreLog): unknown {
  if (err instanceof AppError) return err;
  const reason = reasonOf(err);
  if (reason === null) return err;
  log?.error({ err }, `session store unavailable: ${reason}`);
  return new AppError('overloaded', `session store unavailable: ${reason}`, [], 5);
}

/** Runs a synchronous driver call, translating storage failures with `toStoreError`. */
export function guarded<T>(fn: () => T, log?: StoreLog): T {
  try {
    return fn();
  } catch (err) {
    throw toStoreError(err, log);
  }
}
