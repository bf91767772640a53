import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttemptScope } from './attempt-scope.js';

describe('AttemptScope (one signal and one timer per attempt)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const never = () => new Promise<never>(() => undefined);

  it('ends an attempt that ignores its signal at the deadline, with the overdue error, and leaves no timer', async () => {
    const overdue = new Error('overdue');
    const scope = new AttemptScope(undefined, Date.now() + 100, () => overdue);
    expect(scope.aborted).toBe(false);
    const run = scope.run(never).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(99);
    expect(scope.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await run).toBe(overdue);
    expect(scope.signal.reason).toBe(overdue);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("ends at once with the caller's reason, and stops the exchange in flight", async () => {
    const caller = new AbortController();
    const scope = new AttemptScope(caller.signal, Date.now() + 60_000, () => new Error('overdue'));
    const stopped: unknown[] = [];
    const run = scope
      .run(() => {
        scope.exchange = { abort: (reason) => stopped.push(reason) };
        return never();
      })
      .catch((e: unknown) => e);
    const reason = new Error('client left');
    caller.abort(reason);
    expect(await run).toBe(reason);
    expect(stopped).toEqual([reason]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires an armed exchange limit before the deadline, on the same timer, and reports it through translate', async () => {
    const scope = new AttemptScope(undefined, Date.now() + 60_000, () => new Error('overdue'));
    let settle!: (e: unknown) => void;
    const run = scope
      .run(
        () =>
          new Promise((_, reject) => {
            // Armed during the attempt's synchronous start: the one timer is set for it directly.
            scope.arm('first_byte_timeout', 50, 500);
            settle = reject;
          }),
      )
      .catch((e: unknown) => e);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(scope.fired).toEqual({ code: 'first_byte_timeout', ms: 500 });
    expect(scope.signal.aborted).toBe(true);
    settle(scope.translate('p', new Error('aborted')));
    expect(await run).toMatchObject({ kind: 'timeout', code: 'first_byte_timeout', message: 'p: first byte timeout after 500 ms' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a limit expected at the start and armed later moves no timer; an expected limit never armed fires nothing', async () => {
    const set = vi.spyOn(globalThis, 'setTimeout');
    const scope = new AttemptScope(undefined, Date.now() + 60_000, () => new Error('overdue'));
    let armed = false;
    void scope
      .run(async () => {
        scope.expect(Date.now() + 100);
        await Promise.resolve();
        // The headers came: the rest of the answer is due by the expected time.
        scope.arm('first_byte_timeout', 100);
        armed = true;
        await new Promise(() => undefined);
      })
      .catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(armed).toBe(true);
    // One timer for the attempt, set once (for the expected limit), not moved by the arm.
    expect(set).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(scope.fired).toEqual({ code: 'first_byte_timeout', ms: 100 });
    set.mockRestore();

    const quiet = new AttemptScope(undefined, Date.now() + 1000, () => new Error('overdue'));
    const pending = quiet.run(() => {
      quiet.expect(Date.now() + 50);
      return new Promise<string>((r) => setTimeout(() => r('late but fine'), 200));
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(await pending).toBe('late but fine');
    expect(quiet.fired).toBeUndefined();
  });

  it('a disarmed limit never fires; the attempt that succeeds keeps no timer or listener', async () => {
    const caller = new AbortController();
    const scope = new AttemptScope(caller.signal, Date.now() + 1000, () => new Error('overdue'));
    const run = scope.run(async () => {
      scope.arm('first_byte_timeout', 10);
      scope.dispose();
      await new Promise((r) => setTimeout(r, 100));
      return 'ok';
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(await run).toBe('ok');
    expect(scope.fired).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    caller.abort(new Error('late'));
    expect(scope.signal.aborted).toBe(false);
  });

  it('starts aborted when the caller already gave up, without running the call', async () => {
    const caller = new AbortController();
    const reason = new Error('gone');
    caller.abort(reason);
    const scope = new AttemptScope(caller.signal, Date.now() + 1000, () => new Error('overdue'));
    const call = vi.fn(never);
    await expect(scope.run(call)).rejects.toBe(reason);
    expect(call).not.toHaveBeenCalled();
  });
  it('fires the last armed limit only once its deadline passes, however often it was re-armed', async () => {
    const scope = new AttemptScope(undefined, Date.now() + 60_000, () => new Error('overdue'));
    const run = scope.run(never).catch((e: unknown) => e);
    scope.arm('first_byte_timeout', 100);
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(60);
      scope.arm('stream_idle_timeout', 100);
    }
    expect(scope.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(99);
    expect(scope.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(scope.fired).toEqual({ code: 'stream_idle_timeout', ms: 100 });
    expect(scope.aborted).toBe(true);
    scope.dispose();
    void run;
  });

  it('a shorter limit armed over a longer one fires at the shorter one, with its limit', async () => {
    const scope = new AttemptScope(undefined, Date.now() + 60_000, () => new Error('overdue'));
    const run = scope.run(never).catch((e: unknown) => e);
    scope.arm('stream_idle_timeout', 1000);
    scope.arm('first_byte_timeout', 30, 500);
    await vi.advanceTimersByTimeAsync(30);
    expect(scope.fired).toEqual({ code: 'first_byte_timeout', ms: 500 });
    void run;
  });

  it('makes an AbortSignal only when asked, aborted with the attempt (also when asked afterwards)', async () => {
    const caller = new AbortController();
    const scope = new AttemptScope(caller.signal, Date.now() + 60_000, () => new Error('overdue'));
    const run = scope.run(never).catch((e: unknown) => e);
    const early = scope.signal;
    expect(early.aborted).toBe(false);
    const reason = new Error('client left');
    caller.abort(reason);
    expect(await run).toBe(reason);
    expect(early.reason).toBe(reason);
    const late = new AttemptScope(caller.signal, Date.now() + 60_000, () => new Error('overdue'));
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe(reason);
  });
  it('tells its outcome before its promise settles: succeeded with the value, failed with the error (the deadline\'s too)', async () => {
    const told: unknown[] = [];
    const outcome = { succeeded: (v: unknown) => told.push(['ok', v]), failed: (e: unknown) => told.push(['failed', e]) };
    const ok = new AttemptScope(undefined, Date.now() + 1000, () => new Error('overdue'));
    const value = ok.run(async () => 'answer', outcome).then((v) => told.push(['resolved', v]));
    await vi.advanceTimersByTimeAsync(0);
    await value;
    expect(told).toEqual([['ok', 'answer'], ['resolved', 'answer']]);

    told.length = 0;
    const overdue = new Error('overdue');
    const late = new AttemptScope(undefined, Date.now() + 100, () => overdue);
    const failed = late.run(never, outcome).catch((e: unknown) => told.push(['rejected', e]));
    await vi.advanceTimersByTimeAsync(100);
    await failed;
    expect(told).toEqual([['failed', overdue], ['rejected', overdue]]);

    const refusing = new AttemptScope(undefined, Date.now() + 1000, () => new Error('overdue'));
    const broken = new Error('bookkeeping broke');
    const refused = refusing.run(async () => 'answer', { succeeded: () => { throw broken; }, failed: () => undefined });
    await expect(refused).rejects.toBe(broken);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('tells an attempt the caller or the deadline ended only `failed`, even when its adapter answers afterwards', async () => {
    const told: string[] = [];
    const outcome = { succeeded: () => told.push('succeeded'), failed: () => told.push('failed') };
    for (const end of ['caller', 'deadline'] as const) {
      told.length = 0;
      const caller = new AbortController();
      let answer!: (v: string) => void;
      const scope = new AttemptScope(caller.signal, Date.now() + 100, () => new Error('overdue'));
      // An adapter that ignores its signal and answers late.
      const run = scope.run(() => new Promise<string>((resolve) => (answer = resolve)), outcome).catch((e: unknown) => e);
      if (end === 'caller') caller.abort(new Error('hung up'));
      else await vi.advanceTimersByTimeAsync(100);
      expect(await run).toBeInstanceOf(Error);
      answer('late answer');
      await vi.advanceTimersByTimeAsync(0);
      expect(told, end).toEqual(['failed']);
    }
  });
});
