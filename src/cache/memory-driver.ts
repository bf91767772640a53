import type { Clock } from '../clock.js';
import type { CacheDriver, CachedAnswer } from './types.js';

interface Entry {
  value: CachedAnswer;
  bytes: number;
  expires: number;
}

/** Bounds of the in-process cache. */
export interface MemoryCacheLimits {
  /** Entries kept at most; the least recently used go first. */
  maxEntries: number;
  /** Approximate bytes (UTF-16 length of the answer's JSON, times 2) kept at most. */
  maxBytes: number;
}

/**
 * The default driver: an LRU in a `Map` (insertion order = recency), bounded by
 * entries and by bytes, entries expiring on the clock. An answer larger than
 * `maxBytes` on its own is not kept.
 */
export function createMemoryCacheDriver(clock: Clock, limits: MemoryCacheLimits): CacheDriver {
  const entries = new Map<string, Entry>();
  let bytes = 0;
  const drop = (key: string, entry: Entry) => {
    entries.delete(key);
    bytes -= entry.bytes;
  };
  return {
    get: async (key) => {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires <= clock.now()) {
        drop(key, entry);
        return undefined;
      }
      // Touch: move to the most recent end.
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set: async (key, value, ttlMs) => {
      const size = JSON.stringify(value).length * 2 + key.length * 2;
      const old = entries.get(key);
      if (old) drop(key, old);
      if (size > limits.maxBytes || ttlMs <= 0) return;
      entries.set(key, { value, bytes: size, expires: clock.now() + ttlMs });
      bytes += size;
      for (const [k, e] of entries) {
        if (entries.size <= limits.maxEntries && bytes <= limits.maxBytes) break;
        drop(k, e);
      }
    },
    clear: async () => {
      const n = entries.size;
      entries.clear();
      bytes = 0;
      return n;
    },
    size: async () => entries.size,
  };
}
