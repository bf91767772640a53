import { AppError } from '../errors.js';
import type { CanaryActions } from './canary.js';
import { SYSTEM_ACTOR, type ConfigControl } from './config-control.js';

/** Attempts at a canary's config change when another change lands in between (409 on a stale base). */
const ATTEMPTS = 3;

/**
 * A canary decision as a config version: the patch goes through the same
 * change API as an admin's (validated as at startup, audited) with author
 * "system", against the active version as base — the compare-and-set that
 * keeps two replicas from both applying it; a stale base is retried on the new one.
 */
export function canaryChanges(control: ConfigControl): CanaryActions {
  return {
    async apply(patch, message) {
      for (let attempt = 1; ; attempt++) {
        const { version } = await control.active();
        try {
          const outcome = await control.change({ patch, base: version.hash, message }, SYSTEM_ACTOR);
          return outcome.version.hash;
        } catch (err) {
          if (!(err instanceof AppError && err.type === 'conflict') || attempt >= ATTEMPTS) throw err;
        }
      }
    },
  };
}
