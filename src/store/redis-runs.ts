import type { Redis } from 'ioredis';
import { queueOutboxMessages } from './outbox-redis.js';
import { isFinalStatus, type RunResult } from '../orchestrator/workflow/types.js';
import { badEventId } from './event-id.js';
import { LocalWatchers } from './local-watchers.js';
import { isAfterPageCursor } from './page-cursor.js';
import { eventJson, runJson } from './run-json.js';
import { decodeCursor, pageOf, runFilter } from './run-query.js';
import type { StoreLog } from './store-error.js';
import type { RunEventLog, RunSpec, RunStore } from './types.js';

/** Wraps a Redis call so its failure is the API's 503 (see redis.ts). */
export type Guard = <T>(fn: () => Promise<T>) => Promise<T>;

interface RedisRunOptions {
  prefix: string;
  /** Records, specs and event logs expire this long after their last write. */
  runTtlS: number;
  guard: Guard;
  log?: StoreLog;
  /** Where a run's final save writes its webhook messages (the stores' outbox). */
  outbox: { prefix: string; messageTtlS: number };
}

/** Ids read from the listing index per round trip. */
const LIST_BATCH = 200;
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * Run records in Redis: a JSON string per run (`run:<id>`), its spec
 * (`run:<id>:spec`), a sorted set of run ids by start time for GET /runs
 * (`runs:by_start`; members whose record expired are dropped as listings meet
 * them) and a set of unfinished runs (`runs:unfinished`) for resuming.
 */
export function createRedisRunStore(redis: Redis, opts: RedisRunOptions): RunStore {
  const { prefix, runTtlS, guard } = opts;
  const runKey = (id: string) => `${prefix}run:${id}`;
  const specKey = (id: string) => `${prefix}run:${id}:spec`;
  const byStart = `${prefix}runs:by_start`;
  const unfinished = `${prefix}runs:unfinished`;
  const startedMs = (run: RunResult) => {
    const ms = Date.parse(run.started_at);
    return Number.isFinite(ms) ? ms : Date.now();
  };
  const track = (tx: ReturnType<Redis['multi']>, run: RunResult) => {
    if (isFinalStatus(run.status)) tx.srem(unfinished, run.run_id);
    else tx.sadd(unfinished, run.run_id);
  };
  const exec = async (tx: ReturnType<Redis['multi']>) => {
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
  };

  return {
    create: (run, spec) =>
      guard(async () => {
        const tx = redis
          .multi()
          .set(runKey(run.run_id), JSON.stringify(run), 'EX', runTtlS)
          .set(specKey(run.run_id), JSON.stringify(spec), 'EX', runTtlS)
          .zadd(byStart, startedMs(run), run.run_id)
          // The index forgets runs past retention as new ones arrive.
          .zremrangebyscore(byStart, '-inf', `(${Date.now() - runTtlS * 1000}`);
        track(tx, run);
        await exec(tx);
      }),
    save: (run, messages) =>
      guard(async () => {
        const tx = redis.multi().set(runKey(run.run_id), runJson(run), 'EX', runTtlS).zadd(byStart, startedMs(run), run.run_id);
        track(tx, run);
        // One MULTI: the record and its webhook messages commit together.
        if (messages?.length) queueOutboxMessages(tx, opts.outbox.prefix, messages, opts.outbox.messageTtlS);
        await exec(tx);
      }),
    get: (runId) =>
      guard(async () => {
        const raw = await redis.get(runKey(runId));
        return raw ? (JSON.parse(raw) as RunResult) : null;
      }),
    spec: (runId) =>
      guard(async () => {
        const raw = await redis.get(specKey(runId));
        return raw ? (JSON.parse(raw) as RunSpec) : null;
      }),
    unfinished: (limit) =>
      guard(async () => {
        const ids = await redis.srandmember(unfinished, limit);
        if (ids.length === 0) return [];
        const raws = await redis.mget(...ids.map(runKey));
        const live = ids.flatMap((id, i) => (raws[i] ? [{ id, run: JSON.parse(raws[i]) as RunResult }] : []));
        const gone = ids.filter((_, i) => !raws[i]);
        if (gone.length > 0) await redis.srem(unfinished, ...gone);
        return live
          .filter(({ run }) => !isFinalStatus(run.status))
          .sort((a, b) => startedMs(a.run) - startedMs(b.run))
          .map(({ id }) => id);
      }),
    list: (query) =>
      guard(async () => {
        const keep = runFilter(query);
        const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
        const matching: RunResult[] = [];
        let max = cursor ? String(cursor.ms) : '+inf';
        let offset = 0;
        for (;;) {
          const ids = await redis.zrevrangebyscore(byStart, max, '-inf', 'WITHSCORES', 'LIMIT', offset, LIST_BATCH);
          if (ids.length === 0) break;
          const pairs: { id: string; score: number }[] = [];
          for (let i = 0; i < ids.length; i += 2) pairs.push({ id: ids[i]!, score: Number(ids[i + 1]) });
          const candidates = pairs.filter((p) => !cursor || isAfterPageCursor(p.score, p.id, cursor));
          if (candidates.length > 0) {
            const raws = await redis.mget(...candidates.map((p) => runKey(p.id)));
            const gone = candidates.filter((_, i) => !raws[i]).map((p) => p.id);
            if (gone.length > 0) await redis.zrem(byStart, ...gone);
            for (const raw of raws) {
              if (!raw) continue;
              const run = JSON.parse(raw) as RunResult;
              if (keep(run)) matching.push(run);
            }
          }
          if (matching.length > query.limit || pairs.length < LIST_BATCH) break;
          // Continue below the last score seen; ties at that score are re-read and filtered by id.
          const last = pairs.at(-1)!;
          if (String(last.score) === max) offset += pairs.length;
          else {
            max = String(last.score);
            offset = pairs.filter((p) => p.score === last.score).length;
          }
        }
        return pageOf(matching, query.limit);
      }),
    // Records, specs and logs expire through their TTL.
    deleteStartedBefore: async () => 0,
  };
}

/**
 * Each run's event log as a Redis stream (`run:<id>:events`, ids are stream
 * ids). Every append also publishes on `run-events:<id>`, so a replica serving
 * GET /runs/{id}/events learns of events another replica appended.
 */
export function createRedisEventLog(redis: Redis, opts: RedisRunOptions): { log: RunEventLog; close(): void } {
  const { prefix, runTtlS, guard } = opts;
  const streamKey = (id: string) => `${prefix}run:${id}:events`;
  const channel = (id: string) => `${prefix}run-events:${id}`;
  const watchers = new LocalWatchers();
  const counts = new Map<string, number>();
  let subscriber: Redis | undefined;
  const subscriberOf = (): Redis => {
    if (subscriber) return subscriber;
    const sub = redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
    sub.on('error', (err: Error) => opts.log?.error({ err: { message: err.message } }, 'redis event subscriber error'));
    sub.on('message', (ch: string) => watchers.notify(ch.slice(`${prefix}run-events:`.length)));
    return (subscriber = sub);
  };

  const log: RunEventLog = {
    append: (runId, event, data) =>
      guard(async () => {
        const results = await redis
          .multi()
          .xadd(streamKey(runId), '*', 'event', event, 'data', eventJson(event, data))
          .expire(streamKey(runId), runTtlS)
          .publish(channel(runId), '1')
          .exec();
        const failed = results?.find(([err]) => err);
        if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
        return results[0]![1] as string;
      }),
    read: (runId, afterId, limit) => {
      if (afterId !== null && !STREAM_ID.test(afterId)) return Promise.reject(badEventId(afterId));
      return guard(async () => {
        const entries = await redis.xrange(streamKey(runId), afterId === null ? '-' : `(${afterId}`, '+', 'COUNT', limit);
        return entries.map(([id, fields]) => {
          const get = (name: string) => fields[fields.indexOf(name) + 1] ?? '';
          return { id, event: get('event'), data: JSON.parse(get('data') || '{}') as object };
        });
      });
    },
    watch: (runId, onAppend) => {
      const stop = watchers.watch(runId, onAppend);
      const n = counts.get(runId) ?? 0;
      counts.set(runId, n + 1);
      // Once subscribed, wake the watchers: anything appended while the subscription was on its way is read then.
      if (n === 0) {
        void subscriberOf()
          .subscribe(channel(runId))
          .then(
            () => watchers.notify(runId),
            () => undefined,
          );
      }
      return () => {
        stop();
        const left = (counts.get(runId) ?? 1) - 1;
        if (left > 0) return void counts.set(runId, left);
        counts.delete(runId);
        void subscriber?.unsubscribe(channel(runId)).catch(() => undefined);
      };
    },
  };
  return { log, close: () => subscriber?.disconnect() };
}
