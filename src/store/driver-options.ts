import type { Clock } from '../clock.js';
import type { Turn } from './types.js';

/** Options and rules every store driver (memory, SQLite, Redis) shares. */
export interface StoreOptions {
  /** Stamps a session created with no turns; otherwise times come from the turns themselves. */
  clock?: Clock;
  /** Keep at most this many turns per session in storage, dropping the oldest. */
  maxStoredTurns?: number;
}

/** An ISO time in epoch ms. */
export const isoMs = (iso: string): number => Date.parse(iso);

/** The latest of the current stamp and the appended turns' stamps: sessions never move back in time. */
export function latestStamp(current: string | null, turns: Turn[], now: string): string {
  let latest = current;
  for (const t of turns) if (latest === null || isoMs(t.created_at) > isoMs(latest)) latest = t.created_at;
  return latest ?? now;
}
