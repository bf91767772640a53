import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import type { TestApp } from '../helpers/app.js';
import { sharedTestRedis, startFakeReplica } from '../helpers/redis.js';

/**
 * Two replicas on one Redis share drift baselines: the first to freeze one stores it, the other
 * adopts it instead of its own. One fake clock, advanced by the fake provider as calls arrive.
 */
let redis: { url: string; stop(): Promise<void> };
let fake: FakeProvider;
let now = Date.now();
let latency = 20;
const clock = { now: () => now };
const prefix = `drift${Date.now()}:`;
let a: TestApp;
let b: TestApp;

const replica = () =>
  startFakeReplica(redis.url, prefix, fake.url, {
    config: (raw) => {
      raw.drift = { baseline_samples: 20, recent_samples: 10, min_samples: 5 };
    },
    clock,
  });

beforeAll(async () => {
  redis = await sharedTestRedis();
  fake = await startFakeProvider({ onRequest: () => (now += latency) });
  a = await replica();
  b = await replica();
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await fake?.close();
  await redis?.stop();
});

const ask = async (t: TestApp, n: number) => {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${t.url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'How far do terns fly?', category: 'M' }) });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
};
const p50 = async (t: TestApp) =>
  ((await (await fetch(`${t.url}/drift`)).json()) as { series: any[] }).series.find((s) => s.subject === 'model:medium_ai' && s.metric === 'latency_p50_ms');

describe('drift in shared mode', () => {
  it("replicas judge against one baseline: the first frozen is stored in Redis and adopted by the other, and a new replica loads it", async () => {
    latency = 20;
    await ask(a, 20);
    await a.app.ctx.drift.idle();
    expect(await p50(a)).toMatchObject({ baseline: 20, state: 'ok' });

    // B learns its own 20 samples at twice the latency, then finds A's baseline stored and takes it.
    latency = 40;
    await ask(b, 20);
    await b.app.ctx.drift.idle();
    expect(await p50(b)).toMatchObject({ baseline: 20, recent: 40, samples: { baseline: 20, recent: 10 } });
    // 41/21: between warn (1.5) and alert (2), judged against A's baseline.
    await ask(b, 1);
    expect(await p50(b)).toMatchObject({ baseline: 20, state: 'warn' });

    const c = await replica();
    try {
      expect(await p50(c)).toMatchObject({ baseline: 20, recent: null, samples: { baseline: 20, recent: 0 } });
    } finally {
      await c.close();
    }
  });
});
