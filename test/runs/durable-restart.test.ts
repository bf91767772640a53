import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startServerProcess, waitFor, type ServerProcess, writeProcessConfig } from '../helpers/server-process.js';
import { promptsStartingWith } from '../orchestrator/support.js';

let fake: FakeProvider;
let dir: string;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  fake = await startFakeProvider({ latencyMs: 1000 });
  dir = mkdtempSync(join(tmpdir(), 'mo-durable-'));
});
afterAll(async () => {
  for (const s of servers) s.child.kill('SIGKILL');
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** 3 linear tasks, then 2 inline ones that need them: the shape of the acceptance test. */
const workflow = {
  name: 'durable_brief',
  linear_queue: [
    { id: 'alpha', model: 'fast_ai', prompt: 'linear task alpha' },
    { id: 'beta', model: 'fast_ai', prompt: 'linear task beta' },
    { id: 'gamma', model: 'fast_ai', prompt: 'linear task gamma' },
  ],
  inline_queue: [
    { id: 'draft', model: 'fast_ai', prompt: 'inline draft from {{alpha}} {{beta}} {{gamma}}', output: 'draft' },
    { id: 'polish', model: 'fast_ai', prompt: 'inline polish of {{draft}}', output: 'final' },
  ],
  output: 'final',
};

/** Calls whose prompt (the last user message) starts with `text`. */
const seen = (text: string) => promptsStartingWith(fake, text);

describe('a durable run on SQLite survives kill -9', () => {
  it('resumes after a restart: finished tasks are not called or billed again, the in-flight one re-runs', async () => {
    const file = writeProcessConfig(dir, fake.url);
    const env = { STORE_DRIVER: 'sqlite', DATA_DIR: join(dir, 'data') };

    const first = await startServerProcess(file, env);
    servers.push(first);
    const accepted = await fetch(`${first.url}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflow, async: true }),
    });
    expect(accepted.status).toBe(202);
    const { run_id } = (await accepted.json()) as { run_id: string };
    expect(accepted.headers.get('location')).toBe(`/runs/${run_id}`);

    // The first inline task reaches the provider only once every linear result is committed.
    await waitFor(() => (seen('inline draft') > 0 ? true : undefined), 'the first inline task to start');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const second = await startServerProcess(file, env);
    servers.push(second);
    const run = await waitFor(async () => {
      const r = (await (await fetch(`${second.url}/runs/${run_id}`)).json()) as Record<string, any>;
      return r.finished_at ? r : undefined;
    }, 'the resumed run to finish');
    second.child.kill('SIGTERM');

    expect(run.status).toBe('completed');
    expect(run.output).toContain('inline polish');
    expect(run.resumed).toBe(1);
    for (const id of ['alpha', 'beta', 'gamma']) expect(seen(`linear task ${id}`)).toBe(1);
    expect(seen('inline draft')).toBe(2);
    expect(seen('inline polish')).toBe(1);

    const byId = Object.fromEntries((run.tasks as Record<string, any>[]).map((t) => [t.id, t]));
    for (const id of ['alpha', 'beta', 'gamma']) expect(byId[id].attempts).toHaveLength(1);
    expect(byId.draft.attempts.map((a: { status: string }) => a.status)).toEqual(['interrupted', 'completed']);
    expect(byId.draft.attempts[0].replica).not.toBe(byId.draft.attempts[1].replica);
    expect(byId.polish.replica).toBe(byId.draft.attempts[1].replica);

    // Cost counted once: the run's bill is the sum of its tasks' (each task billed for its one finished try).
    const taskCost = (run.tasks as { cost_usd: number }[]).reduce((sum, t) => sum + t.cost_usd, 0);
    expect(run.cost_usd).toBeGreaterThan(0);
    expect(run.cost_usd).toBeCloseTo(taskCost, 10);
    const tokens = (run.tasks as { usage: { total_tokens: number } }[]).reduce((sum, t) => sum + t.usage.total_tokens, 0);
    expect(run.usage.total_tokens).toBe(tokens);
  }, 60_000);
});
