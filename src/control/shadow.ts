import type { Clock } from '../clock.js';
import type { Shadow } from '../config/schema.js';
import { AppError } from '../errors.js';
import type { Gateway, GatewayResult } from '../gateway/types.js';
import type { ChatMessage } from '../providers/types.js';
import { LatencyWindow } from '../telemetry/latency-window.js';
import { tokenSetJaccard } from './similarity.js';

/**
 * Shadow mode: after a route's primary model answered, the same messages go to
 * the route's shadow model — off the caller's path (started on the next turn
 * of the event loop, after the answer is on its way), through the gateway with
 * its own provider's limits but never queued (`max_wait_ms: 0`: a full limiter
 * drops the shadow, not the traffic), with no fallback. Its answer is never
 * returned; each pair is compared (latency, tokens, cost, length and the
 * token-set Jaccard similarity of the two texts) and summarised per route.
 */

/** One side of a pair. */
export interface ShadowSide {
  model: string;
  latency_ms: number;
  tokens: number;
  cost_usd: number;
  chars: number;
}

/** A recorded primary/shadow pair. */
export interface ShadowPair {
  at: string;
  request_id: string;
  primary: ShadowSide;
  /** Null when the shadow call failed (then `error` says why). */
  shadow: ShadowSide | null;
  error?: string;
  /** Token-set Jaccard of the two answers (0..1); null when the shadow failed. */
  similarity: number | null;
}

interface SideFigures {
  latency: LatencyWindow;
  tokens: number;
  cost: number;
  chars: number;
}

/** The summary of one route's shadow, as /admin/experiments shows it. */
export interface ShadowSummary {
  id: string;
  kind: 'shadow';
  route: string;
  model: string;
  sample_rate: number;
  /** Pairs recorded (the shadow answered). */
  pairs: number;
  /** Shadow calls that failed (no pair). */
  failed: number;
  /** Shadows not sent: the shadow provider had no free slot, or too many shadows were in flight. */
  dropped: number;
  primary: SideSummary;
  shadow: SideSummary;
  similarity: { mean: number | null; min: number | null; measure: 'token-set Jaccard' };
  /** The most recent pairs, newest first. */
  recent: ShadowPair[];
}

interface SideSummary {
  latency_ms: { p50: number | null; p95: number | null };
  mean_tokens: number | null;
  mean_chars: number | null;
  cost_usd: number;
  mean_cost_usd: number | null;
}

interface RouteShadow {
  route: string;
  model: string;
  sampleRate: number;
  pairs: number;
  failed: number;
  dropped: number;
  primary: SideFigures;
  shadow: SideFigures;
  similaritySum: number;
  similarityMin: number | null;
  recent: ShadowPair[];
}

export interface ShadowOffer {
  /** The experiment id: the route's config path plus `.shadow` (`routing.tiers.M.shadow`). */
  id: string;
  route: string;
  shadow: Shadow;
  /** The gateway of the request's config version. */
  gateway: Gateway;
  messages: ChatMessage[];
  primary: GatewayResult;
  request_id: string;
}

export interface Shadows {
  /** Samples and, if chosen, starts the shadow call for an answered request. Never throws, never waits. */
  offer(offer: ShadowOffer): void;
  summary(id: string): ShadowSummary | null;
  list(): ShadowSummary[];
  /** Resolves when no shadow call is in flight (tests, shutdown). */
  idle(): Promise<void>;
}

export interface ShadowOptions {
  clock: Clock;
  log: { warn(obj: object, msg: string): void };
  /** Source of sampling decisions (default Math.random). */
  random?: () => number;
  /** Shadows in flight at once in this process; more are dropped (default 32). */
  maxInFlight?: number;
  /** Recent pairs kept per route (default 100). */
  keepPairs?: number;
  /** Longest a shadow call may take (default 60 s). */
  timeoutMs?: number;
  /** Routes tracked; the oldest is forgotten past this (default 50). */
  maxRoutes?: number;
}

const side = (r: GatewayResult): ShadowSide => ({
  model: r.model_used,
  latency_ms: r.attempts.findLast((a) => a.outcome === 'success')?.duration_ms ?? 0,
  tokens: r.usage.total_tokens,
  cost_usd: r.cost_usd,
  chars: r.text.length,
});

const emptyFigures = (): SideFigures => ({ latency: new LatencyWindow(1000), tokens: 0, cost: 0, chars: 0 });
const money = (usd: number) => Math.round(usd * 1e9) / 1e9;

export function createShadows(opts: ShadowOptions): Shadows {
  const random = opts.random ?? Math.random;
  const maxInFlight = opts.maxInFlight ?? 32;
  const keep = opts.keepPairs ?? 100;
  const routes = new Map<string, RouteShadow>();
  const inFlight = new Set<Promise<void>>();

  const routeOf = (offer: ShadowOffer): RouteShadow => {
    let r = routes.get(offer.id);
    if (!r || r.model !== offer.shadow.model) {
      r = {
        route: offer.route,
        model: offer.shadow.model,
        sampleRate: offer.shadow.sample_rate,
        pairs: 0,
        failed: 0,
        dropped: 0,
        primary: emptyFigures(),
        shadow: emptyFigures(),
        similaritySum: 0,
        similarityMin: null,
        recent: [],
      };
      routes.delete(offer.id);
      routes.set(offer.id, r);
      if (routes.size > (opts.maxRoutes ?? 50)) routes.delete(routes.keys().next().value!);
    }
    r.sampleRate = offer.shadow.sample_rate;
    return r;
  };

  const add = (figures: SideFigures, s: ShadowSide) => {
    figures.latency.add(s.latency_ms);
    figures.tokens += s.tokens;
    figures.cost += s.cost_usd;
    figures.chars += s.chars;
  };

  const record = (r: RouteShadow, pair: ShadowPair) => {
    r.recent.unshift(pair);
    if (r.recent.length > keep) r.recent.pop();
    if (!pair.shadow) {
      r.failed++;
      return;
    }
    r.pairs++;
    add(r.primary, pair.primary);
    add(r.shadow, pair.shadow);
    r.similaritySum += pair.similarity!;
    r.similarityMin = r.similarityMin === null ? pair.similarity : Math.min(r.similarityMin, pair.similarity!);
  };

  const run = async (offer: ShadowOffer, r: RouteShadow): Promise<void> => {
    const primary = side(offer.primary);
    const at = new Date(opts.clock.now()).toISOString();
    try {
      const result = await offer.gateway.call({
        model: offer.shadow.model,
        fallbacks: [],
        kind: 'text',
        messages: offer.messages,
        max_wait_ms: 0,
        deadline: opts.clock.now() + (opts.timeoutMs ?? 60_000),
        context: { request_id: offer.request_id, task_id: 'shadow' },
      });
      record(r, { at, request_id: offer.request_id, primary, shadow: side(result), similarity: tokenSetJaccard(offer.primary.text, result.text) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // A limiter without a free slot (or an open breaker) is the shadow giving way, not a failed comparison.
      if (err instanceof AppError && err.details.some((d) => d.code === 'limiter_wait' || d.code === 'circuit_open')) r.dropped++;
      else record(r, { at, request_id: offer.request_id, primary, shadow: null, error: message, similarity: null });
    }
  };

  const summarize = (id: string, r: RouteShadow): ShadowSummary => {
    const sideSummary = (f: SideFigures): SideSummary => {
      const p = f.latency.percentiles([50, 95] as const);
      return {
        latency_ms: { p50: p[50], p95: p[95] },
        mean_tokens: r.pairs ? f.tokens / r.pairs : null,
        mean_chars: r.pairs ? f.chars / r.pairs : null,
        cost_usd: money(f.cost),
        mean_cost_usd: r.pairs ? money(f.cost / r.pairs) : null,
      };
    };
    return {
      id,
      kind: 'shadow',
      route: r.route,
      model: r.model,
      sample_rate: r.sampleRate,
      pairs: r.pairs,
      failed: r.failed,
      dropped: r.dropped,
      primary: sideSummary(r.primary),
      shadow: sideSummary(r.shadow),
      similarity: { mean: r.pairs ? r.similaritySum / r.pairs : null, min: r.similarityMin, measure: 'token-set Jaccard' },
      recent: r.recent.map((p) => ({ ...p })),
    };
  };

  return {
    offer(offer) {
      if (offer.shadow.sample_rate <= 0 || random() >= offer.shadow.sample_rate) return;
      const r = routeOf(offer);
      if (inFlight.size >= maxInFlight) {
        r.dropped++;
        return;
      }
      // Off the caller's path: the answer is sent first, the shadow starts on the next turn.
      const started = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => run(offer, r))
        .catch((err: unknown) => opts.log.warn({ err, request_id: offer.request_id }, 'shadow call failed unexpectedly'));
      const tracked = started.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    },
    summary: (id) => {
      const r = routes.get(id);
      return r ? summarize(id, r) : null;
    },
    list: () => [...routes].map(([id, r]) => summarize(id, r)),
    idle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
