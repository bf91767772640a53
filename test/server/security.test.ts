import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { helmetHeaders } from '../../src/server/plugins/security-headers.js';
import { loggerOptions } from '../../src/telemetry/logger.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt } from '../helpers/gateway-config.js';

const PROVIDER_KEY = 'sk-or-v1-SUPERSECRETPROVIDERKEY0001';
const GOOGLE_KEY = 'AIzaSUPERSECRETGOOGLEKEY0002';
const CALLER_KEY = 'caller-SECRET-key-0003';
const json = (res: Response): Promise<any> => res.json();

let fake: FakeProvider;
let t: TestApp;
const logLines: string[] = [];

beforeAll(async () => {
  fake = await startFakeProvider();
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  t = await startTestApp({
    config: (raw) => pointShippedConfigAt(raw, fake.url),
    env: { OPENROUTER_API_KEY: PROVIDER_KEY, GOOGLE_AI_API_KEY: GOOGLE_KEY },
    apiKeys: [CALLER_KEY],
    logger: pino(loggerOptions('debug'), sink),
  });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CALLER_KEY}`, ...headers },
    body: JSON.stringify(body),
  });

describe('API keys', () => {
  it('leaves /, /health, /docs and /openapi.json open', async () => {
    for (const path of ['/', '/health', '/openapi.json', '/docs/']) {
      expect((await fetch(`${t.url}${path}`)).status, path).toBe(200);
    }
  });

  it('refuses a protected endpoint without a key, with a wrong key, and accepts Bearer or x-api-key', async () => {
    const none = await fetch(`${t.url}/models`);
    expect(none.status).toBe(401);
    expect((await json(none)).error.type).toBe('unauthorized');
    expect((await fetch(`${t.url}/models`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${t.url}/models`, { headers: { authorization: `Bearer ${CALLER_KEY}` } })).status).toBe(200);
    expect((await fetch(`${t.url}/models`, { headers: { 'x-api-key': CALLER_KEY } })).status).toBe(200);
  });

  it('is open without API_KEYS', async () => {
    const open = await startTestApp();
    try {
      expect((await fetch(`${open.url}/models`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('input bounds', () => {
  it('rejects a message longer than the configured limit with a 400 naming `message`', async () => {
    const small = await startTestApp({ config: (c) => (c.limits.max_message_chars = 100) });
    try {
      const res = await fetch(`${small.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'x'.repeat(101) }),
      });
      expect(res.status).toBe(400);
      expect((await json(res)).error.details[0].path).toBe('message');
    } finally {
      await small.close();
    }
  });

  it('rejects too many images and a non-https image URL without fetching it', async () => {
    const before = fake.attempts.length;
    const plain = await post('/chat', { message: 'what is this?', images: ['http://169.254.169.254/latest/meta-data'] });
    expect(plain.status).toBe(400);
    expect((await json(plain)).error.details[0].path).toBe('images.0');
    const file = await post('/chat', { message: 'what is this?', images: ['file:///etc/passwd'] });
    expect(file.status).toBe(400);
    const many = await post('/chat', { message: 'what is this?', images: Array(9).fill('https://example.com/a.png') });
    expect(many.status).toBe(400);
    expect(fake.attempts.length).toBe(before);
  });

  it('rejects a workflow with more tasks than the configured maximum, listing the path', async () => {
    const tasks = Array.from({ length: 51 }, (_, i) => ({ id: `t${i}`, prompt: 'hi' }));
    const res = await post('/workflow', { workflow: { linear_queue: tasks } });
    expect(res.status).toBe(400);
    expect(JSON.stringify((await json(res)).error.details)).toContain('linear_queue');
  });
});

describe('secrets', () => {
  it('never shows a provider or caller key in responses, errors, the OpenAPI document or logs', async () => {
    const bodies: string[] = [];
    const auth = { authorization: `Bearer ${CALLER_KEY}` };
    for (const path of ['/models', '/health', '/openapi.json', '/stats', '/metrics', '/v1/models', '/templates']) {
      bodies.push(await (await fetch(`${t.url}${path}`, { headers: auth })).text());
    }
    // A full chat, a workflow, an upstream auth failure and a 502 exercise the gateway with the live keys.
    bodies.push(await (await post('/chat', { message: 'Tell me the capital of France.', category: 'M' })).text());
    bodies.push(await (await post('/v1/chat/completions', { model: 'openrouter/fault:auth/x', messages: [{ role: 'user', content: 'hi' }] })).text());
    bodies.push(await (await post('/v1/chat/completions', { model: 'openrouter/fault:unavailable/x', messages: [{ role: 'user', content: 'hi' }] })).text());
    bodies.push(await (await fetch(`${t.url}/models`, { headers: { authorization: 'Bearer wrong' } })).text());

    // The fake did receive the provider key: it really was sent upstream.
    expect(fake.attempts.some((a) => JSON.stringify(a.headers).includes(PROVIDER_KEY))).toBe(true);
    const everything = [...bodies, ...logLines].join('\n');
    expect(logLines.length).toBeGreaterThan(5);
    for (const secret of [PROVIDER_KEY, GOOGLE_KEY, CALLER_KEY]) expect(everything).not.toContain(secret);
  });

  it('never returns a stack trace in an error body', async () => {
    const res = await post('/v1/chat/completions', { model: 'openrouter/fault:unavailable/x', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});

describe('headers', () => {
  it('sets security headers and no CORS allowance by default', async () => {
    const res = await fetch(`${t.url}/`, { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("sets helmet's headers on answers and on errors, the same on each request", async () => {
    const ok = await fetch(`${t.url}/`);
    const refused = await post('/v1/chat/completions', { model: 'medium_ai', messages: [] }, { authorization: 'Bearer wrong' });
    const missing = await fetch(`${t.url}/no-such-route`, { headers: { authorization: `Bearer ${CALLER_KEY}` } });
    expect([ok.status, refused.status, missing.status]).toEqual([200, 401, 404]);
    const expected = Object.fromEntries(helmetHeaders({ contentSecurityPolicy: false }));
    expect(expected).toMatchObject({ 'x-frame-options': 'SAMEORIGIN', 'strict-transport-security': 'max-age=31536000; includeSubDomains', 'x-content-type-options': 'nosniff' });
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
    for (const res of [ok, refused, missing]) {
      for (const [name, value] of Object.entries(expected)) expect(res.headers.get(name), name).toBe(value);
      expect(res.headers.get('content-security-policy')).toBeNull();
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('helmetHeaders refuses a Content-Security-Policy, which may differ per request', () => {
    expect(() => helmetHeaders({})).toThrow(/Content-Security-Policy/);
  });

  it('answers 429 with Retry-After past the caller rate limit, and exempts /health', async () => {
    const limited = await startTestApp({ config: (c) => (c.server.rate_limit = { enabled: true, max: 3, time_window_ms: 60_000 }) });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${limited.url}/models`)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const res = await fetch(`${limited.url}/models`);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await json(res)).error.type).toBe('rate_limited');
      for (let i = 0; i < 5; i++) expect((await fetch(`${limited.url}/health`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
