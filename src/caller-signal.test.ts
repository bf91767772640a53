import { describe, expect, it } from 'vitest';
import { sleep } from './clock.js';
import { CallerAbort } from './caller-signal.js';

describe('CallerAbort', () => {
  it('calls each listener once, in order, with the reason set; none added after the abort', () => {
    const abort = new CallerAbort();
    const seen: string[] = [];
    const a = () => seen.push(`a:${String(abort.reason)}`);
    const b = () => seen.push('b');
    abort.addEventListener('abort', a);
    abort.addEventListener('abort', a);
    abort.addEventListener('abort', b, { once: true });
    abort.addEventListener('abort', () => seen.push('removed'));
    const removed = () => seen.push('never');
    abort.addEventListener('abort', removed);
    abort.removeEventListener('abort', removed);
    expect(abort.aborted).toBe(false);
    abort.abort('gone');
    abort.abort('again');
    abort.addEventListener('abort', () => seen.push('late'));
    expect(abort.aborted).toBe(true);
    expect(abort.reason).toBe('gone');
    expect(seen).toEqual(['a:gone', 'b', 'removed']);
  });

  it('makes its AbortSignal only when asked, aborted with it (or already, when asked late)', () => {
    const early = new CallerAbort();
    const signal = early.signal;
    expect(early.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    early.abort(new Error('client left'));
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe('client left');
    const late = new CallerAbort();
    late.abort('done');
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe('done');
  });

  it('ends a sleep with its reason, as an AbortSignal does', async () => {
    const abort = new CallerAbort();
    const slept = sleep(60_000, abort);
    abort.abort(new Error('cancelled'));
    await expect(slept).rejects.toThrow('cancelled');
  });
});
