import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import { createProviderLimiter, LimiterWaitError, type ProviderLimiter, type SharedLimits } from '../../src/gateway/limiter.js';
import { connectRedis } from '../../src/store/redis.js';
import { hasService } from '../helpers/has-service.js';
import { sharedTestRedis } from '../helpers/redis.js';
import type { TestConfigOptions } from '../helpers/gateway-config.js';
import { hello, seenFor } from './fake-gateway.js';
import { fakeSuite } from './fake-suite.js';

/**
 * Issue 11 class B: the limiter learns a provider's retry hint. A model whose provider said
 * "come back in N ms" gets no request from any caller (of any replica, in shared mode) before
 * then; callers that may not wait that long move to their fallback at once.
 */

const limiters: ProviderLimiter[] = [];
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.stop()));
});

function limiter(shared?: SharedLimits, clock: Clock = systemClock): ProviderLimiter {
  const l = createProviderLimiter({
    provider: 'alpha',
    limits: { requests_per_minute: 1000, max_concurrent: 50, max_wait_ms: 10_000 },
    clock,
    windowMs: 1000,
    shared,
  });
  limiters.push(l);
  return l;
}

async function refusal(p: Promise<unknown>): Promise<LimiterWaitError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LimiterWaitError);
  return err as LimiterWaitError;
}

describe('a limiter that learned a reset', () => {
  // Time stands still on this clock: the wait the refusal names is exactly what is left of the reset.
  const frozen: Clock = { now: () => 1_700_000_000_000 };

  it('refuses the model at once to a caller that may not wait that long, and serves its other models', async () => {
    const l = limiter(undefined, frozen);
    l.learnReset('gpt-x', 20_000);
    const err = await refusal(l.acquire(1, { maxWaitMs: 1000, model: 'gpt-x' }));
    expect(err.reason).toBe('model_reset');
    expect(err.waitMs).toBe(20_000);
    const other = await l.acquire(1, { maxWaitMs: 1000, model: 'gpt-y' });
    other.release();
  });

  it('makes a caller that may wait start only after the reset', async () => {
    const l = limiter();
    const learnedAt = performance.now();
    l.learnReset('gpt-x', 300);
    const slot = await l.acquire(1, { maxWaitMs: 2000, model: 'gpt-x' });
    expect(performance.now() - learnedAt).toBeGreaterThanOrEqual(290);
    slot.release();
  });

  it('keeps the later of two resets', async () => {
    const l = limiter(undefined, frozen);
    l.learnReset('gpt-x', 20_000);
    l.learnReset('gpt-x', 10);
    expect((await refusal(l.acquire(1, { maxWaitMs: 1000, model: 'gpt-x' }))).waitMs).toBe(20_000);
  });

  it('remembers at most bounds.model_resets models (issue 17): the reset ending soonest is dropped', async () => {
    const l = createProviderLimiter({
      provider: 'alpha',
      limits: { requests_per_minute: 1000, max_concurrent: 50, max_wait_ms: 10_000 },
      clock: systemClock,
      maxModelResets: 3,
    });
    limiters.push(l);
    // Ad-hoc model ids a caller picks: each a new entry, the latest ones ending last.
    for (let i = 1; i <= 100; i++) l.learnReset(`probe-${i}`, 20_000 + i * 10);
    expect(l.rememberedResets()).toBe(3);
    expect((await refusal(l.acquire(1, { maxWaitMs: 1000, model: 'probe-100' }))).reason).toBe('model_reset');
    const dropped = await l.acquire(1, { maxWaitMs: 1000, model: 'probe-1' });
    dropped.release();
  });
});

// Needs a redis-server (test/helpers/services.ts); the rest of the file always runs.
describe.skipIf(!hasService('redis-server'))('shared mode: a reset learned by one replica holds for every replica', () => {
  let redisUrl: string;
  let stopRedis: () => Promise<void>;
  const clients: Array<{ quit(): Promise<unknown> }> = [];

  beforeAll(async () => {
    const r = await sharedTestRedis();
    redisUrl = r.url;
    stopRedis = r.stop;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    await stopRedis();
  });

  const replica = async (prefix: string): Promise<ProviderLimiter> => {
    const redis = await connectRedis(redisUrl);
    clients.push(redis);
    return limiter({ redis, bottleneckRedisUrl: redisUrl, prefix });
  };

  it('the other replica refuses the model at once, serves other models, and starts after the reset', async () => {
    const prefix = `reset${Date.now()}:`;
    const a = await replica(prefix);
    const b = await replica(prefix);
    // Long enough that a loaded machine cannot let it expire before the other replica looks.
    a.learnReset('gpt-x', 60_000);
    // The learning replica knows at once; the other one learns it from Redis.
    expect((await refusal(a.acquire(1, { maxWaitMs: 500, model: 'gpt-x' }))).reason).toBe('model_reset');
    let err: LimiterWaitError | undefined;
    for (let i = 0; i < 50 && !err; i++) {
      err = await b.acquire(1, { maxWaitMs: 500, model: 'gpt-x' }).then(
        (slot) => {
          slot.refund();
          return undefined;
        },
        (e: unknown) => e as LimiterWaitError,
      );
    }
    expect(err).toBeInstanceOf(LimiterWaitError);
    expect(err!.reason).toBe('model_reset');
    (await b.acquire(1, { maxWaitMs: 500, model: 'gpt-y' })).release();

    // Measured from before the reset is learned, so a slow machine can only make the wait look longer.
    const learnedAt = performance.now();
    a.learnReset('gpt-z', 3000);
    let known = false;
    for (let i = 0; i < 200 && !known; i++) {
      known = await b.acquire(1, { maxWaitMs: 100, model: 'gpt-z' }).then(
        (slot) => (slot.refund(), false),
        (e: unknown) => (e as LimiterWaitError).reason === 'model_reset',
      );
    }
    expect(known).toBe(true);
    const slot = await b.acquire(1, { maxWaitMs: 10_000, model: 'gpt-z' });
    expect(performance.now() - learnedAt).toBeGreaterThanOrEqual(2990);
    slot.release();
  });
});

describe('through the gateway', () => {
  const suite = fakeSuite();
  const withModels = (models: TestConfigOptions['models']) => suite.withModels(models);

  it('a provider that said "reset in 30 s" gets no more requests for that model from any caller; the fallback answers', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:rate_limit_retry_after_30/primary-model', fallbacks: ['sibling'] },
      sibling: { provider: 'alpha', model: 'sibling-model' },
    });
    const first = await gateway.call(hello());
    expect(first.model_used).toBe('sibling');
    const second = await gateway.call(hello());
    const third = await gateway.call(hello());
    expect(seenFor(suite.fake, 'primary-model')).toHaveLength(1);
    // Another model of the same provider is not held up by the first one's reset.
    expect([second.model_used, third.model_used]).toEqual(['sibling', 'sibling']);
    expect(second.attempts[0]).toMatchObject({ model: 'primary', outcome: 'skipped', code: 'rate_limit_reset' });
  });

  it('a successful answer that spent its window (x-ratelimit-remaining-requests: 0) holds the next request until the reset', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:window_spent_30000/primary-model', fallbacks: ['sibling'] },
      sibling: { provider: 'alpha', model: 'sibling-model' },
    });
    expect((await gateway.call(hello())).model_used).toBe('primary');
    const next = await gateway.call(hello());
    expect(next.model_used).toBe('sibling');
    expect(next.attempts[0]).toMatchObject({ model: 'primary', outcome: 'skipped', code: 'rate_limit_reset' });
    expect(seenFor(suite.fake, 'primary-model')).toHaveLength(1);
  });
});
