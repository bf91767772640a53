import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { ConfigControl } from './config-control.js';

/** How often a replica also compares its version with the shared one, in case a message was lost (ms). */
const CHECK_EVERY_MS = 10_000;
/** A replica not heard from for this long is left out of the fleet view (and its entry removed), ms. */
const FORGET_AFTER_MS = 3 * CHECK_EVERY_MS;

/** One replica's active config version as the fleet last heard it (`GET /health` `replicas`). */
export interface ReplicaVersion {
  replica: string;
  /** The config version hash it runs. */
  config_version: string;
  /** When it last reported (ISO 8601): at start, after each version check (every 10 s) and each change. */
  seen_at: string;
}

/** The shared-mode config sync of one replica. */
export interface ConfigSync {
  /** Every live replica's active version, by replica name: a mixed fleet shows here. */
  fleet(): Promise<ReplicaVersion[]>;
  stop(): Promise<void>;
}

/**
 * Shared mode: every replica runs the version that is active in Redis. A replica that
 * activates one publishes its hash on `<prefix>config:activated`; every replica
 * subscribed there syncs at once (well within a second). A subscriber that
 * reconnects, and a slow periodic check, compare versions too, so a replica that
 * missed a message (Redis away, a publish lost) catches up by itself. Each replica also
 * writes the hash it runs into one Redis hash (`<prefix>config:replicas`, field = replica
 * name) after every check, so any replica's /health lists the whole fleet's versions.
 */
export function startConfigSync(opts: {
  redis: Redis;
  control: ConfigControl;
  log: FastifyBaseLogger;
  prefix?: string;
  /** This replica's name (REPLICA_ID). */
  replica: string;
  /** The hash this replica runs now. */
  activeHash: () => string;
  now?: () => number;
}): ConfigSync {
  const channel = `${opts.prefix ?? 'mo:'}config:activated`;
  const replicasKey = `${opts.prefix ?? 'mo:'}config:replicas`;
  const now = opts.now ?? Date.now;
  const subscriber = opts.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
  let stopped = false;
  const report = () =>
    opts.redis
      .hset(replicasKey, opts.replica, JSON.stringify({ config_version: opts.activeHash(), seen_at: new Date(now()).toISOString() }))
      .then(() => undefined, () => undefined);
  const sync = (why: string) => {
    if (stopped) return;
    opts.control
      .sync()
      .catch((err: unknown) => opts.log.warn({ err: { message: (err as Error)?.message }, why }, 'config version check failed; retrying later'))
      .finally(() => (stopped ? undefined : report()));
  };
  void report();
  subscriber.on('error', () => undefined);
  subscriber.on('message', (from: string) => {
    if (from === channel) sync('published');
  });
  // ioredis resubscribes after a reconnect; what was published meanwhile is caught by this check.
  subscriber.on('ready', () => sync('reconnected'));
  void subscriber.subscribe(channel).catch(() => undefined);
  opts.control.onActivated((hash) => {
    if (stopped) return;
    void report();
    opts.redis.publish(channel, hash).catch((err: unknown) =>
      opts.log.warn({ err: { message: (err as Error)?.message }, config_version: hash }, 'could not announce the config version; replicas pick it up at their next check'),
    );
  });
  const timer = setInterval(() => sync('periodic'), CHECK_EVERY_MS);
  timer.unref();
  return {
    async fleet() {
      const entries = await opts.redis.hgetall(replicasKey);
      const fleet: ReplicaVersion[] = [];
      const gone: string[] = [];
      for (const [replica, raw] of Object.entries(entries)) {
        try {
          const { config_version, seen_at } = JSON.parse(raw) as { config_version: string; seen_at: string };
          if (now() - Date.parse(seen_at) <= FORGET_AFTER_MS) fleet.push({ replica, config_version, seen_at });
          else gone.push(replica);
        } catch {
          gone.push(replica);
        }
      }
      if (gone.length > 0) await opts.redis.hdel(replicasKey, ...gone).catch(() => undefined);
      return fleet.sort((a, b) => a.replica.localeCompare(b.replica));
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      subscriber.disconnect();
      // Leaving the fleet: a replica that stops is no longer part of the view.
      await opts.redis.hdel(replicasKey, opts.replica).catch(() => undefined);
    },
  };
}
