import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { addSilentModel, pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';

/**
 * The OpenAI-compatible endpoint over real HTTP: the whole server (buildApp)
 * on an ephemeral port, its providers pointed at the fake provider, spoken to
 * by the official `openai` client and by plain fetch.
 */

let fake: FakeProvider;
let server: TestApp;
let client: OpenAI;
/** An upstream that never answers and records when each caller lets go of its request. */
let silent: Server;
const silentRequests: { closed: boolean }[] = [];

beforeAll(async () => {
  fake = await startFakeProvider();
  silent = createServer((req, res) => {
    const seen = { closed: false };
    silentRequests.push(seen);
    res.on('close', () => (seen.closed = true));
    // `trickle` models send one delta, then nothing more.
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (!body.includes('"trickle-model"')) return;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content: 'first words' }, finish_reason: null }] })}\n\n`);
    });
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
  server = await startTestApp({
    env: TEST_ENV,
    config: (raw) => {
      pointShippedConfigAt(raw, fake.url);
      // A model that is always down, whose configured fallback answers.
      raw.models.fast_ai.model = 'fault:unavailable/openai/gpt-oss-safeguard-20b';
      raw.models.fast_ai.fallbacks = ['medium_ai'];
      // A model on the silent upstream, with time limits longer than any wait of these tests.
      addSilentModel(raw, silentUrl);
      raw.models.trickle_ai = { ...raw.models.slow_ai, model: 'trickle-model' };
    },
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-checked', maxRetries: 0 });
});
afterAll(async () => {
  // A client that hung up may leave a fresh, request-less keep-alive socket behind, which a
  // graceful close would wait on; nothing is in flight by now, so close every connection.
  const closing = server?.close();
  server?.app.server.closeAllConnections();
  await closing;
  silent?.closeAllConnections();
  await new Promise((resolve) => silent?.close(resolve));
  await fake?.close();
});
beforeEach(() => {
  fake.reset();
  silentRequests.length = 0;
});

const post = (body: unknown) =>
  fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('POST /v1/chat/completions with the openai client', () => {
  it('answers a non-stream completion with the model that answered and its usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'medium_ai',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('medium_ai');
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'echo: hello there' });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage!.total_tokens).toBeGreaterThan(0);
    expect(fake.attempts).toHaveLength(1);
    expect(fake.attempts[0]!.model).toBe('meta-llama/llama-3.3-70b-instruct');
  });

  it('streams deltas, a finish chunk and a usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'medium_ai',
      messages: [{ role: 'user', content: 'stream me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let role: string | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      role ??= choice.delta.role;
      text += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
    expect(role).toBe('assistant');
    expect(text).toBe('echo: stream me');
    expect(finish).toBe('stop');
    expect(usage!.total_tokens).toBeGreaterThan(0);
  });

  it('writes each chunk as plain JSON in the chunk object\'s key order (the serialiser writes them without building the object)', async () => {
    const res = await post({ model: 'medium_ai', messages: [{ role: 'user', content: 'say "quoted" \\ back\nplease' }], stream: true });
    const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1);
    expect(chunks.length).toBeGreaterThan(3);
    let text = '';
    for (const data of chunks) {
      const chunk = JSON.parse(data) as { choices: Array<{ delta: { content?: string } }> };
      expect(JSON.stringify(chunk)).toBe(data);
      expect(Object.keys(chunk)).toEqual(['id', 'object', 'created', 'model', 'choices', 'x_simulated']);
      expect(Object.keys(chunk.choices[0]!)).toEqual(['index', 'delta', 'logprobs', 'finish_reason']);
      text += chunk.choices[0]!.delta.content ?? '';
    }
    expect(text).toBe('echo: say "quoted" \\ back\nplease');
  });

  it('names the fallback model that answered when the requested one is down', async () => {
    const completion = await client.chat.completions.create({ model: 'fast_ai', messages: [{ role: 'user', content: 'hi' }] });
    const extra = completion as unknown as Record<string, unknown>;
    expect(completion.model).toBe('medium_ai');
    expect(extra.x_fallback_used).toBe(true);
    expect(completion.usage!.total_tokens).toBeGreaterThan(0);
  });

  it('asks for JSON with response_format json_object', async () => {
    const completion = await client.chat.completions.create({
      model: 'medium_ai',
      messages: [{ role: 'user', content: 'give json' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({ echo: 'give json' });
  });

  it('accepts content parts with images for a vision model', async () => {
    const completion = await client.chat.completions.create({
      model: 'image_analysis',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe('echo: what is this');
  });

  it('routes `auto` through the categorizer to a configured model', async () => {
    const completion = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'what is 2+2?' }] });
    expect(Object.keys(server.loaded.config.models)).toContain(completion.model);
    expect(completion.choices[0]!.message.content).toContain('echo:');
  });

  it('takes an ad-hoc <provider>/<model id> and a per-request fallback list', async () => {
    const completion = await client.chat.completions.create({
      model: 'openrouter/fault:server_error/some-model',
      messages: [{ role: 'user', content: 'hi' }],
      // @ts-expect-error an extension of this server
      fallbacks: ['openrouter/other-model'],
    });
    expect(completion.model).toBe('openrouter/other-model');
    expect(fake.attempts.at(-1)!.model).toBe('other-model');
  });

  it('lists every configured model in GET /v1/models', async () => {
    const ids: string[] = [];
    const owners = new Map<string, string>();
    for await (const model of client.models.list()) {
      ids.push(model.id);
      owners.set(model.id, model.owned_by);
    }
    for (const [key, m] of Object.entries(server.loaded.config.models)) {
      expect(ids).toContain(key);
      expect(owners.get(key)).toBe(m.provider);
    }
  });
});

describe('POST /v1/chat/completions errors', () => {
  it('rejects an unknown model with 400 invalid_request_error, param model, code model_not_found', async () => {
    const res = await post({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; param: string; code: string; details: { path: string }[]; request_id: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
    expect(body.error.details).toEqual([expect.objectContaining({ path: 'model' })]);
    expect(res.headers.get('x-request-id')).toBe(body.error.request_id);
  });

  it('rejects a malformed body naming the failing field in param', async () => {
    const res = await post({ model: 'medium_ai', messages: [] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; param: string; details: { path: string }[] } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.param).toBe('messages');
    expect(body.error.details[0]!.path).toMatch(/^body\.messages/);
  });

  it('answers 502 upstream_error listing every attempt when the chain is exhausted', async () => {
    const res = await post({ model: 'openrouter/fault:unavailable/x', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { type: string; code: string; details: Record<string, unknown>[] } };
    expect(body.error).toMatchObject({ type: 'api_error', code: 'upstream_error' });
    expect(body.error.details).toHaveLength(fake.attempts.length);
    expect(body.error.details[0]).toMatchObject({ model: 'openrouter/fault:unavailable/x', provider: 'openrouter', kind: 'server_error', status: 503 });
  });

  it('surfaces a content filter as 400 with the provider reason, unretried', async () => {
    const res = await post({ model: 'openrouter/fault:content_filter/x', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.message).toMatch(/^the provider refused the content: .*filtered/);
    expect(fake.attempts).toHaveLength(1);
  });

  it('answers a stream that fails before its first byte with a normal JSON error status', async () => {
    await expect(
      client.chat.completions.create({ model: 'openrouter/fault:unavailable/x', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    ).rejects.toMatchObject({ status: 502 });
  });

  it('ends a stream that breaks after its first byte with an in-band error and no [DONE]', async () => {
    const res = await post({ model: 'openrouter/fault:stream_cut_2/x', messages: [{ role: 'user', content: 'hello there' }], stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    expect(events).not.toContain('[DONE]');
    const last = JSON.parse(events.at(-1)!) as { error: { type: string; code: string } };
    expect(last.error).toMatchObject({ type: 'api_error', code: 'upstream_error' });
    const first = JSON.parse(events[0]!) as { choices: { delta: { role?: string } }[] };
    expect(first.choices[0]!.delta.role).toBe('assistant');
  });

  it('cancels the upstream call when the client hangs up', async () => {
    const controller = new AbortController();
    const pending = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow_ai', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      signal: controller.signal,
    });
    await waitFor(async () => silentRequests.length === 1);
    expect(silentRequests[0]!.closed).toBe(false);
    controller.abort();
    await pending.catch(() => undefined);
    // The upstream never answers and slow_ai's time limits are 30 s: only the hang-up can end the call.
    await waitFor(async () => silentRequests[0]!.closed, 5000);
    await waitFor(async () => (await server.app.ctx.gateway.health()).providers.openai!.running === 0);
  });

  it('cancels the upstream stream when the client hangs up after the first delta', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'trickle_ai', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let received = '';
    while (!received.includes('first words')) received += new TextDecoder().decode((await reader.read()).value);
    expect(silentRequests[0]!.closed).toBe(false);
    controller.abort();
    await waitFor(async () => silentRequests[0]!.closed, 5000);
  });
});

async function waitFor(check: () => Promise<boolean>, withinMs = 2000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
