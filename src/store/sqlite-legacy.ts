import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Files earlier versions kept beside `orchestrator.db`, and the tables each held.
 * Since everything lives in the one database, their rows are imported once at
 * startup (see `importLegacyFiles`).
 */
export const LEGACY_FILES: readonly { file: string; tables: readonly string[] }[] = [
  { file: 'keys.db', tables: ['client_keys', 'client_key_spend', 'client_key_minutes'] },
  { file: 'automation.db', tables: ['webhook_outbox', 'webhook_attempts', 'schedule_state'] },
];

/** What an import did, per file. */
export interface LegacyImport {
  file: string;
  rows: number;
}

const columnsOf = (db: Database.Database, schema: string, table: string): string[] =>
  (db.prepare(`SELECT name FROM pragma_table_info(?, ?)`).all(table, schema) as { name: string }[]).map((c) => c.name);

/**
 * Upgrades a data directory from the old layout: copies the rows of each legacy
 * file present (keys.db, automation.db) into `db` — the tables the file has,
 * the columns both sides have, rows already there left alone — records the
 * import in `legacy_imports` in the same transaction, then renames the file to
 * `<name>.imported` (kept for the operator to delete). A file recorded as
 * imported is only renamed again, so a crash anywhere in between is harmless.
 * Returns what was imported.
 */
export function importLegacyFiles(db: Database.Database, dataDir: string, log?: { info?(obj: object, msg: string): void }): LegacyImport[] {
  const done: LegacyImport[] = [];
  for (const legacy of LEGACY_FILES) {
    const path = join(dataDir, legacy.file);
    if (!existsSync(path)) continue;
    // Closing its last connection checkpoints the file's WAL into it, so ATTACH sees every commit.
    new Database(path).close();
    const seen = db.prepare('SELECT 1 FROM legacy_imports WHERE file = ?').get(legacy.file);
    if (!seen) {
      db.prepare('ATTACH DATABASE ? AS legacy').run(path);
      try {
        const rows = db.transaction(() => {
          let n = 0;
          for (const table of legacy.tables) {
            const theirs = new Set(columnsOf(db, 'legacy', table));
            const columns = columnsOf(db, 'main', table).filter((c) => theirs.has(c));
            if (columns.length === 0) continue;
            const list = columns.map((c) => `"${c}"`).join(', ');
            n += db.prepare(`INSERT OR IGNORE INTO main."${table}" (${list}) SELECT ${list} FROM legacy."${table}"`).run().changes;
          }
          db.prepare('INSERT INTO legacy_imports (file, imported_at, rows) VALUES (?, ?, ?)').run(legacy.file, new Date().toISOString(), n);
          return n;
        }).immediate();
        done.push({ file: legacy.file, rows });
      } finally {
        db.prepare('DETACH DATABASE legacy').run();
      }
    }
    renameSync(path, `${path}.imported`);
    for (const side of ['-wal', '-shm']) rmSync(`${path}${side}`, { force: true });
  }
  for (const d of done) log?.info?.({ file: d.file, rows: d.rows }, `imported ${d.file} into the one SQLite database; the old file is kept as ${d.file}.imported`);
  return done;
}
