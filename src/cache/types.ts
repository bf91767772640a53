import type { CallerSignal } from '../caller-signal.js';
import type { ToolCall, Usage } from '../providers/types.js';

/** Per request: `false` bypasses the cache, `{ttl_s}` caches this request's answers for that long (seconds). */
export type CacheDirective = false | { ttl_s: number };

/** What a response reports: answered from the cache, answered by a provider and stored (or storable), or the cache was not used. */
export type CacheStatus = 'hit' | 'miss' | 'bypass';

/** One stored answer: what a hit replays. Only complete, live text answers are stored. */
export interface CachedAnswer {
  text: string;
  tool_calls?: ToolCall[];
  finish_reason: string;
  model_used: string;
  provider: string;
  fallback_used: boolean;
  /** The tokens the original call used (reported again on a hit, and counted as saved). */
  usage: Usage;
  /** What the original call cost in USD (a hit costs 0 and counts this as saved). */
  cost_usd: number;
  /** Epoch ms the answer was stored. */
  stored_at: number;
}

/**
 * Where answers are kept: in process (LRU) or in Redis (shared by replicas).
 * Keys are hex SHA-256 digests; `ttlMs` is relative to the driver's clock.
 */
export interface CacheDriver {
  get(key: string, signal?: CallerSignal): Promise<CachedAnswer | undefined>;
  set(key: string, value: CachedAnswer, ttlMs: number, signal?: CallerSignal): Promise<void>;
  /** Removes every entry; resolves to how many were removed. */
  clear(signal?: AbortSignal): Promise<number>;
  /** Entries held now (the Redis driver counts its keys). */
  size(): Promise<number>;
}

/** The event of every cache decision (stats, metrics and logs listen). */
export interface CacheEvents {
  cache: {
    outcome: CacheStatus;
    /** The requested model (the key's model). */
    model: string;
    /** On a hit: the tokens (prompt + completion) and USD the original call used, not spent again. */
    tokens_saved: number;
    saved_usd: number;
  };
}
