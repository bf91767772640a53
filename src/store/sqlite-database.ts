import Database from 'better-sqlite3';
import { migrate } from './sqlite-migrations.js';

/** Options of `openSqliteDatabase`. */
export interface SqliteDatabaseOptions {
  /** How long a write waits for another connection's lock before failing (ms). Default 5000. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating it if needed) the one SQLite database every SQLite-backed
 * store shares, or an in-memory one for ':memory:', and applies the missing
 * migrations (sqlite-migrations.ts). WAL mode, `synchronous = NORMAL` (durable
 * across process crashes; a power cut can drop the last commit) and foreign keys on.
 * Throws an Error naming the file when it cannot be opened or migrated.
 */
export function openSqliteDatabase(file: string, opts: SqliteDatabaseOptions = {}): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    if (db?.open) db.close();
    throw new Error(`cannot open the SQLite database at ${file}: ${(err as Error).message}`, { cause: err });
  }
}
