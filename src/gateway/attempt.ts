import { isProviderError, ProviderError } from '../providers/provider-error.js';
import type { AttemptTimeouts } from '../providers/types.js';
import { windowHint, type HeaderBag } from '../providers/retry-hint.js';
import { AttemptScope } from '../providers/attempt-scope.js';
import { CircuitOpenError, type ModelBreakers } from './breaker.js';
import type { ResolvedModel } from './fallback.js';
import { LimiterWaitError, type LimiterSlot, type ProviderLimiter } from './limiter.js';

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
 * caller's budget whatever the adapter does. A free limiter slot and the breaker's
 * admission are taken synchronously; the call runs in one AttemptScope (one
 * AbortSignal and one timer per attempt, shared with its HTTP exchange).
 */
export async function runAttempt<T>(
  plan: AttemptPlan,
  call: (signal: AbortSignal, timeouts: AttemptTimeouts, onResponseStart: (headers?: HeaderBag) => void) => Promise<T>,
): Promise<T> {
  const { model, breakers, limiter } = plan;
  if (!breakers.admits(model.key)) throw new SkippedAttempt('circuit_open', `circuit of '${model.key}' is open`);

  let slot: LimiterSlot | undefined;
  if (limiter) {
    const opts = { maxWaitMs: plan.maxWaitMs, signal: plan.signal, model: model.model };
    try {
      // A free slot is taken synchronously: no promise, timer or listener for the common case.
      slot = limiter.tryAcquire(plan.weight, opts) ?? (await limiter.acquire(plan.weight, opts));
    } catch (err) {
      if (err instanceof LimiterWaitError) {
        plan.onLimiterWait?.(err.waitMs);
        throw new SkippedAttempt(err.reason === 'model_reset' ? 'rate_limit_reset' : 'limiter_wait', err.message, err.waitMs);
      }
      throw err;
    }
    if (slot.waitedMs > 0) plan.onLimiterWait?.(slot.waitedMs);
  }

  // The breaker may have opened while the call waited for its slot.
  const admitted = breakers.enter(model.key);
  if (!admitted) {
    slot?.refund();
    throw new SkippedAttempt('circuit_open', new CircuitOpenError(model.key).message);
  }
  const onResponseStart = (headers?: HeaderBag) => {
    slot?.restamp();
    // A response that spent its window (x-ratelimit-remaining-* 0) says when the next one may go.
    const spent = headers && limiter ? windowHint(headers) : undefined;
    if (spent !== undefined && spent > 0) limiter!.learnReset(model.model, spent);
  };
  try {
    const timeouts = plan.timeouts();
    const value = await new AttemptScope(plan.signal, Date.now() + timeouts.total_ms, () => overdue(model, timeouts)).run((signal) =>
      call(signal, timeouts, onResponseStart),
    );
    admitted.succeeded();
    return value;
  } catch (err) {
    admitted.failed(err);
    // "Come back in N ms": every caller of this provider's limiter holds off the model until then.
    if (isProviderError(err) && err.retryAfterMs !== undefined && err.retryAfterMs > 0) limiter?.learnReset(model.model, err.retryAfterMs);
    throw err;
  } finally {
    slot?.release();
  }
}

/** The error of an attempt whose time ran out: its own total_ms, or what was left of the call's budget. */
function overdue(model: ResolvedModel, timeouts: AttemptTimeouts): ProviderError {
  return new ProviderError({
    kind: 'timeout',
    code: timeouts.budget_limited ? 'budget_exhausted' : 'total_timeout',
    provider: model.provider,
    message: timeouts.budget_limited
      ? `the call's time budget ran out while '${model.key}' was answering`
      : `no complete answer from '${model.key}' within ${timeouts.total_ms} ms`,
  });
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
