import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { maxInAnyWindow } from '../../test/helpers/gateway-config.js';
import { createProviderLimiter, LimiterWaitError, type ProviderLimiter } from './limiter.js';

const limiters: ProviderLimiter[] = [];
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.stop()));
});

function limiter(limits: Record<string, number>, windowMs = 200): ProviderLimiter {
  const l = createProviderLimiter({
    provider: 'alpha',
    limits: { requests_per_minute: 1000, max_concurrent: 50, max_wait_ms: 10_000, ...limits },
    clock: systemClock,
    windowMs,
    dayWindowMs: windowMs * 10,
  });
  limiters.push(l);
  return l;
}

describe('provider limiter', () => {
  it('never starts more than N requests in any sliding window, even under a concurrent burst', async () => {
    const l = limiter({ requests_per_minute: 5 });
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 17 }, async () => {
        const slot = await l.acquire(1, { maxWaitMs: 5000 });
        starts.push(performance.now());
        setTimeout(() => slot.release(), 5);
      }),
    );
    expect(starts).toHaveLength(17);
    expect(maxInAnyWindow(starts, 200)).toBeLessThanOrEqual(5);
  });

  it('refuses at once when the window predicts a wait longer than max_wait_ms', async () => {
    const l = limiter({ requests_per_minute: 2 }, 2000);
    (await l.acquire(1, { maxWaitMs: 100 })).release();
    (await l.acquire(1, { maxWaitMs: 100 })).release();
    const before = performance.now();
    await expect(l.acquire(1, { maxWaitMs: 100 })).rejects.toBeInstanceOf(LimiterWaitError);
    expect(performance.now() - before).toBeLessThan(100);
  });

  it('gives up when no concurrency slot frees within max_wait_ms', async () => {
    const l = limiter({ max_concurrent: 1 });
    const first = await l.acquire(1, { maxWaitMs: 100 });
    await expect(l.acquire(1, { maxWaitMs: 50 })).rejects.toBeInstanceOf(LimiterWaitError);
    first.release();
    const next = await l.acquire(1, { maxWaitMs: 500 });
    next.release();
  });

  it('fails every waiting caller as soon as it stops (shutdown does not wait out max_wait_ms)', async () => {
    const l = limiter({ requests_per_minute: 1 }, 5000);
    (await l.acquire(1, { maxWaitMs: 100 })).release();
    const waiting = l.acquire(1, { maxWaitMs: 20_000 });
    await l.stop();
    const outcome = await Promise.race([
      waiting.then(
        () => 'granted',
        (err: unknown) => err,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1000)),
    ]);
    expect(outcome).toBeInstanceOf(LimiterWaitError);
  });

  it('lets a waiter in when a call in flight ends', async () => {
    const l = limiter({ max_concurrent: 1 });
    const first = await l.acquire(1, { maxWaitMs: 100 });
    const second = l.acquire(1, { maxWaitMs: 2000 });
    expect(l.state()).toMatchObject({ running: 1 });
    setTimeout(() => first.release(), 30);
    const slot = await second;
    expect(slot.waitedMs).toBeGreaterThanOrEqual(20);
    slot.release();
  });

  it('weighs requests by estimated tokens against tokens per window', async () => {
    const l = limiter({ tokens_per_minute: 100 }, 300);
    (await l.acquire(60, { maxWaitMs: 1000 })).release();
    const before = performance.now();
    (await l.acquire(60, { maxWaitMs: 1000 })).release();
    // The second 60 fits only once the first leaves the window.
    expect(performance.now() - before).toBeGreaterThanOrEqual(250);
  });

  it('gives a refunded start back to the window', async () => {
    const l = limiter({ requests_per_minute: 1 }, 5000);
    (await l.acquire(1, { maxWaitMs: 100 })).refund();
    const slot = await l.acquire(1, { maxWaitMs: 100 });
    slot.release();
    expect(l.state().reservoir).toBe(0);
  });

  it('paces starts after the burst is spent', async () => {
    const l = limiter({ requests_per_minute: 10, burst: 2 }, 1000);
    const before = performance.now();
    for (let i = 0; i < 3; i++) (await l.acquire(1, { maxWaitMs: 1000 })).release();
    // Two start at once; the third waits for the bucket to refill one start (window / N = 100 ms).
    expect(performance.now() - before).toBeGreaterThanOrEqual(80);
  });

  it('counts requests per day', async () => {
    const l = limiter({ requests_per_day: 2 }, 100);
    (await l.acquire(1, { maxWaitMs: 100 })).release();
    (await l.acquire(1, { maxWaitMs: 100 })).release();
    await expect(l.acquire(1, { maxWaitMs: 200 })).rejects.toBeInstanceOf(LimiterWaitError);
  });

  it("stops waiting when the caller's signal aborts", async () => {
    const l = limiter({ max_concurrent: 1 });
    const first = await l.acquire(1, { maxWaitMs: 100 });
    const controller = new AbortController();
    const waiting = l.acquire(1, { maxWaitMs: 5000, signal: controller.signal });
    controller.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    first.release();
  });
});
