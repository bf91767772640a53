import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../clock.js';
import type { ScheduleConfig } from '../../config/schema.js';
import { previousFire } from './cron.js';
import type { ScheduleStateStore } from './schedule-state.js';

/**
 * A fire started up to this long after its time is late, not missed (a restart,
 * a deploy, a busy queue); past it, the schedule's `missed_fire` policy decides.
 */
export const MISSED_AFTER_MS = 60_000;

/** Whether a fire whose time was `fire_ms` starts a run now (`now_ms`). */
export function shouldFire(policy: ScheduleConfig['missed_fire'], fire_ms: number, now_ms: number): boolean {
  return now_ms - fire_ms <= MISSED_AFTER_MS || policy === 'run_once';
}

/** Starts the run of one fire; resolves with its run id once it is known (the run itself goes on). */
export type StartRun = (schedule: ScheduleConfig, fire_ms: number) => Promise<string | null>;

export interface Firing {
  /** A fire arrived (timer or queue job): start its run if the policy allows and no one started it yet. */
  fire(schedule: ScheduleConfig, fire_ms: number): Promise<void>;
  /**
   * At startup: if fires passed since the last one recorded (or since the schedule
   * was first seen), start one run for the latest of them — when it is not yet
   * missed, or the policy is `run_once`. Older missed fires collapse into that one.
   */
  catchUp(schedule: ScheduleConfig): Promise<void>;
}

export function createFiring(deps: { state: ScheduleStateStore; startRun: StartRun; clock: Clock; log: FastifyBaseLogger }): Firing {
  const { state, clock, log } = deps;

  async function fire(schedule: ScheduleConfig, fire_ms: number): Promise<void> {
    const now = clock.now();
    if (!shouldFire(schedule.missed_fire, fire_ms, now)) {
      log.info({ schedule: schedule.name, fire_at: new Date(fire_ms).toISOString() }, 'schedule fire missed; skipped (missed_fire: skip)');
      return;
    }
    // The fleet-wide once: of every replica and restart that tries this fire, one wins.
    if (!(await state.claimFire(schedule.name, fire_ms))) return;
    const runId = await deps.startRun(schedule, fire_ms);
    if (runId) await state.setLastRun(schedule.name, fire_ms, runId);
  }

  return {
    fire,
    async catchUp(schedule) {
      const now = clock.now();
      const known = await state.init(schedule.name, now);
      const since = known.last_fire_ms ?? known.seen_ms;
      const latest = previousFire(schedule.cron, schedule.timezone, now);
      if (latest === null || latest <= since) return;
      log.info(
        { schedule: schedule.name, since: new Date(since).toISOString(), latest: new Date(latest).toISOString(), missed_fire: schedule.missed_fire },
        'schedule fires passed while no replica ran them',
      );
      await fire(schedule, latest);
    },
  };
}
