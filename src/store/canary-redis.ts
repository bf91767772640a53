import type { Redis } from 'ioredis';
import { emptyArm, LATENCY_SAMPLES, type ArmSamples, type CanaryDecision, type CanaryState, type CanaryStore } from './canary-store.js';
import { guarded } from './redis.js';
import type { StoreLog } from './store-error.js';

/** Experiments' keys expire a month after their last write. */
const TTL_S = 30 * 86_400;

const INIT = `if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'status', 'running', 'step', 0, 'step_started_ms', ARGV[1], 'step_calls', 0, 'started_ms', ARGV[1])
end`;

const RECORD = `${INIT}
redis.call('HINCRBY', KEYS[2], 'calls', 1)
if ARGV[2] == '1' then
  redis.call('HINCRBY', KEYS[2], 'errors', 1)
else
  redis.call('HINCRBY', KEYS[2], 'successes', 1)
  redis.call('HINCRBY', KEYS[2], 'cost_nano', ARGV[4])
end
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('LTRIM', KEYS[3], -${LATENCY_SAMPLES}, -1)
redis.call('SADD', KEYS[4], ARGV[6])
if ARGV[5] == '1' then redis.call('HINCRBY', KEYS[1], 'step_calls', 1) end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[7]) end
return 1`;

const ADVANCE = `${INIT}
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'step')) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'step', tonumber(ARGV[2]) + 1, 'step_started_ms', ARGV[1], 'step_calls', 0)
return 1`;

const DECIDE = `${INIT}
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'decision', ARGV[3])
return 1`;

/**
 * Canary state in Redis, for every replica: a state hash per experiment (step,
 * status, decision), per arm a counter hash and a capped latency list. Each
 * sample is one script; stepping and deciding are scripts that check the
 * expected step or status first, so exactly one replica acts.
 */
export function createRedisCanaryStore(redis: Redis, opts: { prefix?: string; log?: StoreLog } = {}): CanaryStore {
  const base = (id: string) => `${opts.prefix ?? 'mo:'}canary:${id}`;
  const keys = (id: string, arm: string) => [`${base(id)}:state`, `${base(id)}:arm:${arm}`, `${base(id)}:lat:${arm}`, `${base(id)}:arms`];
  const g = <T>(fn: () => Promise<T>) => guarded(fn, opts.log);

  return {
    record: (id, arm, sample, isCanary, now) =>
      g(async () => {
        await redis.eval(RECORD, 4, ...keys(id, arm), now, sample.error ? '1' : '0', Math.round(sample.latency_ms), sample.cost_nano, isCanary ? '1' : '0', arm, TTL_S);
      }),
    read: (id, now) =>
      g(async () => {
        const [state, arms] = await Promise.all([redis.hgetall(`${base(id)}:state`), redis.smembers(`${base(id)}:arms`)]);
        const armStates = new Map<string, ArmSamples>();
        await Promise.all(
          arms.map(async (arm) => {
            const [, armKey, latKey] = keys(id, arm);
            const [fields, lat] = await Promise.all([redis.hgetall(armKey!), redis.lrange(latKey!, 0, -1)]);
            armStates.set(arm, {
              ...emptyArm(),
              calls: Number(fields.calls ?? 0),
              errors: Number(fields.errors ?? 0),
              successes: Number(fields.successes ?? 0),
              cost_nano: Number(fields.cost_nano ?? 0),
              latencies: lat.map(Number),
            });
          }),
        );
        const result: CanaryState = {
          status: (state.status as CanaryState['status']) ?? 'running',
          step: Number(state.step ?? 0),
          step_started_ms: Number(state.step_started_ms ?? now),
          step_calls: Number(state.step_calls ?? 0),
          started_ms: Number(state.started_ms ?? now),
          decision: state.decision ? (JSON.parse(state.decision) as CanaryDecision) : null,
          arms: armStates,
        };
        return result;
      }),
    advance: (id, from, now) => g(async () => (await redis.eval(ADVANCE, 1, `${base(id)}:state`, now, from)) === 1),
    decide: (id, decision) => g(async () => (await redis.eval(DECIDE, 1, `${base(id)}:state`, Date.now(), decision.status, JSON.stringify(decision))) === 1),
    noteVersion: (id, hash) =>
      g(async () => {
        const raw = await redis.hget(`${base(id)}:state`, 'decision');
        if (!raw) return;
        await redis.hset(`${base(id)}:state`, 'decision', JSON.stringify({ ...(JSON.parse(raw) as CanaryDecision), config_version: hash }));
      }),
    reset: (id) =>
      g(async () => {
        const arms = await redis.smembers(`${base(id)}:arms`);
        await redis.del(`${base(id)}:state`, `${base(id)}:arms`, ...arms.flatMap((arm) => keys(id, arm).slice(1, 3)));
      }),
  };
}
