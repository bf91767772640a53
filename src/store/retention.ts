import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { Stores } from './types.js';

/** Where the sweeper reports; a pino logger fits. */
export interface RetentionLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface Retention {
  /** Deletes what is past its age now; a failure is logged, not thrown. */
  sweepOnce(): Promise<{ sessions: number; runs: number }>;
  stop(): void;
}

const HOUR_MS = 3_600_000;

/**
 * Removes sessions idle past `session_ttl_hours` and runs older than
 * `run_max_age_hours`: once at start, then every `sweep_interval_s`. The timer
 * is unref'd so it never keeps a process alive on its own.
 */
export function startRetention(stores: Stores, storage: Config['storage'], clock: Clock, log: RetentionLog): Retention {
  const sweep = async () => {
    const now = clock.now();
    const sessionCutoff = new Date(now - storage.session_ttl_hours * HOUR_MS).toISOString();
    const runCutoff = new Date(now - storage.run_max_age_hours * HOUR_MS).toISOString();
    let sessions = 0;
    let runs = 0;
    try {
      sessions = await stores.sessions.deleteIdleSince(sessionCutoff);
    } catch (err) {
      log.warn({ err }, 'retention: could not delete idle sessions');
    }
    try {
      runs = await stores.runs.deleteStartedBefore(runCutoff);
    } catch (err) {
      log.warn({ err }, 'retention: could not delete old runs');
    }
    if (sessions > 0 || runs > 0) log.info({ sessions, runs }, 'retention: removed expired sessions and runs');
    return { sessions, runs };
  };

  // Sweeps run one at a time: a slow store must not stack them up, so a timer
  // tick skips while one runs, and an explicit call queues behind it.
  let tail: Promise<unknown> = Promise.resolve();
  let busy = false;
  const sweepOnce = () => {
    const next = tail.then(async () => {
      busy = true;
      try {
        return await sweep();
      } finally {
        busy = false;
      }
    });
    tail = next;
    return next;
  };

  // sweep_interval_s is bounded by the config schema (timerSeconds): the interval fits a node timer.
  const timer = setInterval(() => {
    if (!busy) void sweepOnce();
  }, Math.max(1, storage.sweep_interval_s * 1000));
  timer.unref();
  void sweepOnce();

  return {
    sweepOnce,
    stop: () => clearInterval(timer),
  };
}
