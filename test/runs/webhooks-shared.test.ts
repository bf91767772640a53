import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/https-receiver.js';
import { sharedTestRedis, startReplica } from '../helpers/redis.js';
import { eventually, getJson, postJson } from '../orchestrator/support.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const WORKFLOW = { name: 'fleet', linear_queue: [{ id: 'only', model: 'fast_ai', prompt: 'say hi' }], output: 'only' };

let redis: { url: string; stop(): Promise<void> };
let receiver: HttpsReceiver;
let replicas: TestApp[] = [];

beforeAll(async () => {
  redis = await sharedTestRedis();
  receiver = await startHttpsReceiver();
  const prefix = `hooks${Date.now()}:`;
  const start = () =>
    startReplica(redis.url, prefix, {
      env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}` },
      config: (raw) => {
        raw.webhooks = { retry_base_ms: 20, retry_cap_ms: 100, poll_ms: 20 };
      },
      webhookCa: receiver.cert,
    });
  replicas = [await start(), await start()];
});
afterAll(async () => {
  for (const r of replicas) await r.close();
  await receiver?.close();
  await redis?.stop();
});

describe('webhooks in shared mode', () => {
  it('delivers each run\'s webhook once although both replicas poll the one Redis outbox, and shows the attempts on either replica', async () => {
    receiver.received.length = 0;
    // Every first attempt fails, so the retry is up for grabs by both replicas' deliverers.
    receiver.answer = (r) => (receiver.received.some((x) => x.headers['webhook-id'] === r.headers['webhook-id']) ? 204 : 500);
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => postJson(`${replicas[i % 2]!.url}/workflow`, { workflow: WORKFLOW, callback_url: `${receiver.url}/r${i}` })),
    );
    for (const [i, { body: run }] of runs.entries()) {
      const attempts = await eventually(async () => {
        const got = await getJson(`${replicas[(i + 1) % 2]!.url}/runs/${run.run_id}`);
        return got.webhooks.some((a: any) => a.status_code === 204) ? got.webhooks : undefined;
      }, 10_000);
      expect(attempts.map((a: any) => a.status_code)).toEqual([500, 204]);
    }
    const delivered = receiver.received.filter((r) => r.status === 204).map((r) => r.headers['webhook-id']);
    expect(delivered).toHaveLength(6);
    expect(new Set(delivered).size).toBe(6);
  });
});
