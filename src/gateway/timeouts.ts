import type { Config, ProviderConfig } from '../config/schema.js';
import type { AttemptTimeouts } from '../providers/types.js';
import type { ResolvedModel } from './fallback.js';

/**
 * One attempt's time limits: each limit from the model, else its provider,
 * else the config's defaults; `total_ms` is also capped by what remains of
 * the caller's budget, so no attempt outlives the deadline.
 */
export function resolveTimeouts(
  config: Config,
  model: ResolvedModel,
  provider: ProviderConfig | undefined,
  remainingMs: number,
): AttemptTimeouts {
  const pick = (key: 'connect_ms' | 'first_byte_ms' | 'stream_idle_ms' | 'response_ms') =>
    model.timeouts[key] ?? provider?.timeouts[key] ?? config.timeouts[key];
  const attemptCap = model.timeouts.total_ms ?? provider?.timeouts.total_ms ?? Number.POSITIVE_INFINITY;
  return {
    connect_ms: pick('connect_ms'),
    first_byte_ms: pick('first_byte_ms'),
    response_ms: pick('response_ms'),
    stream_idle_ms: pick('stream_idle_ms'),
    total_ms: Math.max(1, Math.floor(Math.min(attemptCap, remainingMs))),
    budget_limited: remainingMs <= attemptCap,
  };
}
