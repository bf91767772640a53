import * as z from 'zod';

/**
 * The smallest values a caller may ask for where a smaller one cannot work (issue 17, "tiny
 * budgets"): `timeout_s: 1e-9` used to be accepted and end as a 504 after no model call could
 * start. Below these a request is a 400 naming the field, before anything runs.
 */

/** Shortest request or task time budget, seconds (100 ms): less cannot complete any model call. */
export const MIN_TIMEOUT_S = 0.1;

/** Longest delay a node timer waits, ms (2^31 - 1, ~24.8 days); a longer one fires after 1 ms (Node's timers documentation, TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Longest configured duration in seconds that becomes a timer (× 1000 ≤ `MAX_TIMER_MS`). */
export const MAX_TIMER_S = Math.floor(MAX_TIMER_MS / 1000);

/** The message of a duration above what a timer can wait, in its unit. */
const beyondTimers = (max: number, unit: 'ms' | 'seconds') => `must be at most ${max} ${unit} (~24.8 days): node's timers cannot wait longer`;

/** Smallest USD budget of an API key (one cent): less blocks every call while looking like a limit. */
export const MIN_BUDGET_USD = 0.01;

/** A time budget in seconds, at least `MIN_TIMEOUT_S`. */
export const timeoutSeconds = () =>
  z.number().min(MIN_TIMEOUT_S, `must be at least ${MIN_TIMEOUT_S} seconds (${MIN_TIMEOUT_S * 1000} ms): a shorter budget cannot complete any model call`);

/**
 * The configured longest time budget (limits.default_timeout_s), seconds: from `MIN_TIMEOUT_S` to
 * `MAX_TIMER_S`. A caller's `timeout_s` above it is cut to it, so this bounds every run's and call's deadline.
 */
export const maxTimeoutSeconds = () =>
  timeoutSeconds().max(MAX_TIMER_S, beyondTimers(MAX_TIMER_S, 'seconds'));

/** A USD budget, at least `MIN_BUDGET_USD`. */
export const budgetUsd = () => z.number().min(MIN_BUDGET_USD, `must be at least ${MIN_BUDGET_USD} USD (one cent)`);

/**
 * A configured duration in ms that becomes a timer's delay (timeouts, backoffs, windows, intervals): an integer of
 * at most `MAX_TIMER_MS`, refused with its path above that — a longer one would fire after 1 ms, so a 30-day
 * timeout would time every call out at once.
 */
export const timerMs = () => z.number().int().max(MAX_TIMER_MS, beyondTimers(MAX_TIMER_MS, 'ms'));

/** A configured duration in seconds that becomes a timer's delay: at most `MAX_TIMER_S` (see `timerMs`). */
export const timerSeconds = () => z.number().max(MAX_TIMER_S, beyondTimers(MAX_TIMER_S, 'seconds'));
