import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createMemoryKeyStore } from '../../src/store/key-memory.js';
import { createSqliteKeyStore } from '../../src/store/key-sqlite.js';
import type { KeyStore } from '../../src/store/key-types.js';
import { migrate } from '../../src/store/sqlite-migrations.js';

/** The SQLite store on an in-memory database with the real migrations, and the table's row count. */
function sqliteStore(): { store: KeyStore; rows: () => number } {
  const db = new Database(':memory:');
  migrate(db);
  return { store: createSqliteKeyStore(db), rows: () => (db.prepare('SELECT COUNT(*) AS n FROM client_key_spend').get() as { n: number }).n };
}

describe.each([
  ['memory', () => ({ store: createMemoryKeyStore(), rows: undefined })],
  ['SQLite', sqliteStore],
] as const)('spend of past periods (%s key store)', (_name, open) => {
  it('keeps the current day and month and drops older ones, so spend per JWT caller stays bounded', async () => {
    const { store, rows } = open() as { store: KeyStore; rows?: () => number };
    const nov29 = { day: '2026-11-29', month: '2026-11' };
    const nov30 = { day: '2026-11-30', month: '2026-11' };
    const dec1 = { day: '2026-12-01', month: '2026-12' };
    for (let i = 0; i < 50; i++) await store.addSpend(`jwt:user${i}`, 1_000, nov29);
    await store.addSpend('jwt:user0', 500, nov30);
    // The month goes on across the day; the day starts again.
    expect(await store.spend('jwt:user0', nov30)).toEqual({ day_nano: 500, month_nano: 1_500 });
    expect(await store.spend('jwt:user1', nov30)).toEqual({ day_nano: 0, month_nano: 1_000 });
    await store.addSpend('jwt:user1', 200, dec1);
    expect(await store.spend('jwt:user1', dec1)).toEqual({ day_nano: 200, month_nano: 200 });
    expect(await store.spend('jwt:user0', dec1)).toEqual({ day_nano: 0, month_nano: 0 });
    if (rows) expect(rows()).toBe(2);
  });
});
