import { decodeCursor, encodeCursor, keyOrder, type ClientKey, type KeyStore } from './key-types.js';

/** Most minute counters kept; older minutes are dropped first. */
const MAX_MINUTES = 10_000;

/** Client keys in process memory (tests, STORE_DRIVER=memory). Values are copied in and out. */
export function createMemoryKeyStore(): KeyStore {
  const keys = new Map<string, { key: ClientKey; hash: string }>();
  const byHash = new Map<string, string>();
  const spend = new Map<string, number>();
  const minutes = new Map<string, number>();
  let prunedDay = '';
  const copy = (k: ClientKey): ClientKey => structuredClone(k);

  return {
    async create(key, hash) {
      keys.set(key.id, { key: copy(key), hash });
      byHash.set(hash, key.id);
    },
    async get(id) {
      const row = keys.get(id);
      return row ? copy(row.key) : null;
    },
    async byHash(hash) {
      const id = byHash.get(hash);
      const row = id === undefined ? undefined : keys.get(id);
      return row ? copy(row.key) : null;
    },
    async list({ cursor, limit }) {
      const after = cursor ? decodeCursor(cursor) : null;
      const all = [...keys.values()]
        .map((r) => r.key)
        .sort((a, b) => keyOrder({ ms: Date.parse(a.created_at), id: a.id }, { ms: Date.parse(b.created_at), id: b.id }))
        .filter((k) => !after || keyOrder({ ms: Date.parse(k.created_at), id: k.id }, after) > 0);
      const items = all.slice(0, limit).map(copy);
      return { items, next_cursor: all.length > limit ? encodeCursor(items.at(-1)!) : null };
    },
    async update(id, key) {
      const row = keys.get(id);
      if (!row) return null;
      row.key = copy(key);
      return copy(key);
    },
    async delete(id) {
      const row = keys.get(id);
      if (!row) return false;
      keys.delete(id);
      byHash.delete(row.hash);
      return true;
    },
    async count() {
      return keys.size;
    },
    async addSpend(id, nano, periods) {
      if (periods.day !== prunedDay) {
        // Only the current day and month are ever read: drop the rest once a day (keys are `<id>:<period>`).
        for (const k of spend.keys()) if (![periods.day, periods.month].includes(k.slice(k.lastIndexOf(':') + 1))) spend.delete(k);
        prunedDay = periods.day;
      }
      for (const period of [periods.day, periods.month]) spend.set(`${id}:${period}`, (spend.get(`${id}:${period}`) ?? 0) + nano);
    },
    async spend(id, periods) {
      return { day_nano: spend.get(`${id}:${periods.day}`) ?? 0, month_nano: spend.get(`${id}:${periods.month}`) ?? 0 };
    },
    async hit(id, minute) {
      const k = `${id}:${minute}`;
      const n = (minutes.get(k) ?? 0) + 1;
      minutes.set(k, n);
      if (minutes.size > MAX_MINUTES) minutes.delete(minutes.keys().next().value!);
      return n;
    },
    async close() {
      keys.clear();
    },
  };
}
