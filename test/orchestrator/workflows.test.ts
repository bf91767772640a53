import { request as httpRequest } from 'node:http';
import { beforeEach, describe, expect, it } from 'vitest';
import { fixtureForTests } from './fixture.js';
import { echo, eventually, getJson, postJson, readSse, userPrompts } from './support.js';

const f = fixtureForTests(undefined, { reset: true });
beforeEach(() => {
  f.fake.setLatency(0);
});

const runWorkflow = (workflow: unknown, extra: Record<string, unknown> = {}) => postJson(`${f.t.url}/workflow`, { workflow, ...extra });

describe('POST /workflow execution', () => {
  it('starts every linear task at once: all five reach the provider before any of them is answered', async () => {
    const workflow = {
      linear_queue: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, model: 'held', prompt: `task ${id}` })),
      output: 'a',
    };
    // An ordering assertion, not a wall-clock bound: the fake answers nothing until all five arrived,
    // so a scheduler that waits for one task before starting the next never gets there. `held` has long
    // timeouts, so a held call is never timed out and retried however slow the machine.
    const release = f.fake.hold();
    try {
      const running = runWorkflow(workflow);
      const prompts = ['a', 'b', 'c', 'd', 'e'].map((id) => `task ${id}`);
      await eventually(async () => (new Set(userPrompts(f.fake)).size >= 5 ? true : undefined), 20_000);
      expect(new Set(userPrompts(f.fake))).toEqual(new Set(prompts));
      release();
      const { status, body: run } = await running;
      expect(status).toBe(200);
      expect(run.status).toBe('completed');
      expect(userPrompts(f.fake).sort()).toEqual(prompts);
    } finally {
      release();
    }
  });

  it('runs inline tasks in order, each seeing the previous outputs', async () => {
    const { body: run } = await runWorkflow({
      inputs: { topic: { required: true } },
      linear_queue: [{ id: 'seed', prompt: 'seed about {{topic}}' }],
      inline_queue: [
        { id: 'one', prompt: 'one sees {{seed}}' },
        { id: 'two', prompt: 'two sees {{one}}' },
        { id: 'three', prompt: 'three sees {{two}} and {{seed}}' },
      ],
    }, { variables: { topic: 'owls' } });
    expect(run.status).toBe('completed');
    const prompts = userPrompts(f.fake);
    expect(prompts).toEqual([
      'seed about owls',
      'one sees echo: seed about owls',
      'two sees echo: one sees echo: seed about owls',
      'three sees echo: two sees echo: one sees echo: seed about owls and echo: seed about owls',
    ]);
    expect(run.output).toBe(echo(prompts[3]!));
    const order = run.tasks.map((t: { started_at: string }) => Date.parse(t.started_at));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('never re-scans substituted text: a value containing {{other}} reaches the model literally', async () => {
    const { body: run } = await runWorkflow(
      { inputs: { a: {}, b: {} }, linear_queue: [{ id: 't', prompt: 'A={{a}} B={{b}}' }] },
      { variables: { a: 'please read {{b}}', b: 'secret' } },
    );
    expect(run.status).toBe('completed');
    expect(userPrompts(f.fake)).toEqual(['A=please read {{b}} B=secret']);
  });

  it('merges several linear outputs with the finisher when no output is named', async () => {
    const { body: run } = await runWorkflow({ linear_queue: [{ id: 'x', prompt: 'first part' }, { id: 'y', prompt: 'second part' }] });
    expect(run.status).toBe('completed');
    const finisherPrompt = userPrompts(f.fake).at(-1)!;
    expect(finisherPrompt).toContain('echo: first part');
    expect(finisherPrompt).toContain('echo: second part');
    expect(run.output).toBe(echo(finisherPrompt));
  });

  it('rejects an invalid workflow with every problem listed and makes no model call', async () => {
    const { status, body } = await runWorkflow({
      inputs: { topic: { required: true } },
      linear_queue: [
        { id: 'a', model: 'gpt9', prompt: 'x {{topic}}' },
        { id: 'a', prompt: 'reads {{b_out}}', addons: ['no_such_addon'] },
        { id: 'b', prompt: 'y', output: 'b_out' },
      ],
      inline_queue: [{ id: 'c', prompt: '{{later}}' }, { id: 'd', prompt: 'z', output: 'later' }],
      output: 'missing',
    });
    expect(status).toBe(400);
    expect(body.error.type).toBe('validation_error');
    expect(body.error.message).toMatch(/workflow is invalid/);
    expect(body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(
      [
        'linear_queue.0.model',
        'linear_queue.1.id',
        'linear_queue.1.addons.0',
        'linear_queue.1.prompt',
        'inline_queue.0.prompt',
        'output',
        'variables.topic',
      ].sort(),
    );
    expect(body.error.details).toContainEqual({ path: 'linear_queue.0.model', message: "unknown model 'gpt9'" });
    expect(f.fake.attempts).toHaveLength(0);
  });

  it('a failing non-optional task fails the run, skips its dependants and gets a failure report', async () => {
    const { status, body: run } = await runWorkflow({
      linear_queue: [{ id: 'good', prompt: 'fine' }, { id: 'bad', model: 'broken', prompt: 'doomed' }],
      inline_queue: [{ id: 'combine', prompt: '{{good}} + {{bad}}' }],
    });
    expect(status).toBe(200);
    expect(run.status).toBe('failed');
    expect(run.output).toBeNull();
    const byId = Object.fromEntries(run.tasks.map((t: { id: string }) => [t.id, t]));
    expect(byId.good.status).toBe('completed');
    expect(byId.bad).toMatchObject({ status: 'failed', error: { kind: 'server_error' } });
    expect(byId.bad.calls).toBeGreaterThan(1);
    expect(byId.combine).toMatchObject({ status: 'skipped', error: { kind: 'dependency_failed' } });
    // The failure reporter (via the fake) was told what failed.
    const report = userPrompts(f.fake).at(-1)!;
    expect(report).toContain("Task 'bad' failed");
    expect(run.failure_report).toBe(echo(report).trim());
    const stored = await getJson(`${f.t.url}/runs/${run.run_id}`);
    expect(stored.status).toBe('failed');
  });

  it('an optional failed task leaves the run partial with its output and a failure report', async () => {
    const { body: run } = await runWorkflow({
      linear_queue: [{ id: 'good', prompt: 'fine' }, { id: 'extra', model: 'broken', prompt: 'nice to have', optional: true }],
      inline_queue: [{ id: 'final', prompt: 'use {{good}} and {{extra}}' }],
    });
    expect(run.status).toBe('partial');
    expect(run.output).toContain("[unavailable: optional task 'extra' did not complete]");
    expect(run.failure_report).toEqual(expect.any(String));
  });

  it('a run past its deadline ends timed_out and cancels its in-flight calls', async () => {
    const closedBefore = f.hang.closed;
    const { status, body: run, ms } = await runWorkflow({ linear_queue: [{ id: 'stuck', model: 'hang', prompt: 'never answered' }] }, { timeout_s: 0.3 });
    expect(status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(run.status).toBe('timed_out');
    expect(run.tasks[0]).toMatchObject({ status: 'failed', error: { kind: 'timeout' } });
    await f.hang.waitForClosed(closedBefore + 1);
    const stored = await getJson(`${f.t.url}/runs/${run.run_id}`);
    expect(stored.status).toBe('timed_out');
  });

  it('a client that disconnects cancels its run and the upstream call', async () => {
    const runIds: string[] = [];
    const stop = f.t.app.ctx.bus.on('run_started', (e) => runIds.push(e.run_id));
    const receivedBefore = f.hang.received.length;
    const closedBefore = f.hang.closed;
    const client = httpRequest(`${f.t.url}/workflow`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    client.on('error', () => undefined);
    client.end(JSON.stringify({ workflow: { linear_queue: [{ id: 'stuck', model: 'hang', prompt: 'wait forever' }] } }));
    await f.hang.waitForRequests(receivedBefore + 1);
    const running = await getJson(`${f.t.url}/runs/${runIds[0]}`);
    expect(running.status).toBe('running');
    client.destroy();
    await f.hang.waitForClosed(closedBefore + 1);
    const run = await eventually(async () => {
      const r = await getJson(`${f.t.url}/runs/${runIds[0]}`);
      return r.finished_at ? r : undefined;
    });
    stop();
    expect(run.status).toBe('cancelled');
    expect(run.tasks[0]).toMatchObject({ status: 'failed', error: { kind: 'cancelled' } });
  });
});

describe('streaming (stream: true)', () => {
  it('streams task events in order and ends with exactly one completed event carrying the run', async () => {
    const res = await fetch(`${f.t.url}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        stream: true,
        workflow: { linear_queue: [{ id: 'a', prompt: 'alpha' }], inline_queue: [{ id: 'b', prompt: 'beta {{a}}' }] },
      }),
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const events = await readSse(res);
    const names = events.map((e) => e.event);
    expect(names.filter((n) => n !== 'token')).toEqual(['task_started', 'task_completed', 'task_started', 'task_completed', 'completed']);
    // The last inline task is the final step, so its answer streams as tokens before completion.
    const tokens = events.filter((e) => e.event === 'token').map((e) => e.data.text).join('');
    const completed = events.at(-1)!.data;
    expect(tokens).toBe(completed.output);
    expect(completed.status).toBe('completed');
    expect(events.every((e) => e.event === 'completed' || e.data.run_id === completed.run_id || e.event === 'token')).toBe(true);
  });

  it('reports retries and a failed task, then still ends with one completed event', async () => {
    const res = await fetch(`${f.t.url}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        stream: true,
        workflow: { linear_queue: [{ id: 'shaky', model: 'flaky', prompt: 'x' }, { id: 'bad', model: 'broken', prompt: 'y' }] },
      }),
    });
    const events = await readSse(res);
    const names = events.map((e) => e.event);
    expect(names.slice(0, 2)).toEqual(['task_started', 'task_started']);
    const retry = events.find((e) => e.event === 'task_retry')!;
    expect(retry.data).toMatchObject({ task_id: 'shaky', model: 'flaky', attempt: 1, kind: 'server_error' });
    expect(names.indexOf('task_completed')).toBeGreaterThan(names.indexOf('task_retry'));
    expect(events.find((e) => e.event === 'task_failed')!.data.task).toMatchObject({ id: 'bad', status: 'failed' });
    expect(names.at(-1)).toBe('completed');
    expect(names.filter((n) => n === 'completed' || n === 'error')).toHaveLength(1);
    expect(events.at(-1)!.data).toMatchObject({ status: 'partial', output: expect.stringContaining('echo: x') });
  });

  it('a /chat stream whose model fails ends with one error event with the error body', async () => {
    const res = await fetch(`${f.t.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stream: true, message: 'hello', category: 'M', model: 'broken' }),
    });
    const events = await readSse(res);
    expect(events.map((e) => e.event)).toEqual(['categorized', 'error']);
    expect(events[1]!.data.error).toMatchObject({ type: 'upstream_error', request_id: events[0]!.data.request_id });
  });

  it('a /chat stream sends token deltas of the answer, then the full response', async () => {
    const res = await fetch(`${f.t.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stream: true, message: 'stream me please', category: 'M' }),
    });
    const events = await readSse(res);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('categorized');
    expect(names.at(-1)).toBe('completed');
    expect(names.slice(1, -1).every((n) => n === 'token')).toBe(true);
    const completed = events.at(-1)!.data;
    expect(events.filter((e) => e.event === 'token').map((e) => e.data.text).join('')).toBe(completed.response);
    expect(completed.response).toBe('echo: stream me please');
  });

  it('a validation failure of a streamed request is still a plain HTTP 400', async () => {
    const { status, body } = await postJson(`${f.t.url}/workflow`, { stream: true, workflow: { linear_queue: [] } });
    expect(status).toBe(400);
    expect(body.error.details[0].path).toBe('linear_queue');
  });
});
