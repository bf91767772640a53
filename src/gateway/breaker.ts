import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import { isProviderError } from '../providers/provider-error.js';
import type { CircuitState } from './types.js';

/** The one message for a call a model's open circuit refused (CircuitOpenError's, and the gateway's skip). */
export const circuitOpenMessage = (model: string): string => `circuit of model '${model}' is open`;

/** Thrown instead of calling a model whose circuit is open (or whose half-open probe is already out). */
export class CircuitOpenError extends Error {
  constructor(readonly model: string) {
    super(circuitOpenMessage(model));
    this.name = 'CircuitOpenError';
  }
}

/** A call let through a breaker: report how it ended, once. */
export interface BreakerCall {
  succeeded(): void;
  /** The call failed with `err`; whether it counts against the model is the breaker's to judge. */
  failed(err: unknown): void;
}

/**
 * One circuit breaker per model, created on first use. A configured model's breaker lives as
 * long as the model; ad-hoc models (`<provider>/<id>`, named by callers) keep theirs in an LRU
 * of `bounds.ad_hoc_models`: the least recently used is shut down (its timer stopped) and a
 * later call to that model starts a fresh, closed breaker.
 */
export interface ModelBreakers {
  /** False while the circuit is open, or half-open with its single probe already in flight. */
  admits(model: string): boolean;
  /**
   * Lets one call through the model's breaker, synchronously: counts it, and returns where to report
   * its outcome; undefined (the call must not run) when the circuit is open or its half-open probe is out.
   */
  enter(model: string): BreakerCall | undefined;
  state(model: string): CircuitState;
  /**
   * Takes a new config version: the breakers of `changed` models start afresh, and all
   * of them when the `circuit_breaker` settings changed; the others keep their state.
   */
  reconfigure(config: Config, changed: ReadonlySet<string>): void;
  /** Breakers held: of configured models, and of ad-hoc ones (at most `bounds.ad_hoc_models`). */
  size(): { configured: number; ad_hoc: number };
  /** Stops every breaker's timer. */
  shutdown(): void;
}

/** Slices of the rolling window (as opossum's rollingCountBuckets, which this replaced). */
const BUCKETS = 10;

/**
 * The breaker of one model: closed, open (calls refused) for `reset_timeout_ms`, then half-open —
 * one probe let through, whose success closes the circuit and whose failure opens it again. It opens
 * when, over the rolling window (`rolling_window_ms` in ten slices), at least `volume_threshold`
 * calls were made and more than `error_threshold_percentage` % of them failed. The same state
 * machine and counts as opossum (9.x, with timeout, cache and coalescing off), which this replaces
 * because its `fire` cost every call a promise, a semaphore promise, two `then`s and six events: here
 * a call is counted and admitted synchronously, and the window slides by the clock (no interval timer).
 */
class Breaker implements BreakerCall {
  private status: CircuitState = 'closed';
  /** Half-open and its one probe not taken yet. */
  private probeFree = false;
  private resetTimer: NodeJS.Timeout | undefined;
  private down = false;
  /** Per slice of the window: which slice (epoch ms / slice length) it counts, its calls and its failures. */
  private readonly slice = new Array<number>(BUCKETS).fill(-1);
  private readonly fires = new Array<number>(BUCKETS).fill(0);
  private readonly failures = new Array<number>(BUCKETS).fill(0);
  private readonly sliceMs: number;

  constructor(
    private readonly settings: Config['circuit_breaker'],
    /** True when `err` says nothing about the model's health (it then counts as a success). */
    private readonly neutral: (err: unknown, halfOpen: boolean) => boolean,
    private readonly changed: (state: CircuitState) => void,
  ) {
    this.sliceMs = Math.max(1, Math.floor(settings.rolling_window_ms / BUCKETS));
  }

  get state(): CircuitState {
    return this.status;
  }

  /** Whether a call would be let through now. */
  admits(): boolean {
    return this.status === 'closed' || this.probeFree;
  }

  /** Counts a call; true when it may run (closed, or the half-open probe). */
  enter(): boolean {
    if (this.down) return true;
    this.fires[this.current()]!++;
    if (!this.admits()) return false;
    this.probeFree = false;
    return true;
  }

  succeeded(): void {
    if (this.down) return;
    if (this.status === 'half_open') this.close();
  }

  failed(err: unknown): void {
    if (this.down) return;
    const halfOpen = this.status === 'half_open';
    if (this.neutral(err, halfOpen)) return this.succeeded();
    this.failures[this.current()]!++;
    if (halfOpen) return this.open();
    let fires = 0;
    let failures = 0;
    const oldest = this.epoch() - BUCKETS;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.slice[i]! <= oldest) continue;
      fires += this.fires[i]!;
      failures += this.failures[i]!;
    }
    if (fires < this.settings.volume_threshold) return;
    if ((failures / fires) * 100 > this.settings.error_threshold_percentage) this.open();
  }

  shutdown(): void {
    this.down = true;
    clearTimeout(this.resetTimer);
    this.resetTimer = undefined;
  }

  private epoch(): number {
    return Math.floor(Date.now() / this.sliceMs);
  }

  /** The index of the current slice, emptied first when it last counted an older one. */
  private current(): number {
    const epoch = this.epoch();
    const i = epoch % BUCKETS;
    if (this.slice[i] !== epoch) {
      this.slice[i] = epoch;
      this.fires[i] = 0;
      this.failures[i] = 0;
    }
    return i;
  }

  private open(): void {
    if (this.status === 'open') return;
    this.status = 'open';
    this.probeFree = false;
    clearTimeout(this.resetTimer);
    this.resetTimer = setTimeout(() => this.halfOpen(), this.settings.reset_timeout_ms);
    this.resetTimer.unref();
    this.changed('open');
  }

  private halfOpen(): void {
    this.resetTimer = undefined;
    if (this.down) return;
    this.status = 'half_open';
    this.probeFree = true;
    this.changed('half_open');
  }

  private close(): void {
    if (this.status === 'closed') return;
    clearTimeout(this.resetTimer);
    this.resetTimer = undefined;
    this.status = 'closed';
    this.probeFree = false;
    this.changed('closed');
  }
}

/**
 * Breakers with thresholds from `circuit_breaker`. Only failures whose error class
 * `trips_breaker` (rate limits, timeouts, server errors) count: a 400 says the request
 * was wrong, not that the model is unhealthy. Other errors (the caller hanging up) are
 * neutral, except during the half-open probe, where an unfinished probe must not leave
 * the breaker half-open for good: it reopens.
 */
export function createBreakers(opts: { config: Config; bus: AppEventBus }): ModelBreakers {
  const { bus } = opts;
  let config = opts.config;
  const configured = new Map<string, Breaker>();
  const adHocCache = (max: number) => new LRUCache<string, Breaker>({ max, dispose: (breaker) => breaker.shutdown() });
  let adHoc = adHocCache(config.bounds.ad_hoc_models);
  const isConfigured = (model: string) => Object.hasOwn(config.models, model);
  const lookup = (model: string): Breaker | undefined => configured.get(model) ?? adHoc.get(model);
  // A call that ran out of its caller's budget tells nothing about the model.
  const neutral = (err: unknown, halfOpen: boolean): boolean =>
    isProviderError(err) ? err.code === 'budget_exhausted' || !config.error_handling[err.kind].trips_breaker : !halfOpen;

  const get = (model: string): Breaker => {
    let breaker = lookup(model);
    if (breaker) return breaker;
    breaker = new Breaker(config.circuit_breaker, neutral, (state) => bus.emit('breaker', { model, state }));
    if (isConfigured(model)) configured.set(model, breaker);
    else adHoc.set(model, breaker);
    return breaker;
  };

  const enter = (model: string): BreakerCall | undefined => {
    const breaker = get(model);
    return breaker.enter() ? breaker : undefined;
  };

  return {
    admits: (model) => lookup(model)?.admits() ?? true,
    enter,
    state: (model) => (configured.get(model) ?? adHoc.peek(model))?.state ?? 'closed',
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
