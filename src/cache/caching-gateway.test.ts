import { describe, expect, it } from 'vitest';
import { EventBus } from '../event-bus.js';
import type { AppEvents } from '../events.js';
import type { CallFinish, Gateway, GatewayRequest, GatewayResult } from '../gateway/types.js';
import { testConfig } from '../../test/helpers/gateway-config.js';
import { withResponseCache } from './caching-gateway.js';
import { createMemoryCacheDriver } from './memory-driver.js';

const answer = (model: string): GatewayResult => ({
  text: `answer from ${model}`,
  media: [],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  cost_usd: 0.001,
  model_used: model,
  provider: 'alpha',
  fallback_used: false,
  attempts: [],
  finish_reason: 'stop',
  truncated: false,
  simulated: false,
});

/** A gateway double that answers at once and remembers the finish it was given (as the real gateway applies it). */
function innerGateway() {
  const finishes: Array<CallFinish | undefined> = [];
  const inner: Gateway = {
    call: (req, finish) => {
      finishes.push(finish);
      const result = answer(req.model);
      return Promise.resolve(finish ? finish(req, result) : result);
    },
    stream: () => {
      throw new Error('not used');
    },
    circuitState: () => 'closed',
    health: async () => ({ models: {}, providers: {} }),
    close: async () => undefined,
  };
  return { inner, finishes };
}

function cached() {
  const { config } = testConfig({ edit: (raw) => (raw.models.primary.cache = { ttl_s: 60 }) });
  const bus = new EventBus<AppEvents>();
  const outcomes: string[] = [];
  bus.on('cache', (e) => outcomes.push(e.outcome));
  const { inner, finishes } = innerGateway();
  const gateway = withResponseCache(inner, config, { driver: createMemoryCacheDriver({ now: () => 0 }, { maxEntries: 10, maxBytes: 1_000_000 }), clock: { now: () => 0 }, bus, log: { warn: () => undefined } });
  return { gateway, finishes, outcomes };
}

const ask = (extra: Partial<GatewayRequest> = {}): GatewayRequest => ({ model: 'primary', messages: [{ role: 'user', content: 'hello' }], temperature: 0, ...extra });

describe('response cache in front of a gateway', () => {
  it('marks a bypassed call through the inner call (no promise of its own), then applies the caller\'s finish to the marked result', async () => {
    const { gateway, finishes, outcomes } = cached();
    expect(await gateway.call(ask({ context: { cache: false } }))).toMatchObject({ cache: 'bypass', text: 'answer from primary' });
    expect(finishes[0]).toBeTypeOf('function');
    const seen: Array<string | undefined> = [];
    const result = await gateway.call(ask({ context: { cache: false } }), (_req, res) => {
      seen.push(res.cache);
      return { ...res, text: 'finished' };
    });
    expect(seen).toEqual(['bypass']);
    expect(result).toMatchObject({ cache: 'bypass', text: 'finished' });
    expect(outcomes).toEqual(['bypass', 'bypass']);
  });

  it("applies the caller's finish to a miss and to a hit", async () => {
    const { gateway, finishes, outcomes } = cached();
    const seen: Array<string | undefined> = [];
    const finish: CallFinish = (_req, res) => {
      seen.push(res.cache);
      return res;
    };
    expect(await gateway.call(ask(), finish)).toMatchObject({ cache: 'miss' });
    expect(await gateway.call(ask(), finish)).toMatchObject({ cache: 'hit', text: 'answer from primary' });
    // The inner gateway was called once, for the miss, and without a finish (the cache stores the answer first).
    expect(finishes).toEqual([undefined]);
    expect(seen).toEqual(['miss', 'hit']);
    expect(outcomes).toEqual(['miss', 'hit']);
  });
});
