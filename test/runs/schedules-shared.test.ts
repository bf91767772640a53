import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ScheduleConfig } from '../../src/config/schema.js';
import { Queue } from 'bullmq';
import { SCHEDULE_QUEUE, startFleetTrigger } from '../../src/runs/schedules/fleet-trigger.js';
import { connectRedis } from '../../src/store/redis.js';
import type { Firing } from '../../src/runs/schedules/firing.js';
import type { TestApp } from '../helpers/app.js';
import { sharedTestRedis, startReplica } from '../helpers/redis.js';
import { eventually, getJson } from '../orchestrator/support.js';

let redis: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  redis = await sharedTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('schedules in shared mode', () => {
  it('starts one run per fire across two replicas on one Redis (BullMQ job schedulers), never one per replica', async () => {
    const prefix = `sched${Date.now()}:`;
    // Every 2 s instead of every minute, so three fires take seconds (cron-parser reads 6 fields, seconds first).
    const schedules = [{ name: 'tick', cron: '*/2 * * * * *', template: 'research_report', variables: { topic: 'owls' } }];
    // Fire (request id) → the runs it started. A run may start on one replica and resume on the other: same run id.
    const started = new Map<string, Set<string>>();
    const replicas: TestApp[] = [];
    const start = async () => {
      const t = await startReplica(redis.url, prefix, {
        config: (raw) => {
          raw.schedules = schedules;
        },
      });
      t.app.ctx.bus.on('run_started', (e) => {
        if (!e.request_id?.startsWith('schedule:tick:')) return;
        started.set(e.request_id, (started.get(e.request_id) ?? new Set()).add(e.run_id));
      });
      replicas.push(t);
    };
    try {
      await start();
      await start();
      await eventually(async () => (started.size >= 3 ? true : undefined), 30_000);
      const view = await getJson(`${replicas[1]!.url}/schedules`);
      expect(view.schedules).toEqual([
        expect.objectContaining({ name: 'tick', enabled: true, missed_fire: 'skip', next_fire_at: expect.any(String), last_run: expect.objectContaining({ fired_at: expect.any(String) }) }),
      ]);
    } finally {
      for (const t of replicas) await t.close();
    }
    // Every fire started exactly one run, whichever replica took it.
    for (const [fire, runs] of started) expect([...runs], fire).toHaveLength(1);
    const fireTimes = [...started.keys()].map((id) => Number(id.split(':').pop()));
    expect(fireTimes.every((ms) => ms % 2000 === 0)).toBe(true);
    expect(new Set(fireTimes).size).toBe(fireTimes.length);
  });

  it('starts a replica whose scheduler upsert lands on a slot another replica\'s worker has just taken (BullMQ "job ID already exists")', async () => {
    // Replicas start together on a redeploy. BullMQ computes an upsert's next slot in the client and runs its
    // Lua script later; if another replica's worker took that slot's job meanwhile (active, its next iteration
    // not yet added), BullMQ refuses the upsert. That state is made exactly here on a real Redis: the slot's
    // job moved from delayed to active as a worker's moveToActive does, and this replica's clock (Date only)
    // before the slot.
    const prefix = `schedrace${Date.now()}`;
    const schedule = { name: 'nightly', cron: '0 3 * * *', template: 'research_report', variables: {}, enabled: true, missed_fire: 'skip', timezone: 'UTC' } as unknown as ScheduleConfig;
    const client = await connectRedis(redis.url);
    const queue = new Queue(SCHEDULE_QUEUE, { connection: { url: redis.url }, prefix });
    let replica: { stop(): Promise<void> } | undefined;
    try {
      await queue.upsertJobScheduler(schedule.name, { pattern: schedule.cron, tz: 'UTC' }, { name: 'fire', data: { schedule: schedule.name } });
      const slot = (await queue.getJobScheduler(schedule.name))!.next!;
      const jobId = `repeat:${schedule.name}:${slot}`;
      expect(await client.zrem(`${prefix}:${SCHEDULE_QUEUE}:delayed`, jobId)).toBe(1);
      await client.lpush(`${prefix}:${SCHEDULE_QUEUE}:active`, jobId);
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(slot - 1000);
      const firing: Firing = { fire: async () => undefined, catchUp: async () => undefined };
      replica = await startFleetTrigger({ schedules: [schedule], firing, redisUrl: redis.url, prefix, onError: () => undefined });
      vi.useRealTimers();
      expect((await queue.getJobScheduler(schedule.name))?.key).toBe(schedule.name);
    } finally {
      vi.useRealTimers();
      await replica?.stop();
      await queue.close();
      client.disconnect();
    }
  });
});
