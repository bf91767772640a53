import { lazyRequire } from '../../lazy-require.js';

/** Loaded when a schedule is first checked or planned: a config without schedules never needs it. */
const cronParser = lazyRequire<typeof import('cron-parser')>('cron-parser');

/**
 * Cron expressions as schedules use them, read by cron-parser — the parser
 * BullMQ's job schedulers use too, so single-node and shared mode agree on
 * every fire time. 5 fields (minute first) or 6 (seconds first), in an IANA
 * time zone.
 */

/** Why a time zone is not usable, or null. */
export function timeZoneProblem(tz: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return null;
  } catch {
    return `unknown time zone '${tz}' (use an IANA name such as 'Europe/Paris' or 'UTC')`;
  }
}

/** Why a cron expression cannot be used, or null. */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith('@') && (fields.length < 5 || fields.length > 6)) {
    return `expected 5 fields (minute hour day month weekday) or 6 (with seconds first), got ${fields.length}`;
  }
  try {
    cronParser().CronExpressionParser.parse(expression, { tz: 'UTC' }).next();
    return null;
  } catch (err) {
    return `invalid cron expression: ${(err as Error).message}`;
  }
}

/** The first fire strictly after `afterMs` (epoch ms). Throws on an invalid expression or zone. */
export function nextFire(expression: string, tz: string, afterMs: number): number {
  return cronParser().CronExpressionParser.parse(expression, { tz, currentDate: new Date(afterMs) }).next().getTime();
}

/** The last fire at or before `atMs` (epoch ms), or null when the expression has none. */
export function previousFire(expression: string, tz: string, atMs: number): number | null {
  // prev() is strictly before its start, so start 1 ms after to include a fire exactly at `atMs`.
  const cron = cronParser().CronExpressionParser.parse(expression, { tz, currentDate: new Date(atMs + 1) });
  return cron.hasPrev() ? cron.prev().getTime() : null;
}
