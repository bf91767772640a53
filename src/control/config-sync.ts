import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { ConfigControl } from './config-control.js';

/** How often a replica also compares its version with the shared one, in case a message was lost (ms). */
const CHECK_EVERY_MS = 10_000;

/**
 * Shared mode: every replica runs the version that is active in Redis. A replica that
 * activates one publishes its hash on `<prefix>config:activated`; every replica
 * subscribed there syncs at once (well within a second). A subscriber that
 * reconnects, and a slow periodic check, compare versions too, so a replica that
 * missed a message (Redis away, a publish lost) catches up by itself.
 */
export function startConfigSync(opts: { redis: Redis; control: ConfigControl; log: FastifyBaseLogger; prefix?: string }): { stop(): Promise<void> } {
  const channel = `${opts.prefix ?? 'mo:'}config:activated`;
  const subscriber = opts.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
  let stopped = false;
  const sync = (why: string) => {
    if (stopped) return;
    opts.control.sync().catch((err: unknown) => opts.log.warn({ err: { message: (err as Error)?.message }, why }, 'config version check failed; retrying later'));
  };
  subscriber.on('error', () => undefined);
  subscriber.on('message', (from: string) => {
    if (from === channel) sync('published');
  });
  // ioredis resubscribes after a reconnect; what was published meanwhile is caught by this check.
  subscriber.on('ready', () => sync('reconnected'));
  void subscriber.subscribe(channel).catch(() => undefined);
  opts.control.onActivated((hash) => {
    if (stopped) return;
    opts.redis.publish(channel, hash).catch((err: unknown) =>
      opts.log.warn({ err: { message: (err as Error)?.message }, config_version: hash }, 'could not announce the config version; replicas pick it up at their next check'),
    );
  });
  const timer = setInterval(() => sync('periodic'), CHECK_EVERY_MS);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      subscriber.disconnect();
    },
  };
}
