import type { Database } from 'better-sqlite3';
import { guarded, type StoreLog } from './store-error.js';
import { decodeCursor, encodeCursor, type ClientKey, type KeyStore } from './key-types.js';

/**
 * Client keys in the one SQLite database (their tables: migration 4 of
 * sqlite-migrations.ts): spend and keys survive restarts. The database's owner
 * (the SQLite stores) closes it.
 */
export function createSqliteKeyStore(db: Database, opts: { log?: StoreLog } = {}): KeyStore {
  const stmt = {
    insert: db.prepare('INSERT INTO client_keys (id, hash, created_ms, data) VALUES (?, ?, ?, ?)'),
    get: db.prepare('SELECT data FROM client_keys WHERE id = ?'),
    byHash: db.prepare('SELECT data FROM client_keys WHERE hash = ?'),
    first: db.prepare('SELECT data FROM client_keys ORDER BY created_ms, id LIMIT ?'),
    after: db.prepare('SELECT data FROM client_keys WHERE (created_ms, id) > (?, ?) ORDER BY created_ms, id LIMIT ?'),
    update: db.prepare('UPDATE client_keys SET data = ? WHERE id = ?'),
    delete: db.prepare('DELETE FROM client_keys WHERE id = ?'),
    deleteSpend: db.prepare('DELETE FROM client_key_spend WHERE id = ?'),
    count: db.prepare('SELECT COUNT(*) AS n FROM client_keys'),
    addSpend: db.prepare('INSERT INTO client_key_spend (id, period, nano) VALUES (?, ?, ?) ON CONFLICT (id, period) DO UPDATE SET nano = nano + excluded.nano'),
    spend: db.prepare('SELECT nano FROM client_key_spend WHERE id = ? AND period = ?'),
    hit: db.prepare('INSERT INTO client_key_minutes (id, minute, n) VALUES (?, ?, 1) ON CONFLICT (id, minute) DO UPDATE SET n = n + 1 RETURNING n'),
    pruneMinutes: db.prepare('DELETE FROM client_key_minutes WHERE minute < ?'),
    // Days are YYYY-MM-DD, months YYYY-MM: only the current ones are ever read (admission, the admin view).
    prunePeriods: db.prepare('DELETE FROM client_key_spend WHERE (length(period) = 10 AND period < ?) OR (length(period) = 7 AND period < ?)'),
  };
  const row = (r: unknown): ClientKey | null => (r ? (JSON.parse((r as { data: string }).data) as ClientKey) : null);
  const g = <T>(fn: () => T): Promise<T> => Promise.resolve().then(() => guarded(fn, opts.log));
  let lastPrune = 0;
  // Spend of past days and months is dropped once a day: JWT callers with a budget tier (one spend per
  // caller name, not per admin-created key) would otherwise add rows for ever.
  let prunedDay = '';

  return {
    create: (key, hash) => g(() => void stmt.insert.run(key.id, hash, Date.parse(key.created_at), JSON.stringify(key))),
    get: (id) => g(() => row(stmt.get.get(id))),
    byHash: (hash) => g(() => row(stmt.byHash.get(hash))),
    list: ({ cursor, limit }) =>
      g(() => {
        const after = cursor ? decodeCursor(cursor) : null;
        const rows = (after ? stmt.after.all(after.ms, after.id, limit + 1) : stmt.first.all(limit + 1)).map((r) => row(r)!);
        const items = rows.slice(0, limit);
        return { items, next_cursor: rows.length > limit ? encodeCursor(items.at(-1)!) : null };
      }),
    update: (id, key) => g(() => (stmt.update.run(JSON.stringify(key), id).changes > 0 ? key : null)),
    delete: (id) =>
      g(() =>
        db.transaction(() => {
          stmt.deleteSpend.run(id);
          return stmt.delete.run(id).changes > 0;
        })(),
      ),
    count: () => g(() => (stmt.count.get() as { n: number }).n),
    addSpend: (id, nano, periods) =>
      g(() =>
        db.transaction(() => {
          if (periods.day !== prunedDay) {
            stmt.prunePeriods.run(periods.day, periods.month);
            prunedDay = periods.day;
          }
          stmt.addSpend.run(id, periods.day, nano);
          stmt.addSpend.run(id, periods.month, nano);
        })(),
      ),
    spend: (id, periods) =>
      g(() => ({
        day_nano: (stmt.spend.get(id, periods.day) as { nano: number } | undefined)?.nano ?? 0,
        month_nano: (stmt.spend.get(id, periods.month) as { nano: number } | undefined)?.nano ?? 0,
      })),
    hit: (id, minute) =>
      g(() => {
        // Minute counters older than two minutes are no longer read.
        if (minute > lastPrune) {
          stmt.pruneMinutes.run(minute - 2);
          lastPrune = minute;
        }
        return (stmt.hit.get(id, minute) as { n: number }).n;
      }),
    // The database belongs to the SQLite stores, which close it.
    close: async () => undefined,
  };
}
