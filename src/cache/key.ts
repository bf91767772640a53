import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { modelVersion } from '../config/model-version.js';
import { canonicalJson } from '../control/canonical.js';
import type { GatewayRequest } from '../gateway/types.js';

/**
 * The response cache's key: SHA-256 (hex) of the normalized request — the
 * resolved model and its config version, the fallback chain, the output kind,
 * the messages and every parameter that changes the answer (max tokens,
 * temperature, JSON mode, Chat Completions options such as tools, seed, stop).
 * Who asked (context), the signal and the deadline do not change an answer and
 * are left out.
 */
export function cacheKey(config: Config, req: GatewayRequest): string {
  const normalized = {
    model: req.model,
    model_version: modelVersion(config, req.model),
    fallbacks: req.fallbacks ?? null,
    kind: req.kind ?? 'text',
    messages: req.messages,
    max_tokens: req.max_tokens ?? null,
    default_max_tokens: req.default_max_tokens ?? true,
    temperature: effectiveTemperature(config, req) ?? null,
    json: req.json ?? false,
    options: req.options ?? null,
  };
  // RFC 8785 canonical JSON: equal requests hash alike whatever order their fields came in.
  return createHash('sha256').update(canonicalJson(normalized)).digest('hex');
}

/** The temperature the call is made with: the request's, else the model's default; undefined = the provider's default. */
export function effectiveTemperature(config: Config, req: GatewayRequest): number | undefined {
  if (req.temperature !== undefined) return req.temperature;
  return Object.hasOwn(config.models, req.model) ? config.models[req.model]!.temperature : undefined;
}
