import { describe, expect, it } from 'vitest';
import { fixtureForTests } from './fixture.js';
import { eventually, getJson, postJson } from './support.js';

const f = fixtureForTests();

describe('orchestrator shutdown', () => {
  it('stops admitting, waits out the grace period, then hands running work back instead of cancelling it', async () => {
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

    // The waiting caller learns that its run was handed back; the run itself is not over.
    const answer = await pending;
    expect(answer.status).toBe(503);
    expect(answer.body.error.message).toContain(`run '${runIds[0]}' was handed back`);
    const run = await eventually(async () => {
      const r = await getJson(`${f.t.url}/runs/${runIds[0]}`);
      return r.status === 'queued' ? r : undefined;
    });
    expect(run.finished_at).toBeNull();
    expect(run.cancelled_by).toBeNull();
    expect(run.tasks[0]).toMatchObject({ status: 'pending', error: null });
    expect(run.tasks[0].attempts).toEqual([expect.objectContaining({ status: 'interrupted' })]);
  });
});
