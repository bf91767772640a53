import type { Redis } from 'ioredis';
import { AUDIT_MAX_ENTRIES, type AuditEntry, type ConfigVersion, type ControlStore } from './control-types.js';
import { guarded } from './redis.js';
import type { StoreLog } from './store-error.js';

/**
 * Moves the active pointer from the expected hash to the new one, storing the version
 * first when its hash is new — one script, so replicas committing at once cannot both
 * win from the same base. Returns {1, hash} or {0, active}.
 */
const COMMIT = `local active = redis.call('GET', KEYS[1]) or ''
if active ~= ARGV[1] then return {0, active} end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local seq = redis.call('INCR', KEYS[4])
  redis.call('HSET', KEYS[2], 'seq', seq, 'hash', ARGV[2], 'parent', ARGV[3], 'author', ARGV[4], 'message', ARGV[5], 'created_at', ARGV[6], 'document', ARGV[7])
  redis.call('ZADD', KEYS[3], seq, ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[2])
return {1, ARGV[2]}`;

const FIELDS = ['seq', 'hash', 'parent', 'author', 'message', 'created_at'] as const;

/** Versions, the active pointer and the audit log in the shared Redis, for every replica. */
export function createRedisControlStore(redis: Redis, opts: { prefix?: string; log?: StoreLog } = {}): ControlStore {
  const p = `${opts.prefix ?? 'mo:'}config:`;
  const key = {
    active: `${p}active`,
    version: (hash: string) => `${p}version:${hash}`,
    order: `${p}order`,
    seq: `${p}seq`,
    meta: `${p}meta`,
    audit: `${opts.prefix ?? 'mo:'}audit`,
    auditSeq: `${opts.prefix ?? 'mo:'}audit:seq`,
  };
  const record = (values: (string | null)[]): ConfigVersion | null => {
    const [seq, hash, parent, author, message, created_at] = values;
    if (!seq || !hash) return null;
    return { seq: Number(seq), hash, parent: parent || null, author: author ?? '', message: message ?? '', created_at: created_at ?? '' };
  };
  const run = <T>(fn: () => Promise<T>) => guarded(fn, opts.log);

  return {
    commit: (version, expected) =>
      run(async () => {
        const [ok, active] = (await redis.eval(
          COMMIT,
          4,
          key.active,
          key.version(version.hash),
          key.order,
          key.seq,
          expected ?? '',
          version.hash,
          version.parent ?? '',
          version.author,
          version.message,
          version.created_at,
          JSON.stringify(version.document),
        )) as [number, string];
        if (ok !== 1) return { activated: false, active: active || null, version: null };
        return { activated: true, active, version: record(await redis.hmget(key.version(version.hash), ...FIELDS)) };
      }),
    getVersion: (hash) =>
      run(async () => {
        const values = await redis.hmget(key.version(hash), ...FIELDS, 'document');
        const found = record(values.slice(0, FIELDS.length));
        return found ? { ...found, document: JSON.parse(values[FIELDS.length]!) as unknown } : null;
      }),
    listVersions: ({ before, limit }) =>
      run(async () => {
        const hashes = await redis.zrevrangebyscore(key.order, before === undefined ? '+inf' : `(${before}`, '-inf', 'LIMIT', 0, limit);
        if (hashes.length === 0) return [];
        const tx = redis.multi();
        for (const hash of hashes) tx.hmget(key.version(hash), ...FIELDS);
        const rows = (await tx.exec()) ?? [];
        return rows.flatMap(([err, values]) => {
          const found = err ? null : record(values as (string | null)[]);
          return found ? [found] : [];
        });
      }),
    active: () => run(async () => (await redis.get(key.active)) || null),
    getMeta: (name) => run(async () => redis.hget(key.meta, name)),
    setMeta: (name, value) => run(async () => void (await redis.hset(key.meta, name, value))),
    appendAudit: (entry) =>
      run(async () => {
        const id = await redis.incr(key.auditSeq);
        const stored: AuditEntry = { ...entry, id };
        await redis.multi().zadd(key.audit, id, JSON.stringify(stored)).zremrangebyrank(key.audit, 0, -AUDIT_MAX_ENTRIES - 1).exec();
        return stored;
      }),
    listAudit: ({ before, limit }) =>
      run(async () => {
        const raw = await redis.zrevrangebyscore(key.audit, before === undefined ? '+inf' : `(${before}`, '-inf', 'LIMIT', 0, limit);
        return raw.map((r) => JSON.parse(r) as AuditEntry);
      }),
  };
}
