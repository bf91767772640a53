import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type Fixture } from './fixture.js';
import { eventually, getJson, postJson } from './support.js';

let f: Fixture;

beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f.close();
});

describe('orchestrator shutdown', () => {
  it('stops admitting, waits out the grace period, then cancels running work with its record saved', async () => {
    const runIds: string[] = [];
    f.t.app.ctx.bus.on('run_started', (e) => runIds.push(e.run_id));
    const receivedBefore = f.hang.received.length;
    const pending = postJson(`${f.t.url}/workflow`, { workflow: { linear_queue: [{ id: 'stuck', model: 'hang', prompt: 'x' }] } });
    await f.hang.waitForRequests(receivedBefore + 1);

    const started = Date.now();
    const shutdown = f.t.app.ctx.orchestrator.shutdown(200);
    const refused = await postJson(`${f.t.url}/workflow`, { workflow: { linear_queue: [{ id: 'a', prompt: 'x' }] } });
    expect(refused.status).toBe(503);
    expect(refused.body.error.type).toBe('overloaded');
    await shutdown;
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);

    // The run's own request gets its record, which says it was cancelled.
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('cancelled');
    const run = await eventually(async () => {
      const r = await getJson(`${f.t.url}/runs/${runIds[0]}`);
      return r.finished_at ? r : undefined;
    });
    expect(run.status).toBe('cancelled');
    expect(run.tasks[0]).toMatchObject({ status: 'failed', error: { kind: 'cancelled' } });
  });
});
