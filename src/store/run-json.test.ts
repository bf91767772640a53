import { describe, expect, it } from 'vitest';
import { newRunRecord } from '../orchestrator/workflow/executor.js';
import { eventJson, runJson } from './run-json.js';

const record = () =>
  newRunRecord({
    run_id: 'r',
    workflow: { name: 'w', inputs: {}, linear_queue: [{ id: 'a', prompt: 'hi', type: 'text', optional: false }], inline_queue: [] },
    variables: {},
    session_id: null,
    started_at: '2026-11-30T00:00:00.000Z',
    config_version: 'v',
  });

describe('run and event JSON', () => {
  it("gives a final record's `completed` event the text its final save made, once", () => {
    const run = record();
    run.status = 'completed';
    const saved = runJson(run);
    expect(saved).toBe(JSON.stringify(run));
    expect(eventJson('completed', run)).toBe(saved);
    // Taken: a later `completed` of the same object is serialised afresh.
    run.output = 'changed';
    expect(eventJson('completed', run)).toBe(JSON.stringify(run));
  });

  it('serialises everything else as it is: records not final, other events, other objects', () => {
    const run = record();
    run.status = 'running';
    runJson(run);
    run.output = 'later';
    expect(eventJson('completed', run)).toBe(JSON.stringify(run));
    const final = record();
    final.status = 'failed';
    runJson(final);
    expect(eventJson('task_completed', final)).toBe(JSON.stringify(final));
    expect(eventJson('completed', { ...final })).toBe(JSON.stringify(final));
  });
});
