import { isFinalStatus } from '../orchestrator/workflow/types.js';
import type { Job, Worker } from 'bullmq';
import { lazyRequire } from '../lazy-require.js';
import type { Redis } from 'ioredis';
import { settledWithin } from '../clock.js';
import { AppError, shuttingDown } from '../errors.js';
import { abortAtDeadline, cancelCauseOf } from '../orchestrator/cancellation.js';
import type { VersionedDeps } from '../orchestrator/orchestrator.js';
import type { RunEngine, RunEngineDeps } from './engine.js';
import { ActiveRuns } from './active-runs.js';
import { followRun } from './follow-run.js';
import { prepareRun } from './prepare.js';
import { RunRetries } from './run-retries.js';
import { concludeUnstarted, runTry, type RunTryDeps } from './run-try.js';
import { stallTimings } from './stall-timings.js';

/** Loaded only in shared mode: a single node never needs BullMQ (nor the ioredis it brings). */
const bullmq = lazyRequire<typeof import('bullmq')>('bullmq');

/** Where the fleet meets: the Redis of shared mode. */
export interface SharedRunsOptions {
  /** For BullMQ's own connections (a worker needs a blocking one). */
  redisUrl: string;
  /** The shared connection (cancel requests are published on it). */
  redis: Redis;
  /** Key prefix of this deployment (the stores' and the limiters'). */
  prefix: string;
}

const QUEUE = 'runs';
/** How long closing BullMQ's connections may take once no run is active here. */
const CLOSE_WAIT_MS = 2000;
const WAITING_STATES = new Set(['waiting', 'prioritized', 'delayed', 'waiting-children']);

/**
 * Shared mode: runs are BullMQ jobs (job id = run id, so a run is queued once),
 * and any replica's worker may take any of them. The queue's global concurrency
 * holds limits.max_concurrent_workflows for the whole fleet and admission
 * refuses a run when the fleet's waiting jobs reach limits.queue_depth. A
 * replica that dies loses its job lock; BullMQ's stalled-job check gives the
 * job to another worker, which resumes from the committed tasks — within
 * limits.run_stall_s (lock duration and check interval from stallTimings).
 * Cancellation reaches the replica holding a run through Redis pub/sub.
 */
export function createSharedRunEngine(deps: RunEngineDeps, current: () => VersionedDeps, shared: SharedRunsOptions): RunEngine {
  const { config, clock, log, stores } = deps;
  /** A run's collaborators under the active config version (or the submitter's). */
  const tryDeps: RunTryDeps = { ...deps, retries: new RunRetries(deps.bus) };
  const versionedTry = (version: VersionedDeps = current()): RunTryDeps & VersionedDeps => ({ ...tryDeps, ...version });
  const connection = { url: shared.redisUrl, maxRetriesPerRequest: null };
  const bullPrefix = `${shared.prefix}bull`;
  const cancelChannel = `${shared.prefix}run-cancel`;
  const stallMs = Math.max(1000, Math.round(config.limits.run_stall_s * 1000));
  const { Queue } = bullmq();
  const queue = new Queue(QUEUE, { connection, prefix: bullPrefix });
  queue.on('error', (err) => log.error({ err: { message: err.message } }, 'run queue error'));
  const active = new ActiveRuns();
  let worker: Worker | undefined;
  let subscriber: Redis | undefined;
  let draining = false;
  let shutdownPromise: Promise<void> | undefined;

  /** Hands the job back to the queue for any replica: the run stays queued with what it committed. */
  const handBack = async (job: Job, token: string | undefined): Promise<never> => {
    await job.moveToWait(token);
    throw new (bullmq().WaitingError)();
  };

  async function processJob(job: Job, token?: string): Promise<void> {
    const runId = String(job.id);
    const [record, spec] = await Promise.all([stores.runs.get(runId), stores.runs.spec(runId)]);
    if (!record || !spec || isFinalStatus(record.status)) return;
    if (draining) return handBack(job, token);
    const version = versionedTry();
    if (record.status === 'running' || record.tasks.some((t) => t.attempts.length > 0)) {
      // A resumed run continues under the active config version.
      record.resumed += 1;
      record.config_version = version.config_version;
      await stores.events.append(runId, 'run_resumed', { run_id: runId, request_id: spec.request_id, replica: deps.replica, resumed: record.resumed });
      log.info({ run_id: runId, resumed: record.resumed }, 'resuming run');
    }
    const controller = new AbortController();
    // The run's budget is its controller's: at the deadline it aborts with a deadline cause.
    const stopDeadline = abortAtDeadline(controller, spec.deadline, () => clock.now());
    let settle!: () => void;
    active.set(runId, { controller, record, done: new Promise<void>((resolve) => (settle = resolve)) });
    try {
      const run = await runTry(version, record, spec, {
        signal: controller.signal,
        shouldYield: () => draining,
        // A streaming caller on some replica follows the log: the final step streams into it.
        onToken: spec.stream ? () => undefined : undefined,
      });
      if (run.status === 'queued') await handBack(job, token);
    } finally {
      stopDeadline();
      active.delete(runId);
      settle();
    }
  }

  const engine: RunEngine = {
    async submit(req, opts = {}) {
      if (draining) throw shuttingDown();
      const { record, spec } = prepareRun(versionedTry(opts.version), req, opts);
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
      const waiting = Object.values(counts).reduce((sum, n) => sum + n, 0);
      if (waiting >= config.limits.queue_depth) throw new AppError('overloaded', 'workflow queue is full', [], 1);
      // Durable before any model call, then queued once (the job id is the run id).
      await stores.runs.create(record, spec);
      await stores.events.append(record.run_id, 'run_queued', { run_id: record.run_id, request_id: req.request_id, workflow: record.workflow });
      await queue.add('run', { run_id: record.run_id }, { jobId: record.run_id, removeOnComplete: true, removeOnFail: 1000 });
      const caller = opts.signal;
      const onCallerAbort = () => {
        const cause = caller ? cancelCauseOf(caller) : null;
        if (cause === 'client_closed' || cause === 'cancelled') void engine.cancel(record.run_id, 'client').catch(() => undefined);
      };
      caller?.addEventListener('abort', onCallerAbort, { once: true });
      const done = followRun(stores.events, record.run_id, { emit: opts.emit, onToken: opts.onToken, signal: caller }).finally(() =>
        caller?.removeEventListener('abort', onCallerAbort),
      );
      if (caller?.aborted) onCallerAbort();
      return { run_id: record.run_id, done };
    },

    async cancel(runId, by) {
      const here = active.abort(runId, by);
      if (here) {
        await here.done;
        return stores.runs.get(runId);
      }
      const record = await stores.runs.get(runId);
      if (!record) return null;
      if (isFinalStatus(record.status)) return record;
      const job = await queue.getJob(runId);
      const state = job ? await job.getState() : 'unknown';
      if (!job || WAITING_STATES.has(state)) {
        // Not running anywhere: take it off the queue and end it here.
        const removed = job ? await job.remove().then(() => true, () => false) : true;
        if (removed) {
          record.cancelled_by = by;
          return concludeUnstarted(tryDeps, record, 'cancelled', 'The run was cancelled while waiting in the queue.');
        }
      }
      // Running on another replica: ask the fleet; the holder aborts it and the log says when it ended.
      await shared.redis.publish(cancelChannel, JSON.stringify({ run_id: runId, by }));
      const timeout = AbortSignal.timeout(Math.max(5000, stallMs * 2));
      await followRun(stores.events, runId, { signal: timeout }).catch(() => undefined);
      return stores.runs.get(runId);
    },

    async start() {
      await queue.setGlobalConcurrency(config.limits.max_concurrent_workflows);
      subscriber = shared.redis.duplicate({ enableOfflineQueue: true });
      subscriber.on('error', (err: Error) => log.error({ err: { message: err.message } }, 'run cancel subscriber error'));
      subscriber.on('message', (_channel: string, message: string) => {
        try {
          const { run_id, by } = JSON.parse(message) as { run_id: string; by: string };
          active.abort(run_id, by);
        } catch {
          // not a cancel request of ours
        }
      });
      await subscriber.subscribe(cancelChannel);
      worker = new (bullmq().Worker)(QUEUE, processJob, {
        connection,
        prefix: bullPrefix,
        concurrency: config.limits.max_concurrent_workflows,
        // Requeued within run_stall_s even in the worst case (stall-timings.ts has the arithmetic).
        ...stallTimings(stallMs),
        // A run may outlive several replicas: never fail it for stalling.
        maxStalledCount: Number.MAX_SAFE_INTEGER,
      });
      worker.on('error', (err) => log.error({ err: { message: err.message } }, 'run worker error'));
      worker.on('failed', (job, err) => log.error({ err: { message: err.message }, run_id: job?.id }, 'run job failed'));
      // A run accepted just before a crash may have missed its job: queue it (idempotent by id).
      for (const id of await stores.runs.unfinished(config.limits.queue_depth)) {
        await queue.add('run', { run_id: id }, { jobId: id, removeOnComplete: true, removeOnFail: 1000 }).catch(() => undefined);
      }
    },

    counts: () => ({ running: active.size, queued: 0 }),

    shutdown(graceMs) {
      shutdownPromise ??= (async () => {
        draining = true;
        // Stops fetching jobs; runs in progress hand themselves back at their next task boundary.
        const closing = worker ? worker.close() : Promise.resolve();
        await active.drain(graceMs, log);
        // Nothing runs here any more: closing BullMQ's connections must not hold the exit (seen after a Redis outage).
        if (!(await settledWithin(closing, CLOSE_WAIT_MS))) {
          log.warn('the run worker did not close in time; forcing it');
          void worker?.close(true).catch(() => undefined);
        }
        await settledWithin(queue.close(), CLOSE_WAIT_MS).catch(() => undefined);
        subscriber?.disconnect();
      })();
      return shutdownPromise;
    },
  };
  return engine;
}
