import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { createMemoryKeyStore } from './key-memory.js';
import { createRedisKeyStore } from './key-redis.js';
import { createSqliteKeyStore } from './key-sqlite.js';
import type { KeyStore } from './key-types.js';
import { resolveStorage } from './open-stores.js';
import type { StoreLog } from './store-error.js';

/** The key store's SQLite file inside the data directory (its own file, its own migrations). */
export const KEYS_SQLITE_FILE = 'keys.db';

/**
 * Opens where client keys and their spend live, beside the other stores: the
 * shared Redis in shared mode (every replica sees one spend per key), else
 * `keys.db` in the data directory, or memory with STORE_DRIVER=memory.
 * Call after `openStores`, which has made sure the data directory is writable.
 */
export function openKeyStore(storage: Config['storage'], env: NodeJS.ProcessEnv, opts: { redis?: Redis; log?: StoreLog }): KeyStore {
  if (opts.redis) return createRedisKeyStore(opts.redis, { log: opts.log });
  const { driver, dataDir } = resolveStorage(storage, env);
  if (driver === 'memory') return createMemoryKeyStore();
  return createSqliteKeyStore(join(dataDir, KEYS_SQLITE_FILE), { log: opts.log });
}
