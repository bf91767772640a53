import { LRUCache } from 'lru-cache';
import CircuitBreaker from 'opossum';
import type { Config } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import { isProviderError } from '../providers/provider-error.js';
import type { CircuitState } from './types.js';

/** Thrown instead of calling a model whose circuit is open (or whose half-open probe is already out). */
export class CircuitOpenError extends Error {
  constructor(readonly model: string) {
    super(`circuit of model '${model}' is open`);
    this.name = 'CircuitOpenError';
  }
}

/**
 * One circuit breaker per model, created on first use. A configured model's breaker lives as
 * long as the model; ad-hoc models (`<provider>/<id>`, named by callers) keep theirs in an LRU
 * of `bounds.ad_hoc_models`: the least recently used is shut down (its timers stopped) and a
 * later call to that model starts a fresh, closed breaker.
 */
export interface ModelBreakers {
  /** False while the circuit is open, or half-open with its single probe already in flight. */
  admits(model: string): boolean;
  /** Runs `fn` through the model's breaker; rejects with CircuitOpenError when it is open. */
  fire<T>(model: string, fn: () => Promise<T>): Promise<T>;
  state(model: string): CircuitState;
  /**
   * Takes a new config version: the breakers of `changed` models start afresh, and all
   * of them when the `circuit_breaker` settings changed; the others keep their state.
   */
  reconfigure(config: Config, changed: ReadonlySet<string>): void;
  /** Breakers held: of configured models, and of ad-hoc ones (at most `bounds.ad_hoc_models`). */
  size(): { configured: number; ad_hoc: number };
  /** Stops every breaker's timers. */
  shutdown(): void;
}

type Action = (fn: () => Promise<unknown>) => Promise<unknown>;

/**
 * Breakers on opossum, thresholds from `circuit_breaker`. Only failures whose
 * error class `trips_breaker` (rate limits, timeouts, server errors) count: a
 * 400 says the request was wrong, not that the model is unhealthy. Other errors
 * (the caller hanging up) are neutral, except during the half-open probe, where
 * an unfinished probe must not leave the breaker half-open for good: it reopens.
 */
export function createBreakers(opts: { config: Config; bus: AppEventBus }): ModelBreakers {
  const { bus } = opts;
  let config = opts.config;
  type Breaker = CircuitBreaker<[() => Promise<unknown>], unknown>;
  const configured = new Map<string, Breaker>();
  const adHocCache = (max: number) =>
    new LRUCache<string, Breaker>({ max, dispose: (breaker) => breaker.shutdown() });
  let adHoc = adHocCache(config.bounds.ad_hoc_models);
  const isConfigured = (model: string) => Object.hasOwn(config.models, model);
  const lookup = (model: string): Breaker | undefined => configured.get(model) ?? adHoc.get(model);

  const get = (model: string) => {
    let breaker = lookup(model);
    if (breaker) return breaker;
    const action: Action = (fn) => fn();
    const settings = config.circuit_breaker;
    breaker = new CircuitBreaker<[() => Promise<unknown>], unknown>(action, {
      name: model,
      timeout: false,
      errorThresholdPercentage: settings.error_threshold_percentage,
      volumeThreshold: settings.volume_threshold,
      rollingCountTimeout: settings.rolling_window_ms,
      rollingCountBuckets: 10,
      resetTimeout: settings.reset_timeout_ms,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      // true = "do not count this failure".
      errorFilter: (err: unknown) => {
        // A call that ran out of its caller's budget tells nothing about the model.
        if (isProviderError(err)) return err.code === 'budget_exhausted' || !config.error_handling[err.kind].trips_breaker;
        return !breaker!.halfOpen;
      },
    });
    breaker.on('open', () => bus.emit('breaker', { model, state: 'open' }));
    breaker.on('halfOpen', () => bus.emit('breaker', { model, state: 'half_open' }));
    breaker.on('close', () => bus.emit('breaker', { model, state: 'closed' }));
    if (isConfigured(model)) configured.set(model, breaker);
    else adHoc.set(model, breaker);
    return breaker;
  };

  const state = (model: string): CircuitState => {
    const breaker = configured.get(model) ?? adHoc.peek(model);
    if (!breaker || breaker.closed) return 'closed';
    return breaker.halfOpen ? 'half_open' : 'open';
  };

  return {
    admits: (model) => {
      const breaker = lookup(model);
      return !breaker || breaker.closed || breaker.pendingClose;
    },
    fire: async <T>(model: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return (await get(model).fire(fn)) as T;
      } catch (err) {
        if ((err as { code?: string } | null)?.code === 'EOPENBREAKER' && CircuitBreaker.isOurError(err as Error)) {
          throw new CircuitOpenError(model);
        }
        throw err;
      }
    },
    state,
    reconfigure: (next, changed) => {
      const all = JSON.stringify(next.circuit_breaker) !== JSON.stringify(config.circuit_breaker);
      const bound = next.bounds.ad_hoc_models !== config.bounds.ad_hoc_models;
      config = next;
      for (const [model, breaker] of [...configured]) {
        if (!all && !changed.has(model) && isConfigured(model)) continue;
        breaker.shutdown();
        configured.delete(model);
      }
      // Ad-hoc breakers start afresh when the settings or the bound changed, or the name is now a configured model.
      if (all || bound) {
        adHoc.clear();
        adHoc = adHocCache(next.bounds.ad_hoc_models);
      } else {
        for (const model of [...adHoc.keys()]) if (changed.has(model) || isConfigured(model)) adHoc.delete(model);
      }
    },
    size: () => ({ configured: configured.size, ad_hoc: adHoc.size }),
    shutdown: () => {
      for (const breaker of configured.values()) breaker.shutdown();
      configured.clear();
      adHoc.clear();
    },
  };
}
