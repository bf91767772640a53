import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/https-receiver.js';
import { eventually, getJson, postJson } from '../orchestrator/support.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const WORKFLOW = { name: 'hooked', linear_queue: [{ id: 'only', model: 'fast_ai', prompt: 'say hi' }], output: 'only' };

let receiver: HttpsReceiver;
let t: TestApp;

beforeAll(async () => {
  receiver = await startHttpsReceiver();
  t = await startTestApp({
    env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}` },
    // Retries in milliseconds instead of seconds; the schedule's shape is the production one.
    config: (raw) => {
      raw.webhooks = { retry_base_ms: 20, retry_cap_ms: 100, poll_ms: 50, subscriptions: [{ url: `${receiver.url}/subscribed/T0KEN`, events: ['run.completed'] }] };
    },
    webhookCa: receiver.cert,
  });
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

const attemptsOf = async (runId: string, count: number) =>
  eventually(async () => {
    const run = await getJson(`${t.url}/runs/${runId}`);
    return run.webhooks.length >= count ? run.webhooks : undefined;
  }, 10_000);

describe('webhooks through real HTTP', () => {
  it('retries a receiver that fails its first 3 deliveries and delivers the 4th, signed so standardwebhooks verifies it', async () => {
    receiver.received.length = 0;
    receiver.answer = (r, i) => (r.path === '/hook' && receiver.received.filter((x) => x.path === '/hook').length < 3 ? 503 : (void i, 204));
    const { status, body: run } = await postJson(`${t.url}/workflow`, { workflow: WORKFLOW, callback_url: `${receiver.url}/hook` });
    expect(status).toBe(200);
    expect(run.status).toBe('completed');

    const attempts = (await attemptsOf(run.run_id, 5)).filter((a: any) => a.url === `${receiver.url}/hook`);
    expect(attempts.map((a: any) => a.status_code)).toEqual([503, 503, 503, 204]);
    expect(attempts.every((a: any) => a.event === 'run.completed' && typeof a.at === 'string')).toBe(true);

    const hooks = receiver.received.filter((r) => r.path === '/hook');
    expect(hooks).toHaveLength(4);
    const verifier = new Webhook(SECRET);
    for (const r of hooks) {
      const payload = verifier.verify(r.body, r.headers) as any;
      expect(payload).toMatchObject({ type: 'run.completed', data: { run_id: run.run_id, workflow: 'hooked', status: 'completed', output: run.output } });
    }
    // One message, so one webhook-id on every attempt (receivers deduplicate by it).
    expect(new Set(hooks.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(() => verifier.verify(hooks[3]!.body.replace('completed', 'failed'), hooks[3]!.headers)).toThrow();
  });

  it('delivers to a subscription of the event, and shows only its origin in the run record', async () => {
    receiver.answer = () => 200;
    const { body: run } = await postJson(`${t.url}/workflow`, { workflow: WORKFLOW });
    const attempts = await attemptsOf(run.run_id, 1);
    expect(attempts).toEqual([{ event: 'run.completed', url: receiver.url, status_code: 200, at: expect.any(String) }]);
    const got = receiver.received.find((r) => r.path === '/subscribed/T0KEN' && r.body.includes(run.run_id));
    expect(got).toBeDefined();
  });

  it('sends the webhook of an async run (202) when it ends', async () => {
    receiver.answer = () => 204;
    const res = await postJson(`${t.url}/template/research_report`, { variables: { topic: 'owls' }, async: true, callback_url: `${receiver.url}/async-hook` });
    expect(res.status).toBe(202);
    const attempts = await attemptsOf(res.body.run_id, 1);
    expect(attempts[0]).toMatchObject({ event: 'run.completed', url: `${receiver.url}/async-hook`, status_code: 204 });
    const got = receiver.received.find((r) => r.path === '/async-hook')!;
    expect((new Webhook(SECRET).verify(got.body, got.headers) as any).data.run_id).toBe(res.body.run_id);
  });

  it('sends the webhook of the workflow an H chat answer runs', async () => {
    receiver.answer = () => 204;
    const { status, body } = await postJson(`${t.url}/chat`, { message: 'Plan a research report on owls', category: 'H', callback_url: `${receiver.url}/chat-hook` });
    expect(status).toBe(200);
    const runId = body.workflow?.run?.run_id;
    expect(runId).toEqual(expect.any(String));
    const attempts = await attemptsOf(runId, 2);
    expect(attempts.find((a: any) => a.url === `${receiver.url}/chat-hook`)).toMatchObject({ status_code: 204 });
  });

  it.each([
    ['http://127.0.0.1/hook', /https/],
    ['https://169.254.169.254/latest/meta-data', /linkLocal/],
    ['https://127.0.0.1/hook', /loopback/],
    ['https://10.1.2.3/hook', /private/],
    ['https://[::1]/hook', /loopback/],
    ['https://[fd00::1]/hook', /uniqueLocal/],
    ['https://[::ffff:127.0.0.1]/hook', /loopback/],
    ['https://localhost/hook', /loopback/],
    ['not a url', /valid URL/],
  ])('refuses callback_url %s with a 400 naming the field', async (callback_url, reason) => {
    for (const [path, body] of [
      ['/workflow', { workflow: WORKFLOW, callback_url }],
      ['/template/research_report', { variables: { topic: 'owls' }, callback_url }],
    ] as const) {
      const res = await postJson(`${t.url}${path}`, body);
      expect(res.status).toBe(400);
      expect(res.body.error.type).toBe('validation_error');
      expect(res.body.error.details).toEqual([{ path: 'callback_url', message: expect.stringMatching(reason) }]);
    }
  });
});

describe('webhooks without a secret', () => {
  it('refuses a callback_url with a 400 naming the field, and lists no deliveries', async () => {
    const plain = await startTestApp();
    try {
      const res = await postJson(`${plain.url}/workflow`, { workflow: WORKFLOW, callback_url: 'https://example.com/hook' });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0]).toMatchObject({ path: 'callback_url', message: expect.stringMatching(/WEBHOOK_SECRET/) });
      const { body: run } = await postJson(`${plain.url}/workflow`, { workflow: WORKFLOW });
      expect((await getJson(`${plain.url}/runs/${run.run_id}`)).webhooks).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
