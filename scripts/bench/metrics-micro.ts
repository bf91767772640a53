/**
 * `AB_TREES=<treeA>,<treeB> npx tsx scripts/bench/metrics-micro.ts`: what the metrics listeners of one JSON
 * request cost (the `attempt` and `cache` events, the request's end), in two source trees, 16 alternating
 * rounds of 100,000; prints µs per request (median, min) of each. See BENCHMARKS.md "Issue 18, fourth pass (JSON path …)".
 */
import type { Metrics } from '../../src/telemetry/metrics.js';
import type { AppEventBus } from '../../src/events.js';

const trees = (process.env.AB_TREES ?? '').split(',');
if (trees.length !== 2) throw new Error('AB_TREES=<treeA>,<treeB>: two source trees (each with src/)');
const { BENCH_ENV, benchConfig } = await import('./bench-config.js');
const sides: Array<{ tree: string; bus: AppEventBus; metrics: Metrics }> = [];
for (const tree of trees) {
  const { createMetrics } = (await import(`${tree}/src/telemetry/metrics.ts`)) as typeof import('../../src/telemetry/metrics.js');
  const { EventBus } = (await import(`${tree}/src/event-bus.ts`)) as typeof import('../../src/event-bus.js');
  const { parseConfig } = (await import(`${tree}/src/config/load.ts`)) as typeof import('../../src/config/load.js');
  const { createRequestTiers } = (await import(`${tree}/src/telemetry/request-tiers.ts`)) as typeof import('../../src/telemetry/request-tiers.js');
  const config = parseConfig(benchConfig({ fakeUrl: 'http://127.0.0.1:9' }), BENCH_ENV, 'bench').config;
  const bus: AppEventBus = new EventBus();
  const tiers = createRequestTiers(bus);
  const metrics = createMetrics({ bus, config, tiers });
  sides.push({ tree, bus, metrics });
}
const usage = { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 };
const one = (s: (typeof sides)[number], i: number) => {
  s.bus.emit('attempt', { model: 'medium_ai', provider: 'openrouter', outcome: 'success', latency_ms: 3 + (i % 7), usage, cost_usd: 0.000012, simulated: false, context: { request_id: `r${i}` } });
  s.bus.emit('cache', { outcome: 'bypass', model: 'medium_ai', tokens_saved: 0, saved_usd: 0 });
  s.metrics.requestEnded({} as never, { route: '/v1/chat/completions', method: 'POST', status: 200, durationMs: 4 + (i % 5) } as never);
};
const res: number[][] = sides.map(() => []);
for (let r = 0; r < 16; r++) {
  for (const k of r % 2 ? [1, 0] : [0, 1]) {
    const N = 100000; const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) one(sides[k]!, i);
    res[k]!.push(Number(process.hrtime.bigint() - t) / N);
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
for (let k = 0; k < sides.length; k++) console.log(`${sides[k]!.tree}: ${(med(res[k]!) / 1000).toFixed(2)} µs per request (min ${(Math.min(...res[k]!) / 1000).toFixed(2)})`);

