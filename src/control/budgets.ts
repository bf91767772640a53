import type { SpendPeriods } from '../store/key-types.js';

/**
 * USD budgets per UTC day and UTC month. Spend is kept in integer nano-USD
 * (the gateway prices calls to 1e-9 USD), so additions from every replica are
 * exact and the recorded spend equals the sum of the answers' `cost_usd`.
 */

/** USD → nano-USD (integer). */
export const toNano = (usd: number): number => Math.round(usd * 1e9);

/** nano-USD → USD. */
export const fromNano = (nano: number): number => nano / 1e9;

/** The day (`2026-11-30`) and month (`2026-11`) of an epoch-ms time, in UTC. */
export function periodsAt(ms: number): SpendPeriods {
  const iso = new Date(ms).toISOString();
  return { day: iso.slice(0, 10), month: iso.slice(0, 7) };
}

/** When the period containing `ms` ends (the next UTC midnight or first of the month), epoch ms. */
export function periodEnd(period: 'day' | 'month', ms: number): number {
  const d = new Date(ms);
  return period === 'day'
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
    : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Whole seconds from `ms` until the period resets (at least 1), for Retry-After. */
export const secondsUntilReset = (period: 'day' | 'month', ms: number): number => Math.max(1, Math.ceil((periodEnd(period, ms) - ms) / 1000));
