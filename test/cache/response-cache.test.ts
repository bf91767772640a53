import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';
import { ADMIN_KEYS, ALICE, admin, call } from '../control/support.js';

let fake: FakeProvider;
let t: TestApp;

/** medium_ai answers tier M; it caches for a minute and may cache at its default temperature. */
beforeAll(async () => {
  fake = await startFakeProvider();
  t = await startTestApp({
    config: (raw) => {
      pointShippedConfigAt(raw, fake.url);
      raw.models.medium_ai.cache = { ttl_s: 60, temperature: true };
    },
    env: TEST_ENV,
    adminApiKeys: ADMIN_KEYS,
  });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});
beforeEach(async () => {
  await admin(t.url).delete('/admin/cache');
  fake.reset();
});

const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${t.url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const json = (res: Response): Promise<any> => res.json();
const stats = async () => (await json(await fetch(`${t.url}/stats`))).cache;

describe('response cache on /chat', () => {
  it('answers the second identical request without a provider call, at no cost, and counts the saving', async () => {
    const before = await stats();
    const first = await chat({ message: 'What is the capital of France?', category: 'M' });
    const one = await json(first);
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(one).toMatchObject({ cache: 'miss', model_used: 'medium_ai' });
    expect(fake.attempts).toHaveLength(1);

    const second = await chat({ message: 'What is the capital of France?', category: 'M' });
    const two = await json(second);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(two).toMatchObject({ cache: 'hit', response: one.response, model_used: 'medium_ai', cost_usd: 0 });
    expect(fake.attempts).toHaveLength(1);

    const after = await stats();
    expect(after.hits - before.hits).toBe(1);
    expect(after.misses - before.misses).toBe(1);
    expect(after.tokens_saved - before.tokens_saved).toBe(one.usage.total_tokens);
    expect(after.saved_usd - before.saved_usd).toBeCloseTo(one.cost_usd, 10);
    expect(one.cost_usd).toBeGreaterThan(0);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^cache_lookups_total\{outcome="hit"\} [1-9]/m);
    expect(metrics).toMatch(/^cache_saved_usd_total [0-9.e-]+$/m);
  });

  it('streams a hit like a live answer: tokens, then completed with cache hit', async () => {
    await json(await chat({ message: 'Name three primary colours.', category: 'M' }));
    const res = await chat({ message: 'Name three primary colours.', category: 'M', stream: true });
    const text = await res.text();
    const events = text
      .split('\n\n')
      .filter((b) => b.startsWith('event: '))
      .map((b) => ({ event: b.split('\n')[0]!.slice(7), data: JSON.parse(b.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) }));
    const tokens = events.filter((e) => e.event === 'token');
    const completed = events.find((e) => e.event === 'completed')!.data;
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.map((e) => e.data.text).join('')).toBe(completed.response);
    expect(completed.cache).toBe('hit');
    expect(fake.attempts).toHaveLength(1);
  });

  it('bypasses the cache for cache: false and for Cache-Control: no-cache, and says so', async () => {
    await json(await chat({ message: 'Tell me a fact about owls.', category: 'M' }));
    const off = await chat({ message: 'Tell me a fact about owls.', category: 'M', cache: false });
    expect(off.headers.get('x-cache')).toBe('bypass');
    expect((await json(off)).cache).toBe('bypass');
    const header = await chat({ message: 'Tell me a fact about owls.', category: 'M' }, { 'cache-control': 'no-cache' });
    expect(header.headers.get('x-cache')).toBe('bypass');
    expect(fake.attempts).toHaveLength(3);
  });

  it('does not cache a model at a temperature above 0 unless its config allows it, even when the request gives a ttl', async () => {
    const ask = () => chat({ message: 'Short poem about rain.', model: 'fast_ai', category: 'L', cache: { ttl_s: 30 } });
    expect((await json(await ask())).cache).toBe('bypass');
    expect((await json(await ask())).cache).toBe('bypass');
    expect(fake.attempts).toHaveLength(2);
  });

  it('misses after the model config changes in a new config version, and DELETE /admin/cache (admin only) empties it', async () => {
    const ask = async () => (await json(await chat({ message: 'Why is the sky blue?', category: 'M' }))).cache;
    expect(await ask()).toBe('miss');
    expect(await ask()).toBe('hit');
    const base = (await admin(t.url).get('/admin/config')).body.version.hash;
    const changed = await admin(t.url).post('/admin/config', {
      patch: [{ op: 'replace', path: '/models/medium_ai/max_output_tokens', value: 4000 }],
      base,
      message: 'shorter answers',
    });
    expect(changed.status).toBe(200);
    expect(await ask()).toBe('miss');
    expect(await ask()).toBe('hit');

    expect((await call(t.url, 'DELETE', '/admin/cache')).status).toBe(401);
    const cleared = await call(t.url, 'DELETE', '/admin/cache', { key: ALICE });
    expect(cleared.status).toBe(200);
    expect(cleared.body.removed).toBeGreaterThanOrEqual(1);
    expect(await ask()).toBe('miss');
    const audit = await admin(t.url).get('/admin/audit');
    expect(audit.body.items[0]).toMatchObject({ actor: 'alice', action: 'cache.clear' });
  });
});

describe('response cache on /v1/chat/completions', () => {
  const complete = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const request = { model: 'fast_ai', messages: [{ role: 'user', content: 'Spell cat backwards.' }], temperature: 0, cache: { ttl_s: 60 } };

  it('takes cache as an extension field and answers hits with x-cache and a cache field; no-cache bypasses', async () => {
    const first = await complete(request);
    expect(first.headers.get('x-cache')).toBe('miss');
    const one = await json(first);
    const second = await complete(request);
    expect(second.headers.get('x-cache')).toBe('hit');
    const two = await json(second);
    expect(two).toMatchObject({ cache: 'hit', x_cost_usd: 0, usage: one.usage });
    expect(two.choices[0].message.content).toBe(one.choices[0].message.content);
    expect(fake.attempts).toHaveLength(1);

    const bypass = await complete(request, { 'cache-control': 'no-cache' });
    expect(bypass.headers.get('x-cache')).toBe('bypass');
    expect((await json(bypass)).cache).toBe('bypass');
    expect(fake.attempts).toHaveLength(2);
  });

  it('streams a hit as chat.completion.chunk events ending with [DONE]', async () => {
    const one = await json(await complete(request));
    const res = await complete({ ...request, stream: true });
    const text = await res.text();
    const chunks = text
      .split('\n\n')
      .filter((b) => b.startsWith('data: {'))
      .map((b) => JSON.parse(b.slice(6)));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(one.choices[0].message.content);
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(fake.attempts).toHaveLength(1);
  });
});

describe('response cache in workflows', () => {
  const workflow = (cache: unknown) => ({
    workflow: {
      name: 'cached-tasks',
      ...(cache !== undefined ? { cache } : {}),
      linear_queue: [{ id: 'fact', model: 'fast_ai', prompt: 'One fact about the Moon.', temperature: 0 }],
      output: 'fact',
    },
  });
  const run = async (cache: unknown) => {
    const res = await fetch(`${t.url}/workflow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(workflow(cache)) });
    expect(res.status).toBe(200);
    return json(res);
  };

  it("a workflow's cache setting lets a task reuse the answer to its exact request, and cache: false never does", async () => {
    const first = await run({ ttl_s: 60 });
    const second = await run({ ttl_s: 60 });
    expect(second.output).toBe(first.output);
    expect(second.cost_usd).toBe(0);
    expect(fake.attempts).toHaveLength(1);
    await run(false);
    await run(undefined);
    expect(fake.attempts).toHaveLength(3);
  });
});

describe('response cache with simulated providers (no keys)', () => {
  it('never stores a simulated answer: the same request misses again and is simulated again', async () => {
    const sim = await startTestApp({ config: (raw) => (raw.models.medium_ai.cache = { ttl_s: 60, temperature: true }) });
    try {
      const ask = async () => {
        const res = await fetch(`${sim.url}/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'Simulate me twice.', category: 'M' }),
        });
        return { header: res.headers.get('x-cache'), body: await json(res) };
      };
      for (let i = 0; i < 2; i++) {
        const { header, body } = await ask();
        expect(header).toBe('miss');
        expect(body).toMatchObject({ cache: 'miss', simulated: true, model_used: 'medium_ai' });
      }
      const cache = (await json(await fetch(`${sim.url}/stats`))).cache;
      expect(cache.hits).toBe(0);
    } finally {
      await sim.close();
    }
  });
});
