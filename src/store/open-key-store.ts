import type { Redis } from 'ioredis';
import { createMemoryKeyStore } from './key-memory.js';
import { createRedisKeyStore } from './key-redis.js';
import { createSqliteKeyStore } from './key-sqlite.js';
import type { KeyStore } from './key-types.js';
import type { StoreLog } from './store-error.js';
import type { Stores } from './types.js';

/**
 * Opens where client keys and their spend live, beside the other stores: the
 * shared Redis in shared mode (every replica sees one spend per key), else the
 * SQLite stores' database (`orchestrator.db`), or memory with STORE_DRIVER=memory.
 */
export function openKeyStore(stores: Stores, opts: { redis?: Redis; log?: StoreLog }): KeyStore {
  if (opts.redis) return createRedisKeyStore(opts.redis, { log: opts.log });
  if (stores.sqlite) return createSqliteKeyStore(stores.sqlite, { log: opts.log });
  return createMemoryKeyStore();
}
