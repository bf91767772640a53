import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { createOpenAiCompatibleAdapter } from '../../src/providers/openai-compatible/adapter.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { collect, deltaText, failure, fastTimeouts, request } from './support.js';

let fake: FakeProvider;
let adapter: ProviderAdapter;
let keyless: ProviderAdapter;

beforeAll(async () => {
  fake = await startFakeProvider();
  adapter = createOpenAiCompatibleAdapter({
    name: 'openrouter',
    baseUrl: `${fake.url}/v1`,
    apiKey: 'sk-test-key',
    headers: { 'HTTP-Referer': 'https://example.test', 'X-Title': 'Orchestrator Test' },
  });
  keyless = createOpenAiCompatibleAdapter({ name: 'ollama', baseUrl: `${fake.url}/v1` });
});
afterAll(async () => {
  await adapter.close?.();
  await keyless.close?.();
  await fake.close();
});
beforeEach(() => fake.reset());

describe('OpenAI-compatible adapter: answers', () => {
  it('returns the text, usage and finish reason of a non-stream answer', async () => {
    const result = await adapter.generate(request('meta-llama/llama-3.3-70b-instruct'));
    expect(result.text).toBe('echo: hello from the test');
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    expect(result.usage.total_tokens).toBe(result.usage.prompt_tokens + result.usage.completion_tokens);
    expect(result.finish_reason).toBe('stop');
    expect(result.simulated).toBe(false);
    expect(fake.attempts).toHaveLength(1);
    expect(fake.attempts[0]).toMatchObject({ path: '/v1/chat/completions', model: 'meta-llama/llama-3.3-70b-instruct', stream: false });
  });

  it('streams several deltas, then usage, then exactly one finish', async () => {
    const chunks = await collect(adapter.stream(request('m')));
    expect(deltaText(chunks)).toBe('echo: hello from the test');
    expect(chunks.filter((c) => c.type === 'delta').length).toBeGreaterThan(1);
    expect(chunks.at(-2)).toMatchObject({ type: 'usage' });
    expect(chunks.at(-1)).toEqual({ type: 'finish', finish_reason: 'stop' });
    expect(fake.attempts[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('sends the configured headers and the bearer key, and no Authorization without a key', async () => {
    await adapter.generate(request('m'));
    await keyless.generate(request('m'));
    const [withKey, withoutKey] = fake.attempts;
    expect(withKey!.headers).toMatchObject({ authorization: 'Bearer sk-test-key', 'http-referer': 'https://example.test', 'x-title': 'Orchestrator Test' });
    expect(withoutKey!.headers.authorization).toBeUndefined();
  });

  it('asks for a JSON object in json mode', async () => {
    const result = await adapter.generate(request('m', { json: true }));
    expect(JSON.parse(result.text)).toEqual({ echo: 'hello from the test' });
    expect(fake.attempts[0]!.body).toMatchObject({ response_format: { type: 'json_object' } });
  });

  it('forwards vision content parts unchanged', async () => {
    const content = [
      { type: 'text' as const, text: 'what is in this picture?' },
      { type: 'image_url' as const, image_url: { url: 'https://example.test/cat.png' } },
    ];
    const result = await adapter.generate(request('m', { messages: [{ role: 'user', content }] }));
    expect(result.text).toBe('echo: what is in this picture?');
    expect((fake.attempts[0]!.body as { messages: unknown[] }).messages[0]).toEqual({ role: 'user', content });
  });

  it('sends a prefill as a trailing assistant message and returns only the continuation', async () => {
    const result = await adapter.generate(request('m', { prefill: 'echo: hello' }));
    expect(result.text).toBe(' from the test');
    const messages = (fake.attempts[0]!.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(messages.at(-1)).toEqual({ role: 'assistant', content: 'echo: hello' });
  });

  it('sends max_tokens and temperature when given', async () => {
    await adapter.generate(request('m', { max_tokens: 77, temperature: 0.2 }));
    expect(fake.attempts[0]!.body).toMatchObject({ max_tokens: 77, temperature: 0.2 });
  });

  it('generates images the OpenRouter way and returns them as data-URI media', async () => {
    const result = await adapter.generate(request('x-ai/grok-4-fast', { kind: 'image' }));
    expect(fake.attempts[0]!.body).toMatchObject({ modalities: ['image', 'text'] });
    expect(result.media).toHaveLength(1);
    expect(result.media[0]).toMatchObject({ type: 'image', mime_type: 'image/png' });
    expect(result.media[0]!.data_uri).toMatch(/^data:image\/png;base64,iVBOR/);
  });

  it('reuses one keep-alive connection across sequential calls, streamed or not', async () => {
    await adapter.generate(request('m'));
    const before = fake.connections;
    for (let i = 0; i < 5; i++) {
      await adapter.generate(request('m'));
      await collect(adapter.stream(request('m')));
    }
    expect(fake.connections).toBe(before);
  });
});

describe('OpenAI-compatible adapter: wire errors', () => {
  const cases: Array<[string, Partial<ProviderError>]> = [
    ['rate_limit', { kind: 'rate_limit', status: 429, retryAfterMs: undefined }],
    ['rate_limit_retry_after_2', { kind: 'rate_limit', status: 429, retryAfterMs: 2000 }],
    ['fail_once', { kind: 'server_error', status: 500 }],
    ['unavailable', { kind: 'server_error', status: 503 }],
    ['auth', { kind: 'auth_error', status: 401 }],
    ['forbidden', { kind: 'auth_error', status: 403 }],
    ['not_found', { kind: 'client_error', status: 404, code: 'model_not_found' }],
    ['context_length', { kind: 'client_error', status: 400, code: 'context_length_exceeded' }],
    ['content_filter', { kind: 'client_error', status: 400, code: 'content_filter' }],
    ['reset', { kind: 'server_error', code: 'connection_reset' }],
    ['malformed_body', { kind: 'server_error', code: 'malformed_body' }],
  ];
  for (const [fault, expected] of cases) {
    it(`classifies the '${fault}' fault as ${expected.kind}${expected.code ? `/${expected.code}` : ''}`, async () => {
      const err = await failure(() => adapter.generate(request(`fault:${fault}/m`)));
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ ...expected, provider: 'openrouter' });
      expect(err.message).not.toContain('sk-test-key');
    });
  }

  it('reads a Retry-After HTTP date into milliseconds', async () => {
    const err = await failure(() => adapter.generate(request('fault:rate_limit_retry_date_3/m')));
    expect(err.kind).toBe('rate_limit');
    expect(err.retryAfterMs).toBeGreaterThan(1000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(3000);
  });

  it('answers healthily after a fail_once fault was spent', async () => {
    await failure(() => adapter.generate(request('fault:fail_once/m')));
    const result = await adapter.generate(request('fault:fail_once/m'));
    expect(result.text).toBe('echo: hello from the test');
  });

  it('takes faults from the x-fake-fault header as well as the model name', async () => {
    const viaHeader = createOpenAiCompatibleAdapter({ name: 'p', baseUrl: `${fake.url}/v1`, headers: { 'x-fake-fault': 'unavailable' } });
    const err = await failure(() => viaHeader.generate(request('plain-model')));
    await viaHeader.close?.();
    expect(err).toMatchObject({ kind: 'server_error', status: 503 });
    expect(fake.attempts[0]!.fault).toBe('unavailable');
  });

  it('rejects a prefill only where the model refuses it', async () => {
    const err = await failure(() => adapter.generate(request('fault:reject_prefill/m', { prefill: 'echo:' })));
    expect(err).toMatchObject({ kind: 'client_error', code: 'prefill_unsupported', status: 400 });
    const ok = await adapter.generate(request('fault:reject_prefill/m'));
    expect(ok.text).toBe('echo: hello from the test');
  });

  it('times out a provider that never answers at first_byte_ms', async () => {
    const err = await failure(() => adapter.generate(request('fault:no_response/m', { timeouts: fastTimeouts({ first_byte_ms: 200 }) })));
    expect(err).toMatchObject({ kind: 'timeout', code: 'first_byte_timeout' });
  });

  it('lets a non-streamed answer take up to response_ms, since its headers come with the whole answer', async () => {
    const ok = await adapter.generate(request('fault:latency_600/m', { timeouts: fastTimeouts({ first_byte_ms: 200, response_ms: 3000 }) }));
    expect(ok.text).toBe('echo: hello from the test');
    // undici checks header timeouts on a ~1 s tick, hence a latency well past it.
    const err = await failure(() => adapter.generate(request('fault:latency_2500/m', { timeouts: fastTimeouts({ first_byte_ms: 5000, response_ms: 300 }) })));
    expect(err).toMatchObject({ kind: 'timeout', code: 'first_byte_timeout' });
  });

  it('ends the attempt at total_ms when that comes first', async () => {
    const err = await failure(() => adapter.generate(request('fault:no_response/m', { timeouts: fastTimeouts({ first_byte_ms: 5000, total_ms: 200 }) })));
    expect(err).toMatchObject({ kind: 'timeout', code: 'total_timeout' });
  });

  it('classifies a refused connection as a connection reset', async () => {
    const closed = await startFakeProvider();
    const url = closed.url;
    await closed.close();
    const dead = createOpenAiCompatibleAdapter({ name: 'dead', baseUrl: `${url}/v1` });
    const err = await failure(() => dead.generate(request('m')));
    await dead.close?.();
    expect(err).toMatchObject({ kind: 'server_error', code: 'connection_reset' });
  });

  it("rethrows the caller's own abort reason, not a ProviderError", async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    const pending = failure(() => adapter.generate(request('fault:no_response/m', { signal: controller.signal })));
    setTimeout(() => controller.abort(reason), 50);
    expect(await pending).toBe(reason);
  });

  it("rethrows the caller's abort reason during a stream", async () => {
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    const err = await failure(async () => {
      for await (const chunk of adapter.stream(request('fault:stream_stall_2/m', { signal: controller.signal }))) {
        if (chunk.type === 'delta') controller.abort(reason);
      }
    });
    expect(err).toBe(reason);
  });
});

describe('OpenAI-compatible adapter: stream faults', () => {
  it('skips a malformed chunk and completes the answer', async () => {
    const chunks = await collect(adapter.stream(request('fault:malformed_chunk/m')));
    expect(deltaText(chunks)).toBe('echo: hello from the test');
    expect(chunks.at(-1)).toEqual({ type: 'finish', finish_reason: 'stop' });
  });

  it('throws connection_reset when the stream is cut mid-answer, after the first deltas', async () => {
    const seen: string[] = [];
    const err = await failure(async () => {
      for await (const chunk of adapter.stream(request('fault:stream_cut_2/m'))) if (chunk.type === 'delta') seen.push(chunk.text);
    });
    expect(seen.length).toBe(2);
    expect(err).toMatchObject({ kind: 'server_error', code: 'connection_reset' });
  });

  it('throws stream_idle_timeout when the stream stalls', async () => {
    const err = await failure(() => collect(adapter.stream(request('fault:stream_stall_2/m', { timeouts: fastTimeouts({ stream_idle_ms: 200 }) }))));
    expect(err).toMatchObject({ kind: 'timeout', code: 'stream_idle_timeout' });
  });

  it('throws first_byte_timeout when the first token is too slow', async () => {
    const err = await failure(() => collect(adapter.stream(request('fault:slow_first_token_2000/m', { timeouts: fastTimeouts({ first_byte_ms: 200 }) }))));
    expect(err).toMatchObject({ kind: 'timeout', code: 'first_byte_timeout' });
  });

  it('finishes successfully when [DONE] is missing after the finish reason', async () => {
    const chunks = await collect(adapter.stream(request('fault:missing_done/m')));
    expect(deltaText(chunks)).toBe('echo: hello from the test');
    expect(chunks.at(-1)).toEqual({ type: 'finish', finish_reason: 'stop' });
  });

  it('finalises without waiting for the idle timeout when the upstream hangs after its finish reason', async () => {
    // The idle and total timeouts are longer than the test's own: only finalising on the finish reason ends it.
    const chunks = await collect(adapter.stream(request('fault:missing_done_hang/m', { timeouts: fastTimeouts({ stream_idle_ms: 600_000, total_ms: 600_000 }) })));
    expect(chunks.at(-1)).toEqual({ type: 'finish', finish_reason: 'stop' });
    expect(chunks.some((c) => c.type === 'usage')).toBe(true);
  });

  it('throws truncated_stream when the stream ends with neither finish reason nor [DONE]', async () => {
    const err = await failure(() => collect(adapter.stream(request('fault:no_finish/m'))));
    expect(err).toMatchObject({ kind: 'server_error', code: 'truncated_stream' });
  });

  it('turns a mid-stream error object into a ProviderError', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"par"}}]}\n\n');
      res.end('data: {"error":{"code":502,"message":"upstream provider died"}}\n\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const midStream = createOpenAiCompatibleAdapter({ name: 'mid', baseUrl: `http://127.0.0.1:${port}/v1` });
    const err = await failure(() => collect(midStream.stream(request('m'))));
    await midStream.close?.();
    server.close();
    expect(err).toMatchObject({ kind: 'server_error', status: 502 });
    expect(err.message).toContain('upstream provider died');
  });

  it('classifies a 429 before the stream starts', async () => {
    const err = await failure(() => collect(adapter.stream(request('fault:rate_limit_retry_after_1/m'))));
    expect(err).toMatchObject({ kind: 'rate_limit', retryAfterMs: 1000 });
  });
});
