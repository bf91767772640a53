import type { Job } from 'bullmq';
import { sleep } from '../../clock.js';
import { lazyRequire } from '../../lazy-require.js';

/** Loaded only when schedules run on a fleet (shared mode). */
const bullmq = lazyRequire<typeof import('bullmq')>('bullmq');
import type { ScheduleConfig } from '../../config/schema.js';
import type { Firing } from './firing.js';

/** The BullMQ queue whose job schedulers produce the fires. */
export const SCHEDULE_QUEUE = 'schedules';

interface FireJob {
  schedule: string;
}

/** The fire time of a scheduler's job: BullMQ stores it as `prevMillis` (and in the job id `repeat:<id>:<ms>`). */
export function fireTimeOf(job: Pick<Job, 'id' | 'opts' | 'timestamp'>): number {
  const prev = (job.opts as { prevMillis?: number }).prevMillis;
  if (typeof prev === 'number' && Number.isFinite(prev)) return prev;
  const fromId = Number(job.id?.split(':').pop());
  return Number.isFinite(fromId) ? fromId : job.timestamp;
}

/** BullMQ's refusals when the iteration job of the slot an upsert computed already exists (error codes -10 and -11). */
const ITERATION_EXISTS = /Cannot create job scheduler iteration/;

/**
 * Upserts one schedule's job scheduler. Replicas of one deployment start together on a redeploy and
 * each upserts the same scheduler: BullMQ computes the next slot in the client and then refuses, with
 * "Cannot create job scheduler iteration - job ID already exists", when that slot's job was meanwhile
 * added or already taken by another replica's worker (a slow Lua call under load crosses a slot
 * boundary). The scheduler and its next fire are then in place, which is what the upsert was for:
 * retried (to apply a changed definition on a later slot) and, if the slot is still taken, accepted
 * when the scheduler exists. Any other error, or no scheduler at all, is thrown.
 */
async function upsertScheduler(queue: import('bullmq').Queue<FireJob>, s: ScheduleConfig, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await queue.upsertJobScheduler(
        s.name,
        { pattern: s.cron, tz: s.timezone },
        { name: 'fire', data: { schedule: s.name }, opts: { removeOnComplete: 100, removeOnFail: 100, attempts: 3, backoff: { type: 'exponential', delay: 1000 } } },
      );
      return;
    } catch (err) {
      if (!ITERATION_EXISTS.test(err instanceof Error ? err.message : String(err))) throw err;
      if (attempt >= attempts) {
        if (await queue.getJobScheduler(s.name)) return;
        throw err;
      }
      await sleep(100 * attempt);
    }
  }
}

/**
 * Shared-mode trigger: each enabled schedule is a BullMQ job scheduler
 * (`upsertJobScheduler`, idempotent, so every replica may upsert it at start),
 * which keeps exactly one next job per schedule in Redis; whichever replica's
 * worker takes a job fires it. Schedules no longer enabled are removed.
 * `Firing.fire` claims the fire in Redis as well, so a job retried after a
 * stalled worker still starts one run.
 */
export async function startFleetTrigger(opts: {
  schedules: ScheduleConfig[];
  firing: Firing;
  redisUrl: string;
  /** BullMQ key prefix (the deployment's Redis prefix + 'bull'). */
  prefix: string;
  onError: (err: unknown, schedule: string) => void;
}): Promise<{ stop(): Promise<void> }> {
  const enabled = new Map(opts.schedules.filter((s) => s.enabled).map((s) => [s.name, s]));
  const { Queue, Worker } = bullmq();
  const queue = new Queue<FireJob>(SCHEDULE_QUEUE, { connection: { url: opts.redisUrl }, prefix: opts.prefix });
  try {
    for (const s of enabled.values()) await upsertScheduler(queue, s);
    for (const existing of await queue.getJobSchedulers()) {
      const id = existing.key;
      if (id && !enabled.has(id)) await queue.removeJobScheduler(id);
    }
  } catch (err) {
    await queue.close();
    throw err;
  }
  const worker = new Worker<FireJob>(
    SCHEDULE_QUEUE,
    async (job) => {
      const schedule = enabled.get(job.data.schedule);
      if (!schedule) return;
      try {
        await opts.firing.fire(schedule, fireTimeOf(job));
      } catch (err) {
        opts.onError(err, schedule.name);
        throw err;
      }
    },
    { connection: { url: opts.redisUrl, maxRetriesPerRequest: null }, prefix: opts.prefix, concurrency: 4 },
  );
  worker.on('error', (err) => opts.onError(err, '*'));
  return {
    async stop() {
      await worker.close();
      await queue.close();
    },
  };
}
