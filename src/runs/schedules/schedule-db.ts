import type { Database } from 'better-sqlite3';
import { openSqliteDatabase } from '../../store/sqlite-database.js';

/**
 * The single-node home of the schedules' last fires (schedule-state.ts): the SQLite stores' one
 * database (`orchestrator.db`; the table is a migration of store/sqlite-migrations.ts), or an
 * in-memory one with the memory store driver. Shared mode keeps the same state in Redis.
 */

/** Opens (creating and migrating) a database at `file`, or in memory for ':memory:'. */
export const openScheduleDb = (file: string): Database => openSqliteDatabase(file);

/** The schedules' database a server uses: the one it was given, or an in-memory one opened on first use. */
export interface ScheduleDbHandle {
  get(): Database;
  /** Closes the database only if this handle opened it. */
  close(): void;
}

export function scheduleDbHandle(given?: Database): ScheduleDbHandle {
  let opened: Database | undefined;
  return {
    get: () => given ?? (opened ??= openScheduleDb(':memory:')),
    close: () => {
      if (opened?.open) opened.close();
    },
  };
}
