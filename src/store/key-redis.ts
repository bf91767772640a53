import type { Redis } from 'ioredis';
import { decodeCursor, encodeCursor, type ClientKey, type KeyStore } from './key-types.js';
import { guarded } from './redis.js';
import type { StoreLog } from './store-error.js';

/** Spend keys outlive their period by a margin, then Redis drops them. */
const DAY_TTL_S = 3 * 86_400;
const MONTH_TTL_S = 40 * 86_400;

/**
 * Client keys in Redis, shared by every replica: a hash per key (its JSON and
 * its secret's SHA-256), a hash → id index, a lexically sorted set
 * (`<ms padded>:<id>`) for the paginated list, spend as INCRBY of integer
 * nano-USD per UTC day and month, and the per-minute request counters.
 */
export function createRedisKeyStore(redis: Redis, opts: { prefix?: string; log?: StoreLog } = {}): KeyStore {
  const prefix = opts.prefix ?? 'mo:';
  const keyOf = (id: string) => `${prefix}ckey:${id}`;
  const hashIndex = `${prefix}ckey-hash`;
  const order = `${prefix}ckeys`;
  const member = (k: Pick<ClientKey, 'created_at' | 'id'>) => `${String(Date.parse(k.created_at)).padStart(15, '0')}:${k.id}`;
  const spendKey = (id: string, period: string) => `${prefix}ckey-spend:${id}:${period}`;
  const g = <T>(fn: () => Promise<T>) => guarded(fn, opts.log);

  const get = async (id: string): Promise<ClientKey | null> => {
    const raw = await redis.hget(keyOf(id), 'json');
    return raw ? (JSON.parse(raw) as ClientKey) : null;
  };

  return {
    create: (key, hash) =>
      g(async () => {
        await redis.multi().hset(keyOf(key.id), 'json', JSON.stringify(key), 'hash', hash).hset(hashIndex, hash, key.id).zadd(order, 0, member(key)).exec();
      }),
    get: (id) => g(() => get(id)),
    byHash: (hash) =>
      g(async () => {
        const id = await redis.hget(hashIndex, hash);
        return id ? get(id) : null;
      }),
    list: ({ cursor, limit }) =>
      g(async () => {
        const after = cursor ? decodeCursor(cursor) : null;
        const from = after ? `(${String(after.ms).padStart(15, '0')}:${after.id}` : '-';
        const members = await redis.zrangebylex(order, from, '+', 'LIMIT', 0, limit + 1);
        const page = members.slice(0, limit).map((m) => m.slice(m.indexOf(':') + 1));
        const items = (await Promise.all(page.map(get))).filter((k): k is ClientKey => k !== null);
        return { items, next_cursor: members.length > limit && items.length > 0 ? encodeCursor(items.at(-1)!) : null };
      }),
    update: (id, key) =>
      g(async () => {
        // Only an existing key is replaced (HSETX-like: check and set in one script).
        const done = await redis.eval(
          "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'json', ARGV[1]) return 1 end return 0",
          1,
          keyOf(id),
          JSON.stringify(key),
        );
        return done === 1 ? key : null;
      }),
    delete: (id) =>
      g(async () => {
        const [json, hash] = await redis.hmget(keyOf(id), 'json', 'hash');
        if (!json) return false;
        await redis.multi().del(keyOf(id)).hdel(hashIndex, hash ?? '').zrem(order, member(JSON.parse(json) as ClientKey)).exec();
        return true;
      }),
    count: () => g(() => redis.zcard(order)),
    addSpend: (id, nano, periods) =>
      g(async () => {
        await redis
          .multi()
          .incrby(spendKey(id, periods.day), nano)
          .expire(spendKey(id, periods.day), DAY_TTL_S)
          .incrby(spendKey(id, periods.month), nano)
          .expire(spendKey(id, periods.month), MONTH_TTL_S)
          .exec();
      }),
    spend: (id, periods) =>
      g(async () => {
        const [day, month] = await redis.mget(spendKey(id, periods.day), spendKey(id, periods.month));
        return { day_nano: Number(day ?? 0), month_nano: Number(month ?? 0) };
      }),
    hit: (id, minute) =>
      g(async () => {
        const k = `${prefix}ckey-rpm:${id}:${minute}`;
        const results = await redis.multi().incr(k).expire(k, 120).exec();
        return Number(results?.[0]?.[1] ?? 0);
      }),
    close: async () => undefined,
  };
}
