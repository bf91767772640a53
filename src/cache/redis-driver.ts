import type { Redis } from 'ioredis';
import type { CacheDriver, CachedAnswer } from './types.js';

/**
 * Shared mode: answers live in Redis under `<prefix>cache:<key>` with a PX
 * expiry, so every replica hits what any replica stored. Redis bounds memory
 * with its own eviction policy; `clear` deletes the prefix's keys by SCAN.
 * A Redis failure on read is a miss and on write is skipped by the caller.
 */
export function createRedisCacheDriver(redis: Redis, prefix = 'mo:'): CacheDriver {
  const base = `${prefix}cache:`;
  const scanAll = async (onKeys: (keys: string[]) => Promise<void>, signal?: AbortSignal) => {
    let cursor = '0';
    do {
      signal?.throwIfAborted();
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await onKeys(keys);
    } while (cursor !== '0');
  };
  return {
    get: async (key) => {
      const raw = await redis.get(base + key);
      return raw === null ? undefined : (JSON.parse(raw) as CachedAnswer);
    },
    set: async (key, value, ttlMs) => {
      if (ttlMs <= 0) return;
      await redis.set(base + key, JSON.stringify(value), 'PX', Math.ceil(ttlMs));
    },
    clear: async (signal) => {
      let removed = 0;
      await scanAll(async (keys) => {
        removed += await redis.unlink(...keys);
      }, signal);
      return removed;
    },
    size: async () => {
      let n = 0;
      await scanAll(async (keys) => {
        n += keys.length;
      });
      return n;
    },
  };
}
