import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageSchema } from '../../src/config/schema.js';
import { createSqliteOutbox } from '../../src/store/outbox-sqlite.js';
import { createSqliteScheduleState } from '../../src/runs/schedules/schedule-state.js';
import { createSqliteKeyStore } from '../../src/store/key-sqlite.js';
import type { ClientKey } from '../../src/store/key-types.js';
import { openStores, SQLITE_FILE } from '../../src/store/open-stores.js';
import { MIGRATIONS, migrate } from '../../src/store/sqlite-migrations.js';
import type { Stores } from '../../src/store/types.js';

const dirs: string[] = [];
const open: Stores[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mo-onedb-'));
  dirs.push(dir);
  return dir;
};
const start = async (dir: string) => {
  const stores = await openStores(StorageSchema.parse({ data_dir: dir }), {});
  open.push(stores);
  return stores;
};
const versions = (db: Database.Database) => (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
const tables = (db: Database.Database) =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((r) => r.name);
const key = (id: string): ClientKey => ({
  id,
  name: id,
  models: null,
  rpm: null,
  budgets: { day_usd: 5, month_usd: null },
  prefix: 'mo_abcd',
  created_at: '2026-11-01T00:00:00.000Z',
  updated_at: '2026-11-01T00:00:00.000Z',
});
const byVersion = (v: number) => MIGRATIONS.find((m) => m.version === v)!;
const periods = { day: '2026-11-30', month: '2026-11' };

describe('one SQLite database with ordered migrations', () => {
  it('a fresh start creates only orchestrator.db, with every store’s tables and every migration recorded', async () => {
    const dir = dataDir();
    const stores = await start(dir);
    const db = stores.sqlite!;
    expect(readdirSync(dir).filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))).toEqual([SQLITE_FILE]);
    const all = MIGRATIONS.map((m) => m.version);
    expect(versions(db)).toEqual(all);
    expect(db.pragma('user_version', { simple: true })).toBe(Math.max(...all));
    expect(tables(db)).toEqual(expect.arrayContaining(['sessions', 'runs', 'run_events', 'config_versions', 'client_keys', 'client_key_spend', 'webhook_outbox', 'webhook_attempts', 'schedule_state']));
  });

  it('a restart applies nothing again and keeps every store’s rows', async () => {
    const dir = dataDir();
    const first = await start(dir);
    await createSqliteKeyStore(first.sqlite!).create(key('key_restart'), 'hash-restart');
    await createSqliteKeyStore(first.sqlite!).addSpend('key_restart', 1_500, periods);
    await first.close();
    open.length = 0;

    const second = await start(dir);
    expect(versions(second.sqlite!)).toEqual(MIGRATIONS.map((m) => m.version));
    const keys = createSqliteKeyStore(second.sqlite!);
    expect(await keys.get('key_restart')).toMatchObject({ id: 'key_restart', budgets: { day_usd: 5 } });
    expect(await keys.spend('key_restart', periods)).toEqual({ day_nano: 1_500, month_nano: 1_500 });
  });

  it('upgrades from the old layout: keys.db and automation.db are imported once, then kept as *.imported', async () => {
    const dir = dataDir();
    // The old layout: orchestrator.db at migration 3, keys.db and automation.db with their own schema_migrations.
    const old = new Database(join(dir, SQLITE_FILE));
    migrate(old, MIGRATIONS.filter((m) => m.version <= 3));
    old.close();
    const keysDb = new Database(join(dir, 'keys.db'));
    keysDb.pragma('journal_mode = WAL');
    migrate(keysDb, [{ ...byVersion(4), version: 1 }]);
    keysDb.prepare('INSERT INTO client_keys (id, hash, created_ms, data) VALUES (?, ?, ?, ?)').run('key_old', 'hash-old', 1, JSON.stringify(key('key_old')));
    keysDb.prepare('INSERT INTO client_key_spend (id, period, nano) VALUES (?, ?, ?)').run('key_old', periods.day, 7_000);
    keysDb.prepare('INSERT INTO client_key_spend (id, period, nano) VALUES (?, ?, ?)').run('key_old', periods.month, 9_000);
    const automation = new Database(join(dir, 'automation.db'));
    automation.pragma('journal_mode = WAL');
    migrate(automation, [{ ...byVersion(5), version: 1 }, { ...byVersion(6), version: 2 }]);
    automation
      .prepare(`INSERT INTO webhook_outbox (id, run_id, event, url, shown_url, payload, created_ms, state, attempts, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)`)
      .run('msg_old', 'run-old', 'run.completed', 'https://example.com/hook', 'https://example.com', '{"type":"run.completed"}', 1, 1);
    automation.prepare('INSERT INTO schedule_state (name, last_fire_ms, last_run_id, seen_ms) VALUES (?, ?, ?, ?)').run('nightly', 1_000, 'run-x', 500);
    keysDb.close();
    automation.close();

    const stores = await start(dir);
    const db = stores.sqlite!;
    expect(versions(db)).toEqual(MIGRATIONS.map((m) => m.version));
    const keys = createSqliteKeyStore(db);
    expect(await keys.byHash('hash-old')).toMatchObject({ id: 'key_old' });
    expect(await keys.spend('key_old', periods)).toEqual({ day_nano: 7_000, month_nano: 9_000 });
    const claimed = await createSqliteOutbox(db).claim(10, 10, 1_000);
    expect(claimed.map((m) => m.id)).toEqual(['msg_old']);
    expect(await createSqliteScheduleState(db).get('nightly')).toEqual({ last_fire_ms: 1_000, last_run_id: 'run-x', seen_ms: 500 });
    expect(existsSync(join(dir, 'keys.db'))).toBe(false);
    expect(existsSync(join(dir, 'keys.db.imported'))).toBe(true);
    expect(existsSync(join(dir, 'automation.db.imported'))).toBe(true);
    expect((db.prepare('SELECT file, rows FROM legacy_imports ORDER BY file').all() as object[])).toEqual([
      { file: 'automation.db', rows: 2 },
      { file: 'keys.db', rows: 3 },
    ]);
    await stores.close();
    open.length = 0;

    // A restart imports nothing twice.
    const again = await start(dir);
    expect(await createSqliteKeyStore(again.sqlite!).spend('key_old', periods)).toEqual({ day_nano: 7_000, month_nano: 9_000 });
    expect((again.sqlite!.prepare('SELECT COUNT(*) AS n FROM legacy_imports').get() as { n: number }).n).toBe(2);
  });

  it('a file already imported (a crash before its rename) is only renamed, never imported twice', async () => {
    const dir = dataDir();
    const first = await start(dir);
    await first.close();
    open.length = 0;
    const keysDb = new Database(join(dir, 'keys.db'));
    migrate(keysDb, [{ ...byVersion(4), version: 1 }]);
    keysDb.prepare('INSERT INTO client_key_spend (id, period, nano) VALUES (?, ?, ?)').run('key_twice', periods.day, 100);
    keysDb.close();
    const db = new Database(join(dir, SQLITE_FILE));
    db.prepare('INSERT INTO legacy_imports (file, imported_at, rows) VALUES (?, ?, ?)').run('keys.db', new Date().toISOString(), 1);
    db.prepare('INSERT INTO client_key_spend (id, period, nano) VALUES (?, ?, ?)').run('key_twice', periods.day, 100);
    db.close();

    const stores = await start(dir);
    expect(await createSqliteKeyStore(stores.sqlite!).spend('key_twice', periods)).toEqual({ day_nano: 100, month_nano: 0 });
    expect(existsSync(join(dir, 'keys.db.imported'))).toBe(true);
  });
});
