import { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { createRedisControlStore } from './control-redis.js';
import { latestStamp, type StoreOptions } from './driver-options.js';
import type { StoreLog } from './store-error.js';
import { createRedisEventLog, createRedisRunStore } from './redis-runs.js';
import type { Session, SessionStore, Stores, Turn } from './types.js';

/** Options of the Redis stores: retention becomes key TTLs, so Redis itself expires idle sessions and old runs. */
export interface RedisStoreOptions extends StoreOptions {
  sessionTtlS: number;
  runTtlS: number;
  log?: StoreLog;
  /** Key prefix, so several deployments can share one Redis. */
  prefix?: string;
}

/**
 * A Redis connection that fails fast while Redis is away (no offline queue, so a
 * request gets a clear 503 instead of hanging) and reconnects on its own.
 */
export async function connectRedis(url: string, log?: StoreLog): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    lazyConnect: true,
  });
  // ioredis reports every failed reconnect; log the first of each outage only.
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) log?.error({ err: { message: err.message } }, 'redis connection lost; reconnecting');
    down = true;
  });
  redis.on('ready', () => {
    down = false;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
  return redis;
}

/** A Redis URL without its password, for messages. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^@/]*)@/, '//[redacted]@');

const LATEST_STAMP = `local c = redis.call('HGET', KEYS[1], 'updated_at')
if (not c) or c < ARGV[1] then redis.call('HSET', KEYS[1], 'updated_at', ARGV[1]) end
return 1`;

/** Any Redis failure is the API's 503: the caller may retry, and the server recovers when Redis returns. */
export async function guarded<T>(fn: () => Promise<T>, log?: StoreLog): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) throw err;
    log?.error({ err: { message: (err as Error)?.message } }, 'redis unavailable');
    throw new AppError('overloaded', `shared store unavailable: redis ${(err as Error)?.message ?? 'error'}`, [], 2);
  }
}

/**
 * Sessions and runs in Redis, shared by every replica. A session is a hash
 * (stamps, cost) plus a list of turns; `appendTurns` is one MULTI, so a user
 * turn and its answer land together and adjacent even under concurrency.
 */
export function createRedisStores(redis: Redis, opts: RedisStoreOptions): Stores {
  const prefix = opts.prefix ?? 'mo:';
  const meta = (id: string) => `${prefix}session:${id}`;
  const turnsKey = (id: string) => `${prefix}session:${id}:turns`;
  const now = () => new Date((opts.clock?.now() ?? Date.now())).toISOString();

  const sessions: SessionStore = {
    appendTurns: (sessionId, turns) =>
      guarded(async () => {
        const stamp = latestStamp(null, turns, now());
        const cost = turns.reduce((sum, t) => sum + t.cost_usd, 0);
        const tx = redis
          .multi()
          .hsetnx(meta(sessionId), 'created_at', turns[0]?.created_at ?? stamp)
          // Never move back in time when appends race (ISO stamps compare as strings).
          .eval(LATEST_STAMP, 1, meta(sessionId), stamp)
          .hincrbyfloat(meta(sessionId), 'cost_usd', cost);
        if (turns.length > 0) tx.rpush(turnsKey(sessionId), ...turns.map((t) => JSON.stringify(t)));
        if (opts.maxStoredTurns) tx.ltrim(turnsKey(sessionId), -opts.maxStoredTurns, -1);
        tx.expire(meta(sessionId), opts.sessionTtlS).expire(turnsKey(sessionId), opts.sessionTtlS);
        const results = await tx.exec();
        const failed = results?.find(([err]) => err);
        if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
      }, opts.log),

    get: (sessionId) =>
      guarded(async () => {
        const [[, fields], [, raw]] = (await redis.multi().hgetall(meta(sessionId)).lrange(turnsKey(sessionId), 0, -1).exec()) as [
          [Error | null, Record<string, string>],
          [Error | null, string[]],
        ];
        if (!fields || !fields.created_at) return null;
        const session: Session = {
          session_id: sessionId,
          created_at: fields.created_at,
          updated_at: fields.updated_at ?? fields.created_at,
          cost_usd: Number(fields.cost_usd ?? 0),
          turns: raw.map((t) => JSON.parse(t) as Turn),
        };
        return session;
      }, opts.log),

    recentTurns: (sessionId, limit) =>
      guarded(async () => (await redis.lrange(turnsKey(sessionId), -limit, -1)).map((t) => JSON.parse(t) as Turn), opts.log),

    delete: (sessionId) => guarded(async () => (await redis.del(meta(sessionId), turnsKey(sessionId))) > 0, opts.log),

    // Redis expires idle sessions through their TTL, refreshed on every append.
    deleteIdleSince: async () => 0,
  };

  const runOptions = { prefix, runTtlS: opts.runTtlS, log: opts.log, guard: <T>(fn: () => Promise<T>) => guarded(fn, opts.log) };
  const runs = createRedisRunStore(redis, runOptions);
  const events = createRedisEventLog(redis, runOptions);

  return {
    sessions,
    runs,
    events: events.log,
    control: createRedisControlStore(redis, { prefix, log: opts.log }),
    health: async () => {
      try {
        await redis.ping();
        return { status: 'ok', driver: 'redis' };
      } catch (err) {
        return { status: 'error', driver: 'redis', message: `redis unreachable: ${(err as Error).message}` };
      }
    },
    close: async () => {
      events.close();
      redis.disconnect();
    },
  };
}
