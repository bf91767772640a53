import * as z from 'zod';

/**
 * The smallest values a caller may ask for where a smaller one cannot work (issue 17, "tiny
 * budgets"): `timeout_s: 1e-9` used to be accepted and end as a 504 after no model call could
 * start. Below these a request is a 400 naming the field, before anything runs.
 */

/** Shortest request or task time budget, seconds (100 ms): less cannot complete any model call. */
export const MIN_TIMEOUT_S = 0.1;

/** Smallest USD budget of an API key (one cent): less blocks every call while looking like a limit. */
export const MIN_BUDGET_USD = 0.01;

/** A time budget in seconds, at least `MIN_TIMEOUT_S`. */
export const timeoutSeconds = () =>
  z.number().min(MIN_TIMEOUT_S, `must be at least ${MIN_TIMEOUT_S} seconds (${MIN_TIMEOUT_S * 1000} ms): a shorter budget cannot complete any model call`);

/** A USD budget, at least `MIN_BUDGET_USD`. */
export const budgetUsd = () => z.number().min(MIN_BUDGET_USD, `must be at least ${MIN_BUDGET_USD} USD (one cent)`);
