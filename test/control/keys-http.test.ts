import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { TEST_ENV } from '../helpers/gateway-config.js';
import { ADMIN, call, spendUntilRefused, trafficConfig } from './traffic-support.js';

const PLAIN = 'plain-api-key';
let fake: FakeProvider;
let t: TestApp;

const callT = (method: string, path: string, key: string | undefined, body?: unknown) => call(t.url, method, path, key, body);
const admin = (method: string, path: string, body?: unknown) => callT(method, path, ADMIN, body);
const chat = (key: string | undefined, body: Record<string, unknown>) => callT('POST', '/chat', key, { category: 'M', ...body });

beforeAll(async () => {
  fake = await startFakeProvider();
  t = await startTestApp({
    env: TEST_ENV,
    apiKeys: [PLAIN],
    adminApiKeys: `ops:${ADMIN}`,
    config: trafficConfig(fake.url, (raw) => {
      // About $0.002 per answer, so a $0.01 budget lasts a few requests.
      raw.models.medium_ai.pricing = { input_per_million: 100, output_per_million: 100 };
    }),
  });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

describe('client keys with budgets', () => {
  it('a key with a $0.01 daily budget is refused once its spend reaches it, and its spend is the sum of its answers’ cost_usd', async () => {
    const created = await admin('POST', '/admin/keys', { name: 'budgeted', budgets: { day_usd: 0.01 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^key_/), key: expect.stringMatching(/^mo_/), name: 'budgeted', budgets: { day_usd: 0.01, month_usd: null } });
    const { id, key } = created.body;

    const { spent, refused } = await spendUntilRefused((i) => chat(key, { message: `question number ${i} about budgets` }));
    expect(refused).toBeDefined();
    expect(refused!.body.error.type).toBe('budget_exceeded');
    expect(refused!.body.error.details[0]).toMatchObject({ path: 'budgets.day_usd', resets_at: expect.stringMatching(/T00:00:00\.000Z$/) });
    const retryAfter = Number(refused!.headers.get('retry-after'));
    const untilMidnight = Math.ceil((Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) / 1000);
    expect(retryAfter).toBeGreaterThan(0);
    expect(Math.abs(retryAfter - untilMidnight)).toBeLessThan(120);
    expect(spent).toBeGreaterThanOrEqual(0.01);

    const shown = await admin('GET', `/admin/keys/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.spend.day_usd).toBeCloseTo(spent, 8);
    expect(shown.body.spend.month_usd).toBeCloseTo(spent, 8);
    expect(shown.body).not.toHaveProperty('key');

    // Keys from API_KEYS are unlimited and keep working.
    expect((await chat(PLAIN, { message: 'still fine' })).status).toBe(200);
  });

  it('a model or tier outside the key’s allowance is 403 forbidden; inside it answers', async () => {
    const { body } = await admin('POST', '/admin/keys', { name: 'medium only', models: ['M'] });
    expect((await chat(body.key, { message: 'allowed tier' })).status).toBe(200);
    const denied = await chat(body.key, { message: 'other model', model: 'thinking_ai' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.type).toBe('forbidden');
    expect(denied.body.error.message).toMatch(/thinking_ai/);
    const v1 = await callT('POST', '/v1/chat/completions', body.key, { model: 'fast_ai', messages: [{ role: 'user', content: 'hi' }] });
    expect(v1.status).toBe(403);
    const wf = await callT('POST', '/workflow', body.key, { workflow: { linear_queue: [{ id: 'a', prompt: 'x', model: 'code_ai' }] } });
    expect(wf.status).toBe(403);
    expect(wf.body.error.details[0].path).toBe('workflow.linear_queue.0.model');
  });

  it('refuses past the key’s requests per minute with 429 rate_limited', async () => {
    const { body } = await admin('POST', '/admin/keys', { name: 'slow', rpm: 2 });
    expect((await chat(body.key, { message: 'one' })).status).toBe(200);
    expect((await chat(body.key, { message: 'two' })).status).toBe(200);
    const third = await chat(body.key, { message: 'three' });
    expect(third.status).toBe(429);
    expect(third.body.error.type).toBe('rate_limited');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('unknown keys are 401; PATCH changes limits; DELETE revokes; the list is paginated', async () => {
    expect((await chat('mo_not-a-real-key', { message: 'x' })).status).toBe(401);
    const { body } = await admin('POST', '/admin/keys', { name: 'temp', budgets: { day_usd: 5 } });
    const patched = await admin('PATCH', `/admin/keys/${body.id}`, { name: 'temp2', rpm: 100, budgets: { day_usd: null, month_usd: 20 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'temp2', rpm: 100, budgets: { day_usd: null, month_usd: 20 }, spend: { day_usd: 0, month_usd: 0 } });
    const bad = await admin('POST', '/admin/keys', { name: 'bad', models: ['nope'], rpm: -1 });
    expect(bad.status).toBe(400);

    const first = await admin('GET', '/admin/keys?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const rest = await admin('GET', `/admin/keys?limit=100&cursor=${first.body.next_cursor}`);
    const ids = [...first.body.items, ...rest.body.items].map((k: { id: string }) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(body.id);
    expect(JSON.stringify(rest.body)).not.toMatch(/mo_[A-Za-z0-9_-]{20}/);

    expect((await admin('DELETE', `/admin/keys/${body.id}`)).status).toBe(204);
    expect((await chat(body.key, { message: 'gone' })).status).toBe(401);
    expect((await admin('GET', `/admin/keys/${body.id}`)).status).toBe(404);
  });

  it('the admin API refuses client keys, managed or not, and the audit names each key change', async () => {
    const { body } = await admin('POST', '/admin/keys', { name: 'client' });
    expect((await callT('GET', '/admin/keys', body.key)).status).toBeGreaterThanOrEqual(401);
    expect((await callT('GET', '/admin/keys', PLAIN)).status).toBe(403);
    const audit = await admin('GET', '/admin/audit?limit=100');
    const actions = audit.body.items.map((e: { action: string; actor: string }) => `${e.actor}:${e.action}`);
    expect(actions).toEqual(expect.arrayContaining(['ops:key.create', 'ops:key.update', 'ops:key.delete']));
  });
});

describe('a server without API_KEYS', () => {
  it('is open until the first managed key exists, then needs a key', async () => {
    const open = await startTestApp({ adminApiKeys: `ops:${ADMIN}` });
    try {
      expect((await fetch(`${open.url}/models`)).status).toBe(200);
      const res = await fetch(`${open.url}/admin/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ name: 'first' }),
      });
      const { key } = (await res.json()) as any;
      expect((await fetch(`${open.url}/models`)).status).toBe(401);
      expect((await fetch(`${open.url}/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
