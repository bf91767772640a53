import { accessSync, constants, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { createMemoryStores } from './memory.js';
import { createSqliteStores } from './sqlite.js';
import { importLegacyFiles } from './sqlite-legacy.js';
import type { Redis } from 'ioredis';
import { connectRedis, createRedisStores } from './redis.js';
import type { StoreLog } from './store-error.js';
import type { Stores } from './types.js';


/** Shared mode is on when REDIS_URL (or `storage.redis_url`) names a Redis. */
export function sharedRedisUrl(storage: Config['storage'], env: NodeJS.ProcessEnv): string | undefined {
  return env.REDIS_URL?.trim() || storage.redis_url?.trim() || undefined;
}

/** The SQLite database's file inside the data directory: every SQLite-backed store keeps its tables there. */
export const SQLITE_FILE = 'orchestrator.db';

/** Optional collaborators of `openStores`. */
export interface OpenStoresOptions {
  clock?: Clock;
  log?: StoreLog & { info?(obj: object, msg: string): void };
  /** An open connection to the shared Redis (main.ts shares one with the rate limiters). */
  redis?: Redis;
  /** `webhooks.max_age_h`: outbox messages in Redis live a day longer (default 24). */
  webhookMaxAgeH?: number;
}

/** The driver and directory after environment overrides: `STORE_DRIVER` and `DATA_DIR` win over the config. */
export function resolveStorage(storage: Config['storage'], env: NodeJS.ProcessEnv): { driver: 'sqlite' | 'memory'; dataDir: string } {
  const driver = env.STORE_DRIVER?.trim() || storage.driver;
  if (driver !== 'sqlite' && driver !== 'memory') {
    throw new Error(`STORE_DRIVER must be "sqlite" or "memory", got "${driver}"`);
  }
  return { driver, dataDir: resolve(env.DATA_DIR?.trim() || storage.data_dir) };
}

/**
 * Opens the configured stores at startup. For SQLite it creates the data
 * directory and fails fast, naming the directory, when it cannot be written —
 * better a clear refusal to start than a server that loses every turn — and
 * imports the files of the old layout (keys.db, automation.db) once.
 */
export async function openStores(storage: Config['storage'], env: NodeJS.ProcessEnv, opts: OpenStoresOptions = {}): Promise<Stores> {
  const { driver, dataDir } = resolveStorage(storage, env);
  const common = { clock: opts.clock, maxStoredTurns: storage.max_stored_turns };
  const redisUrl = sharedRedisUrl(storage, env);
  if (redisUrl) {
    return createRedisStores(opts.redis ?? (await connectRedis(redisUrl, opts.log)), {
      ...common,
      log: opts.log,
      sessionTtlS: Math.round(storage.session_ttl_hours * 3600),
      runTtlS: Math.round(storage.run_max_age_hours * 3600),
      webhookTtlS: Math.round(((opts.webhookMaxAgeH ?? 24) + 24) * 3600),
    });
  }
  if (driver === 'memory') return createMemoryStores(common);
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    throw new Error(`data directory ${dataDir} is not writable: ${(err as Error).message}`, { cause: err });
  }
  const stores = createSqliteStores(join(dataDir, SQLITE_FILE), { ...common, log: opts.log });
  try {
    importLegacyFiles(stores.sqlite!, dataDir, opts.log);
  } catch (err) {
    await stores.close();
    throw new Error(`importing the former separate SQLite files in ${dataDir} failed: ${(err as Error).message}`, { cause: err });
  }
  return stores;
}
