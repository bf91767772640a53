import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';

/**
 * /v1/* errors in OpenAI's body (read by the official client's APIError), the
 * same image rules as /chat on both doors, and the machine-readable simulated
 * mark on every /v1 answer and streamed chunk.
 */

let fake: FakeProvider;
let live: TestApp;
let simulated: TestApp;
let keyed: TestApp;

beforeAll(async () => {
  fake = await startFakeProvider();
  live = await startTestApp({ env: TEST_ENV, config: (raw) => pointShippedConfigAt(raw, fake.url) });
  simulated = await startTestApp();
  keyed = await startTestApp({ apiKeys: ['right-key'], config: (raw) => (raw.server = { ...raw.server, rate_limit: { enabled: true, max: 3, time_window_ms: 60_000 } }) });
});
afterAll(async () => {
  await Promise.all([live?.close(), simulated?.close(), keyed?.close()]);
  await fake?.close();
});

const clientOf = (app: TestApp, apiKey = 'not-checked') => new OpenAI({ baseURL: `${app.url}/v1`, apiKey, maxRetries: 0 });
const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable('expected a failure'), (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
const post = (app: TestApp, body: unknown) =>
  fetch(`${app.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('/v1 errors read by the official client', () => {
  it('401 without a valid key: AuthenticationError with type and code', async () => {
    const e = await failure(clientOf(keyed, 'wrong-key').chat.completions.create({ model: 'medium_ai', messages: [{ role: 'user', content: 'hi' }] }));
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e.status).toBe(401);
    expect(e.type).toBe('authentication_error');
    expect(e.code).toBe('invalid_api_key');
    expect(e.param).toBeNull();
    expect(e.requestID).toBeTruthy();
  });

  it('429 past the caller rate limit: RateLimitError with rate_limit_exceeded', async () => {
    const client = clientOf(keyed, 'right-key');
    let last: unknown;
    for (let i = 0; i < 5; i++) last = await client.models.list().then(() => undefined, (e: unknown) => e);
    const e = last as InstanceType<typeof OpenAI.APIError>;
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.type).toBe('rate_limit_error');
    expect(e.code).toBe('rate_limit_exceeded');
  });

  it('404 for an unknown model id and an unknown /v1 route, in OpenAI body', async () => {
    const e = await failure(clientOf(live).models.retrieve('gpt-9'));
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect(e.type).toBe('not_found_error');
    const res = await fetch(`${live.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'not_found_error', param: null, code: 'not_found' });
    expect(typeof body.error.message).toBe('string');
  });

  it('keeps its own error body outside /v1', async () => {
    const res = await fetch(`${live.url}/nowhere`);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error.type).toBe('not_found');
    expect(body.error).not.toHaveProperty('param');
  });

  it('502 when every model failed: InternalServerError-family APIError with api_error', async () => {
    const e = await failure(clientOf(live).chat.completions.create({ model: 'openrouter/fault:unavailable/x', messages: [{ role: 'user', content: 'hi' }] }));
    expect(e.status).toBe(502);
    expect(e.type).toBe('api_error');
    expect(e.code).toBe('upstream_error');
  });

  it('400 for malformed JSON names no param but says what is wrong', async () => {
    const res = await fetch(`${live.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'validation_error' });
  });
});

describe('GET /v1/models/{id}', () => {
  it('returns a configured model, auto and an ad-hoc <provider>/<id>', async () => {
    const client = clientOf(live);
    expect(await client.models.retrieve('medium_ai')).toMatchObject({ id: 'medium_ai', object: 'model', owned_by: 'openrouter' });
    expect(await client.models.retrieve('auto')).toMatchObject({ id: 'auto', object: 'model' });
    expect(await client.models.retrieve('openrouter/some/model')).toMatchObject({ id: 'openrouter/some/model', owned_by: 'openrouter' });
  });
});

describe('images: one rule on both doors', () => {
  // 3,000,000 decoded bytes take 4,000,000 base64 characters: over a 3.5 MB limit in characters, under it in bytes.
  const limitBytes = 3_500_000;
  const bigUnder = `data:image/png;base64,${'A'.repeat(4_000_000)}`;
  const over = `data:image/png;base64,${'A'.repeat(4_800_000)}`;
  let small: TestApp;
  beforeAll(async () => {
    small = await startTestApp({
      config: (raw) => {
        raw.limits.max_image_data_uri_bytes = limitBytes;
        raw.server = { ...raw.server, body_limit_bytes: 20_000_000 };
      },
    });
  });
  afterAll(() => small?.close());
  const v1 = (url: string, model = 'image_analysis') =>
    post(small, { model, messages: [{ role: 'user', content: [{ type: 'text', text: 'what is it' }, { type: 'image_url', image_url: { url } }] }] });
  const chat = (url: string, model?: string) =>
    fetch(`${small.url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'what is it', images: [url], model }) });

  it('measures a data URI in decoded bytes on /v1 as on /chat', async () => {
    expect((await v1(bigUnder)).status).toBe(200);
    expect((await chat(bigUnder)).status).toBe(200);
    const res = await v1(over);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string; details: { message: string }[] } };
    expect(body.error.param).toBe('messages[0].content[1].image_url.url');
    expect(body.error.details[0]!.message).toMatch(/3600000 bytes; the limit is 3500000/);
    expect((await chat(over)).status).toBe(400);
  });

  it.each([['http://example.com/a.png'], ['ftp://example.com/a.png'], ['data:text/plain;base64,aGk=']])('refuses %s on both doors', async (url) => {
    const res = await v1(url);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('messages[0].content[1].image_url.url');
    expect((await chat(url)).status).toBe(400);
  });

  it('answers 400 (not 502) for an image sent to a model without vision, on both doors', async () => {
    const res = await v1('https://example.com/a.png', 'medium_ai');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe('model');
    expect(body.error.message).toContain("lacks the 'vision' capability");
    expect((await chat('https://example.com/a.png', 'medium_ai')).status).toBe(400);
  });
});

describe('simulated answers are marked on /v1', () => {
  it('x_simulated is true on a simulated JSON answer and false on a live one', async () => {
    const sim = (await clientOf(simulated).chat.completions.create({ model: 'medium_ai', messages: [{ role: 'user', content: 'hi' }] })) as unknown as Record<string, unknown>;
    expect(sim.x_simulated).toBe(true);
    const real = (await clientOf(live).chat.completions.create({ model: 'medium_ai', messages: [{ role: 'user', content: 'hi' }] })) as unknown as Record<string, unknown>;
    expect(real.x_simulated).toBe(false);
  });

  it.each([
    ['simulated', () => simulated, true],
    ['live', () => live, false],
  ])('every streamed chunk of a %s answer carries x_simulated', async (_name, app, expected) => {
    const stream = await clientOf(app()).chat.completions.create({
      model: 'medium_ai',
      messages: [{ role: 'user', content: 'stream me please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect((chunk as unknown as Record<string, unknown>).x_simulated).toBe(expected);
    }
    expect(chunks).toBeGreaterThan(3);
  });
});
