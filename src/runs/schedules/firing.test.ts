import { describe, expect, it } from 'vitest';
import { openScheduleDb } from './schedule-db.js';
import { createFiring, MISSED_AFTER_MS, shouldFire } from './firing.js';
import { createSqliteScheduleState } from './schedule-state.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;
const T = Date.parse('2026-03-02T12:00:00Z');
const schedule = (missed_fire: 'skip' | 'run_once') => ({ name: 's', cron: '0 * * * *', timezone: 'UTC', template: 't', variables: {}, enabled: true, missed_fire });

describe('missed-fire policy', () => {
  it('starts a late fire within a minute whatever the policy, and a later one only with run_once', () => {
    expect(shouldFire('skip', T, T + MISSED_AFTER_MS)).toBe(true);
    expect(shouldFire('skip', T, T + MISSED_AFTER_MS + 1)).toBe(false);
    expect(shouldFire('run_once', T, T + 3_600_000)).toBe(true);
  });

  it('collapses every fire missed while down into one run with run_once, and none with skip', async () => {
    for (const [policy, runs] of [['run_once', 1], ['skip', 0]] as const) {
      const state = createSqliteScheduleState(openScheduleDb(':memory:'));
      await state.init('s', T - 10 * 3_600_000);
      await state.claimFire('s', T - 10 * 3_600_000);
      const started: number[] = [];
      const now = { value: T + 5 * 60_000 };
      const firing = createFiring({ state, clock: { now: () => now.value }, log: silent, startRun: async (_s, fire) => (started.push(fire), `run-${fire}`) });
      await firing.catchUp(schedule(policy));
      await firing.catchUp(schedule(policy));
      expect(started).toEqual(runs ? [T] : []);
      expect((await state.get('s'))?.last_run_id).toBe(runs ? `run-${T}` : null);
    }
  });

  it('starts one run when the same fire arrives twice (two replicas, a retried job)', async () => {
    const state = createSqliteScheduleState(openScheduleDb(':memory:'));
    await state.init('s', T - 1000);
    const started: number[] = [];
    const firing = createFiring({ state, clock: { now: () => T + 10 }, log: silent, startRun: async (_s, fire) => (started.push(fire), 'r') });
    await Promise.all([firing.fire(schedule('skip'), T), firing.fire(schedule('skip'), T), firing.fire(schedule('skip'), T - 3_600_000)]);
    expect(started).toEqual([T]);
  });
});
