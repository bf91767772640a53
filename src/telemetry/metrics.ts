import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import type { CircuitState, GatewayHealth } from '../gateway/types.js';
import { talliedCounter } from './counter-tally.js';
import { HistogramTally } from './histogram-tally.js';
import { createLabelBounder } from './labels.js';
import type { RequestEndListener } from './request-end.js';
import type { RequestTiers } from './request-tiers.js';

/** Prometheus metrics of one server instance, rendered by GET /metrics. */
export interface Metrics {
  /** This instance's own registry: many apps in one process (tests) never share series. */
  registry: Registry;
  /** Counts and times every response by route template. */
  /** Records a finished request (see onRequestEnd). */
  requestEnded: RequestEndListener;
  render(): Promise<string>;
  contentType: string;
}

const BREAKER_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * Builds the registry (process metrics plus the product's own) and subscribes
 * it to the bus. Every label value is bounded: route templates, configured
 * model and provider names (a few ad-hoc ones, then `other`), fixed enums.
 */
export function createMetrics(opts: {
  bus: AppEventBus;
  config: Config;
  /** Asked at each scrape for `store_up` (the store's own health check: a Redis PING, a SQLite read). */
  storeHealth?: () => Promise<{ status: 'ok' | 'error'; driver: string }>;
  /** Asked at each scrape: entries of the other state keyed by caller-chosen names (gateway, stats), by kind. */
  stateSizes?: () => Record<string, number>;
  /** The tier of each recent request: tokens and cost are labelled with it (`none` for calls of uncategorized requests). */
  tiers?: RequestTiers;
  /** Asked at each scrape for the rate limiters' state (`rate_limiter_*` gauges): the active gateway's health. */
  gatewayHealth?: () => Promise<GatewayHealth>;
}): Metrics {
  const { bus, config, storeHealth, stateSizes, tiers, gatewayHealth } = opts;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const modelLabel = createLabelBounder(Object.keys(config.models), config.bounds.label_values);
  const providerLabel = createLabelBounder(Object.keys(config.providers), config.bounds.label_values);

  // The counters and histograms a request or a model call adds to keep their series by label values
  // (counter-tally.ts, histogram-tally.ts: no labels object or hash string per increment).
  const httpRequests = talliedCounter('http_requests_total', 'HTTP requests by route template, method and status', ['route', 'method', 'status'] as const, registers);
  const httpDuration = new HistogramTally(
    'http_request_duration_seconds',
    'HTTP request duration by route template, method and status',
    ['route', 'method', 'status'] as const,
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  );
  const modelCalls = talliedCounter('model_calls_total', 'Model call attempts by outcome (success, failure, or cancelled: the losing attempt of a hedge)', ['model', 'provider', 'outcome'] as const, registers);
  const modelFailures = new Counter({
    name: 'model_call_failures_total',
    help: 'Failed model call attempts by error kind',
    labelNames: ['model', 'provider', 'kind'] as const,
    registers,
  });
  const modelSimulated = new Counter({
    name: 'model_simulated_calls_total',
    help: 'Model calls answered by the built-in simulator (never billed)',
    labelNames: ['model'] as const,
    registers,
  });
  const modelDuration = new HistogramTally(
    'model_call_duration_seconds',
    'Model call attempt latency',
    ['model', 'provider'] as const,
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    registers,
  );
  const retries = new Counter({ name: 'model_retries_total', help: 'Retries per model', labelNames: ['model'] as const, registers });
  const fallbacks = new Counter({
    name: 'model_fallbacks_total',
    help: 'Fallbacks from one model to the next in its chain',
    labelNames: ['from', 'to'] as const,
    registers,
  });
  const breakerState = new Gauge({
    name: 'circuit_breaker_state',
    help: 'Circuit breaker state per model: 0 closed, 1 half-open, 2 open',
    labelNames: ['model'] as const,
    registers,
  });
  const breakerOpens = new Counter({
    name: 'circuit_breaker_opens_total',
    help: 'Times a model breaker opened',
    labelNames: ['model'] as const,
    registers,
  });
  const limiterWait = new Histogram({
    name: 'rate_limiter_wait_seconds',
    help: "Time calls waited in a provider's rate limiter",
    labelNames: ['provider'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const workflowRuns = new Counter({
    name: 'workflow_runs_total',
    help: 'Finished workflow runs by status',
    labelNames: ['status'] as const,
    registers,
  });
  const workflowDuration = new Histogram({
    name: 'workflow_duration_seconds',
    help: 'Workflow run duration',
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers,
  });
  const queueDepth = new Gauge({ name: 'workflow_queue_depth', help: 'Workflow runs waiting for a slot', registers });
  // The admission limits as series, so alerts compare depth with capacity without copying the config.
  new Gauge({ name: 'workflow_queue_capacity', help: 'limits.queue_depth: runs that may wait before new ones are refused', registers }).set(
    config.limits.queue_depth,
  );
  new Gauge({ name: 'workflow_running_capacity', help: 'limits.max_concurrent_workflows: runs that may run at once', registers }).set(
    config.limits.max_concurrent_workflows,
  );
  const running = new Gauge({ name: 'workflow_running', help: 'Workflow runs in progress', registers });
  const tokens = talliedCounter('tokens_total', 'Tokens of successful calls by model, tier (L, M, H of the request that made the call; none: not categorized, or the categorizer\'s own call, made before the tier is known) and direction (in = prompt, out = completion)', ['model', 'tier', 'direction'] as const, registers);
  const cost = talliedCounter('cost_usd_total', 'Billed cost in USD of successful live calls, by model and tier (L, M, H of the request that made the call; none: not categorized, or the categorizer\'s own call, made before the tier is known)', ['model', 'tier'] as const, registers);

  const splitAssignments = new Counter({
    name: 'split_assignments_total',
    help: 'Calls routed to each arm of a weighted split (split = its config path, arm = the model key)',
    labelNames: ['split', 'arm'] as const,
    registers,
  });
  const splitLabel = createLabelBounder([], config.bounds.label_values);

  new Gauge({
    name: 'caller_keyed_entries',
    help: 'Entries of the state keyed by names callers choose (breakers, learned resets, label values, /stats counters), by state; each is bounded by config `bounds`',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.reset();
      const sizes = { ...stateSizes?.(), metric_models: modelLabel.size(), metric_providers: providerLabel.size(), metric_splits: splitLabel.size() };
      for (const [state, n] of Object.entries(sizes)) this.set({ state }, n);
    },
  });
  const cacheLookups = talliedCounter('cache_lookups_total', 'Response cache decisions by outcome (hit: no provider call; miss: a provider answered; bypass: the cache was not used)', ['outcome'] as const, registers);
  const cacheTokensSaved = new Counter({ name: 'cache_tokens_saved_total', help: 'Tokens (prompt + completion) answered from the response cache instead of a provider', registers });
  const cacheSavedUsd = new Counter({ name: 'cache_saved_usd_total', help: 'USD the original calls of response cache hits cost, not spent again', registers });
  bus.on('cache', (e) => {
    cacheLookups.inc(1, e.outcome);
    if (e.tokens_saved > 0) cacheTokensSaved.inc(e.tokens_saved);
    if (e.saved_usd > 0) cacheSavedUsd.inc(e.saved_usd);
  });

  if (gatewayHealth) {
    // Read at scrape time from the limiters themselves: nothing is recorded per request.
    const limiterGauge = (name: string, help: string, value: (p: GatewayHealth['providers'][string]) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['provider'] as const,
        registers,
        async collect() {
          const { providers } = await gatewayHealth();
          this.reset();
          for (const [provider, state] of Object.entries(providers)) {
            const v = value(state);
            // No window (unlimited) has no headroom to report.
            if (v !== null) this.set({ provider: providerLabel(provider) }, v);
          }
        },
      });
    limiterGauge('rate_limiter_headroom', 'Request starts still allowed in the current minute window, by provider (rate_limits.requests_per_minute minus those started)', (p) => p.reservoir);
    limiterGauge(
      'rate_limiter_headroom_ratio',
      'Share (0-1) of the per-minute request allowance still unused in the current window, by provider',
      (p) => (p.reservoir === null || !(p.limits.requests_per_minute > 0) ? null : p.reservoir / p.limits.requests_per_minute),
    );
    limiterGauge('rate_limiter_queued', 'Calls waiting for a rate-limiter slot, by provider', (p) => p.queued);
    limiterGauge('rate_limiter_running', 'Calls holding a concurrency slot, by provider (at most rate_limits.max_concurrent)', (p) => p.running);
  }

  if (storeHealth) {
    new Gauge({
      name: 'store_up',
      help: 'Whether the session and run store answers its health check at scrape time (1) or not (0), by driver',
      labelNames: ['driver'] as const,
      registers,
      async collect() {
        const health = await storeHealth().catch(() => ({ status: 'error' as const, driver: 'unknown' }));
        this.reset();
        this.set({ driver: health.driver }, health.status === 'ok' ? 1 : 0);
      },
    });
  }

  const lastBreaker = new Map<string, CircuitState>();
  for (const key of Object.keys(config.models)) breakerState.set({ model: key }, 0);

  bus.on('attempt', (e) => {
    const model = modelLabel(e.model);
    const provider = providerLabel(e.provider);
    modelCalls.inc(1, model, provider, e.outcome);
    if (e.code !== 'circuit_open') modelDuration.observe(e.latency_ms / 1000, model, provider);
    if (e.simulated) modelSimulated.inc({ model });
    if (e.outcome === 'failure') {
      modelFailures.inc({ model, provider, kind: e.kind ?? 'unknown' });
      return;
    }
    if (e.outcome === 'cancelled') return;
    const tier = tiers?.tierOf(e.context.request_id) ?? 'none';
    if (e.usage) {
      tokens.inc(e.usage.prompt_tokens, model, tier, 'in');
      tokens.inc(e.usage.completion_tokens, model, tier, 'out');
    }
    if (!e.simulated && e.cost_usd) cost.inc(e.cost_usd, model, tier);
  });
  bus.on('retry', (e) => retries.inc({ model: modelLabel(e.model) }));
  bus.on('fallback', (e) => fallbacks.inc({ from: modelLabel(e.from), to: modelLabel(e.to) }));
  bus.on('breaker', (e) => {
    const model = modelLabel(e.model);
    breakerState.set({ model }, BREAKER_VALUE[e.state]);
    if (e.state === 'open' && lastBreaker.get(model) !== 'open') breakerOpens.inc({ model });
    lastBreaker.set(model, e.state);
  });
  bus.on('limiter_wait', (e) => limiterWait.observe({ provider: providerLabel(e.provider) }, e.wait_ms / 1000));
  bus.on('run_finished', (e) => {
    workflowRuns.inc({ status: e.status });
    workflowDuration.observe(e.duration_ms / 1000);
  });
  bus.on('queue', (e) => {
    queueDepth.set(e.queued);
    running.set(e.running);
  });
  bus.on('split_assigned', (e) => splitAssignments.inc({ split: splitLabel(e.split), arm: modelLabel(e.arm) }));

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    requestEnded(_request, end) {
      httpRequests.inc(1, end.route, end.method, end.status);
      httpDuration.observe(end.durationMs / 1000, end.route, end.method, end.status);
    },
  };
}
