import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS package loaded on its first use instead of at start-up, for packages that
 * only some configurations need (Redis and BullMQ in shared mode, cron-parser for schedules,
 * standardwebhooks for webhooks, Bottleneck for the clustered limiter): a server that does
 * not use them neither spends start-up time loading them nor holds them in memory
 * (about 40 MiB of RSS together). Returns the same module object on every call; throws
 * what `require` throws (MODULE_NOT_FOUND) when the package is missing.
 */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
