import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/event-bus.js';
import type { AppEvents } from '../../src/events.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { createRequestTiers } from '../../src/telemetry/request-tiers.js';
import { createStats } from '../../src/telemetry/stats.js';
import { testConfig } from './config.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';
import { EXPECTED, playScenario } from './scenario.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

function setup() {
  const config = testConfig();
  const bus = new EventBus<AppEvents>();
  const now = { value: T0 };
  const stats = createStats({ bus, clock: { now: () => now.value }, config });
  const metrics = createMetrics({ bus, config });
  return { config, bus, now, stats, metrics };
}

describe('stats after a scripted scenario', () => {
  it('counts exactly the calls, failures, retries, fallbacks, tokens and cost the gateway reported', () => {
    const { bus, now, stats } = setup();
    playScenario(bus);
    now.value = T0 + 90_000;
    const s = stats.snapshot();

    expect(s.totals).toEqual({
      calls: EXPECTED.calls,
      failures: EXPECTED.failures,
      retries: EXPECTED.retries,
      fallbacks: EXPECTED.fallbacks,
      simulated_calls: EXPECTED.simulated,
      tokens_in: EXPECTED.tokensIn,
      tokens_out: EXPECTED.tokensOut,
      cost_usd: expect.closeTo(EXPECTED.costUsd, 10),
    });
    expect(s.uptime_s).toBe(90);
    expect(s.started_at).toBe('2025-01-01T00:00:00.000Z');
    expect(s.requests.by_category).toEqual({ L: 1, M: 1, H: 1 });
    expect(s.requests.categorizer_source).toEqual({ model: 1, heuristic: 1, override: 1 });
    expect(s.workflows).toEqual({ started: 2, by_status: { completed: 1, failed: 1 }, cost_usd: 0.004, queued: 3, running: 1 });
  });

  it('attributes each number to its model', () => {
    const { bus, stats } = setup();
    playScenario(bus);
    const { models } = stats.snapshot();

    expect(models.medium_ai).toMatchObject({
      provider: 'openrouter',
      calls: 3,
      successes: 0,
      failures: 3,
      failures_by_kind: { server_error: 2, timeout: 1 },
      retries: 2,
      fallbacks: 1,
      fallbacks_to: 0,
      breaker: { state: 'half_open', opens: 1 },
      latency_ms: { p50: 250, p95: 300, p99: 300, samples: 3 },
      cost_usd: 0,
    });
    expect(models.long_context_ai).toMatchObject({
      provider: 'google_ai',
      calls: 1,
      successes: 1,
      fallbacks_to: 1,
      tokens_in: 300,
      tokens_out: 100,
      cost_usd: 0.002,
      breaker: { state: 'closed', opens: 0 },
    });
    expect(models.fast_ai).toMatchObject({ calls: 3, successes: 3, simulated_calls: 2, cost_usd: 0.001, tokens_in: 120, tokens_out: 70 });
    expect(models.thinking_ai).toMatchObject({ calls: 2, failures_by_kind: { rate_limit: 1 }, retries: 1, cost_usd: 0.004 });
    // Configured models nobody called are listed at zero.
    expect(models.video_generation).toMatchObject({ calls: 0, latency_ms: { p50: null, p95: null, p99: null, samples: 0 } });
  });

  it('keeps latency percentiles over the last latency_window samples only', () => {
    const config = testConfig((raw) => {
      raw.monitoring.latency_window = 10;
    });
    const bus = new EventBus<AppEvents>();
    const stats = createStats({ bus, clock: { now: () => T0 }, config });
    for (let i = 1; i <= 100; i++) {
      bus.emit('attempt', { model: 'fast_ai', provider: 'openrouter', outcome: 'success', latency_ms: i, simulated: false, context: {} });
    }
    expect(stats.snapshot().models.fast_ai!.latency_ms).toEqual({ p50: 95, p95: 100, p99: 100, samples: 10 });
  });

  it('bounds the models it tracks when callers name ad-hoc models', () => {
    const { bus, config, stats } = setup();
    for (let i = 0; i < 200; i++) {
      bus.emit('attempt', { model: `openrouter/vendor/model-${i}`, provider: 'openrouter', outcome: 'success', latency_ms: 1, simulated: false, context: {} });
    }
    const { models, totals } = stats.snapshot();
    expect(Object.keys(models).length).toBeLessThanOrEqual(Object.keys(config.models).length + 21);
    expect(models.other!.calls).toBe(180);
    expect(totals.calls).toBe(200);
  });
});

describe('metrics after the same scenario', () => {
  it('renders Prometheus text whose counters say exactly what happened', async () => {
    const { bus, metrics } = setup();
    playScenario(bus);
    const text = await metrics.render();
    const families = parsePrometheusText(text);
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(families, name, labels);
    const sum = (name: string) => families.get(name)!.samples.reduce((acc, s) => acc + s.value, 0);

    expect(sum('model_calls_total')).toBe(EXPECTED.calls);
    expect(v('model_calls_total', { model: 'medium_ai', provider: 'openrouter', outcome: 'failure' })).toBe(3);
    expect(v('model_calls_total', { model: 'fast_ai', outcome: 'success' })).toBe(3);
    expect(v('model_call_failures_total', { model: 'medium_ai', kind: 'server_error' })).toBe(2);
    expect(v('model_simulated_calls_total', { model: 'fast_ai' })).toBe(2);
    expect(sum('model_retries_total')).toBe(EXPECTED.retries);
    expect(v('model_retries_total', { model: 'medium_ai' })).toBe(2);
    expect(v('model_fallbacks_total', { from: 'medium_ai', to: 'long_context_ai' })).toBe(1);
    expect(sum('model_fallbacks_total')).toBe(EXPECTED.fallbacks);
    expect(v('circuit_breaker_state', { model: 'medium_ai' })).toBe(1);
    expect(v('circuit_breaker_state', { model: 'fast_ai' })).toBe(0);
    expect(v('circuit_breaker_opens_total', { model: 'medium_ai' })).toBe(1);
    expect(v('rate_limiter_wait_seconds_count', { provider: 'google_ai' })).toBe(1);
    expect(v('rate_limiter_wait_seconds_sum', { provider: 'google_ai' })).toBeCloseTo(0.25, 9);
    expect(v('workflow_runs_total', { status: 'completed' })).toBe(1);
    expect(v('workflow_runs_total', { status: 'failed' })).toBe(1);
    expect(v('workflow_duration_seconds_count')).toBe(2);
    expect(v('workflow_queue_depth')).toBe(3);
    expect(v('workflow_running')).toBe(1);
    expect(v('model_call_duration_seconds_count', { model: 'medium_ai', provider: 'openrouter' })).toBe(3);
    expect(v('tokens_total', { model: 'long_context_ai', direction: 'in' })).toBe(300);
    expect(sum('tokens_total')).toBe(EXPECTED.tokensIn + EXPECTED.tokensOut);
    expect(sum('cost_usd_total')).toBeCloseTo(EXPECTED.costUsd, 10);
    expect(families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(families.get('nodejs_heap_size_total_bytes')?.type).toBe('gauge');
  });

  it('keeps label values bounded when callers name ad-hoc models', async () => {
    const { bus, metrics } = setup();
    for (let i = 0; i < 200; i++) {
      bus.emit('attempt', { model: `openrouter/vendor/model-${i}`, provider: 'openrouter', outcome: 'success', latency_ms: 1, simulated: false, context: {} });
      bus.emit('fallback', { from: `openrouter/a-${i}`, to: `openrouter/b-${i}`, reason: 'x', context: {} });
    }
    const families = parsePrometheusText(await metrics.render());
    const models = new Set(families.get('model_calls_total')!.samples.map((s) => s.labels.model));
    expect(models.size).toBeLessThanOrEqual(21);
    expect(models.has('other')).toBe(true);
    expect(families.get('model_fallbacks_total')!.samples.length).toBeLessThanOrEqual(21 * 21);
  });

  it('gives each instance its own registry, so two apps in one process never collide', async () => {
    const a = setup();
    const b = setup();
    a.bus.emit('retry', { model: 'fast_ai', provider: 'openrouter', kind: 'timeout', attempt: 1, delay_ms: 1, context: {} });
    expect(a.metrics.registry).not.toBe(b.metrics.registry);
    expect(sampleValue(parsePrometheusText(await a.metrics.render()), 'model_retries_total', { model: 'fast_ai' })).toBe(1);
    expect(parsePrometheusText(await b.metrics.render()).get('model_retries_total')!.samples).toEqual([]);
  });
});

describe('metrics by tier', () => {
  it("labels tokens and cost with the tier of the request that made the call, 'none' when it was not categorized", async () => {
    const config = testConfig();
    const bus = new EventBus<AppEvents>();
    const tiers = createRequestTiers(bus);
    const metrics = createMetrics({ bus, config, tiers });
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
    const call = (model: string, request_id: string | undefined, cost_usd: number) =>
      bus.emit('attempt', { model, provider: 'openrouter', outcome: 'success', latency_ms: 10, usage, cost_usd, simulated: false, context: { request_id } });
    bus.emit('request_categorized', { request_id: 'req-h', endpoint: '/chat', category: 'H', source: 'model' });
    bus.emit('request_categorized', { request_id: 'req-l', endpoint: '/v1/chat/completions', category: 'L', source: 'heuristic' });
    call('thinking_ai', 'req-h', 0.01); // the planner
    call('medium_ai', 'req-h', 0.002); // a task of its workflow
    call('fast_ai', 'req-l', 0.001);
    call('medium_ai', 'req-named', 0.004); // a named model on /v1: never categorized
    call('medium_ai', undefined, 0.008); // a schedule's run

    const families = parsePrometheusText(await metrics.render());
    const v = (name: string, labels: Record<string, string>) => sampleValue(families, name, labels);
    expect(v('cost_usd_total', { model: 'thinking_ai', tier: 'H' })).toBeCloseTo(0.01, 12);
    expect(v('cost_usd_total', { model: 'medium_ai', tier: 'H' })).toBeCloseTo(0.002, 12);
    expect(v('cost_usd_total', { model: 'fast_ai', tier: 'L' })).toBeCloseTo(0.001, 12);
    expect(v('cost_usd_total', { model: 'medium_ai', tier: 'none' })).toBeCloseTo(0.012, 12);
    expect(v('tokens_total', { model: 'medium_ai', tier: 'H', direction: 'in' })).toBe(10);
    expect(v('tokens_total', { model: 'medium_ai', tier: 'none', direction: 'out' })).toBe(10);
    expect(families.get('cost_usd_total')!.samples.some((s) => s.labels.tier === 'M')).toBe(false);
  });

  it('remembers at most its bound of requests, dropping the oldest', () => {
    const bus = new EventBus<AppEvents>();
    const tiers = createRequestTiers(bus, 3);
    for (const [i, category] of (['L', 'M', 'H', 'M'] as const).entries()) bus.emit('request_categorized', { request_id: `r${i}`, endpoint: '/chat', category, source: 'model' });
    expect(tiers.size()).toBe(3);
    expect(tiers.tierOf('r0')).toBeUndefined();
    expect([tiers.tierOf('r1'), tiers.tierOf('r2'), tiers.tierOf('r3')]).toEqual(['M', 'H', 'M']);
    tiers.close();
    bus.emit('request_categorized', { request_id: 'r9', endpoint: '/chat', category: 'L', source: 'model' });
    expect(tiers.tierOf('r9')).toBeUndefined();
  });
});
