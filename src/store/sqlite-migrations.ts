import type { Database } from 'better-sqlite3';

/**
 * The schema of the one SQLite database (`orchestrator.db`) as an ordered list
 * of migrations. Every store that keeps SQLite state (sessions and runs, config
 * versions, client keys, the webhook outbox, schedule state) registers its
 * tables here as an entry, so one file holds everything and one transaction can
 * span stores. The server applies the missing entries at startup, each in its
 * own transaction, and records them in `schema_migrations` (and `user_version`);
 * append new entries, never edit applied ones.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, turns and runs',
    sql: `
      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_ms INTEGER NOT NULL,
        cost_usd REAL NOT NULL DEFAULT 0
      );
      CREATE INDEX sessions_updated_ms ON sessions (updated_ms);

      CREATE TABLE turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        category TEXT CHECK (category IN ('L', 'M', 'H')),
        model_used TEXT,
        run_id TEXT,
        request_id TEXT,
        cost_usd REAL NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      );
      CREATE INDEX turns_session_order ON turns (session_id, id);

      CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        session_id TEXT,
        started_ms INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX runs_started_ms ON runs (started_ms);
    `,
  },
  {
    version: 2,
    name: 'durable runs: spec, workflow, status index, event log',
    sql: `
      ALTER TABLE runs ADD COLUMN spec TEXT;
      ALTER TABLE runs ADD COLUMN workflow TEXT NOT NULL DEFAULT '';
      UPDATE runs SET workflow = coalesce(json_extract(data, '$.workflow'), '');
      CREATE INDEX runs_status_started ON runs (status, started_ms);

      CREATE TABLE run_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX run_events_run ON run_events (run_id, id);
    `,
  },
  {
    version: 3,
    name: 'config versions, control metadata and the audit log',
    sql: `
      CREATE TABLE config_versions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        hash TEXT NOT NULL UNIQUE,
        parent TEXT,
        author TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL,
        document TEXT NOT NULL
      );

      CREATE TABLE control_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        address TEXT,
        action TEXT NOT NULL,
        target TEXT,
        message TEXT NOT NULL,
        details TEXT NOT NULL
      );
    `,
  },
  {
    // Owner: key-sqlite.ts (formerly its own file, keys.db).
    version: 4,
    name: 'client keys, spend, minute counters',
    sql: `
      CREATE TABLE client_keys (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        created_ms INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX client_keys_order ON client_keys (created_ms, id);
      CREATE TABLE client_key_spend (
        id TEXT NOT NULL,
        period TEXT NOT NULL,
        nano INTEGER NOT NULL,
        PRIMARY KEY (id, period)
      );
      CREATE TABLE client_key_minutes (
        id TEXT NOT NULL,
        minute INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (id, minute)
      );
    `,
  },
  {
    // Owner: outbox-sqlite.ts (formerly in automation.db).
    version: 5,
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
    // Owner: runs/schedules/schedule-state.ts (formerly in automation.db).
    version: 6,
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
  {
    // Owner: sqlite-legacy.ts.
    version: 7,
    name: 'imports of the former separate files (keys.db, automation.db)',
    sql: `
      CREATE TABLE legacy_imports (
        file TEXT PRIMARY KEY,
        imported_at TEXT NOT NULL,
        rows INTEGER NOT NULL
      );
    `,
  },
  {
    // Owner: drift-sqlite.ts.
    version: 8,
    name: 'drift baselines',
    sql: `
      CREATE TABLE drift_baselines (
        subject TEXT NOT NULL,
        stream TEXT NOT NULL,
        version TEXT NOT NULL,
        summary TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (subject, stream)
      );
    `,
  },
];

/** Applies every migration newer than the database's; safe to call on every open. Returns the versions applied. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    // IMMEDIATE takes the write lock first, so two processes opening one file cannot both apply a migration.
    db.transaction(() => {
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
      if (again) return;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
      // Also in the header, so `PRAGMA user_version` (and sqlite3's .dbinfo) tell the schema at a glance.
      db.pragma(`user_version = ${Math.max(m.version, Number(db.pragma('user_version', { simple: true })))}`);
      done.push(m.version);
    }).immediate();
  }
  return done;
}
