import { systemClock } from '../../src/clock.js';
import { EventBus } from '../../src/event-bus.js';
import type { AppEvents } from '../../src/events.js';
import { createGateway } from '../../src/gateway/gateway.js';
import type { Gateway } from '../../src/gateway/types.js';
import type { ProviderAdapter, StreamChunk } from '../../src/providers/types.js';
import { testConfig } from '../../test/helpers/gateway-config.js';
import { median } from './numbers.js';

/**
 * `npx tsx scripts/bench/stream-micro.ts`: the gateway's own cost per streamed call, in
 * process (no network), with hedging off and with `hedge_after_ms` set but never reached
 * (a timer, a race and a lane per call). Prints µs per call (median of 7 interleaved runs)
 * and the ratio; see BENCHMARKS.md ("Stream continuation and hedging").
 */

const adapter = (name: string): ProviderAdapter => ({
  name,
  simulated: false,
  generate: async () => ({ text: 'x', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, finish_reason: 'stop', media: [], simulated: false }),
  async *stream(): AsyncGenerator<StreamChunk> {
    for (const text of ['The ', 'answer ', 'is ', 'forty', '-two', '.']) yield { type: 'delta', text };
    yield { type: 'usage', usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } };
    yield { type: 'finish', finish_reason: 'stop' };
  },
});

function build(hedgeAfterMs?: number): Gateway {
  const loaded = testConfig({
    edit: (raw) => {
      raw.circuit_breaker.volume_threshold = 1e9;
      if (hedgeAfterMs !== undefined) raw.timeouts.hedge_after_ms = hedgeAfterMs;
    },
  });
  return createGateway({
    config: loaded.config,
    // Simulated modes: no limiter, so only the gateway's own work is measured.
    providerModes: { alpha: 'simulated', beta: 'simulated', gem: 'simulated' },
    adapters: { alpha: adapter('alpha'), beta: adapter('beta'), gem: adapter('gem') },
    bus: new EventBus<AppEvents>(),
    clock: systemClock,
    random: () => 0.5,
  });
}

/** µs per streamed call, 50 in flight at a time. */
async function run(gateway: Gateway, calls: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < calls; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        // As the HTTP routes do: every call carries the request's abort signal.
        const stream = gateway.stream({ model: 'primary', messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal });
        for await (const chunk of stream.chunks) void chunk;
        await stream.result;
      }),
    );
  }
  return ((performance.now() - started) / calls) * 1000;
}

const gateways = { off: build(), on: build(60_000) };
for (const g of Object.values(gateways)) await run(g, 3000);
const samples: Record<'off' | 'on', number[]> = { off: [], on: [] };
for (let rep = 0; rep < 7; rep++) for (const key of ['off', 'on'] as const) samples[key].push(await run(gateways[key], 10_000));
const off = median(samples.off);
const on = median(samples.on);
console.log(`hedging off: ${off.toFixed(1)} µs/stream · hedging on (not reached): ${on.toFixed(1)} µs/stream · ratio ${(on / off).toFixed(2)}`);
for (const g of Object.values(gateways)) await g.close();
