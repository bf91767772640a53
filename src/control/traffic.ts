import type { ModelRef } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import { chooseArm, type ArmChoice, type CanaryShare, type SplitId } from './splits.js';

/** Routes a model reference of the config to one model, reporting every split assignment on the bus. */
export interface Traffic {
  /**
   * The model for `ref` at config path `split`, assigned by `key` (the session
   * id, else the request or run id). Emits `split_assigned` when `ref` has arms.
   */
  route(split: SplitId, ref: ModelRef, key: string, requestId?: string): ArmChoice;
}

/** Builds the router; `canaryShare` (from the canary controller) sets the live share of canary arms. */
export function createTraffic(opts: { bus: AppEventBus; canaryShare?: CanaryShare }): Traffic {
  return {
    route(split, ref, key, requestId) {
      const choice = chooseArm(split, ref, key, opts.canaryShare);
      if (choice.split) opts.bus.emit('split_assigned', { ...choice.split, request_id: requestId });
      return choice;
    },
  };
}

/** The router of deps that have one; else plain weights (tests that build the orchestrator by hand). */
export const routeWith = (traffic: Traffic | undefined, split: SplitId, ref: ModelRef, key: string, requestId?: string): ArmChoice =>
  traffic ? traffic.route(split, ref, key, requestId) : chooseArm(split, ref, key);
