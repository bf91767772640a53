import * as z from 'zod';

/**
 * The smallest values a caller may ask for where a smaller one cannot work (issue 17, "tiny
 * budgets"): `timeout_s: 1e-9` used to be accepted and end as a 504 after no model call could
 * start. Below these a request is a 400 naming the field, before anything runs.
 */

/** Shortest request or task time budget, seconds (100 ms): less cannot complete any model call. */
export const MIN_TIMEOUT_S = 0.1;

/**
 * Longest time budget, seconds (~24.8 days): Node's timers wait at most 2^31 - 1 ms and fire after
 * 1 ms for a longer delay, so a longer budget would time every run out at once.
 */
export const MAX_TIMEOUT_S = 2_147_483;

/** Smallest USD budget of an API key (one cent): less blocks every call while looking like a limit. */
export const MIN_BUDGET_USD = 0.01;

/** A time budget in seconds, at least `MIN_TIMEOUT_S`. */
export const timeoutSeconds = () =>
  z.number().min(MIN_TIMEOUT_S, `must be at least ${MIN_TIMEOUT_S} seconds (${MIN_TIMEOUT_S * 1000} ms): a shorter budget cannot complete any model call`);

/**
 * The configured longest time budget (limits.default_timeout_s), seconds: from `MIN_TIMEOUT_S` to
 * `MAX_TIMEOUT_S`. A caller's `timeout_s` above it is cut to it, so this bounds every run's and call's deadline.
 */
export const maxTimeoutSeconds = () =>
  timeoutSeconds().max(MAX_TIMEOUT_S, `must be at most ${MAX_TIMEOUT_S} seconds (~24.8 days): node's timers cannot wait longer`);

/** A USD budget, at least `MIN_BUDGET_USD`. */
export const budgetUsd = () => z.number().min(MIN_BUDGET_USD, `must be at least ${MIN_BUDGET_USD} USD (one cent)`);
