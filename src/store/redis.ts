import type { Redis } from 'ioredis';
import { lazyRequire } from '../lazy-require.js';

/** Loaded only in shared mode (a Redis URL is configured). */
const ioredis = lazyRequire<typeof import('ioredis')>('ioredis');
import { AppError } from '../errors.js';
import { createRedisControlStore } from './control-redis.js';
import { createRedisDriftStore } from './drift-redis.js';
import { latestStamp, type StoreOptions } from './driver-options.js';
import type { StoreLog } from './store-error.js';
import { createRedisEventLog, createRedisRunStore } from './redis-runs.js';
import { isAfterPageCursor } from './page-cursor.js';
import { decodeSessionCursor, sessionPageOf } from './session-query.js';
import { createRedisOutbox } from './outbox-redis.js';
import type { Session, SessionStore, SessionSummary, Stores, Turn } from './types.js';

/** Options of the Redis stores: retention becomes key TTLs, so Redis itself expires idle sessions and old runs. */
export interface RedisStoreOptions extends StoreOptions {
  sessionTtlS: number;
  runTtlS: number;
  log?: StoreLog;
  /** Key prefix, so several deployments can share one Redis. */
  prefix?: string;
  /** How long an outbox message lives (seconds): past `webhooks.max_age_h`, so it outlives its retries. Default 48 h. */
  webhookTtlS?: number;
}

/**
 * A Redis connection that fails fast while Redis is away (no offline queue, so a
 * request gets a clear 503 instead of hanging) and reconnects on its own.
 */
export async function connectRedis(url: string, log?: StoreLog): Promise<Redis> {
  const redis = new (ioredis().Redis)(url, {
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
  /** GET /sessions' index: session ids scored by their latest turn (epoch ms). Expired sessions leave it lazily. */
  const index = `${prefix}sessions`;
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
        // GT: a racing append with an older stamp never moves the session back; ids idle past the TTL are gone from Redis, so they leave the index.
        const ms = Date.parse(stamp);
        tx.zadd(index, 'GT', ms, sessionId).zremrangebyscore(index, '-inf', `(${ms - opts.sessionTtlS * 1000}`);
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

    delete: (sessionId) =>
      guarded(async () => {
        const [[, removed]] = (await redis.multi().del(meta(sessionId), turnsKey(sessionId)).zrem(index, sessionId).exec()) as [[Error | null, number]];
        return removed > 0;
      }, opts.log),

    list: (query) =>
      guarded(async () => {
        const cursor = query.cursor === undefined ? undefined : decodeSessionCursor(query.cursor);
        const found: SessionSummary[] = [];
        const batch = Math.max(query.limit + 1, 20);
        // Reads the index newest first in batches until a page (plus one, for the cursor) of live sessions is found.
        for (let offset = 0; found.length <= query.limit; ) {
          const flat = await redis.zrevrangebyscore(index, cursor ? cursor.ms : '+inf', '-inf', 'WITHSCORES', 'LIMIT', offset, batch);
          if (flat.length === 0) break;
          const ids: string[] = [];
          for (let i = 0; i < flat.length; i += 2) {
            if (!cursor || isAfterPageCursor(Number(flat[i + 1]), flat[i]!, cursor)) ids.push(flat[i]!);
          }
          const tx = redis.multi();
          for (const id of ids) tx.hgetall(meta(id)).llen(turnsKey(id));
          const replies = ((await tx.exec()) ?? []) as [Error | null, unknown][];
          const gone: string[] = [];
          ids.forEach((id, i) => {
            const fields = replies[2 * i]?.[1] as Record<string, string> | undefined;
            if (!fields?.created_at) return void gone.push(id);
            found.push({
              session_id: id,
              created_at: fields.created_at,
              updated_at: fields.updated_at ?? fields.created_at,
              cost_usd: Number(fields.cost_usd ?? 0),
              turns: Number(replies[2 * i + 1]?.[1] ?? 0),
            });
          });
          // Expired by their TTL: drop them from the index as they are met.
          if (gone.length > 0) await redis.zrem(index, ...gone);
          if (flat.length < 2 * batch) break;
          offset += batch - gone.length;
        }
        return sessionPageOf(found, query.limit);
      }, opts.log),

    // Redis expires idle sessions through their TTL, refreshed on every append.
    deleteIdleSince: async () => 0,
  };

  const outboxOptions = { prefix, messageTtlS: opts.webhookTtlS ?? 48 * 3600, attemptsTtlS: opts.runTtlS };
  const runOptions = { prefix, runTtlS: opts.runTtlS, outbox: outboxOptions, log: opts.log, guard: <T>(fn: () => Promise<T>) => guarded(fn, opts.log) };
  const runs = createRedisRunStore(redis, runOptions);
  const events = createRedisEventLog(redis, runOptions);

  return {
    sessions,
    runs,
    events: events.log,
    control: createRedisControlStore(redis, { prefix, log: opts.log }),
    outbox: createRedisOutbox(redis, outboxOptions),
    drift: createRedisDriftStore(redis, { prefix, log: opts.log }),
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
