import type Bottleneck from 'bottleneck';
import { lazyRequire } from '../lazy-require.js';

/** Loaded only for the clustered limiter (shared mode). */
const bottleneck = lazyRequire<typeof Bottleneck>('bottleneck');
import type { Redis } from 'ioredis';

/** What the provider limiter needs of bottleneck, local or clustered. */
export interface Scheduler {
  schedule<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Takes a slot now, without a job or a promise, when one is free and nobody is queued; the
   * returned function gives it back (once). Undefined when the caller must `schedule` instead
   * (no free slot, a queue, stopped, or a scheduler that cannot answer synchronously).
   */
  tryEnter?(): (() => void) | undefined;
  stop(): Promise<void>;
}

/**
 * In one process `max_concurrent` is a counting semaphore with a FIFO queue: a free
 * slot runs the job in the same tick. (bottleneck's local store passes every job
 * through two serialising locks that each wait a setTimeout(0): about 4 ms per job
 * and a few hundred jobs per second at most.)
 */
export const localScheduler = (maxConcurrent: number, stoppedError: () => unknown = () => new Error('the limiter is stopped')): Scheduler => {
  let active = 0;
  let stopped = false;
  const queue: Array<{ run: () => void; reject: (err: unknown) => void }> = [];
  let head = 0;
  const next = () => {
    while (active < maxConcurrent && head < queue.length) {
      const job = queue[head]!;
      queue[head++] = undefined as never;
      job.run();
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  };
  return {
    schedule: <T>(fn: () => Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        if (stopped) return reject(stoppedError());
        const run = () => {
          active++;
          fn().then(resolve, reject).finally(() => {
            active--;
            next();
          });
        };
        if (active < maxConcurrent && head === queue.length) run();
        else queue.push({ run, reject });
      }),
    tryEnter: () => {
      if (stopped || active >= maxConcurrent || head !== queue.length) return undefined;
      active++;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        active--;
        next();
      };
    },
    stop: async () => {
      stopped = true;
      for (let i = head; i < queue.length; i++) queue[i]!.reject(stoppedError());
      queue.length = 0;
      head = 0;
    },
  };
};

/** ioredis options from a redis:// URL, for bottleneck (which takes options, not a URL). */
export function parseRedisUrl(url: string): { host: string; port: number; password?: string; username?: string; db?: number } {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
  };
}

/**
 * Bottleneck clustered on Redis, so `max_concurrent` holds for the whole fleet
 * (keyed by provider). Bottleneck keeps its state in Redis and cannot survive
 * that state being lost (a restarted Redis without persistence answers
 * SETTINGS_KEY_NOT_FOUND forever), so the limiter is dropped when the watched
 * connection closes and built again — re-creating its settings — when Redis is
 * ready. In between, `schedule` rejects at once and the caller answers 503.
 */
export function clusteredScheduler(opts: { id: string; maxConcurrent: number; redisUrl: string; watch: Redis }): Scheduler {
  let current: Bottleneck | undefined;
  const create = () => {
    const limiter = new (bottleneck())({
      id: opts.id,
      maxConcurrent: opts.maxConcurrent,
      datastore: 'ioredis',
      clearDatastore: false,
      clientOptions: { ...parseRedisUrl(opts.redisUrl), maxRetriesPerRequest: 1, retryStrategy: () => null },
      // The limiter's Redis keys expire after this long without activity.
      timeout: 15 * 60_000,
    });
    // Failures surface through the scheduled calls; the emitter only needs a listener.
    limiter.on('error', () => undefined);
    current = limiter;
  };
  const drop = () => {
    const old = current as (Bottleneck & { _store?: { heartbeat?: NodeJS.Timeout } }) | undefined;
    current = undefined;
    // Its connections are already closed for good (no retry strategy). bottleneck's
    // disconnect() would reject inside bottleneck with no handler on them, so only
    // its heartbeat timer is stopped and the rest is left to the garbage collector.
    clearInterval(old?._store?.heartbeat);
  };
  let stopped = false;
  const onClose = () => drop();
  const onReady = () => {
    if (!current && !stopped) create();
  };
  opts.watch.on('close', onClose);
  opts.watch.on('ready', onReady);
  if (opts.watch.status === 'ready') create();

  return {
    schedule: (fn) => (current ? current.schedule(fn) : Promise.reject(new Error('is not connected'))),
    stop: async () => {
      stopped = true;
      opts.watch.off('close', onClose);
      opts.watch.off('ready', onReady);
      const old = current;
      current = undefined;
      await old?.stop({ dropWaitingJobs: true }).catch(() => undefined);
      await old?.disconnect(false).catch(() => undefined);
    },
  };
}
