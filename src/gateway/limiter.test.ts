import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../clock.js';
import { maxInAnyWindow } from '../../test/helpers/gateway-config.js';
import { createProviderLimiter, LimiterWaitError, type ProviderLimiter } from './limiter.js';

// Every test runs on a fake clock (Date and timers): the window arithmetic is exact, so the
// assertions hold under any machine load (no wall-clock bounds).
const limiters: ProviderLimiter[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.stop()));
  vi.useRealTimers();
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

/** Whether `p` has settled after the pending microtasks and zero-delay timers ran, with no fake time passing. */
async function settledAtOnce(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await vi.advanceTimersByTimeAsync(0);
  return settled;
}

/** The fake time at which `p` resolves, advancing the clock 1 ms at a time (at most `limitMs`). */
async function resolvedAt<T>(p: Promise<T>, limitMs = 10_000): Promise<{ value: T; at: number }> {
  let out: { value: T; at: number } | undefined;
  let failure: { err: unknown } | undefined;
  p.then(
    (value) => (out = { value, at: Date.now() }),
    (err: unknown) => (failure = { err }),
  );
  for (let i = 0; i <= limitMs && !out && !failure; i++) await vi.advanceTimersByTimeAsync(i === 0 ? 0 : 1);
  if (failure) throw failure.err;
  if (!out) throw new Error(`not settled within ${limitMs} fake ms`);
  return out;
}

describe('provider limiter', () => {
  it('never starts more than N requests in any sliding window, even under a concurrent burst', async () => {
    const l = limiter({ requests_per_minute: 5 });
    const starts: number[] = [];
    const burst = Promise.all(
      Array.from({ length: 17 }, async () => {
        const slot = await l.acquire(1, { maxWaitMs: 5000 });
        starts.push(Date.now());
        setTimeout(() => slot.release(), 5);
      }),
    );
    await vi.advanceTimersByTimeAsync(5000);
    await burst;
    expect(starts).toHaveLength(17);
    // Exact on the fake clock: five start at once, and no window ever holds a sixth.
    expect(maxInAnyWindow(starts, 200)).toBe(5);
    expect(starts.filter((t) => t === starts[0])).toHaveLength(5);
  });

  it('refuses at once when the window predicts a wait longer than max_wait_ms', async () => {
    const l = limiter({ requests_per_minute: 2 }, 2000);
    (await l.acquire(1, { maxWaitMs: 100 })).release();
    (await l.acquire(1, { maxWaitMs: 100 })).release();
    const refused = l.acquire(1, { maxWaitMs: 100 });
    // Settled before any (fake) time passed: it did not wait out max_wait_ms.
    expect(await settledAtOnce(refused)).toBe(true);
    await expect(refused).rejects.toBeInstanceOf(LimiterWaitError);
  });

  it('gives up when no concurrency slot frees within max_wait_ms', async () => {
    const l = limiter({ max_concurrent: 1 });
    const first = await l.acquire(1, { maxWaitMs: 100 });
    const waiting = l.acquire(1, { maxWaitMs: 50 });
    let outcome: unknown = 'waiting';
    waiting.then(
      () => (outcome = 'granted'),
      (err: unknown) => (outcome = err),
    );
    await vi.advanceTimersByTimeAsync(49);
    expect(outcome).toBe('waiting');
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBeInstanceOf(LimiterWaitError);
    first.release();
    const next = await l.acquire(1, { maxWaitMs: 500 });
    next.release();
  });

  it('fails every waiting caller as soon as it stops (shutdown does not wait out max_wait_ms)', async () => {
    const l = limiter({ requests_per_minute: 1 }, 5000);
    (await l.acquire(1, { maxWaitMs: 100 })).release();
    const waiting = l.acquire(1, { maxWaitMs: 20_000 });
    expect(await settledAtOnce(waiting)).toBe(false);
    await l.stop();
    expect(await settledAtOnce(waiting)).toBe(true);
    await expect(waiting).rejects.toBeInstanceOf(LimiterWaitError);
  });

  it('lets a waiter in when a call in flight ends', async () => {
    const l = limiter({ max_concurrent: 1 });
    const first = await l.acquire(1, { maxWaitMs: 100 });
    const t0 = Date.now();
    const second = l.acquire(1, { maxWaitMs: 2000 });
    expect(l.state()).toMatchObject({ running: 1 });
    setTimeout(() => first.release(), 30);
    const { value: slot, at } = await resolvedAt(second);
    expect(at - t0).toBe(30);
    expect(slot.waitedMs).toBe(30);
    slot.release();
  });

  it('weighs requests by estimated tokens against tokens per window', async () => {
    const l = limiter({ tokens_per_minute: 100 }, 300);
    (await l.acquire(60, { maxWaitMs: 1000 })).release();
    const t0 = Date.now();
    const { value: slot, at } = await resolvedAt(l.acquire(60, { maxWaitMs: 1000 }));
    slot.release();
    // The second 60 fits only once the first leaves the window.
    expect(at - t0).toBeGreaterThanOrEqual(300);
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
    const t0 = Date.now();
    const at: number[] = [];
    for (let i = 0; i < 3; i++) {
      const granted = await resolvedAt(l.acquire(1, { maxWaitMs: 1000 }));
      granted.value.release();
      at.push(granted.at - t0);
    }
    // Two start at once; the third waits for the bucket to refill one start (window / N = 100 ms).
    expect(at.slice(0, 2)).toEqual([0, 0]);
    expect(at[2]).toBeGreaterThanOrEqual(100);
  });

  it('counts requests per day', async () => {
    const l = limiter({ requests_per_day: 2 }, 100);
    (await l.acquire(1, { maxWaitMs: 100 })).release();
    (await l.acquire(1, { maxWaitMs: 100 })).release();
    await expect(l.acquire(1, { maxWaitMs: 200 })).rejects.toBeInstanceOf(LimiterWaitError);
  });

  it('grants a free slot synchronously, and only when nothing would make it wait', async () => {
    const l = limiter({ requests_per_minute: 2, max_concurrent: 1 }, 1000);
    const first = l.tryAcquire(1, { maxWaitMs: 100 });
    expect(first).toBeDefined();
    expect(l.state()).toMatchObject({ running: 1, reservoir: 1 });
    // The one concurrency slot is taken: the caller must wait (acquire), nothing is taken.
    expect(l.tryAcquire(1, { maxWaitMs: 100 })).toBeUndefined();
    first!.release();
    const second = l.tryAcquire(1, { maxWaitMs: 100 });
    second!.release();
    // The window is spent (2 per 1000 ms): no synchronous slot, and the concurrency slot is left free.
    expect(l.tryAcquire(1, { maxWaitMs: 100 })).toBeUndefined();
    expect(l.state()).toMatchObject({ running: 0, reservoir: 0 });
    // A learned reset for the model is honoured too.
    l.learnReset('m', 5000);
    await vi.advanceTimersByTimeAsync(1050);
    expect(l.tryAcquire(1, { maxWaitMs: 100, model: 'm' })).toBeUndefined();
    expect(l.tryAcquire(1, { maxWaitMs: 100, model: 'other' })).toBeDefined();
  });

  it('counts a restamped start from its restamp, and a refunded one not at all, in any order', async () => {
    const l = limiter({ requests_per_minute: 2 }, 1000);
    const a = l.tryAcquire(1, { maxWaitMs: 0 })!;
    await vi.advanceTimersByTimeAsync(100);
    const b = l.tryAcquire(1, { maxWaitMs: 0 })!;
    await vi.advanceTimersByTimeAsync(400);
    // a's response began at 500: it now leaves the window after b (which left at 100 + hold).
    a.restamp();
    a.release();
    b.release();
    const t0 = Date.now();
    const { at } = await resolvedAt(l.acquire(1, { maxWaitMs: 5000 }));
    // The hold is the window plus 5 % (50 ms): b's place frees at 100 + 1050 = 1150, 650 ms after t0.
    expect(at - t0).toBe(650);
    const c = l.tryAcquire(1, { maxWaitMs: 0 });
    expect(c).toBeUndefined();
    // a (restamped at 500) frees its place at 1550; a refunded start never held one.
    await vi.advanceTimersByTimeAsync(1550 - (Date.now() - t0 + 500) - 1);
    expect(l.tryAcquire(1, { maxWaitMs: 0 })).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    const d = l.tryAcquire(1, { maxWaitMs: 0 })!;
    d.refund();
    expect(l.tryAcquire(1, { maxWaitMs: 0 })).toBeDefined();
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
