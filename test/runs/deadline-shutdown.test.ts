import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/types.js';
import { CancelledError } from '../../src/orchestrator/cancellation.js';
import type { Workflow } from '../../src/orchestrator/workflow/types.js';
import { startTestApp, streamLogger, type TestApp } from '../helpers/app.js';
import { gatewayResult } from '../orchestrator/scripted-gateway.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Holds every call until `release()` (then answers at once) or its signal aborts. */
function heldGateway(): Gateway & { release(): void } {
  const waiting: Array<() => void> = [];
  let released = false;
  const answer = (model: string) => gatewayResult('held answer', model);
  return {
    call: (req) =>
      new Promise((resolve, reject) => {
        if (released) return resolve(answer(req.model));
        waiting.push(() => resolve(answer(req.model)));
        req.signal?.addEventListener('abort', () => reject(req.signal!.reason), { once: true });
      }),
    stream: () => {
      throw new Error('not streamed here');
    },
    circuitState: () => 'closed',
    health: async () => ({ models: {}, providers: {} }),
    close: async () => undefined,
    release: () => {
      released = true;
      waiting.splice(0).forEach((go) => go());
    },
  };
}

const workflow: Workflow = { name: 'one_step', inputs: {}, linear_queue: [{ id: 'a', prompt: 'hello', type: 'text', optional: false }], inline_queue: [] };

describe('a run whose caller runs out of time while it waits in the queue', () => {
  it("ends timed_out, not cancelled, though the run's own deadline is still ahead (a /chat H run's request budget)", async () => {
    const gateway = heldGateway();
    app = await startTestApp({ gateway, config: (raw) => void (raw.limits = { ...raw.limits, max_concurrent_workflows: 1, queue_depth: 1 }) });
    const runs = app.app.ctx.runs;
    const first = await runs.submit({ workflow, variables: {}, request_id: 'holds-the-slot' });
    const caller = new AbortController();
    const queued = await runs.submit({ workflow, variables: {}, request_id: 'waits' }, { signal: caller.signal, deadline: Date.now() + 600_000 });
    expect(runs.counts()).toEqual({ running: 1, queued: 1 });

    caller.abort(new CancelledError('deadline'));
    const run = await queued.done;
    expect(run).toMatchObject({ status: 'timed_out', cancelled_by: null, failure_report: 'The run ran out of time while waiting in the queue.' });
    expect((await app.app.ctx.stores.runs.get(queued.run_id))?.status).toBe('timed_out');

    gateway.release();
    expect((await first.done).status).toBe('completed');
  });
});

describe('orchestrator shutdown with runs still going after the grace period', () => {
  it('says how many runs it leaves to the run engine to hand back, beside the requests it cancels', async () => {
    const gateway = heldGateway();
    const lines: Array<Record<string, unknown>> = [];
    app = await startTestApp({ gateway, logger: streamLogger({ write: (line: string) => void lines.push(JSON.parse(line)) }, 'warn') });
    const { orchestrator } = app.app.ctx;
    const run = orchestrator.runWorkflow(workflow, {}, { request_id: 'held-at-shutdown', signal: new AbortController().signal });
    await expect
      .poll(() => orchestrator.admission().running)
      .toBe(1);
    await orchestrator.shutdown(20);
    await expect(run).rejects.toMatchObject({ status: 503 });
    expect(lines.find((l) => String(l.msg).startsWith('shutdown grace period over; no request in progress to cancel, runs left to the run engine'))).toMatchObject({ remaining: 0, runs: 1 });
    gateway.release();
  });
});
