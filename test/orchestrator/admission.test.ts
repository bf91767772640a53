import { describe, expect, it } from 'vitest';
import { fixtureForTests } from './fixture.js';
import { getJson, postJson } from './support.js';

const f = fixtureForTests((raw) => {
  raw.limits = { ...raw.limits, max_concurrent_workflows: 1, queue_depth: 1 };
});

/** Waits for a condition instead of a fixed pause, so a loaded machine cannot race the test. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const slowWorkflow = { workflow: { linear_queue: [{ id: 'wait', model: 'slow', prompt: 'take your time' }] } };

describe('workflow admission', () => {
  it('runs one, queues one, and refuses the next at once with 503 and Retry-After', async () => {
    // The fake answers nothing until released: the first run cannot end before the third is refused,
    // however slow the machine (an ordering assertion, not a race against the slow model's latency).
    const release = f.fake.hold();
    let firstDone = false;
    const admission = () => f.t.app.ctx.orchestrator.admission();
    const first = postJson(`${f.t.url}/workflow`, slowWorkflow).then((r) => ((firstDone = true), r));
    await until(() => admission().running === 1, 'the first run to start');
    const second = postJson(`${f.t.url}/workflow`, slowWorkflow);
    await until(() => admission().queued === 1, 'the second run to queue');
    expect(f.t.app.ctx.orchestrator.admission()).toEqual({ running: 1, queued: 1 });

    const third = await postJson(`${f.t.url}/workflow`, slowWorkflow);
    expect(third.status).toBe(503);
    expect(third.body.error.type).toBe('overloaded');
    expect(third.headers.get('retry-after')).toBe('1');
    expect(firstDone).toBe(false);

    release();
    const [a, b] = await Promise.all([first, second]);
    expect(a.body.status).toBe('completed');
    expect(b.body.status).toBe('completed');
    expect(f.t.app.ctx.orchestrator.admission()).toEqual({ running: 0, queued: 0 });
  });

  it('shows a queued run in GET /runs while it waits, then its progress', async () => {
    const runs = f.t.app.ctx.stores.runs;
    const save = runs.save.bind(runs);
    const create = runs.create.bind(runs);
    const saved: { run_id: string; status: string }[] = [];
    runs.save = async (run) => {
      saved.push({ run_id: run.run_id, status: run.status });
      return save(run);
    };
    runs.create = async (run, spec) => {
      saved.push({ run_id: run.run_id, status: run.status });
      return create(run, spec);
    };
    try {
      const first = postJson(`${f.t.url}/workflow`, slowWorkflow);
      await until(() => saved.some((s) => s.status === 'running'), 'the first run to start');
      const second = postJson(`${f.t.url}/workflow`, slowWorkflow);
      await until(() => new Set(saved.map((s) => s.run_id)).size === 2, 'the second run to be recorded');
      const [running, queued] = [...new Set(saved.map((s) => s.run_id))];
      expect((await getJson(`${f.t.url}/runs/${running}`)).status).toBe('running');
      expect((await getJson(`${f.t.url}/runs/${queued}`)).status).toBe('queued');
      const [a, b] = await Promise.all([first, second]);
      expect([a.body.run_id, b.body.run_id]).toEqual([running, queued]);
      // Saves coalesce, so the count of writes varies; their order never goes back.
      const statuses = saved.filter((s) => s.run_id === queued).map((s) => s.status);
      expect(statuses[0]).toBe('queued');
      expect(statuses).toContain('running');
      expect(statuses.at(-1)).toBe('completed');
      const order = ['queued', 'running', 'completed'];
      expect(statuses.map((s) => order.indexOf(s))).toEqual([...statuses.map((s) => order.indexOf(s))].sort((x, y) => x - y));
    } finally {
      runs.save = save;
      runs.create = create;
    }
  });

  it('answers 404 for an unknown run', async () => {
    const res = await fetch(`${f.t.url}/runs/no-such-run`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('not_found');
  });
});
