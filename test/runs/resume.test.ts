import { afterEach, describe, expect, it } from 'vitest';
import { newRunRecord } from '../../src/orchestrator/workflow/executor.js';
import type { Workflow } from '../../src/orchestrator/workflow/types.js';
import { createMemoryStores } from '../../src/store/memory.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { eventually, getJson } from '../orchestrator/support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const workflow: Workflow = {
  name: 'interrupted',
  inputs: {},
  linear_queue: [
    { id: 'done', prompt: 'finished before the crash', type: 'text', optional: false },
    { id: 'cut', prompt: 'in flight at the crash', type: 'text', optional: false },
  ],
  inline_queue: [],
};

/** The committed state of a run whose process died: one task finished and billed, one in flight. */
function interruptedRun(acceptedAt: number) {
  const record = newRunRecord({ run_id: 'run-interrupted', workflow, variables: {}, session_id: null, started_at: new Date(acceptedAt).toISOString(), config_version: 'old-version' });
  record.status = 'running';
  const [done, cut] = record.tasks;
  Object.assign(done!, {
    status: 'completed',
    model_used: 'medium_ai',
    calls: 1,
    replica: 'gone',
    started_at: record.started_at,
    attempts: [{ replica: 'gone', started_at: record.started_at, status: 'completed' }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    cost_usd: 0.25,
  });
  Object.assign(cut!, { status: 'running', replica: 'gone', started_at: record.started_at, attempts: [{ replica: 'gone', started_at: record.started_at, status: 'running' }] });
  record.variables.done = 'the finished answer';
  return record;
}

describe('resuming a run a stopped process left behind', () => {
  it('concludes it timed_out with what it has when its deadline (from acceptance) has passed, billing the finished task once', async () => {
    const stores = createMemoryStores();
    const acceptedAt = Date.now() - 10_000;
    await stores.runs.create(interruptedRun(acceptedAt), { workflow, goal: 'interrupted', request_id: 'req-1', accepted_at: acceptedAt, deadline: acceptedAt + 5_000 });
    app = await startTestApp({ stores });
    const run = await eventually(async () => {
      const r = await getJson(`${app!.url}/runs/run-interrupted`);
      return r.finished_at ? r : undefined;
    });
    expect(run.status).toBe('timed_out');
    expect(run.resumed).toBe(1);
    expect(run.output).toBe('the finished answer');
    expect(run.cost_usd).toBe(0.25);
    expect(run.usage.total_tokens).toBe(15);
    expect(run.tasks[0]).toMatchObject({ status: 'completed', attempts: [{ replica: 'gone', status: 'completed' }] });
    expect(run.tasks[1]).toMatchObject({ status: 'skipped', error: { kind: 'timeout' }, attempts: [{ replica: 'gone', status: 'interrupted' }] });
    expect(run.failure_report).toContain("'cut'");
  });
});
