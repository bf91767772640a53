import type { AppEventBus, OrchestratorEvents } from '../events.js';

/** A request's tier as the categorizer (or an override) decided it: the category its request_categorized event carries. */
type Tier = OrchestratorEvents['request_categorized']['category'];

/** Requests whose tier is remembered so their calls count toward it (oldest forgotten first). */
export const MAX_REMEMBERED_REQUESTS = 10_000;

/**
 * Which tier each recent request was sorted into, so that the model calls it makes (the tier
 * model's, or an H request's planner, tasks and finisher: every call carries the request id in
 * its CallContext) can be attributed to it by metrics and drift detection.
 */
export interface RequestTiers {
  /** The tier of the request with this id, or undefined (not categorized: /workflow, /template, a named /v1 model; or forgotten). */
  tierOf(requestId: string | undefined): Tier | undefined;
  /** Requests remembered now (at most MAX_REMEMBERED_REQUESTS), for `caller_keyed_entries`. */
  size(): number;
  /** Stops listening to the bus. */
  close(): void;
}

/**
 * Remembers `request_categorized` events in a Map bounded to `max` entries (insertion order:
 * the oldest is dropped). Hot-path cost: one Map set per categorized request, one get per lookup.
 */
export function createRequestTiers(bus: AppEventBus, max = MAX_REMEMBERED_REQUESTS): RequestTiers {
  const tiers = new Map<string, Tier>();
  const off = bus.on('request_categorized', (e) => {
    if (tiers.size >= max && !tiers.has(e.request_id)) tiers.delete(tiers.keys().next().value!);
    tiers.set(e.request_id, e.category);
  });
  return {
    tierOf: (requestId) => (requestId === undefined ? undefined : tiers.get(requestId)),
    size: () => tiers.size,
    close: off,
  };
}
