import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import type { TestApp } from '../helpers/app.js';
import { sharedTestRedis, startFakeReplicaPair } from '../helpers/redis.js';
import { ADMIN_KEYS, admin } from '../control/support.js';

let redis: { url: string; stop(): Promise<void> };
let fake: FakeProvider;
let a: TestApp;
let b: TestApp;

/** Two replicas on one Redis; medium_ai (tier M) caches for a minute at any temperature. */
beforeAll(async () => {
  redis = await sharedTestRedis();
  fake = await startFakeProvider();
  [a, b] = await startFakeReplicaPair(redis.url, `cache${Date.now()}:`, fake.url, {
    config: (raw) => {
      raw.models.medium_ai.cache = { ttl_s: 60, temperature: true };
    },
    adminApiKeys: ADMIN_KEYS,
  });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await fake?.close();
  await redis?.stop();
});

const chat = async (t: TestApp, message: string) => {
  const res = await fetch(`${t.url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message, category: 'M' }) });
  return { header: res.headers.get('x-cache'), body: (await res.json()) as any };
};

describe('response cache in shared mode', () => {
  it('a replica hits what the other stored, and DELETE /admin/cache on one clears it for both', async () => {
    fake.reset();
    const first = await chat(a, 'Which planet is largest?');
    expect(first.header).toBe('miss');
    const second = await chat(b, 'Which planet is largest?');
    expect(second.header).toBe('hit');
    expect(second.body).toMatchObject({ cache: 'hit', response: first.body.response, cost_usd: 0 });
    expect(fake.attempts).toHaveLength(1);

    const cleared = await admin(b.url).delete('/admin/cache');
    expect(cleared.status).toBe(200);
    expect(cleared.body.removed).toBeGreaterThanOrEqual(1);
    expect((await chat(a, 'Which planet is largest?')).header).toBe('miss');
    expect(fake.attempts).toHaveLength(2);
  });
});
