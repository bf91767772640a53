import type { CallerSignal } from '../caller-signal.js';
import { isProviderError, ProviderError } from '../providers/provider-error.js';
import type { AttemptTimeouts } from '../providers/types.js';
import { windowHint, type HeaderBag } from '../providers/retry-hint.js';
import { AttemptScope, type AttemptOutcome } from '../providers/attempt-scope.js';
import { circuitOpenMessage, type BreakerCall, type ModelBreakers } from './breaker.js';
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

export interface AttemptPlan<T> {
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
  timeouts(): AttemptTimeouts;
  onLimiterWait?(waitMs: number): void;
  /** The provider call, once admitted: `attempt` is its signal (the adapter's), its limits and its response-start hook. */
  call(attempt: AdmittedAttempt): Promise<T>;
}

/**
 * One attempt, in the gateway's order: the provider's limiter, then the model's
 * breaker, then the call itself under its total time limit. The limit is also
 * enforced here, not only by the adapter, so that no attempt outlives the
 * caller's budget whatever the adapter does. A free limiter slot and the breaker's
 * admission are taken synchronously; the call runs in one AdmittedAttempt (an AttemptScope:
 * its cancellation and one timer per attempt, shared with its HTTP exchange; no AbortSignal unless asked for).
 */
export function runAttempt<T>(plan: AttemptPlan<T>): Promise<T> {
  const { model, breakers, limiter } = plan;
  if (!breakers.admits(model.key)) return Promise.reject(new SkippedAttempt('circuit_open', circuitOpenMessage(model.key)));
  if (!limiter) return admitted(plan, undefined);
  const opts = { maxWaitMs: plan.maxWaitMs, signal: plan.signal, model: model.model };
  // A free slot is taken synchronously: no promise, timer or listener for the common case.
  const now = limiter.tryAcquire(plan.weight, opts);
  if (now) return admitted(plan, now);
  return limiter.waitForSlot(plan.weight, opts).then(
    (slot) => {
      if (slot.waitedMs > 0) plan.onLimiterWait?.(slot.waitedMs);
      return admitted(plan, slot);
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

/** The attempt past its limiter slot: the breaker's admission, then the call in its AdmittedAttempt. */
function admitted<T>(plan: AttemptPlan<T>, slot: LimiterSlot | undefined): Promise<T> {
  // The breaker may have opened while the call waited for its slot.
  const breaker = plan.breakers.enter(plan.model.key);
  if (!breaker) {
    slot?.refund();
    return Promise.reject(new SkippedAttempt('circuit_open', circuitOpenMessage(plan.model.key)));
  }
  let timeouts: AttemptTimeouts;
  try {
    timeouts = plan.timeouts();
  } catch (err) {
    breaker.failed(err);
    slot?.release();
    return Promise.reject(err);
  }
  const attempt = new AdmittedAttempt(plan as AttemptPlan<unknown>, timeouts, breaker, slot);
  // The breaker and the slot are told as the attempt settles (the attempt is its own outcome: no promise or closures of their own).
  return attempt.run(AdmittedAttempt.start, attempt) as Promise<T>;
}

/**
 * An admitted attempt: the AttemptScope the adapter gets as its signal, with the attempt's limits and
 * response-start hook, and what it tells its breaker and limiter slot as it settles — one object per
 * attempt instead of a scope, an outcome and five closures.
 */
export class AdmittedAttempt extends AttemptScope implements AttemptOutcome<unknown> {
  /** Called when the provider's response begins: the slot counts from now; a spent window (x-ratelimit-remaining-* 0) says when the next one may go. */
  readonly onResponseStart = (headers?: HeaderBag): void => {
    this.slot?.restamp();
    const limiter = this.plan.limiter;
    const spent = headers && limiter ? windowHint(headers) : undefined;
    if (spent !== undefined && spent > 0) limiter!.learnReset(this.plan.model.model, spent);
  };

  constructor(
    private readonly plan: AttemptPlan<unknown>,
    /** The attempt's limits, computed when it was admitted. */
    readonly timeouts: AttemptTimeouts,
    private readonly breaker: BreakerCall,
    private readonly slot: LimiterSlot | undefined,
  ) {
    super(plan.signal, Date.now() + timeouts.total_ms);
  }

  /** What `run` calls: the plan's provider call, given the attempt (a static function: no closure per attempt). */
  static start(this: void, scope: AttemptScope): Promise<unknown> {
    const attempt = scope as AdmittedAttempt;
    return attempt.plan.call(attempt);
  }

  protected override overdueError(): unknown {
    return overdue(this.plan.model, this.timeouts);
  }

  succeeded(): void {
    this.breaker.succeeded();
    this.slot?.release();
  }

  failed(err: unknown): void {
    this.breaker.failed(err);
    // "Come back in N ms": every caller of this provider's limiter holds off the model until then.
    if (isProviderError(err) && err.retryAfterMs !== undefined && err.retryAfterMs > 0) this.plan.limiter?.learnReset(this.plan.model.model, err.retryAfterMs);
    this.slot?.release();
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
