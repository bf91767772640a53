import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/https-receiver.js';
import { eventually } from '../orchestrator/support.js';

/**
 * Drift through real HTTP with the fake provider. Latency is exact without waiting: the server
 * runs on a fake clock that the fake provider advances by `latency` as each request arrives.
 * Windows are sample counts: a baseline of 20 samples, a recent window of 10 judged from 5.
 */
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const DRIFT = { baseline_samples: 20, recent_samples: 10, min_samples: 5 };
const LONG = 'Tell me everything about the migration of arctic terns across the oceans, with dates, distances and the routes they take each year.'.padEnd(200, '.');
const SHORT = 'Terns, briefly....';

let now = Date.now();
let latency = 20;
const clock = { now: () => now };
let fake: FakeProvider;
let receiver: HttpsReceiver;
let t: TestApp;
let dataDir: string;

const config = (raw: Record<string, any>) => {
  pointShippedConfigAt(raw, fake.url);
  raw.drift = DRIFT;
  raw.webhooks = { poll_ms: 50, subscriptions: [{ url: `${receiver.url}/drift`, events: ['drift.state_changed'] }] };
};
const env = () => ({ ...TEST_ENV, WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}` });

beforeAll(async () => {
  fake = await startFakeProvider({ onRequest: () => (now += latency) });
  receiver = await startHttpsReceiver();
  dataDir = mkdtempSync(join(tmpdir(), 'mo-drift-'));
  t = await startTestApp({ config, env: env(), clock, webhookCa: receiver.cert, stores: createSqliteStores(join(dataDir, 'orchestrator.db'), { clock }) });
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
  await fake?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** `n` tier-M answers by `model`, one after another (so each call's latency is exactly `latency`). */
async function ask(app: TestApp, n: number, opts: { model?: string; message?: string } = {}): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${app.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: opts.message ?? LONG, category: 'M', ...(opts.model ? { model: opts.model } : {}) }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
}

const drift = async (app: TestApp): Promise<any[]> => {
  const res = await fetch(`${app.url}/drift`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { series: any[] }).series;
};
const seriesOf = async (app: TestApp, subject: string, metric: string) => (await drift(app)).find((s) => s.subject === subject && s.metric === metric);

describe('drift detection', () => {
  it('a model whose latency triples moves to alert within the recent window, and back to ok after it recovers', async () => {
    latency = 20;
    await ask(t, 20);
    const learnt = await seriesOf(t, 'model:medium_ai', 'latency_p50_ms');
    expect(learnt).toMatchObject({ baseline: 20, recent: 20, statistic: 1, state: 'ok', samples: { baseline: 20, recent: 10 } });

    latency = 60;
    await ask(t, 10);
    const slow = await seriesOf(t, 'model:medium_ai', 'latency_p50_ms');
    expect(slow).toMatchObject({ baseline: 20, recent: 60, state: 'alert' });
    expect(slow.statistic).toBeCloseTo(61 / 21, 4);
    expect(await seriesOf(t, 'tier:M', 'latency_p50_ms')).toMatchObject({ state: 'alert' });
    // The answers did not change: their series stay ok.
    expect(await seriesOf(t, 'model:medium_ai', 'output_tokens_per_answer')).toMatchObject({ state: 'ok' });

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^drift_state\{subject="model:medium_ai",metric="latency_p50_ms"\} 2$/m);
    expect(metrics).toMatch(/^drift_state_changes_total\{subject="model:medium_ai",metric="latency_p50_ms",state="alert"\} 1$/m);

    latency = 20;
    await ask(t, 10);
    const recovered = await seriesOf(t, 'model:medium_ai', 'latency_p50_ms');
    expect(recovered).toMatchObject({ baseline: 20, recent: 20, statistic: 1, state: 'ok' });
    expect(Date.parse(recovered.since)).toBeGreaterThan(Date.parse(slow.since));
  });

  it('announces each change of state as a signed drift.state_changed webhook', async () => {
    const hooks = await eventually(async () => {
      const got = receiver.received.filter((r) => r.path === '/drift');
      const payloads = got.map((r) => new Webhook(SECRET).verify(r.body, r.headers) as any);
      const p50 = payloads.filter((p) => p.data.subject === 'model:medium_ai' && p.data.metric === 'latency_p50_ms');
      return p50.length >= 2 ? p50 : undefined;
    }, 10_000);
    expect(hooks.map((p) => [p.data.from, p.data.to])).toEqual([
      ['ok', 'alert'],
      ['alert', 'ok'],
    ]);
    expect(hooks[0]).toMatchObject({ type: 'drift.state_changed', data: { reason: 'threshold', baseline: 20, recent: 60 } });
  });

  it('a model whose answers shrink to a tenth moves to alert within the recent window, and back to ok after it recovers', async () => {
    latency = 20;
    await ask(t, 20, { model: 'fast_ai' });
    expect(await seriesOf(t, 'model:fast_ai', 'output_tokens_per_answer')).toMatchObject({ state: 'ok', samples: { baseline: 20 } });

    await ask(t, 10, { model: 'fast_ai', message: SHORT });
    const shrunk = await seriesOf(t, 'model:fast_ai', 'output_tokens_per_answer');
    expect(shrunk.state).toBe('alert');
    expect(shrunk.recent / shrunk.baseline).toBeLessThan(0.15);
    expect(await seriesOf(t, 'model:fast_ai', 'latency_p50_ms')).toMatchObject({ state: 'ok' });

    await ask(t, 10, { model: 'fast_ai' });
    expect(await seriesOf(t, 'model:fast_ai', 'output_tokens_per_answer')).toMatchObject({ state: 'ok', statistic: 1 });
  });

  it('keeps baselines across a restart (SQLite, the file of the other stores)', async () => {
    await t.app.ctx.drift.idle();
    await t.close();
    t = await startTestApp({ config, env: env(), clock, webhookCa: receiver.cert, stores: createSqliteStores(join(dataDir, 'orchestrator.db'), { clock }) });
    const restored = await seriesOf(t, 'model:medium_ai', 'latency_p50_ms');
    expect(restored).toMatchObject({ baseline: 20, recent: null, statistic: null, state: 'ok', samples: { baseline: 20, recent: 0 } });
    latency = 60;
    await ask(t, 5);
    expect(await seriesOf(t, 'model:medium_ai', 'latency_p50_ms')).toMatchObject({ baseline: 20, recent: 60, state: 'alert' });
    latency = 20;
  });
});
