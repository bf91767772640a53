import { currentSpan } from '../telemetry/spans.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import type { Gateway, GatewayRequest, GatewayResult, GatewayStream, GatewayStreamChunk } from '../gateway/types.js';
import { decideCache, storable, type CacheDecision } from './policy.js';
import type { CacheDriver, CachedAnswer, CacheStatus } from './types.js';

/** What the cache shares across config versions: where answers live, the clock, the bus and a logger. */
export interface ResponseCacheDeps {
  driver: CacheDriver;
  clock: Clock;
  bus: AppEventBus;
  log: { warn(obj: object, msg: string): void };
}

/**
 * The response cache in front of a gateway: an eligible call (see policy.ts)
 * is answered from the cache when its key is there (no provider call, cost 0,
 * `cache: 'hit'`), else by the gateway and stored when whole (`'miss'`); other
 * calls pass through (`'bypass'`). A streamed hit replays the answer as deltas
 * (word by word) and tool-call pieces, like a live stream. `reconfigure` wraps
 * the next version's gateway with the same cache, so keys follow each version's
 * model configs. A driver failure is logged and treated as a miss.
 */
export function withResponseCache(inner: Gateway, config: Config, deps: ResponseCacheDeps): Gateway {
  const { driver, clock, bus, log } = deps;
  const report = (outcome: CacheStatus, model: string, saved?: CachedAnswer) =>
    bus.emit('cache', { outcome, model, tokens_saved: saved?.usage.total_tokens ?? 0, saved_usd: saved?.cost_usd ?? 0 });
  const lookup = async (decision: CacheDecision, req: GatewayRequest): Promise<CachedAnswer | undefined> => {
    if (!decision.use) return undefined;
    try {
      return await driver.get(decision.key, req.signal);
    } catch (err) {
      log.warn({ err: { message: (err as Error)?.message } }, 'response cache read failed; calling the provider');
      return undefined;
    }
  };
  // A gateway's result is the caller's own (Gateway.call), so it is marked in place: no copy per call.
  const bypassed = (req: GatewayRequest, result: GatewayResult): GatewayResult => {
    report('bypass', req.model);
    result.cache = 'bypass';
    return result;
  };
  const finish = async (decision: CacheDecision, req: GatewayRequest, result: GatewayResult): Promise<GatewayResult> => {
    if (!decision.use) return bypassed(req, result);
    if (storable(config, req, result)) {
      const entry: CachedAnswer = {
        text: result.text,
        ...(result.tool_calls?.length ? { tool_calls: result.tool_calls } : {}),
        finish_reason: result.finish_reason,
        model_used: result.model_used,
        provider: result.provider,
        fallback_used: result.fallback_used,
        usage: result.usage,
        cost_usd: result.cost_usd,
        stored_at: clock.now(),
      };
      await driver.set(decision.key, entry, decision.ttlMs, req.signal).catch((err: unknown) => {
        log.warn({ err: { message: (err as Error)?.message } }, 'response cache write failed; the answer is returned uncached');
      });
    }
    report('miss', req.model);
    result.cache = 'miss';
    return result;
  };
  const cached = async (decision: CacheDecision, req: GatewayRequest): Promise<GatewayResult> => {
    const hit = await lookup(decision, req);
    if (hit) return hitOf(req, hit);
    return finish(decision, req, await inner.call(req));
  };
  const hitOf = (req: GatewayRequest, hit: CachedAnswer): GatewayResult => {
    report('hit', req.model, hit);
    // No gateway span is made for a hit (no model is called): the caller's span says where the answer came from.
    currentSpan()?.addEvent('cache_hit', { 'gen_ai.request.model': req.model, 'gen_ai.response.model': hit.model_used });
    return {
      text: hit.text,
      media: [],
      usage: hit.usage,
      cost_usd: 0,
      model_used: hit.model_used,
      provider: hit.provider,
      fallback_used: hit.fallback_used,
      attempts: [],
      finish_reason: hit.finish_reason,
      ...(hit.tool_calls ? { tool_calls: hit.tool_calls } : {}),
      truncated: false,
      simulated: false,
      cache: 'hit',
    };
  };

  return {
    call: (req, finish) => {
      try {
        const decision = decideCache(config, req);
        // No cache applies (the common case): the gateway's answer, marked as it is made (no promise of the cache's own).
        if (!decision.use) return inner.call(req, finish ? (r, result) => finish(r, bypassed(r, result)) : bypassed);
        const answered = cached(decision, req);
        return finish ? answered.then((result) => finish(req, result)) : answered;
      } catch (err) {
        return Promise.reject(err);
      }
    },
    stream: (req): GatewayStream => {
      const decision = decideCache(config, req);
      if (!decision.use) {
        // No cache applies (the common case): the stream's result, marked, without finish's promise in between.
        const live = inner.stream(req);
        return { chunks: live.chunks, result: observed(live.result.then((r) => bypassed(req, r))) };
      }
      const source = lookup(decision, req).then((hit) => (hit ? { hit } : { live: inner.stream(req) }));
      const result = observed(source.then((s) => (s.hit ? hitOf(req, s.hit) : s.live.result.then((r) => finish(decision, req, r)))));
      async function* chunks(): AsyncIterable<GatewayStreamChunk> {
        const s = await source;
        if (s.live) {
          yield* s.live.chunks;
          return;
        }
        yield* replay(s.hit);
      }
      return { chunks: chunks(), result };
    },
    circuitState: (model) => inner.circuitState(model),
    health: () => inner.health(),
    ...(inner.stateSizes ? { stateSizes: () => inner.stateSizes!() } : {}),
    ...(inner.reconfigure ? { reconfigure: (next) => withResponseCache(inner.reconfigure!(next), next.config, deps) } : {}),
    close: () => inner.close(),
  };
}

/**
 * A stream's result may reject while nobody awaits it (a client that hung up, an error the chunks
 * already reported); the gateway's own result is observed for that reason, and so is ours.
 */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** A stored answer as stream chunks: its text word by word (each word with its following space), then its tool calls whole. */
export function* replay(hit: CachedAnswer): Iterable<GatewayStreamChunk> {
  for (const piece of hit.text.match(/\s*\S+\s*/g) ?? (hit.text ? [hit.text] : [])) {
    yield { type: 'delta', text: piece, model: hit.model_used, simulated: false };
  }
  for (const [index, call] of (hit.tool_calls ?? []).entries()) {
    yield { type: 'tool_call', index, id: call.id, name: call.function.name, arguments: call.function.arguments, model: hit.model_used, simulated: false };
  }
}
