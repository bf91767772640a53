import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import type { TestApp } from '../helpers/app.js';
import { sharedTestRedis, startFakeReplicaPair, startTestRedis, type TestRedis } from '../helpers/redis.js';

const json = (res: Response): Promise<any> => res.json();
let redis: { url: string; stop(): Promise<void> };
let own: TestRedis;
let fake: FakeProvider;

/** Two replicas on one Redis (`on`, else the shared one), whose providers are the fake. */
const startPair = (prefix: string, editConfig?: (raw: Record<string, any>) => void, on: { url: string } = redis): Promise<[TestApp, TestApp]> =>
  startFakeReplicaPair(on.url, prefix, fake.url, { config: editConfig });

const post = (t: TestApp, path: string, body: unknown) =>
  fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  redis = await sharedTestRedis();
  own = await startTestRedis();
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake?.close();
  await redis?.stop();
  await own?.stop();
});

describe('two replicas sharing one Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await startPair(`share${Date.now()}:`);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('reads through one replica a session written through the other, and deletes it from either', async () => {
    const res = await post(a, '/chat', { message: 'Tell me the capital of France.', session_id: 'shared-session-1', category: 'M' });
    expect(res.status).toBe(200);
    const session = await json(await fetch(`${b.url}/session/shared-session-1`));
    expect(session.turns.map((t: any) => t.role)).toEqual(['user', 'assistant']);
    expect(session.turns[0].content).toBe('Tell me the capital of France.');
    expect((await fetch(`${b.url}/session/shared-session-1`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${a.url}/session/shared-session-1`)).status).toBe(404);
  });

  it('shows a run started on one replica on the other, while it runs and after it ends', async () => {
    // The fake answers nothing until released: the run is still going when the other replica is asked,
    // however slow the machine (a 600 ms latency instead let a slow read find it completed).
    const release = fake.hold();
    try {
      const res = await post(a, '/workflow', {
        stream: true,
        workflow: { linear_queue: [{ id: 'slow', model: 'fast_ai', prompt: 'a slow task' }], output: 'slow' },
      });
      const reader = res.body!.getReader();
      let text = '';
      let runId: string | undefined;
      while (!runId) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended before a run id arrived');
        text += new TextDecoder().decode(value);
        runId = /"run_id":"([^"]+)"/.exec(text)?.[1];
      }
      const during = await json(await fetch(`${b.url}/runs/${runId}`));
      expect(['queued', 'running']).toContain(during.status);
      release();
      while (!(await reader.read()).done);
      const after = await json(await fetch(`${b.url}/runs/${runId}`));
      expect(after.status).toBe('completed');
      expect(after.output).toContain('a slow task');
    } finally {
      release();
    }
  });
});

describe('a provider limit shared by two replicas', () => {
  it('lets the provider see at most the configured requests per window from both together under a burst', async () => {
    const limit = 8;
    const [a, b] = await startPair(`limit${Date.now()}:`, (raw) => {
      // max_wait_ms far above any scheduling delay under load, far below the 60 s window: the calls past the limit
      // are refused because the window is spent (not because a loaded machine made a granted call wait too long).
      raw.providers.openrouter.rate_limits = { requests_per_minute: limit, max_concurrent: 50, max_wait_ms: 15_000 };
    });
    try {
      fake.reset();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          post(i % 2 ? a : b, '/v1/chat/completions', { model: 'fast_ai', fallbacks: [], messages: [{ role: 'user', content: `burst ${i}` }] }),
        ),
      );
      const statuses = results.map((r) => r.status);
      const served = fake.attempts.filter((x) => x.path.includes('/chat/completions'));
      // The whole burst lies within one 60 s window, so the window's limit bounds the total.
      expect(served.length).toBeLessThanOrEqual(limit);
      expect(served.length).toBe(limit);
      expect(statuses.filter((s) => s === 200)).toHaveLength(limit);
      expect(statuses.filter((s) => s === 502)).toHaveLength(30 - limit);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('Redis outage', () => {
  it('answers 503 with a clear message while Redis is down, and serves again once it returns, without a restart', async () => {
    const [a, b] = await startPair(`outage${Date.now()}:`, undefined, own);
    try {
      await own.stop();
      const chat = await post(a, '/chat', { message: 'hello', session_id: 'outage-1', category: 'M' });
      expect(chat.status).toBe(503);
      expect((await json(chat)).error.message).toMatch(/redis/i);
      const completion = await post(b, '/v1/chat/completions', { model: 'fast_ai', messages: [{ role: 'user', content: 'hi' }] });
      expect(completion.status).toBe(503);
      expect((await json(completion)).error.message).toMatch(/shared rate limiter .*unavailable/);
      const health = await fetch(`${a.url}/health`);
      expect(health.status).toBe(503);
      expect((await json(health)).store).toMatchObject({ status: 'error', driver: 'redis' });

      await own.start();
      for (let i = 0; i < 60 && (await fetch(`${a.url}/health`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 60 && (await fetch(`${b.url}/health`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
      expect((await post(a, '/chat', { message: 'hello', session_id: 'outage-1', category: 'M' })).status).toBe(200);
      expect((await post(b, '/v1/chat/completions', { model: 'fast_ai', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
      expect((await json(await fetch(`${b.url}/session/outage-1`))).turns).toHaveLength(2);
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);
});
