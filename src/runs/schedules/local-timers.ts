import type { Clock } from '../../clock.js';
import type { ScheduleConfig } from '../../config/schema.js';
import { MAX_TIMER_MS } from '../../config/minimums.js';
import { nextFire } from './cron.js';
import { MISSED_AFTER_MS, type Firing } from './firing.js';

/**
 * Single-node trigger: one timer per enabled schedule, armed for its next fire
 * (computed by cron-parser in the schedule's time zone) and re-armed from that
 * fire's time, so a late timer never shifts the schedule.
 */
export function startLocalTimers(schedules: ScheduleConfig[], firing: Firing, clock: Clock, onError: (err: unknown, schedule: string) => void): { stop(): void } {
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  const arm = (schedule: ScheduleConfig, fromMs: number): void => {
    if (stopped) return;
    const now = clock.now();
    // Far behind (the process was stalled): start from now; fires in between were missed.
    const from = now - fromMs > MISSED_AFTER_MS ? now : fromMs;
    const at = nextFire(schedule.cron, schedule.timezone, from);
    // A fire further away than a node timer can wait (MAX_TIMER_MS) is reached by re-arming (the first check).
    const timer = setTimeout(() => {
      if (clock.now() < at) return arm(schedule, from);
      firing.fire(schedule, at).catch((err: unknown) => onError(err, schedule.name));
      arm(schedule, at);
    }, Math.min(Math.max(0, at - now), MAX_TIMER_MS));
    timer.unref();
    timers.set(schedule.name, timer);
  };

  for (const schedule of schedules) arm(schedule, clock.now());
  return {
    stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
