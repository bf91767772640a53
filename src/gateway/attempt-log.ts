import type { ErrorDetail } from '../errors.js';
import type { AppEventBus } from '../events.js';
import type { ProviderError } from '../providers/provider-error.js';
import type { ResolvedModel } from './fallback.js';
import type { Attempt, CallContext } from './types.js';

/**
 * How an attempt that did not succeed is recorded: in the call's `attempts` (answers,
 * 502/504 details, run records) and as an `attempt` event (stats, metrics, logs).
 * Successes are recorded by run-chain.ts and result.ts, which know their usage and cost.
 */

/** What every record of an attempt carries besides its model and error. */
export interface AttemptFacts {
  durationMs: number;
  simulated: boolean;
  context: CallContext;
}

/** One 502/504 detail per attempt: which model, what went wrong. */
export function attemptDetails(attempts: Attempt[]): ErrorDetail[] {
  return attempts.map((a) => ({
    model: a.model,
    provider: a.provider,
    kind: a.kind ?? a.outcome,
    code: a.code,
    status: a.status,
    message: a.message ?? a.outcome,
  }));
}

/** A failed attempt: the provider (or the wire) failed it. */
export function recordFailure(bus: AppEventBus, attempts: Attempt[], model: ResolvedModel, err: ProviderError, facts: AttemptFacts): void {
  const { kind, code, status } = err;
  attempts.push({ model: model.key, provider: model.provider, outcome: 'failure', kind, code, status, message: err.message, duration_ms: facts.durationMs });
  bus.emit('attempt', {
    model: model.key,
    provider: model.provider,
    outcome: 'failure',
    kind,
    code,
    status,
    latency_ms: facts.durationMs,
    simulated: facts.simulated,
    context: facts.context,
  });
}

/**
 * The losing attempt of a hedge: cancelled by the gateway, so not a failure of the model,
 * and not billed — its usage is unknown (providers report it only at the end of a stream).
 */
export function recordCancelled(bus: AppEventBus, attempts: Attempt[], model: ResolvedModel, reason: unknown, facts: AttemptFacts): void {
  const message = reason instanceof Error ? reason.message : 'cancelled';
  attempts.push({ model: model.key, provider: model.provider, outcome: 'cancelled', code: 'hedge_lost', message, duration_ms: facts.durationMs });
  bus.emit('attempt', {
    model: model.key,
    provider: model.provider,
    outcome: 'cancelled',
    code: 'hedge_lost',
    latency_ms: facts.durationMs,
    simulated: facts.simulated,
    context: facts.context,
  });
}
