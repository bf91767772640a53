import type { Database } from 'better-sqlite3';
import { openSqliteDatabase } from '../store/sqlite-database.js';

/**
 * The single-node home of the webhook outbox and the schedules' last fires: the
 * one SQLite database (`orchestrator.db`, their tables are migrations of
 * store/sqlite-migrations.ts), or an in-memory one with the memory store driver.
 * Shared mode keeps the same state in Redis.
 */

/** Opens (creating and migrating) a database at `file`, or in memory for ':memory:'. */
export const openAutomationDb = (file: string): Database => openSqliteDatabase(file);

/** The automation database a server uses: the one it was given, or an in-memory one opened on first use. */
export interface AutomationDbHandle {
  get(): Database;
  /** Closes the database only if this handle opened it. */
  close(): void;
}

export function automationDbHandle(given?: Database): AutomationDbHandle {
  let opened: Database | undefined;
  return {
    get: () => given ?? (opened ??= openAutomationDb(':memory:')),
    close: () => {
      if (opened?.open) opened.close();
    },
  };
}
