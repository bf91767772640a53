import type { Config } from '../config/schema.js';
import type { GatewayRequest, GatewayResult } from '../gateway/types.js';
import { cacheKey, effectiveTemperature } from './key.js';

/** Whether a call may use the cache, and with which key and lifetime. */
export type CacheDecision = { use: false; reason: string } | { use: true; key: string; ttlMs: number };

/**
 * Decides from the call alone, before any provider is asked. The cache is used
 * when it is enabled, the caller did not opt out (`cache: false`,
 * `Cache-Control: no-cache`), a lifetime is known (the request's `ttl_s`, else
 * the model's `cache.ttl_s`), the output is text without logprobs or several
 * choices, the temperature is 0 (unset counts as the provider's default, above 0)
 * unless the model's `cache.temperature` allows any, and no tools are offered
 * unless the model's `cache.tool_calls` allows them.
 */
export function decideCache(config: Config, req: GatewayRequest): CacheDecision {
  const directive = req.context?.cache;
  if (directive === false) return { use: false, reason: 'caller opted out' };
  if (!config.cache.enabled) return { use: false, reason: 'cache disabled' };
  const model = Object.hasOwn(config.models, req.model) ? config.models[req.model] : undefined;
  const ttlS = directive?.ttl_s ?? model?.cache?.ttl_s;
  if (ttlS === undefined) return { use: false, reason: 'no ttl_s for this model or request' };
  if ((req.kind ?? 'text') !== 'text') return { use: false, reason: 'not a text answer' };
  if (req.options?.logprobs || (req.options?.n ?? 1) > 1) return { use: false, reason: 'logprobs or several choices' };
  const temperature = effectiveTemperature(config, req);
  if ((temperature === undefined || temperature > 0) && !model?.cache?.temperature) return { use: false, reason: 'temperature above 0' };
  if ((req.options?.tools?.length ?? 0) > 0 && !model?.cache?.tool_calls) return { use: false, reason: 'tools offered' };
  return { use: true, key: cacheKey(config, req), ttlMs: ttlS * 1000 };
}

/** Only whole, live answers are stored: not simulated, not truncated, no media, tool calls only when the model's config allows. */
export function storable(config: Config, req: GatewayRequest, result: GatewayResult): boolean {
  if (result.simulated || result.truncated || result.media.length > 0) return false;
  const model = Object.hasOwn(config.models, req.model) ? config.models[req.model] : undefined;
  return (result.tool_calls?.length ?? 0) === 0 || model?.cache?.tool_calls === true;
}
