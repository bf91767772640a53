import type { Redis } from 'ioredis';
import type { DriftBaselineRecord, DriftBaselineStore } from './drift-types.js';
import { guarded } from './redis.js';
import type { StoreLog } from './store-error.js';

/** Keeps the stored baseline when its version matches, else stores the new one; returns what is stored. One script: replicas race safely. */
const CLAIM = `local held = redis.call('HGET', KEYS[1], ARGV[1])
if held and cjson.decode(held).version == ARGV[2] then return held end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return ARGV[3]`;

/** Baselines in the shared Redis: one hash (`<prefix>drift:baselines`, field `<subject>\n<stream>`), so every replica judges against the same ones. */
export function createRedisDriftStore(redis: Redis, opts: { prefix?: string; log?: StoreLog } = {}): DriftBaselineStore {
  const key = `${opts.prefix ?? 'mo:'}drift:baselines`;
  return {
    list: () => guarded(async () => Object.values(await redis.hgetall(key)).map((v) => JSON.parse(v) as DriftBaselineRecord), opts.log),
    claim: (record) =>
      guarded(async () => {
        const stored = (await redis.eval(CLAIM, 1, key, `${record.subject}\n${record.stream}`, record.version, JSON.stringify(record))) as string;
        return JSON.parse(stored) as DriftBaselineRecord;
      }, opts.log),
  };
}
