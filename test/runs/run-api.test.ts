import { describe, expect, it } from 'vitest';
import { fixtureForTests } from '../orchestrator/fixture.js';
import { eventually, getJson, postJson } from '../orchestrator/support.js';
import { readEvents } from '../helpers/sse-reader.js';

const f = fixtureForTests();

const finished = (url: string, id: string) =>
  eventually(async () => {
    const r = await getJson(`${url}/runs/${id}`);
    return r.finished_at ? r : undefined;
  }, 10_000);

describe('the run control API', () => {
  it('answers an async run with 202, its run_id and Location at once; the run completes on its own', async () => {
    const res = await postJson(`${f.t.url}/workflow`, { workflow: { name: 'async_one', linear_queue: [{ id: 'a', model: 'slow', prompt: 'async hello' }] }, async: true });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ run_id: expect.any(String), status: 'queued', location: `/runs/${res.body.run_id}` });
    expect(res.headers.get('location')).toBe(`/runs/${res.body.run_id}`);
    const run = await finished(f.t.url, res.body.run_id);
    expect(run.status).toBe('completed');
    expect(run.output).toBe('echo: async hello');
    expect(run.tasks[0].attempts).toEqual([{ replica: expect.any(String), started_at: expect.any(String), status: 'completed' }]);
  });

  it("records each task's output variable, the variables it references, and its prompt after substitution once it starts", async () => {
    const res = await postJson(`${f.t.url}/workflow`, {
      workflow: {
        name: 'record_fields',
        inputs: { topic: { required: true } },
        linear_queue: [{ id: 'facts', prompt: 'Facts about {{topic}}.', output: 'notes' }],
        inline_queue: [{ id: 'summary', prompt: 'Summarise {{notes}} on {{topic}}.' }],
      },
      variables: { topic: 'tides' },
      async: true,
    });
    const run = await finished(f.t.url, res.body.run_id);
    expect(run.tasks.map((t: Record<string, unknown>) => [t.id, t.output_variable, t.references, t.prompt])).toEqual([
      ['facts', 'notes', ['topic'], 'Facts about tides.'],
      ['summary', 'summary', ['notes', 'topic'], `Summarise ${run.variables.notes} on tides.`],
    ]);
    expect(run.variables.notes).toBe('echo: Facts about tides.');
  });

  it('honours Prefer: respond-async on /template/{name}, and still validates before accepting', async () => {
    const accepted = await fetch(`${f.t.url}/template/research_report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async, wait=0' },
      body: JSON.stringify({ variables: { topic: 'tides' } }),
    });
    expect(accepted.status).toBe(202);
    const bad = await fetch(`${f.t.url}/template/research_report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ variables: {} }),
    });
    expect(bad.status).toBe(400);
    const missing = await postJson(`${f.t.url}/template/no_such_template`, { variables: {}, async: true });
    expect(missing.status).toBe(404);
  });

  it('lists runs newest first, filtered, a page at a time', async () => {
    const session = `list-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await postJson(`${f.t.url}/workflow`, { workflow: { name: i < 3 ? 'listed_a' : 'listed_b', linear_queue: [{ id: 'a', prompt: `list ${i}` }] }, session_id: session });
      ids.push(res.body.run_id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { runs: { run_id: string }[]; next_cursor: string | null } = await getJson(
        `${f.t.url}/runs?session_id=${session}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r) => r.run_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const b = await getJson(`${f.t.url}/runs?session_id=${session}&workflow=listed_b&status=completed`);
    expect(b.runs.map((r: { run_id: string }) => r.run_id)).toEqual([ids[4], ids[3]]);
    const future = await getJson(`${f.t.url}/runs?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future).toEqual({ runs: [], next_cursor: null });
  });

  it('answers 400 naming the parameter for a bad status, limit, time, cursor or Last-Event-ID', async () => {
    for (const [query, path] of [
      ['status=done', 'status'],
      ['limit=0', 'limit'],
      ['since=yesterday', 'since'],
      ['cursor=nope', 'cursor'],
    ]) {
      const res = await fetch(`${f.t.url}/runs?${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { details: { path: string }[] } };
      expect(body.error.details.map((d) => d.path).join()).toContain(path);
    }
    const run = await postJson(`${f.t.url}/workflow`, { workflow: { linear_queue: [{ id: 'a', prompt: 'x' }] } });
    const events = await fetch(`${f.t.url}/runs/${run.body.run_id}/events`, { headers: { 'last-event-id': 'garbage' } });
    expect(events.status).toBe(400);
    expect(((await events.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe('last-event-id');
    expect((await fetch(`${f.t.url}/runs/nope/events`)).status).toBe(404);
    expect((await fetch(`${f.t.url}/runs/nope/cancel`, { method: 'POST' })).status).toBe(404);
  });

  it('cancels a running run: its in-flight call is aborted and the record says who cancelled', async () => {
    const closedBefore = f.hang.closed;
    const receivedBefore = f.hang.received.length;
    const res = await postJson(`${f.t.url}/workflow`, {
      workflow: { linear_queue: [{ id: 'stuck', model: 'hang', prompt: 'x' }], inline_queue: [{ id: 'after', prompt: 'after {{stuck}}' }] },
      async: true,
    });
    await f.hang.waitForRequests(receivedBefore + 1);
    const cancelled = await postJson(`${f.t.url}/runs/${res.body.run_id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelled_by: 'api' });
    expect(cancelled.body.tasks.map((t: { status: string }) => t.status)).toEqual(['failed', 'skipped']);
    await f.hang.waitForClosed(closedBefore + 1);
    // Cancelling again changes nothing.
    const again = await postJson(`${f.t.url}/runs/${res.body.run_id}/cancel`, {});
    expect(again.body.finished_at).toBe(cancelled.body.finished_at);
    const events = await readEvents(`${f.t.url}/runs/${res.body.run_id}/events`);
    expect(events.at(-1)).toMatchObject({ event: 'completed', data: { status: 'cancelled' } });
  });

  it('streams a run’s events from the start, then live, ending with completed', async () => {
    const res = await postJson(`${f.t.url}/workflow`, {
      workflow: { linear_queue: [{ id: 'a', model: 'slow', prompt: 'first' }], inline_queue: [{ id: 'b', model: 'slow', prompt: 'then {{a}}' }] },
      async: true,
    });
    const events = await readEvents(`${f.t.url}/runs/${res.body.run_id}/events`);
    expect(events.map((e) => e.event)).toEqual(['run_queued', 'task_started', 'task_completed', 'task_started', 'task_completed', 'completed']);
    expect(events.at(-1)!.data).toMatchObject({ run_id: res.body.run_id, status: 'completed' });
    // A late reader gets the same log, replayed.
    const replay = await readEvents(`${f.t.url}/runs/${res.body.run_id}/events`);
    expect(replay.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });
});
