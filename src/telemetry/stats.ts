import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import type { CircuitState } from '../gateway/types.js';
import { createLabelBounder } from './labels.js';
import { annotationOf } from './request-log.js';
import { LatencyWindow } from './latency-window.js';
import type { RequestEndListener } from './request-end.js';
import type { ModelStats, StatsSnapshot } from './stats-schema.js';

export type { StatsSnapshot, ModelStats } from './stats-schema.js';

/** Counters since start, fed by the event bus and the HTTP hooks; read by GET /stats. */
export interface Stats {
  snapshot(): StatsSnapshot;
  /** Counts every response by its route template. */
  /** Counts a finished request (see onRequestEnd). */
  requestEnded: RequestEndListener;
  /** Entries of the counters keyed by names callers choose (models, callers, split arms), for `caller_keyed_entries`. */
  stateSizes(): Record<string, number>;
}

interface ModelCounters {
  provider: string;
  calls: number;
  successes: number;
  failures: number;
  cancelled: number;
  failuresByKind: Map<string, number>;
  retries: number;
  fallbacks: number;
  fallbacksTo: number;
  breaker: CircuitState;
  opens: number;
  latency: LatencyWindow;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  simulated: number;
}

const inc = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);
/** Sums of small float prices drift (0.1 + 0.2); ten decimals is far below a billable unit. */
const money = (usd: number) => Math.round(usd * 1e10) / 1e10;

/**
 * Builds the /stats counters and subscribes them to the bus. Per-model numbers
 * come from the gateway's events: one `attempt` is one call; only successful
 * live calls are billed, simulated ones count separately at zero cost.
 */
export function createStats(opts: { bus: AppEventBus; clock: Clock; config: Config }): Stats {
  const { bus, clock, config } = opts;
  const startedAt = clock.now();
  const window = config.monitoring.latency_window;
  const bound = createLabelBounder(Object.keys(config.models), config.bounds.label_values);

  const models = new Map<string, ModelCounters>();
  const model = (name: string, provider?: string): ModelCounters => {
    const key = bound(name);
    let m = models.get(key);
    if (!m) {
      const configured = config.models[key]?.provider;
      const guessed = key.includes('/') ? key.slice(0, key.indexOf('/')) : key === 'other' ? 'other' : 'unknown';
      m = {
        provider: configured ?? provider ?? guessed,
        calls: 0,
        successes: 0,
        failures: 0,
        cancelled: 0,
        failuresByKind: new Map(),
        retries: 0,
        fallbacks: 0,
        fallbacksTo: 0,
        breaker: 'closed',
        opens: 0,
        latency: new LatencyWindow(window),
        tokensIn: 0,
        tokensOut: 0,
        cost: 0,
        simulated: 0,
      };
      models.set(key, m);
    }
    return m;
  };
  for (const key of Object.keys(config.models)) model(key);

  const byEndpoint = new Map<string, number>();
  // Callers signed in by a JWT or an API key, bounded: past `bounds.callers` distinct names the rest count as `other`.
  const byCaller = new Map<string, number>();
  const callerLabel = createLabelBounder([], config.bounds.callers);
  let requests = 0;
  const byCategory = { L: 0, M: 0, H: 0 };
  const categorizerSource = { model: 0, heuristic: 0, override: 0 };
  const runsByStatus = new Map<string, number>();
  let runsStarted = 0;
  let runsCost = 0;
  let queue = { queued: 0, running: 0 };
  const splits = new Map<string, Map<string, number>>();
  const splitLabel = createLabelBounder([], config.bounds.label_values);

  bus.on('attempt', (e) => {
    const m = model(e.model, e.provider);
    m.calls++;
    if (e.simulated) m.simulated++;
    // A call refused by an open breaker never reached the provider: no latency to speak of.
    if (e.code !== 'circuit_open') m.latency.add(e.latency_ms);
    if (e.outcome === 'success') {
      m.successes++;
      m.tokensIn += e.usage?.prompt_tokens ?? 0;
      m.tokensOut += e.usage?.completion_tokens ?? 0;
      if (!e.simulated) m.cost += e.cost_usd ?? 0;
    } else if (e.outcome === 'cancelled') {
      // A hedge's loser: the gateway stopped it; its upstream usage is unknown, so nothing is billed.
      m.cancelled++;
    } else {
      m.failures++;
      inc(m.failuresByKind, e.kind ?? 'unknown');
    }
  });
  bus.on('retry', (e) => {
    model(e.model, e.provider).retries++;
  });
  bus.on('fallback', (e) => {
    model(e.from).fallbacks++;
    model(e.to).fallbacksTo++;
  });
  bus.on('breaker', (e) => {
    const m = model(e.model);
    if (e.state === 'open' && m.breaker !== 'open') m.opens++;
    m.breaker = e.state;
  });
  bus.on('request_categorized', (e) => {
    byCategory[e.category]++;
    categorizerSource[e.source]++;
  });
  bus.on('run_started', () => {
    runsStarted++;
  });
  bus.on('run_finished', (e) => {
    inc(runsByStatus, e.status);
    runsCost += e.cost_usd;
  });
  bus.on('queue', (e) => {
    queue = { queued: e.queued, running: e.running };
  });
  const cache = { hits: 0, misses: 0, bypasses: 0, tokens_saved: 0, saved_usd: 0 };
  bus.on('cache', (e) => {
    if (e.outcome === 'hit') cache.hits += 1;
    else if (e.outcome === 'miss') cache.misses += 1;
    else cache.bypasses += 1;
    cache.tokens_saved += e.tokens_saved;
    cache.saved_usd += e.saved_usd;
  });
  bus.on('split_assigned', (e) => {
    const split = splitLabel(e.split);
    let arms = splits.get(split);
    if (!arms) splits.set(split, (arms = new Map()));
    inc(arms, bound(e.arm));
  });

  const modelSnapshot = (m: ModelCounters): ModelStats => {
    const p = m.latency.percentiles([50, 95, 99] as const);
    return {
      provider: m.provider,
      calls: m.calls,
      successes: m.successes,
      failures: m.failures,
      cancelled: m.cancelled,
      failures_by_kind: Object.fromEntries(m.failuresByKind),
      retries: m.retries,
      fallbacks: m.fallbacks,
      fallbacks_to: m.fallbacksTo,
      breaker: { state: m.breaker, opens: m.opens },
      latency_ms: { p50: p[50], p95: p[95], p99: p[99], samples: m.latency.count },
      tokens_in: m.tokensIn,
      tokens_out: m.tokensOut,
      cost_usd: money(m.cost),
      simulated_calls: m.simulated,
    };
  };

  return {
    snapshot() {
      const perModel = Object.fromEntries([...models].map(([k, m]) => [k, modelSnapshot(m)]));
      const all = [...models.values()];
      const sum = (f: (m: ModelCounters) => number) => all.reduce((acc, m) => acc + f(m), 0);
      return {
        started_at: new Date(startedAt).toISOString(),
        uptime_s: Math.max(0, (clock.now() - startedAt) / 1000),
        requests: {
          total: requests,
          by_endpoint: Object.fromEntries(byEndpoint),
          by_caller: Object.fromEntries(byCaller),
          by_category: { ...byCategory },
          categorizer_source: { ...categorizerSource },
        },
        workflows: {
          started: runsStarted,
          by_status: Object.fromEntries(runsByStatus),
          cost_usd: money(runsCost),
          queued: queue.queued,
          running: queue.running,
        },
        models: perModel,
        splits: Object.fromEntries([...splits].map(([split, arms]) => [split, Object.fromEntries(arms)])),
        cache: { ...cache, saved_usd: money(cache.saved_usd) },
        totals: {
          calls: sum((m) => m.calls),
          failures: sum((m) => m.failures),
          retries: sum((m) => m.retries),
          fallbacks: sum((m) => m.fallbacks),
          simulated_calls: sum((m) => m.simulated),
          tokens_in: sum((m) => m.tokensIn),
          tokens_out: sum((m) => m.tokensOut),
          cost_usd: money(sum((m) => m.cost)),
        },
      };
    },
    stateSizes: () => ({ stats_models: models.size, stats_callers: byCaller.size }),
    requestEnded(request, end) {
      requests++;
      inc(byEndpoint, `${end.method} ${end.route}`);
      const caller = annotationOf(request)?.caller;
      if (caller) inc(byCaller, callerLabel(caller));
    },
  };
}
