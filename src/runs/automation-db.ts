import Database from 'better-sqlite3';
import { migrate, type Migration } from '../store/sqlite-migrations.js';

/**
 * The single-node home of the webhook outbox and the schedules' last fires: one
 * SQLite file beside the run store (`automation.db` in the data directory, or
 * `:memory:` with the memory store driver), with its own migrations so it never
 * competes with the run store's schema. Shared mode keeps the same state in Redis.
 */
export const AUTOMATION_FILE = 'automation.db';

export const AUTOMATION_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'webhook outbox and delivery attempts',
    sql: `
      CREATE TABLE webhook_outbox (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        event TEXT NOT NULL,
        url TEXT NOT NULL,
        shown_url TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'expired')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_ms INTEGER NOT NULL,
        lease TEXT
      );
      CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_ms);
      CREATE INDEX webhook_outbox_created ON webhook_outbox (created_ms);

      CREATE TABLE webhook_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        data TEXT NOT NULL,
        at_ms INTEGER NOT NULL
      );
      CREATE INDEX webhook_attempts_run ON webhook_attempts (run_id, id);
      CREATE INDEX webhook_attempts_at ON webhook_attempts (at_ms);
    `,
  },
  {
    version: 2,
    name: 'schedule state',
    sql: `
      CREATE TABLE schedule_state (
        name TEXT PRIMARY KEY,
        last_fire_ms INTEGER,
        last_run_id TEXT,
        seen_ms INTEGER NOT NULL
      );
    `,
  },
];

/** Opens (creating and migrating) the automation database at `file`, or in memory for ':memory:'. */
export function openAutomationDb(file: string): Database.Database {
  try {
    const db = new Database(file);
    db.pragma('busy_timeout = 5000');
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, AUTOMATION_MIGRATIONS);
    return db;
  } catch (err) {
    throw new Error(`cannot open the automation store at ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** The automation database a server uses: the one it was given, or an in-memory one opened on first use. */
export interface AutomationDbHandle {
  get(): Database.Database;
  /** Closes the database only if this handle opened it. */
  close(): void;
}

export function automationDbHandle(given?: Database.Database): AutomationDbHandle {
  let opened: Database.Database | undefined;
  return {
    get: () => given ?? (opened ??= openAutomationDb(':memory:')),
    close: () => {
      if (opened?.open) opened.close();
    },
  };
}
