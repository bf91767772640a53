import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttemptGuard } from './attempt-guard.js';

describe('AttemptGuard timers (one timer, a moving deadline)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires the last armed code only once its deadline passes, however often it was re-armed', () => {
    const guard = new AttemptGuard(new AbortController().signal, 60_000);
    guard.arm('first_byte_timeout', 100);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(60);
      guard.arm('stream_idle_timeout', 100);
    }
    expect(guard.signal.aborted).toBe(false);
    vi.advanceTimersByTime(99);
    expect(guard.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(guard.fired).toEqual({ code: 'stream_idle_timeout', ms: 100 });
    expect(guard.signal.aborted).toBe(true);
    guard.dispose();
  });

  it('a shorter deadline armed over a longer one fires at the shorter one, with its limit', () => {
    const guard = new AttemptGuard(new AbortController().signal, 60_000);
    guard.arm('stream_idle_timeout', 1000);
    guard.arm('first_byte_timeout', 30, 500);
    vi.advanceTimersByTime(30);
    expect(guard.fired).toEqual({ code: 'first_byte_timeout', ms: 500 });
    guard.dispose();
  });

  it('disarmed, it never fires; armed again, it does; disposed, nothing fires', () => {
    const guard = new AttemptGuard(new AbortController().signal, 60_000);
    guard.arm('stream_idle_timeout', 50);
    guard.disarm();
    vi.advanceTimersByTime(500);
    expect(guard.signal.aborted).toBe(false);
    guard.arm('grace', 20);
    vi.advanceTimersByTime(20);
    expect(guard.fired?.code).toBe('grace');

    const other = new AttemptGuard(new AbortController().signal, 100);
    other.arm('stream_idle_timeout', 50);
    other.dispose();
    vi.advanceTimersByTime(1000);
    expect(other.signal.aborted).toBe(false);
    guard.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });
});
