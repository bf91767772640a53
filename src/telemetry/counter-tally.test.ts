import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterTally } from './counter-tally.js';
import { HistogramTally } from './histogram-tally.js';

describe('CounterTally', () => {
  it('exports what prom-client counters fed one increment at a time would, series in first-seen order', async () => {
    const tallied = new Registry();
    const direct = new Registry();
    const tally = new CounterTally(['route', 'method', 'status'] as const);
    new Counter({ name: 'req_total', help: 'h', labelNames: ['route', 'method', 'status'] as const, registers: [tallied], collect() {
      tally.writeTo(this);
    } });
    const plain = new Counter({ name: 'req_total', help: 'h', labelNames: ['route', 'method', 'status'] as const, registers: [direct] });
    const one = new CounterTally(['outcome'] as const);
    new Counter({ name: 'one_total', help: 'h', labelNames: ['outcome'] as const, registers: [tallied], collect() {
      one.writeTo(this);
    } });
    const onePlain = new Counter({ name: 'one_total', help: 'h', labelNames: ['outcome'] as const, registers: [direct] });
    const calls: Array<[number, string, string, number]> = [
      [1, '/v1/chat/completions', 'POST', 200],
      [1, '/health', 'GET', 200],
      [2.5, '/v1/chat/completions', 'POST', 200],
      [0, '/v1/chat/completions', 'POST', 400],
      [1, '/health', 'GET', 503],
    ];
    for (const [by, route, method, status] of calls) {
      tally.inc(by, route, method, status);
      plain.inc({ route, method, status: String(status) }, by);
    }
    for (const outcome of ['bypass', 'hit', 'bypass']) {
      one.inc(1, outcome);
      onePlain.inc({ outcome });
    }
    expect(await tallied.metrics()).toBe(await direct.metrics());
    // A scrape writes the totals, not a second copy of them.
    expect(await tallied.metrics()).toBe(await direct.metrics());
    expect(() => tally.inc(-1, '/x', 'GET', 200)).toThrow(TypeError);
    expect(() => tally.inc(Number.NaN, '/x', 'GET', 200)).toThrow(TypeError);
  });
});

describe('HistogramTally', () => {
  it('exports what a prom-client Histogram fed the same observations would, as text and through get()', async () => {
    const tallied = new Registry();
    const direct = new Registry();
    const buckets = [0.05, 0.1, 0.25, 1];
    const tally = new HistogramTally('call_seconds', 'Call latency', ['model', 'provider'] as const, buckets, [tallied]);
    const plain = new Histogram({ name: 'call_seconds', help: 'Call latency', labelNames: ['model', 'provider'] as const, buckets, registers: [direct] });
    const three = new HistogramTally('req_seconds', 'h', ['route', 'method', 'status'] as const, buckets, [tallied]);
    const threePlain = new Histogram({ name: 'req_seconds', help: 'h', labelNames: ['route', 'method', 'status'] as const, buckets, registers: [direct] });
    const seen: Array<[number, string, string]> = [
      [0.01, 'medium_ai', 'openrouter'],
      [0.3, 'fast_ai', 'google_ai'],
      [0.1, 'medium_ai', 'openrouter'],
      [7, 'medium_ai', 'openrouter'],
      [0.05, 'fast_ai', 'google_ai'],
    ];
    for (const [v, model, provider] of seen) {
      tally.observe(v, model, provider);
      plain.observe({ model, provider }, v);
      three.observe(v, '/v1/chat/completions', 'POST', 200);
      threePlain.observe({ route: '/v1/chat/completions', method: 'POST', status: '200' }, v);
    }
    expect(await tallied.metrics()).toBe(await direct.metrics());
    expect(await tallied.getMetricsAsJSON()).toEqual(await direct.getMetricsAsJSON());
    expect(() => tally.observe(Number.NaN, 'm', 'p')).toThrow(TypeError);
    tallied.resetMetrics();
    direct.resetMetrics();
    expect(await tallied.metrics()).toBe(await direct.metrics());
  });
});
