import { systemClock } from '../../src/clock.js';
import { EventBus } from '../../src/event-bus.js';
import type { AppEvents } from '../../src/events.js';
import { createGateway } from '../../src/gateway/gateway.js';
import type { Gateway, GatewayRequest } from '../../src/gateway/types.js';
import { createAdapters } from '../../src/providers/registry.js';
import type { FakeAttempt, FakeProvider } from '../../scripts/fake-provider/server.js';
import { TEST_WINDOW_MS, testConfig, type TestConfigOptions } from '../helpers/gateway-config.js';

/** A gateway with the real adapters, every provider pointed at the fake provider. */
export interface FakeGateway {
  gateway: Gateway;
  events: { name: keyof AppEvents; event: unknown }[];
  /**
   * Each request the gateway handed to a provider's adapter, with the gateway's clock then (ms): what its
   * limiter controls. The fake's own arrival times add the wire's delay, which varies with the machine's load.
   */
  dispatched: { provider: string; model: string; at: number }[];
  close(): Promise<void>;
}

export function fakeGateway(fake: FakeProvider, opts: Omit<TestConfigOptions, 'fakeUrl'> = {}): FakeGateway {
  const loaded = testConfig({ ...opts, fakeUrl: fake.url });
  const bus = new EventBus<AppEvents>();
  const events: FakeGateway['events'] = [];
  for (const name of ['attempt', 'retry', 'fallback', 'hedge', 'breaker', 'limiter_wait'] as const) {
    bus.on(name, (event) => events.push({ name, event }));
  }
  const dispatched: FakeGateway['dispatched'] = [];
  const adapters = createAdapters(loaded, { veoPollMs: 20, veoPollCapMs: 50 });
  for (const adapter of Object.values(adapters)) {
    const { generate, stream, streamInto } = adapter;
    const note = (model: string) => dispatched.push({ provider: adapter.name, model, at: systemClock.now() });
    adapter.generate = (req) => (note(req.model), generate.call(adapter, req));
    adapter.stream = (req) => (note(req.model), stream.call(adapter, req));
    if (streamInto) adapter.streamInto = (req, emit) => (note(req.model), streamInto.call(adapter, req, emit));
  }
  const gateway = createGateway({
    config: loaded.config,
    providerModes: loaded.providerModes,
    adapters,
    bus,
    clock: systemClock,
    windowMs: TEST_WINDOW_MS,
  });
  return { gateway, events, dispatched, close: () => gateway.close() };
}

export const hello = (extra: Partial<GatewayRequest> = {}): GatewayRequest => ({
  model: 'primary',
  messages: [{ role: 'user', content: 'hello there' }],
  ...extra,
});

/** The attempts the fake saw for a model id (fault prefix included or not). */
export const seenFor = (fake: FakeProvider, id: string): FakeAttempt[] =>
  fake.attempts.filter((a) => a.model === id || a.model.endsWith(`/${id}`));

/** The messages of a chat-completions request the fake received. */
export const messagesOf = (attempt: FakeAttempt): { role: string; content: unknown }[] =>
  ((attempt.body as { messages?: { role: string; content: unknown }[] }).messages ?? []);
