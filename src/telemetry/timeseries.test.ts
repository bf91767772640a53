import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../event-bus.js';
import type { AppEvents } from '../events.js';
import { annotateRequest } from './request-log.js';
import type { RequestEnd } from './request-end.js';
import { createTimeseries } from './timeseries.js';

function setup(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
  let now = start;
  const clock = { now: () => now };
  const bus = new EventBus<AppEvents>();
  const ts = createTimeseries({ bus, clock, models: ['fast_ai', 'medium_ai'] });
  const end = (fields: Partial<RequestEnd> & { category?: 'L' | 'M' | 'H'; cost?: number } = {}) => {
    const request = {} as FastifyRequest;
    if (fields.category || fields.cost !== undefined) annotateRequest(request, { category: fields.category, cost_usd: fields.cost });
    ts.requestEnded(request, { method: 'POST', route: '/chat', status: 200, durationMs: 100, clientClosed: false, ...fields });
  };
  const attempt = (model: string, outcome: 'success' | 'failure' | 'cancelled', latency_ms = 50, cost_usd = 0.001) =>
    bus.emit('attempt', { model, provider: 'p', outcome, latency_ms, cost_usd, simulated: false, context: {} as never });
  return { ts, bus, end, attempt, advance: (ms: number) => (now += ms) };
}

describe('timeseries', () => {
  it('counts model-work requests per 10 s bucket, by tier, with errors (5xx), cost and latency percentiles', () => {
    const { ts, end, advance } = setup();
    advance(20_000);
    for (let i = 0; i < 16; i++) end({ category: 'M', durationMs: 100, cost: 0.01 });
    end({ category: 'L', durationMs: 1000, status: 502 });
    end({ category: 'L', durationMs: 1000 });
    end({ category: 'L', durationMs: 1000 });
    end({ status: 400, durationMs: 5 });
    // Not model work: the console's own polling is not traffic.
    end({ method: 'GET', route: '/stats' });
    const out = ts.read({ window: '1h', by: 'tier' });
    expect(out.times_ms).toHaveLength(360);
    expect(out.bucket_s).toBe(10);
    expect(out.total.requests.at(-1)).toBe(20);
    expect(out.total.requests.slice(0, -1).every((n) => n === 0)).toBe(true);
    expect(out.total.summary).toMatchObject({ requests: 20, errors: 1, error_rate: 0.05, cost_usd: 0.16 });
    // Bins are √2 wide: 100 ms reads as a value within ±19 %, 1000 ms likewise.
    expect(out.total.summary.latency_ms.p50).toBeGreaterThan(81);
    expect(out.total.summary.latency_ms.p50).toBeLessThan(119);
    expect(out.total.summary.latency_ms.p95).toBeGreaterThan(810);
    expect(out.total.summary.latency_ms.p95).toBeLessThan(1190);
    expect(Object.keys(out.groups)).toEqual(['L', 'M', 'none']);
    expect(out.groups.M!.summary.requests).toBe(16);
    expect(out.groups.L!.summary.errors).toBe(1);
    // 20 requests in the 20 s since start; 0.16 USD in 20 s is 28.8 USD per hour.
    expect(out.total.summary.requests_per_s).toBe(1);
    expect(out.total.summary.cost_per_hour_usd).toBeCloseTo(28.8, 6);
  });

  it('moves the window on: an hour later the old bucket is gone from 1h but still in 1d, and a reused slot starts from zero', () => {
    const { ts, end, advance } = setup();
    end({ category: 'M' });
    advance(3600_000);
    end({ category: 'M' });
    const hour = ts.read({ window: '1h', by: 'tier' });
    expect(hour.total.summary.requests).toBe(1);
    expect(hour.total.requests.reduce((a, b) => a + b)).toBe(1);
    const day = ts.read({ window: '1d', by: 'tier' });
    expect(day.bucket_s).toBe(300);
    expect(day.times_ms).toHaveLength(288);
    expect(day.total.summary.requests).toBe(2);
  });

  it('by model counts calls from the gateway: failures, cost of successes only, hedges’ cancelled losers left out', () => {
    const { ts, attempt } = setup();
    attempt('fast_ai', 'success', 40, 0.002);
    attempt('fast_ai', 'failure', 10, 0);
    attempt('fast_ai', 'cancelled');
    attempt('medium_ai', 'success', 300, 0.004);
    const out = ts.read({ window: '1h', by: 'model' });
    expect(Object.keys(out.groups)).toEqual(['fast_ai', 'medium_ai']);
    expect(out.groups.fast_ai!.summary).toMatchObject({ requests: 2, errors: 1, error_rate: 0.5, cost_usd: 0.002 });
    expect(out.groups.medium_ai!.summary.cost_usd).toBe(0.004);
  });

  it('reads the cache hit rate from the x-cache header, counting only requests that were looked up', () => {
    const { ts, end } = setup();
    end({ cache: 'HIT' });
    end({ cache: 'MISS' });
    end({ cache: 'HIT' });
    end({});
    const out = ts.read({ window: '1h', by: 'tier' });
    expect(out.total.summary.cache_hit_rate).toBeCloseTo(2 / 3, 3);
    expect(out.total.cache_lookups.at(-1)).toBe(3);
  });

  it('keeps ad-hoc model names bounded, and a name like __proto__ stays an ordinary key', () => {
    const { ts, attempt } = setup();
    attempt('__proto__', 'success');
    for (let i = 0; i < 30; i++) attempt(`adhoc/model-${i}`, 'success');
    const out = ts.read({ window: '1h', by: 'model' });
    expect(Object.keys(out.groups)).toContain('__proto__');
    expect(Object.keys(out.groups)).toContain('other');
    expect(Object.keys(out.groups).length).toBeLessThanOrEqual(2 + 20 + 1);
  });
});
