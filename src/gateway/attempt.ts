import type { CallerSignal } from '../caller-signal.js';
import { isProviderError, ProviderError } from '../providers/provider-error.js';
import type { AttemptTimeouts } from '../providers/types.js';
import { windowHint, type HeaderBag } from '../providers/retry-hint.js';
import { AttemptScope } from '../providers/attempt-scope.js';
import { circuitOpenMessage, type ModelBreakers } from './breaker.js';
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
  signal?: CallerSignal;
  /** Computes the attempt's limits when it starts, so time spent queueing is not charged to it. */
  timeouts: () => AttemptTimeouts;
  onLimiterWait?: (waitMs: number) => void;
}

/**
 * One attempt, in the gateway's order: the provider's limiter, then the model's
 * breaker, then the call itself under its total time limit. The limit is also
 * enforced here, not only by the adapter, so that no attempt outlives the
 * caller's budget whatever the adapter does. A free limiter slot and the breaker's
 * admission are taken synchronously; the call runs in one AttemptScope (its
 * cancellation and one timer per attempt, shared with its HTTP exchange; no AbortSignal unless asked for).
 */
export function runAttempt<T>(plan: AttemptPlan, call: AttemptCall<T>): Promise<T> {
  const { model, breakers, limiter } = plan;
  if (!breakers.admits(model.key)) return Promise.reject(new SkippedAttempt('circuit_open', circuitOpenMessage(model.key)));
  if (!limiter) return admitted(plan, call, undefined);
  const opts = { maxWaitMs: plan.maxWaitMs, signal: plan.signal, model: model.model };
  // A free slot is taken synchronously: no promise, timer or listener for the common case.
  const now = limiter.tryAcquire(plan.weight, opts);
  if (now) return admitted(plan, call, now);
  return limiter.waitForSlot(plan.weight, opts).then(
    (slot) => {
      if (slot.waitedMs > 0) plan.onLimiterWait?.(slot.waitedMs);
      return admitted(plan, call, slot);
    },
    (err: unknown) => {
      if (err instanceof LimiterWaitError) {
        plan.onLimiterWait?.(err.waitMs);
        throw new SkippedAttempt(err.reason === 'model_reset' ? 'rate_limit_reset' : 'limiter_wait', err.message, err.waitMs);
      }
      throw err;
    },
  );
}

/** What an attempt runs once admitted: the provider call, given the attempt's signal, limits and response-start hook. */
type AttemptCall<T> = (signal: CallerSignal, timeouts: AttemptTimeouts, onResponseStart: (headers?: HeaderBag) => void) => Promise<T>;

/** The attempt past its limiter slot: the breaker's admission, then the call in its AttemptScope. */
function admitted<T>(plan: AttemptPlan, call: AttemptCall<T>, slot: LimiterSlot | undefined): Promise<T> {
  const { model, breakers, limiter } = plan;
  // The breaker may have opened while the call waited for its slot.
  const breaker = breakers.enter(model.key);
  if (!breaker) {
    slot?.refund();
    return Promise.reject(new SkippedAttempt('circuit_open', circuitOpenMessage(model.key)));
  }
  const onResponseStart = (headers?: HeaderBag) => {
    slot?.restamp();
    // A response that spent its window (x-ratelimit-remaining-* 0) says when the next one may go.
    const spent = headers && limiter ? windowHint(headers) : undefined;
    if (spent !== undefined && spent > 0) limiter!.learnReset(model.model, spent);
  };
  let timeouts: AttemptTimeouts;
  try {
    timeouts = plan.timeouts();
  } catch (err) {
    breaker.failed(err);
    slot?.release();
    return Promise.reject(err);
  }
  // The breaker and the slot are told as the attempt settles (no promise of their own).
  return new AttemptScope(plan.signal, Date.now() + timeouts.total_ms, () => overdue(model, timeouts)).run((scope) => call(scope, timeouts, onResponseStart), {
    succeeded: () => {
      breaker.succeeded();
      slot?.release();
    },
    failed: (err) => {
      breaker.failed(err);
      // "Come back in N ms": every caller of this provider's limiter holds off the model until then.
      if (isProviderError(err) && err.retryAfterMs !== undefined && err.retryAfterMs > 0) limiter?.learnReset(model.model, err.retryAfterMs);
      slot?.release();
    },
  });
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
