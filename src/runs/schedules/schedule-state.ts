import type { Database } from 'better-sqlite3';
import type { Redis } from 'ioredis';

/** What the fleet remembers of one schedule, so a restart can tell which fires it missed. */
export interface ScheduleState {
  /** Epoch ms of the last fire that started a run (null: none yet). */
  last_fire_ms: number | null;
  /** The run that fire started, once known. */
  last_run_id: string | null;
  /** Epoch ms the schedule was first seen: nothing before it counts as missed. */
  seen_ms: number;
}

/**
 * The schedules' last fires: in the automation database on a single node, in
 * Redis in shared mode. `claimFire` is the fleet-wide "exactly once": it moves
 * the last fire forward atomically, so of all the replicas (and restarts) that
 * try to start the same fire, or an older one, exactly one succeeds.
 */
export interface ScheduleStateStore {
  get(name: string): Promise<ScheduleState | null>;
  /** Records `seen_ms` for a schedule seen for the first time; returns its state either way. */
  init(name: string, seen_ms: number): Promise<ScheduleState>;
  /** True for the one caller that moves the last fire forward to `fire_ms`; false when it is already there or later. */
  claimFire(name: string, fire_ms: number): Promise<boolean>;
  /** Notes the run a fire started (ignored if a later fire was claimed meanwhile). */
  setLastRun(name: string, fire_ms: number, run_id: string): Promise<void>;
}

export function createSqliteScheduleState(db: Database): ScheduleStateStore {
  const stmt = {
    get: db.prepare('SELECT last_fire_ms, last_run_id, seen_ms FROM schedule_state WHERE name = ?'),
    init: db.prepare('INSERT INTO schedule_state (name, seen_ms) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
    claim: db.prepare(
      'UPDATE schedule_state SET last_fire_ms = ?, last_run_id = NULL WHERE name = ? AND (last_fire_ms IS NULL OR last_fire_ms < ?)',
    ),
    setRun: db.prepare('UPDATE schedule_state SET last_run_id = ? WHERE name = ? AND last_fire_ms = ?'),
  };
  const get = (name: string) => (stmt.get.get(name) as ScheduleState | undefined) ?? null;
  return {
    get: async (name) => get(name),
    async init(name, seen) {
      stmt.init.run(name, seen);
      return get(name)!;
    },
    async claimFire(name, fire) {
      return stmt.claim.run(fire, name, fire).changes === 1;
    },
    async setLastRun(name, fire, runId) {
      stmt.setRun.run(runId, name, fire);
    },
  };
}

const CLAIM = `local last = tonumber(redis.call('HGET', KEYS[1], 'last_fire_ms') or '-1')
if last >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'last_fire_ms', ARGV[1], 'last_run_id', '')
return 1`;

const SET_RUN = `if redis.call('HGET', KEYS[1], 'last_fire_ms') == ARGV[1] then redis.call('HSET', KEYS[1], 'last_run_id', ARGV[2]) end
return 1`;

export function createRedisScheduleState(redis: Redis, prefix = 'mo:'): ScheduleStateStore {
  const key = (name: string) => `${prefix}schedule:${name}`;
  const get = async (name: string): Promise<ScheduleState | null> => {
    const h = await redis.hgetall(key(name));
    if (!h.seen_ms) return null;
    return { last_fire_ms: h.last_fire_ms ? Number(h.last_fire_ms) : null, last_run_id: h.last_run_id || null, seen_ms: Number(h.seen_ms) };
  };
  return {
    get,
    async init(name, seen) {
      await redis.hsetnx(key(name), 'seen_ms', seen);
      return (await get(name))!;
    },
    async claimFire(name, fire) {
      return (await redis.eval(CLAIM, 1, key(name), fire)) === 1;
    },
    async setLastRun(name, fire, runId) {
      await redis.eval(SET_RUN, 1, key(name), fire, runId);
    },
  };
}
