/**
 * The hot-path cost of drift detection (src/telemetry/drift/): what recording one model call's
 * samples costs, against the listeners every call already feeds (stats and metrics). In process,
 * no network: `npx tsx scripts/bench/drift-micro.ts`. Each call is one `attempt` event for a
 * request whose tier is known (so it feeds a model and a tier subject: 2 × 5 streams, and the
 * model's category mix), with the default windows (baseline 200, recent 50) past their learning.
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/event-bus.js';
import type { AppEvents } from '../../src/events.js';
import { createMemoryDriftStore } from '../../src/store/drift-memory.js';
import { createRequestTiers } from '../../src/telemetry/request-tiers.js';
import { createDriftDetector } from '../../src/telemetry/drift/detector.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { createStats } from '../../src/telemetry/stats.js';
import { median } from './numbers.js';

const { config } = loadConfig({});
const N = 200_000;
let now = 0;
const clock = { now: () => now };

function busWith(drift: boolean) {
  const bus = new EventBus<AppEvents>();
  createStats({ bus, clock, config });
  // As the app builds them: the request tiers are remembered whether drift detection is on or not.
  const tiers = createRequestTiers(bus);
  createMetrics({ bus, config, tiers });
  if (drift) createDriftDetector({ bus, clock, config: () => config, store: createMemoryDriftStore(), log: { warn: () => undefined }, replica: 'bench', tiers });
  bus.emit('request_categorized', { request_id: 'r1', endpoint: '/chat', category: 'M', source: 'model' });
  return bus;
}

const run = (bus: EventBus<AppEvents>) => {
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    now += 1;
    bus.emit('attempt', {
      model: 'medium_ai',
      provider: 'openrouter',
      outcome: 'success',
      latency_ms: 20 + (i % 17),
      usage: { prompt_tokens: 40, completion_tokens: 50 + (i % 7), total_tokens: 90 },
      cost_usd: 0.0001,
      simulated: false,
      context: { request_id: 'r1' },
    });
  }
  return performance.now() - t;
};

const without = busWith(false);
const withDrift = busWith(true);
run(without);
run(withDrift);
const rounds: { base: number; drift: number }[] = [];
for (let r = 0; r < 5; r++) rounds.push({ base: run(without), drift: run(withDrift) });
const base = (median(rounds.map((r) => r.base)) * 1e6) / N;
const drift = (median(rounds.map((r) => r.drift)) * 1e6) / N;
console.log(
  `per call: stats + metrics ${(base / 1000).toFixed(2)} µs; with drift ${(drift / 1000).toFixed(2)} µs (+${((drift - base) / 1000).toFixed(2)} µs, ${(drift / base).toFixed(2)}×)`,
);
