/**
 * The per-request cost of the console's time series (telemetry/timeseries.ts): recording one
 * finished request (total + tier rings, both windows) and one model call (model rings), against
 * a listener that only reads the route (what every request not doing model work pays), and the
 * cost of one GET /stats/timeseries answer. In process, no network:
 * `npx tsx scripts/bench/timeseries-micro.ts`.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyRequest } from 'fastify';
import { EventBus } from '../../src/event-bus.js';
import type { AppEvents } from '../../src/events.js';
import type { RequestEnd } from '../../src/telemetry/request-end.js';
import { annotateRequest } from '../../src/telemetry/request-log.js';
import { createTimeseries } from '../../src/telemetry/timeseries.js';
import { median } from './numbers.js';

let now = Date.now();
const bus = new EventBus<AppEvents>();
const models = ['fast_ai', 'medium_ai', 'thinking_ai'];
const ts = createTimeseries({ bus, clock: { now: () => now }, models });
const request = {} as FastifyRequest;
annotateRequest(request, { category: 'M', model_used: 'medium_ai', cost_usd: 0.0004 });
const chat: RequestEnd = { method: 'POST', route: '/chat', status: 200, durationMs: 123.4, clientClosed: false };
const poll: RequestEnd = { method: 'GET', route: '/stats', status: 200, durationMs: 1.2, clientClosed: false };
const attempt = { model: 'medium_ai', provider: 'openrouter', outcome: 'success' as const, latency_ms: 80, cost_usd: 0.0004, simulated: false, context: {} as never };
const N = 1_000_000;
let sink = 0;

const time = (f: () => void) => {
  const t = performance.now();
  f();
  return ((performance.now() - t) * 1e6) / N;
};
const empty = () => time(() => { for (let i = 0; i < N; i++) sink += chat.route.length; });
const other = () => time(() => { for (let i = 0; i < N; i++) ts.requestEnded(request, poll); });
const recorded = () =>
  time(() => {
    for (let i = 0; i < N; i++) {
      now += 3; // a new 10 s bucket every ~3,300 requests, so slot turnover is in the figure
      ts.requestEnded(request, chat);
    }
  });
const call = () =>
  time(() => {
    for (let i = 0; i < N; i++) {
      now += 3;
      bus.emit('attempt', attempt);
    }
  });

const rounds: number[][] = [];
for (let r = 0; r < 7; r++) rounds.push([empty(), other(), recorded(), call()]);
const [e, o, q, c] = [0, 1, 2, 3].map((k) => median(rounds.map((r) => r[k]!))) as [number, number, number, number];
console.log(`baseline loop ${e.toFixed(1)} ns; a request outside the model routes ${o.toFixed(1)} ns; a model request recorded ${q.toFixed(1)} ns; a model call (attempt event) recorded ${c.toFixed(1)} ns; sink ${sink > 0}`);
for (const [window, by] of [['1h', 'tier'], ['1h', 'model'], ['1d', 'model']] as const) {
  const t = performance.now();
  for (let i = 0; i < 200; i++) ts.read({ window, by });
  console.log(`GET /stats/timeseries?window=${window}&by=${by}: ${((performance.now() - t) / 200).toFixed(3)} ms to build (${models.length} models)`);
}
