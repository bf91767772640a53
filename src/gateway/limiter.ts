import type { CallerSignal } from '../caller-signal.js';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { ProviderConfig } from '../config/schema.js';
import { AppError } from '../errors.js';
import { clusteredScheduler, localScheduler } from './scheduler.js';
import { RedisWindowGate } from './redis-window-gate.js';
import { sleep } from '../clock.js';
import { LearnedResets } from './learned-resets.js';
import { WaitBeyondLimit, WindowGate, type Gate, type GateTicket } from './window-gate.js';

/** Thrown when a call would wait longer than the provider's `max_wait_ms` for a slot. */
export class LimiterWaitError extends Error {
  constructor(
    readonly provider: string,
    /** How long the wait was (or was predicted to be), in ms. */
    readonly waitMs: number,
    /**
     * `window`: the provider's own allowance (rate, concurrency) is used up, for every model of it;
     * `model_reset`: the provider announced a reset for this one model (its other models may still answer).
     */
    readonly reason: 'window' | 'model_reset' = 'window',
  ) {
    super(
      reason === 'model_reset'
        ? `provider '${provider}' asked for no requests to this model for ${Math.round(waitMs)} ms, longer than the allowed wait`
        : `provider '${provider}' has no free slot within the allowed wait (${Math.round(waitMs)} ms needed)`,
    );
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
  /** Calls waiting for a concurrency slot or the window (not those whose callers gave up). */
  queued: number;
  running: number;
  /** Starts still allowed in the current window. */
  reservoir: number;
}

export interface AcquireOptions {
  maxWaitMs: number;
  signal?: CallerSignal;
  /** The provider model id the request is for: a reset the provider announced for it is honoured. */
  model?: string;
}

/** The rate limiter of one provider. */
export interface ProviderLimiter {
  /**
   * Waits for a slot for a request weighing `weight` estimated tokens. Rejects
   * with LimiterWaitError at once when the window alone predicts a longer wait
   * than `maxWaitMs`, or when the slot does not come within it; with the
   * signal's reason when it aborts.
   */
  acquire(weight: number, opts: AcquireOptions): Promise<LimiterSlot>;
  /**
   * The slot `acquire` would grant at once, granted synchronously: a free concurrency slot with
   * nobody queued, and a window that admits the start now (no learned reset for the model).
   * Undefined when the call would have to wait, or the limits are shared (Redis): then `waitForSlot`.
   * No promise, timer or listener is made on this path.
   */
  tryAcquire(weight: number, opts: AcquireOptions): LimiterSlot | undefined;
  /** `acquire` without its `tryAcquire` first: for a caller whose `tryAcquire` just came back undefined. */
  waitForSlot(weight: number, opts: AcquireOptions): Promise<LimiterSlot>;
  /**
   * The provider said it takes no more work for `model` (its provider model id) for `waitMs`
   * (a retry hint: Retry-After, x-ratelimit-reset-*, RetryInfo). Until then no caller of this
   * limiter — of any replica, in shared mode — starts a request to that model: one whose
   * `maxWaitMs` is shorter is refused at once (and moves to its fallback), one that may wait, waits.
   */
  learnReset(model: string, waitMs: number): void;
  state(): LimiterState;
  /** Provider model ids with a learned reset remembered in this process (at most `bounds.model_resets`). */
  rememberedResets(): number;
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
  /** Provider model ids whose learned reset is remembered locally (`bounds.model_resets`; default 1024). */
  maxModelResets?: number;
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

/** A granted slot; `leave` gives the concurrency slot back. */
class Slot implements LimiterSlot {
  private closed = false;
  constructor(
    readonly waitedMs: number,
    private readonly ticket: GateTicket,
    private readonly leave: () => void,
    private readonly onEnd: () => void,
  ) {}

  release(): void {
    this.end(false);
  }

  refund(): void {
    this.end(true);
  }

  restamp(): void {
    if (!this.closed) this.ticket.restamp?.();
  }

  private end(refund: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.onEnd();
    if (refund) this.ticket.refund();
    this.leave();
  }
}

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
  const resets = new LearnedResets(clock, opts.maxModelResets);
  let running = 0;
  /**
   * Callers waiting in the scheduler's queue for a concurrency slot. The scheduler keeps a job whose
   * caller gave up (hung up, timed out) queued until a slot frees, so its own counts would report it
   * and predict waits from it: this counts the callers still waiting instead.
   */
  let waiting = 0;
  let stopped = false;

  const learnReset = (model: string, waitMs: number): void => {
    const kept = resets.learn(model, waitMs);
    // Shared mode: the other replicas learn it from Redis; a failure there leaves the local copy.
    if (kept > 0) void gate.learnReset?.(model, kept).catch(() => undefined);
  };

  const ended = () => {
    running -= 1;
  };

  const tryAcquire = (weight: number, { signal, model }: AcquireOptions): LimiterSlot | undefined => {
    if (stopped || signal?.aborted || !gate.takeNow || resets.remaining(model) > 0) return undefined;
    const leave = bottleneck.tryEnter?.();
    if (!leave) return undefined;
    const ticket = gate.takeNow(weight);
    if (!ticket) {
      leave();
      return undefined;
    }
    running += 1;
    return new Slot(0, ticket, leave, ended);
  };

  const acquire = (weight: number, opts: AcquireOptions): Promise<LimiterSlot> => {
    const now = tryAcquire(weight, opts);
    return now ? Promise.resolve(now) : wait(weight, opts);
  };

  /** The slow path: a concurrency slot from the scheduler's queue, then the window's. */
  const wait = (weight: number, { maxWaitMs, signal, model }: AcquireOptions): Promise<LimiterSlot> => {
    if (stopped) return Promise.reject(new LimiterWaitError(provider, Number.POSITIVE_INFINITY));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (shared && shared.redis.status !== 'ready') return Promise.reject(sharedUnavailable(provider, new Error(`is ${shared.redis.status}`)));
    const reset = resets.remaining(model);
    if (reset > maxWaitMs) return Promise.reject(new LimiterWaitError(provider, reset, 'model_reset'));
    const predicted = Math.max(gate.estimateWait(weight, waiting + gate.waiting), reset);
    if (predicted > maxWaitMs) return Promise.reject(new LimiterWaitError(provider, predicted));

    const startedAt = clock.now();
    return new Promise<LimiterSlot>((resolve, reject) => {
      // Aborted when the caller gives up, so a job that starts later returns at once.
      const abandon = new AbortController();
      let settled = false;
      // Counted in `waiting` until its job starts or its caller gives up, whichever comes first.
      let queued = true;
      waiting += 1;
      const dequeue = () => {
        if (queued) {
          queued = false;
          waiting -= 1;
        }
      };
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        dequeue();
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
          dequeue();
          if (abandon.signal.aborted) return;
          let ticket: GateTicket;
          try {
            // A reset the provider announced for this model is waited out before the window is asked.
            const blocked = resets.remaining(model);
            if (blocked > 0) await sleep(blocked, abandon.signal);
            ticket = await gate.take(weight, abandon.signal, { model, maxWaitMs: Math.max(0, startedAt + maxWaitMs - clock.now()) });
          } catch (err) {
            // An abandoned wait ends quietly; a wait the shared gate knows is too long fails over now;
            // a closed gate (shutdown) fails the caller at once, and a shared store failing is the caller's 503.
            if (abandon.signal.aborted) return;
            if (err instanceof WaitBeyondLimit) finish(new LimiterWaitError(provider, clock.now() - startedAt + err.waitMs, err.modelReset ? 'model_reset' : 'window'));
            else finish(shared ? sharedUnavailable(provider, err) : err);
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
          const over = new Promise<void>((r) => (done = r));
          resolve(new Slot(clock.now() - startedAt, ticket, done, ended));
          await over;
        })
        .catch((err: unknown) => finish(shared ? sharedUnavailable(provider, err) : err));
    });
  };

  return {
    acquire,
    tryAcquire,
    waitForSlot: wait,
    learnReset,
    state: () => {
      return { queued: waiting + gate.waiting, running, reservoir: gate.headroom() };
    },
    rememberedResets: () => resets.size,
    stop: async () => {
      stopped = true;
      gate.close(new LimiterWaitError(provider, Number.POSITIVE_INFINITY));
      // Calls in flight end on their own (their adapters are being closed); only the queue is dropped.
      void bottleneck.stop();
    },
  };
}
