import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { ProviderConfig } from '../config/schema.js';
import { AppError } from '../errors.js';
import { clusteredScheduler, localScheduler } from './scheduler.js';
import { RedisWindowGate } from './redis-window-gate.js';
import { WindowGate, type Gate, type GateTicket } from './window-gate.js';

/** Thrown when a call would wait longer than the provider's `max_wait_ms` for a slot. */
export class LimiterWaitError extends Error {
  constructor(
    readonly provider: string,
    /** How long the wait was (or was predicted to be), in ms. */
    readonly waitMs: number,
  ) {
    super(`provider '${provider}' has no free slot within the allowed wait (${Math.round(waitMs)} ms needed)`);
    this.name = 'LimiterWaitError';
  }
}

/** A granted slot: `release` when the call ended, `refund` when it never reached the provider. */
export interface LimiterSlot {
  waitedMs: number;
  release(): void;
  refund(): void;
  /** The provider's response began: the start counts in the window from now. */
  restamp(): void;
}

export interface LimiterState {
  queued: number;
  running: number;
  /** Starts still allowed in the current window. */
  reservoir: number;
}

/** The rate limiter of one provider. */
export interface ProviderLimiter {
  /**
   * Waits for a slot for a request weighing `weight` estimated tokens. Rejects
   * with LimiterWaitError at once when the window alone predicts a longer wait
   * than `maxWaitMs`, or when the slot does not come within it; with the
   * signal's reason when it aborts.
   */
  acquire(weight: number, opts: { maxWaitMs: number; signal?: AbortSignal }): Promise<LimiterSlot>;
  state(): LimiterState;
  stop(): Promise<void>;
}

export interface LimiterOptions {
  provider: string;
  limits: ProviderConfig['rate_limits'];
  clock: Clock;
  /** The per-minute window; tests shorten it. */
  windowMs?: number;
  /** The per-day window; tests shorten it. */
  dayWindowMs?: number;
  /** Shared mode: the window log and the concurrency cap live in this Redis, for every replica at once. */
  shared?: SharedLimits;
}

/** Where replicas share their limits. */
export interface SharedLimits {
  /** Runs the window script; fails fast while Redis is away. */
  redis: Redis;
  /** Options for bottleneck's own clustered connection (it opens a client and a subscriber). */
  bottleneckRedisUrl: string;
  prefix?: string;
}

/** While Redis is away, calls that need the shared limits fail with a clear 503 instead of waiting. */
const sharedUnavailable = (provider: string, err: unknown): AppError =>
  new AppError('overloaded', `shared rate limiter for '${provider}' unavailable: redis ${(err as Error)?.message ?? 'error'}`, [], 2);

/** Bottleneck's own scheduling is asynchronous: never time out a wait before it had a chance to run. */
const MIN_WAIT_MS = 50;

/**
 * Bottleneck bounds the calls in flight (`max_concurrent`) and keeps the queue
 * in order; a sliding-window gate behind it enforces requests/min, tokens/min,
 * requests/day and burst. A job holds its concurrency slot while it waits at
 * the gate, so the start recorded in the window is the real start.
 */
export function createProviderLimiter(opts: LimiterOptions): ProviderLimiter {
  const { provider, limits, clock, shared } = opts;
  const windowLimits = {
    requestsPerWindow: limits.requests_per_minute,
    tokensPerWindow: limits.tokens_per_minute,
    requestsPerDay: limits.requests_per_day,
    burst: limits.burst,
    windowMs: opts.windowMs ?? 60_000,
    dayMs: opts.dayWindowMs ?? 86_400_000,
  };
  const bottleneck = shared
    ? clusteredScheduler({
        id: `${shared.prefix ?? 'mo:'}concurrency:${provider}`,
        maxConcurrent: limits.max_concurrent,
        redisUrl: shared.bottleneckRedisUrl,
        watch: shared.redis,
      })
    : localScheduler(limits.max_concurrent, () => new LimiterWaitError(provider, Number.POSITIVE_INFINITY));
  const gate: Gate = shared ? new RedisWindowGate(shared.redis, provider, windowLimits, shared.prefix) : new WindowGate(windowLimits, clock);
  let running = 0;
  let stopped = false;

  const acquire = (weight: number, { maxWaitMs, signal }: { maxWaitMs: number; signal?: AbortSignal }): Promise<LimiterSlot> => {
    if (stopped) return Promise.reject(new LimiterWaitError(provider, Number.POSITIVE_INFINITY));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (shared && shared.redis.status !== 'ready') return Promise.reject(sharedUnavailable(provider, new Error(`is ${shared.redis.status}`)));
    const counts = bottleneck.counts();
    const predicted = gate.estimateWait(weight, counts.RECEIVED + counts.QUEUED + gate.waiting);
    if (predicted > maxWaitMs) return Promise.reject(new LimiterWaitError(provider, predicted));

    const startedAt = clock.now();
    return new Promise<LimiterSlot>((resolve, reject) => {
      // Aborted when the caller gives up, so a job that starts later returns at once.
      const abandon = new AbortController();
      let settled = false;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        cleanup();
        abandon.abort(err);
        reject(err);
      };
      const timer = setTimeout(() => finish(new LimiterWaitError(provider, clock.now() - startedAt)), Math.max(maxWaitMs, MIN_WAIT_MS));
      const onAbort = () => finish(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };

      bottleneck
        .schedule(async () => {
          if (abandon.signal.aborted) return;
          let ticket: GateTicket;
          try {
            ticket = await gate.take(weight, abandon.signal);
          } catch (err) {
            // An abandoned wait ends quietly; a closed gate (shutdown) fails the caller at once,
            // and a shared store failing is the caller's 503.
            if (!abandon.signal.aborted) finish(shared ? sharedUnavailable(provider, err) : err);
            return;
          }
          if (settled) {
            ticket.refund();
            return;
          }
          settled = true;
          cleanup();
          running += 1;
          let done!: () => void;
          const ended = new Promise<void>((r) => (done = r));
          let closed = false;
          const end = (refund: boolean) => {
            if (closed) return;
            closed = true;
            running -= 1;
            if (refund) ticket.refund();
            done();
          };
          resolve({ waitedMs: clock.now() - startedAt, release: () => end(false), refund: () => end(true), restamp: () => ticket.restamp?.() });
          await ended;
        })
        .catch((err: unknown) => finish(shared ? sharedUnavailable(provider, err) : err));
    });
  };

  return {
    acquire,
    state: () => {
      const counts = bottleneck.counts();
      return { queued: counts.RECEIVED + counts.QUEUED + gate.waiting, running, reservoir: gate.headroom() };
    },
    stop: async () => {
      stopped = true;
      gate.close(new LimiterWaitError(provider, Number.POSITIVE_INFINITY));
      // Calls in flight end on their own (their adapters are being closed); only the queue is dropped.
      void bottleneck.stop();
    },
  };
}
