import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { createRedisKeyStore } from '../../src/store/key-redis.js';
import type { TestApp } from '../helpers/app.js';
import { TEST_ENV } from '../helpers/gateway-config.js';
import { ADMIN, call, trafficConfig } from './traffic-support.js';
import { sharedTestRedis, startReplica } from '../helpers/redis.js';

let redis: { url: string; stop(): Promise<void> };
let fake: FakeProvider;
let a: TestApp;
let b: TestApp;

/** One replica on the shared Redis; both replicas use the same prefix, as one deployment. */
function replica(prefix: string): Promise<TestApp> {
  return startReplica(redis.url, prefix, (client) => ({
    env: TEST_ENV,
    adminApiKeys: `ops:${ADMIN}`,
    config: trafficConfig(fake.url, (raw) => {
      raw.models.medium_ai.pricing = { input_per_million: 100, output_per_million: 100 };
      raw.models.medium_ai_v2 = { ...raw.models.medium_ai, model: 'fault:fail_percent_30/shared-v2', fallbacks: ['medium_ai'] };
      raw.routing.tiers.L.model = [
        { model: 'medium_ai', weight: 100 },
        { model: 'medium_ai_v2', weight: 1, canary: { ramp: [40, 100], step_after_requests: 1000, guard: { max_error_rate: 0.1, min_samples: 20 } } },
      ];
    }),
    keyStore: createRedisKeyStore(client, { prefix }),
  }));
}

const callT = (t: TestApp, method: string, path: string, key: string, body?: unknown) => call(t.url, method, path, key, body);

beforeAll(async () => {
  redis = await sharedTestRedis();
  fake = await startFakeProvider();
  const prefix = `traffic${Date.now()}:`;
  a = await replica(prefix);
  b = await replica(prefix);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await fake?.close();
  await redis?.stop();
});

describe('keys and canaries across two replicas on one Redis', () => {
  it('a key created on one replica is limited by the spend recorded on both', async () => {
    const created = await callT(a, 'POST', '/admin/keys', ADMIN, { name: 'shared budget', budgets: { day_usd: 0.01 } });
    const { id, key } = created.body;
    let spent = 0;
    let refused = 0;
    for (let i = 0; i < 60 && refused < 2; i++) {
      const res = await callT(i % 2 ? b : a, 'POST', '/chat', key, { message: `shared question ${i}`, category: 'M' });
      if (res.status === 429) {
        expect(res.body.error.type).toBe('budget_exceeded');
        refused++;
      } else spent += res.body.cost_usd;
    }
    expect(refused).toBe(2);
    for (const t of [a, b]) {
      const shown = await callT(t, 'GET', `/admin/keys/${id}`, ADMIN);
      expect(shown.body.spend.day_usd).toBeCloseTo(spent, 8);
    }
  });

  it('a failing canary fed by both replicas is rolled back once', async () => {
    const { key } = (await callT(a, 'POST', '/admin/keys', ADMIN, { name: 'canary traffic' })).body;
    let state = '';
    for (let i = 0; i < 300 && state !== 'rolled_back'; i++) {
      const t = i % 2 ? b : a;
      const res = await callT(t, 'POST', '/chat', key, { message: `shared canary ${i}`, category: 'L', session_id: `shared-canary-${i}` });
      expect(res.status).toBe(200);
      state = (await callT(t, 'GET', '/admin/experiments/routing.tiers.L.model', ADMIN)).body.state;
    }
    expect(state).toBe('rolled_back');
    await a.app.ctx.canaries.idle();
    await b.app.ctx.canaries.idle();
    const both = [await callT(a, 'GET', '/admin/experiments/routing.tiers.L.model', ADMIN), await callT(b, 'GET', '/admin/experiments/routing.tiers.L.model', ADMIN)];
    expect(both.map((r) => r.body.state)).toEqual(['rolled_back', 'rolled_back']);
    const audit = await callT(a, 'GET', '/admin/audit?limit=100', ADMIN);
    const rollbacks = audit.body.items.filter((e: any) => e.actor === 'system' && /rolled back/.test(e.message));
    expect(rollbacks).toHaveLength(1);
  });
});
