import type { Config } from '../config/schema.js';
import type { ProviderError } from '../providers/provider-error.js';

/** What to do after a failed attempt. */
export type RetryDecision =
  /** Try the same model again after `delayMs`. */
  | { action: 'retry'; delayMs: number }
  /** Move on to the next model in the chain; `needLargerContext` skips models whose window is not larger. */
  | { action: 'next'; reason: string; needLargerContext?: boolean }
  /** The error class does not fall back: stop the call here. */
  | { action: 'fail'; reason: string }
  /** The provider refused the content: the caller must hear it now, unretried. */
  | { action: 'surface'; reason: string };

/** Timeouts that mean the model stayed silent: the same route is not tried again. */
const SILENT_TIMEOUTS = new Set(['first_byte_timeout', 'stream_idle_timeout', 'total_timeout', 'budget_exhausted']);

/**
 * Exponential backoff with full jitter: a uniform delay in
 * [0, min(cap, base × 2^retry)), so that many callers failing together do not
 * come back together.
 */
export function fullJitterDelay(baseMs: number, capMs: number, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * Decides, from the error's class in `error_handling`, whether to retry the same
 * model (and after how long), move to the next one, or stop. `retriesDone` counts
 * the retries already made on this model.
 */
export function decideAfterFailure(
  err: ProviderError,
  retriesDone: number,
  rules: Config['error_handling'],
  random: () => number = Math.random,
): RetryDecision {
  const rule = rules[err.kind];
  const reason = err.code ?? err.kind;
  const moveOn = (): RetryDecision => (rule.fallback ? { action: 'next', reason } : { action: 'fail', reason });

  if (err.code === 'content_filter') return { action: 'surface', reason };
  if (err.code === 'context_length_exceeded') return { action: 'next', reason, needLargerContext: true };
  // A model that cannot continue a partial answer may still have peers that can.
  if (err.code === 'prefill_unsupported') return { action: 'next', reason };
  // The model is not served by its provider (404, retired, misspelt id): the request is fine, another model may answer.
  if (err.code === 'model_not_found') return { action: 'next', reason };
  if (err.kind === 'timeout' && err.code !== undefined && SILENT_TIMEOUTS.has(err.code)) return moveOn();
  // The same request would get the same 400: never resend it unchanged.
  if (err.kind === 'client_error') return moveOn();
  if (retriesDone >= rule.max_retries) return moveOn();
  if (err.retryAfterMs !== undefined) {
    // Waiting longer than the cap would stall the caller; another model may answer now.
    if (err.retryAfterMs > rules.retry_after_cap_ms) return moveOn();
    return { action: 'retry', delayMs: Math.max(0, err.retryAfterMs) };
  }
  return { action: 'retry', delayMs: fullJitterDelay(rule.backoff_base_ms, rule.backoff_cap_ms, retriesDone, random) };
}
