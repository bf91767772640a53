import type { Config } from '../config/schema.js';
import type { GatewayRequest, GatewayResult } from '../gateway/types.js';
import { cacheKey, effectiveTemperature } from './key.js';

/** Whether a call may use the cache, and with which key and lifetime. */
export type CacheDecision = { use: false; reason: string } | { use: true; key: string; ttlMs: number };

/** The answers that do not use the cache: the same for every call, made once. */
const NOT_USED = (reason: string): CacheDecision => Object.freeze({ use: false, reason });
const OPTED_OUT = NOT_USED('caller opted out');
const DISABLED = NOT_USED('cache disabled');
const NO_TTL = NOT_USED('no ttl_s for this model or request');
const NOT_TEXT = NOT_USED('not a text answer');
const NOT_ONE_ANSWER = NOT_USED('logprobs or several choices');
const WARM = NOT_USED('temperature above 0');
const TOOLS = NOT_USED('tools offered');

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
  if (directive === false) return OPTED_OUT;
  if (!config.cache.enabled) return DISABLED;
  const model = Object.hasOwn(config.models, req.model) ? config.models[req.model] : undefined;
  const ttlS = directive?.ttl_s ?? model?.cache?.ttl_s;
  if (ttlS === undefined) return NO_TTL;
  if ((req.kind ?? 'text') !== 'text') return NOT_TEXT;
  if (req.options?.logprobs || (req.options?.n ?? 1) > 1) return NOT_ONE_ANSWER;
  const temperature = effectiveTemperature(config, req);
  if ((temperature === undefined || temperature > 0) && !model?.cache?.temperature) return WARM;
  if ((req.options?.tools?.length ?? 0) > 0 && !model?.cache?.tool_calls) return TOOLS;
  return { use: true, key: cacheKey(config, req), ttlMs: ttlS * 1000 };
}

/** Only whole, live answers are stored: not simulated, not truncated, no media, tool calls only when the model's config allows. */
export function storable(config: Config, req: GatewayRequest, result: GatewayResult): boolean {
  if (result.simulated || result.truncated || result.media.length > 0) return false;
  const model = Object.hasOwn(config.models, req.model) ? config.models[req.model] : undefined;
  return (result.tool_calls?.length ?? 0) === 0 || model?.cache?.tool_calls === true;
}
