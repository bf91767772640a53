import { isProviderError, ProviderError } from '../providers/provider-error.js';
import type { AttemptTimeouts } from '../providers/types.js';
import { windowHint, type HeaderBag } from '../providers/retry-hint.js';
import { markSelfLimited } from '../providers/attempt-guard.js';
import { CircuitOpenError, type ModelBreakers } from './breaker.js';
import type { ResolvedModel } from './fallback.js';
import { LimiterWaitError, type ProviderLimiter } from './limiter.js';

/** Why an attempt never reached the provider. */
export class SkippedAttempt extends Error {
  constructor(
    /** `rate_limit_reset`: the provider announced a reset for this model that outlasts the allowed wait. */
    readonly code: 'circuit_open' | 'limiter_wait' | 'rate_limit_reset',
    message: string,
    /** For limiter skips: how long the wait was or would have been. */
    readonly waitMs = 0,
  ) {
    super(message);
    this.name = 'SkippedAttempt';
  }
}

export interface AttemptPlan {
  model: ResolvedModel;
  /** The provider's limiter; absent for simulated providers, which never reach a network. */
  limiter?: ProviderLimiter;
  breakers: ModelBreakers;
  /** Estimated tokens of the request, its weight for tokens/min. */
  weight: number;
  maxWaitMs: number;
  /** The caller's signal: aborting it ends the wait and the call. */
  signal?: AbortSignal;
  /** Computes the attempt's limits when it starts, so time spent queueing is not charged to it. */
  timeouts: () => AttemptTimeouts;
  onLimiterWait?: (waitMs: number) => void;
}

/**
 * One attempt, in the gateway's order: the provider's limiter, then the model's
 * breaker, then the call itself under its total time limit. The limit is also
 * enforced here, not only by the adapter, so that no attempt outlives the
 * caller's budget whatever the adapter does.
 */
export async function runAttempt<T>(
  plan: AttemptPlan,
  call: (signal: AbortSignal, timeouts: AttemptTimeouts, onResponseStart: (headers?: HeaderBag) => void) => Promise<T>,
): Promise<T> {
  const { model, breakers } = plan;
  if (!breakers.admits(model.key)) throw new SkippedAttempt('circuit_open', `circuit of '${model.key}' is open`);

  let slot: Awaited<ReturnType<ProviderLimiter['acquire']>> | undefined;
  if (plan.limiter) {
    try {
      const opts = { maxWaitMs: plan.maxWaitMs, signal: plan.signal, model: model.model };
      // A free slot is taken synchronously: no promise, timer or listener for the common case.
      slot = plan.limiter.tryAcquire(plan.weight, opts) ?? (await plan.limiter.acquire(plan.weight, opts));
    } catch (err) {
      if (err instanceof LimiterWaitError) {
        plan.onLimiterWait?.(err.waitMs);
        throw new SkippedAttempt(err.reason === 'model_reset' ? 'rate_limit_reset' : 'limiter_wait', err.message, err.waitMs);
      }
      throw err;
    }
    if (slot.waitedMs > 0) plan.onLimiterWait?.(slot.waitedMs);
  }

  let started = false;
  try {
    return await breakers.fire(model.key, () => {
      started = true;
      return guarded(model, plan.timeouts(), plan.signal, (signal, timeouts) =>
        call(signal, timeouts, (headers) => {
          slot?.restamp();
          // A response that spent its window (x-ratelimit-remaining-* 0) says when the next one may go.
          const spent = headers && plan.limiter ? windowHint(headers) : undefined;
          if (spent !== undefined && spent > 0) plan.limiter!.learnReset(model.model, spent);
        }),
      );
    });
  } catch (err) {
    if (err instanceof CircuitOpenError) throw new SkippedAttempt('circuit_open', err.message);
    // "Come back in N ms": every caller of this provider's limiter holds off the model until then.
    if (isProviderError(err) && err.retryAfterMs !== undefined && err.retryAfterMs > 0) plan.limiter?.learnReset(model.model, err.retryAfterMs);
    throw err;
  } finally {
    if (slot) {
      if (started) slot.release();
      else slot.refund();
    }
  }
}

/** Runs the call with its own abort signal, which fires when the caller aborts or the attempt's time is up. */
async function guarded<T>(
  model: ResolvedModel,
  timeouts: AttemptTimeouts,
  callerSignal: AbortSignal | undefined,
  call: (signal: AbortSignal, timeouts: AttemptTimeouts) => Promise<T>,
): Promise<T> {
  // One controller fed by the caller and by our timer (a listener, not AbortSignal.any,
  // whose dependent signals cost more than the call on a fast provider).
  const own = new AbortController();
  const signal = own.signal;
  let rejectGuard!: (reason: unknown) => void;
  const guard = new Promise<never>((_, reject) => (rejectGuard = reject));
  const abort = (reason: unknown) => {
    if (signal.aborted) return;
    own.abort(reason);
    rejectGuard(reason);
  };
  const onCallerAbort = () => abort(callerSignal!.reason);
  if (callerSignal?.aborted) abort(callerSignal.reason);
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const timer = setTimeout(() => {
    abort(
      new ProviderError({
        kind: 'timeout',
        code: timeouts.budget_limited ? 'budget_exhausted' : 'total_timeout',
        provider: model.provider,
        message: timeouts.budget_limited
          ? `the call's time budget ran out while '${model.key}' was answering`
          : `no complete answer from '${model.key}' within ${timeouts.total_ms} ms`,
      }),
    );
  }, timeouts.total_ms);
  // The adapter's HTTP exchanges need no total timer of their own: this signal ends the attempt in time.
  markSelfLimited(signal, Date.now() + timeouts.total_ms);
  try {
    // The race keeps an adapter that ignores its signal from holding the caller past the limit.
    return await Promise.race([call(signal, timeouts), guard]);
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
    guard.catch(() => undefined);
  }
}

/** Anything an adapter throws, as a ProviderError (an adapter bug counts as a server error). */
export function asProviderError(err: unknown, provider: string): ProviderError {
  if (isProviderError(err)) return err;
  return new ProviderError({
    kind: 'server_error',
    provider,
    message: err instanceof Error ? err.message : String(err),
    cause: err,
  });
}
