import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { keyHash } from '../../src/control/keys.js';
import { newRunRecord } from '../../src/orchestrator/workflow/executor.js';
import type { Workflow } from '../../src/orchestrator/workflow/types.js';
import { createMemoryKeyStore } from '../../src/store/key-memory.js';
import type { ClientKey } from '../../src/store/key-types.js';
import { createMemoryStores } from '../../src/store/memory.js';
import { startTestApp, type TestApp, type TestAppOptions } from '../helpers/app.js';
import { TEST_ENV } from '../helpers/gateway-config.js';
import { eventually } from '../orchestrator/support.js';
import { ADMIN, call, trafficConfig } from './traffic-support.js';

let fake: FakeProvider;
const apps: TestApp[] = [];

const start = async (opts: TestAppOptions = {}): Promise<TestApp> => {
  const t = await startTestApp({
    env: TEST_ENV,
    adminApiKeys: `ops:${ADMIN}`,
    config: trafficConfig(fake.url, (raw) => {
      for (const model of Object.values(raw.models) as { pricing?: unknown }[]) model.pricing = { input_per_million: 100, output_per_million: 100 };
    }),
    ...opts,
  });
  apps.push(t);
  return t;
};

beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  for (const t of apps) await t.close();
  await fake.close();
});

/** The key's day spend once it equals `expected` (spend is recorded just after the answer leaves). */
const spendOf = (t: TestApp, id: string, expected: number) =>
  eventually(async () => {
    const { body } = await call(t.url, 'GET', `/admin/keys/${id}`, ADMIN);
    return Math.abs(body.spend.day_usd - expected) < 1e-9 ? body.spend.day_usd : undefined;
  }, 20_000);

describe('spend is billed to the key that made the request', () => {
  it('two keys sending the same x-request-id are each billed their own spend', async () => {
    const t = await start();
    const a = (await call(t.url, 'POST', '/admin/keys', ADMIN, { name: 'first' })).body;
    const b = (await call(t.url, 'POST', '/admin/keys', ADMIN, { name: 'second' })).body;
    const ask = (key: string, message: string) =>
      fetch(`${t.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': 'same-id-for-both' },
        body: JSON.stringify({ category: 'M', message }),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as { cost_usd: number; request_id: string } }));
    const [ra, rb] = await Promise.all([ask(a.key, 'a short question'), ask(b.key, `a much longer question ${'with many more words '.repeat(40)}`)]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(ra.body.request_id).toBe('same-id-for-both');
    expect(rb.body.request_id).toBe('same-id-for-both');
    expect(ra.body.cost_usd).toBeGreaterThan(0);
    expect(rb.body.cost_usd).toBeGreaterThan(ra.body.cost_usd);
    expect(await spendOf(t, a.id, ra.body.cost_usd)).toBeCloseTo(ra.body.cost_usd, 9);
    expect(await spendOf(t, b.id, rb.body.cost_usd)).toBeCloseTo(rb.body.cost_usd, 9);
  });

  it('the categorizer’s and the planner’s calls are billed too: the key’s spend is the sum of the answers’ cost_usd', async () => {
    const t = await start();
    const k = (await call(t.url, 'POST', '/admin/keys', ADMIN, { name: 'routing' })).body;
    const categorized = await call(t.url, 'POST', '/chat', k.key, { message: 'Tell me a joke about cats' });
    const planned = await call(t.url, 'POST', '/chat', k.key, { message: 'Build me a business plan', category: 'H' });
    expect([categorized.status, planned.status]).toEqual([200, 200]);
    expect(categorized.body.categorization.source).not.toBe('override');
    const total = categorized.body.cost_usd + planned.body.cost_usd;
    expect(await spendOf(t, k.id, total)).toBeCloseTo(total, 9);
  });

  it('an async run (202, nobody waiting) is billed to its key: every task and the run’s cost', async () => {
    const t = await start();
    const k = (await call(t.url, 'POST', '/admin/keys', ADMIN, { name: 'async' })).body;
    const accepted = await call(t.url, 'POST', '/workflow', k.key, {
      async: true,
      workflow: {
        linear_queue: [{ id: 'one', model: 'fast_ai', prompt: 'first step' }],
        inline_queue: [{ id: 'two', model: 'medium_ai', prompt: 'second step after {{one}}', output: 'final' }],
        output: 'final',
      },
    });
    expect(accepted.status).toBe(202);
    const run = await eventually(async () => {
      const r = await call(t.url, 'GET', `/runs/${accepted.body.run_id}`, k.key);
      return r.body.finished_at ? r.body : undefined;
    }, 20_000);
    expect(run.status).toBe('completed');
    expect(run.cost_usd).toBeGreaterThan(0);
    expect(await spendOf(t, k.id, run.cost_usd)).toBeCloseTo(run.cost_usd, 9);
  });

  it('a run resumed after a restart bills its remaining calls to the key recorded in its spec', async () => {
    const workflow: Workflow = {
      name: 'resumed',
      inputs: {},
      linear_queue: [
        { id: 'done', prompt: 'finished before the crash', type: 'text', optional: false, model: 'fast_ai' },
        { id: 'cut', prompt: 'in flight at the crash', type: 'text', optional: false, model: 'fast_ai' },
      ],
      inline_queue: [],
    };
    const accepted = Date.now();
    const record = newRunRecord({ run_id: 'run-of-a-key', workflow, variables: {}, session_id: null, started_at: new Date(accepted).toISOString(), config_version: 'old' });
    record.status = 'running';
    Object.assign(record.tasks[0]!, {
      status: 'completed',
      model_used: 'fast_ai',
      calls: 1,
      attempts: [{ replica: 'gone', started_at: record.started_at, status: 'completed' }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      cost_usd: 0.25,
    });
    Object.assign(record.tasks[1]!, { status: 'running', attempts: [{ replica: 'gone', started_at: record.started_at, status: 'running' }] });
    record.variables.done = 'the finished answer';

    // What the stopped process left: the run with its spec naming the key, and the key (billed 0.25 for the finished task).
    const stores = createMemoryStores();
    await stores.runs.create(record, { workflow, goal: 'resumed', request_id: 'req-gone', key_id: 'key_resumed', accepted_at: accepted, deadline: accepted + 600_000 });
    const keyStore = createMemoryKeyStore();
    const at = new Date(accepted).toISOString();
    const key: ClientKey = { id: 'key_resumed', name: 'resumed', models: null, rpm: null, budgets: { day_usd: null, month_usd: null }, prefix: 'mo_resu', created_at: at, updated_at: at };
    await keyStore.create(key, keyHash('mo_resumed-secret'));

    const t = await start({ stores, keyStore });
    const run = await eventually(async () => {
      const r = await call(t.url, 'GET', '/runs/run-of-a-key', 'mo_resumed-secret');
      return r.body.finished_at ? r.body : undefined;
    }, 20_000);
    expect(run.status).toBe('completed');
    expect(run.resumed).toBe(1);
    const after = run.cost_usd - 0.25;
    expect(after).toBeGreaterThan(0);
    expect(await spendOf(t, key.id, after)).toBeCloseTo(after, 9);
  });
});
