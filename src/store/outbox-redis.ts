import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { DeliveryAttempt, LeasedMessage, Outbox, OutboxMessage } from './outbox-types.js';

/** Options of the Redis outbox. */
export interface RedisOutboxOptions {
  /** Key prefix shared with the other Redis state (default 'mo:'). */
  prefix?: string;
  /** How long a message key lives (seconds): past `webhooks.max_age_h`, so it outlives its retries. */
  messageTtlS: number;
  /** How long a run's attempt list lives (seconds): the run record's retention. */
  attemptsTtlS: number;
}

const ENQUEUE = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'm', ARGV[2], 'state', 'pending', 'attempts', 0)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1`;

// Leasing moves the message's score to the lease's end: no other claim sees it until then.
const CLAIM = `local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for i, id in ipairs(ids) do
  local key = ARGV[5] .. id
  local m = redis.call('HMGET', key, 'm', 'state', 'attempts')
  if m[1] and m[2] == 'pending' then
    local token = ARGV[4] .. ':' .. i
    redis.call('HSET', key, 'lease', token)
    redis.call('ZADD', KEYS[1], ARGV[3], id)
    table.insert(out, m[1])
    table.insert(out, m[3])
    table.insert(out, token)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out`;

const SETTLE = `if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then return 0 end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HDEL', KEYS[1], 'lease')
redis.call('HSET', KEYS[1], 'state', ARGV[2])
if ARGV[2] == 'pending' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) else redis.call('ZREM', KEYS[2], ARGV[4]) end
redis.call('RPUSH', KEYS[3], ARGV[5])
redis.call('EXPIRE', KEYS[3], ARGV[6])
return 1`;

/** The outbox's keys under a deployment's prefix. */
const keysOf = (prefix = 'mo:') => ({ due: `${prefix}webhook:due`, msg: `${prefix}webhook:msg:` });

/**
 * Queues the commands that enqueue `messages` (each one Lua call, a no-op for a
 * message already there) on `tx`: a MULTI that also saves a run's final record
 * commits both together (the transactional outbox).
 */
export function queueOutboxMessages(tx: ChainableCommander, prefix: string | undefined, messages: readonly OutboxMessage[], messageTtlS: number): void {
  const keys = keysOf(prefix);
  for (const m of messages) tx.eval(ENQUEUE, 2, keys.msg + m.id, keys.due, m.id, JSON.stringify(m), m.created_ms, messageTtlS);
}

/**
 * The outbox in Redis, shared by every replica: a hash per message, one sorted
 * set of due times, and a list of attempts per run. Each operation is one Lua
 * script, so claims by two replicas never overlap and only the lease holder
 * can settle. Retention is key TTLs.
 */
export function createRedisOutbox(redis: Redis, opts: RedisOutboxOptions): Outbox {
  const prefix = `${opts.prefix ?? 'mo:'}webhook:`;
  const { due: dueKey, msg: msgPrefix } = keysOf(opts.prefix);
  const attemptsKey = (runId: string) => `${prefix}attempts:${runId}`;

  return {
    async enqueue(messages) {
      if (messages.length === 0) return;
      const tx = redis.multi();
      queueOutboxMessages(tx, opts.prefix, messages, opts.messageTtlS);
      const results = await tx.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
    },
    async claim(now, limit, leaseMs) {
      const flat = (await redis.eval(CLAIM, 1, dueKey, now, limit, now + leaseMs, randomUUID(), msgPrefix)) as string[];
      const out: LeasedMessage[] = [];
      for (let i = 0; i + 2 < flat.length; i += 3) {
        out.push({ ...(JSON.parse(flat[i]!) as OutboxMessage), attempts: Number(flat[i + 1]), lease: flat[i + 2]! });
      }
      return out;
    },
    async settle(m, attempt, next) {
      const state = next.kind === 'retry' ? 'pending' : next.kind;
      const done = await redis.eval(
        SETTLE,
        3,
        msgPrefix + m.id,
        dueKey,
        attemptsKey(m.run_id),
        m.lease,
        state,
        next.kind === 'retry' ? next.at_ms : 0,
        m.id,
        JSON.stringify(attempt),
        opts.attemptsTtlS,
      );
      return done === 1;
    },
    async attempts(runId) {
      return (await redis.lrange(attemptsKey(runId), 0, -1)).map((raw) => JSON.parse(raw) as DeliveryAttempt);
    },
    async nextDue() {
      const [, score] = await redis.zrange(dueKey, '0', '0', 'WITHSCORES');
      return score === undefined ? null : Number(score);
    },
    // Messages and attempt lists expire through their TTLs.
    prune: async () => 0,
  };
}
