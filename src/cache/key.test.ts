import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { cacheKey } from './key.js';
import { replay } from './caching-gateway.js';
import { decideCache } from './policy.js';
import type { GatewayRequest } from '../gateway/types.js';

/** The shipped config with a cache lifetime on medium_ai ('m' below); fast_ai ('other') has none. */
const config = (edit: (raw: any) => void = () => undefined): Config => {
  const raw = JSON.parse(readFileSync('orchestration_config.json', 'utf8'));
  raw.models.medium_ai.cache = { ttl_s: 60 };
  edit(raw);
  return parseConfig(raw, {}).config;
};
const req = (over: Partial<GatewayRequest> = {}): GatewayRequest => ({ model: 'medium_ai', messages: [{ role: 'user', content: 'hi' }], temperature: 0, ...over });

describe('cache key', () => {
  it('ignores who asked and the order of fields, but not the messages, parameters or the model config', () => {
    const c = config();
    const base = cacheKey(c, req({ options: { seed: 1, top_p: 0.5 } }));
    expect(cacheKey(c, { ...req({ options: { top_p: 0.5, seed: 1 } }), context: { request_id: 'x' }, deadline: 5 })).toBe(base);
    expect(cacheKey(c, req({ options: { seed: 2, top_p: 0.5 } }))).not.toBe(base);
    expect(cacheKey(c, req({ messages: [{ role: 'user', content: 'hello' }], options: { seed: 1, top_p: 0.5 } }))).not.toBe(base);
    expect(cacheKey(c, req({ max_tokens: 5, options: { seed: 1, top_p: 0.5 } }))).not.toBe(base);
    const changed = config((raw) => (raw.models.medium_ai.max_output_tokens = 100));
    expect(cacheKey(changed, req({ options: { seed: 1, top_p: 0.5 } }))).not.toBe(base);
    const otherChanged = config((raw) => (raw.models.fast_ai.max_output_tokens = 100));
    expect(cacheKey(otherChanged, req({ options: { seed: 1, top_p: 0.5 } }))).toBe(base);
  });
});

describe('cache policy', () => {
  it('uses the cache only with a lifetime, temperature 0 (unless allowed), no tools (unless allowed), text without logprobs', () => {
    const c = config();
    expect(decideCache(c, req())).toMatchObject({ use: true, ttlMs: 60_000 });
    expect(decideCache(c, req({ context: { cache: { ttl_s: 5 } } }))).toMatchObject({ use: true, ttlMs: 5000 });
    expect(decideCache(c, req({ context: { cache: false } }))).toMatchObject({ use: false });
    expect(decideCache(c, req({ model: 'fast_ai' }))).toMatchObject({ use: false });
    expect(decideCache(c, req({ model: 'fast_ai', context: { cache: { ttl_s: 5 } } }))).toMatchObject({ use: true });
    expect(decideCache(c, req({ temperature: 0.7 }))).toMatchObject({ use: false, reason: 'temperature above 0' });
    expect(decideCache(c, req({ temperature: undefined }))).toMatchObject({ use: false, reason: 'temperature above 0' });
    expect(decideCache(config((raw) => (raw.models.medium_ai.cache.temperature = true)), req({ temperature: 0.7 }))).toMatchObject({ use: true });
    const tools = { tools: [{ type: 'function' as const, function: { name: 'f' } }] };
    expect(decideCache(c, req({ options: tools }))).toMatchObject({ use: false, reason: 'tools offered' });
    expect(decideCache(config((raw) => (raw.models.medium_ai.cache.tool_calls = true)), req({ options: tools }))).toMatchObject({ use: true });
    expect(decideCache(c, req({ options: { logprobs: true } }))).toMatchObject({ use: false });
    expect(decideCache(c, req({ kind: 'image' }))).toMatchObject({ use: false });
    expect(decideCache(config((raw) => (raw.cache = { enabled: false })), req())).toMatchObject({ use: false });
  });
});

describe('replay', () => {
  it('streams a stored answer word by word, the pieces joining to the exact text, then its tool calls', () => {
    const text = '  Paris is\nthe capital.  ';
    const chunks = [
      ...replay({
        text,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        finish_reason: 'stop',
        model_used: 'm',
        provider: 'p',
        fallback_used: false,
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        cost_usd: 0,
        stored_at: 0,
      }),
    ];
    const deltas = chunks.filter((c) => c.type === 'delta');
    expect(deltas.length).toBe(4);
    expect(deltas.map((c) => (c.type === 'delta' ? c.text : '')).join('')).toBe(text);
    expect(chunks.at(-1)).toMatchObject({ type: 'tool_call', index: 0, id: 'call_1', name: 'f', arguments: '{}' });
  });
});
