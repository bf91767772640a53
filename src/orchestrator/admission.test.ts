import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { Admission } from './admission.js';

const never = () => new AbortController().signal;

describe('Admission', () => {
  it('runs up to the limit at once and queues the rest in order', async () => {
    const admission = new Admission(2, 5);
    const a = await admission.enter(never());
    await admission.enter(never());
    const order: string[] = [];
    const c = admission.enter(never()).then((r) => (order.push('c'), r));
    const d = admission.enter(never()).then((r) => (order.push('d'), r));
    expect(admission.counts()).toEqual({ running: 2, queued: 2 });
    a();
    a();
    await c;
    expect(order).toEqual(['c']);
    expect(admission.counts()).toEqual({ running: 2, queued: 1 });
    (await c)();
    await d;
    expect(order).toEqual(['c', 'd']);
  });

  it('refuses at once with 503 overloaded when the queue is full', async () => {
    const admission = new Admission(1, 1);
    await admission.enter(never());
    void admission.enter(never());
    let thrown: unknown;
    try {
      void admission.enter(never());
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).status).toBe(503);
    expect((thrown as AppError).retryAfterS).toBe(1);
  });

  it('drops a waiting run whose signal aborts', async () => {
    const admission = new Admission(1, 1);
    const release = await admission.enter(never());
    const controller = new AbortController();
    const waiting = admission.enter(controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(admission.counts()).toEqual({ running: 1, queued: 0 });
    release();
    expect(admission.counts()).toEqual({ running: 0, queued: 0 });
  });

  it('refuses new and waiting runs once closed', async () => {
    const admission = new Admission(1, 3);
    await admission.enter(never());
    const waiting = admission.enter(never());
    admission.close();
    await expect(waiting).rejects.toMatchObject({ type: 'overloaded' });
    expect(() => admission.enter(never())).toThrow(/shutting down/);
  });
});
