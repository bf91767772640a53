import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { createGoogleAdapter } from '../../src/providers/google/adapter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { collect, deltaText, failure, fastTimeouts, request } from './support.js';

let fake: FakeProvider;
let google: ProviderAdapter;

beforeAll(async () => {
  fake = await startFakeProvider();
  google = createGoogleAdapter({ name: 'google_ai', baseUrl: `${fake.url}/v1beta`, apiKey: 'g-test-key', veoPollMs: 10 });
});
afterAll(async () => {
  await google.close?.();
  await fake.close();
});
beforeEach(() => fake.reset());

type GeminiBody = {
  contents: Array<{ role: string; parts: Array<Record<string, unknown>> }>;
  systemInstruction?: { parts: Array<{ text: string }> };
  generationConfig: Record<string, unknown>;
};

describe('Gemini', () => {
  it('answers with text and usage, the key in x-goog-api-key and never in the URL', async () => {
    const result = await google.generate(request('gemini-2.5-flash'));
    expect(result.text).toBe('echo: hello from the test');
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    expect(result.usage.completion_tokens).toBeGreaterThan(0);
    expect(result.finish_reason).toBe('stop');
    const attempt = fake.attempts[0]!;
    expect(attempt.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(attempt.headers['x-goog-api-key']).toBe('g-test-key');
    expect(attempt.path).not.toContain('g-test-key');
  });

  it('maps system messages to systemInstruction, assistant to model, and images to inlineData / fileData', async () => {
    await google.generate(
      request('gemini-2.5-flash', {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'first question' },
          { role: 'assistant', content: 'first answer' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'and these?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
              { type: 'image_url', image_url: { url: 'https://example.test/photo.jpg' } },
            ],
          },
        ],
      }),
    );
    const body = fake.attempts[0]!.body as GeminiBody;
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'be brief' }] });
    expect(body.contents.map((c) => c.role)).toEqual(['user', 'model', 'user']);
    expect(body.contents[2]!.parts).toEqual([
      { text: 'and these?' },
      { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.test/photo.jpg' } },
    ]);
  });

  it('asks for JSON through responseMimeType', async () => {
    const result = await google.generate(request('gemini-2.5-flash', { json: true, max_tokens: 50, temperature: 0 }));
    expect(JSON.parse(result.text)).toEqual({ echo: 'hello from the test' });
    expect((fake.attempts[0]!.body as GeminiBody).generationConfig).toEqual({ responseMimeType: 'application/json', maxOutputTokens: 50, temperature: 0 });
  });

  it('sends a prefill as a trailing model turn and returns the continuation', async () => {
    const result = await google.generate(request('gemini-2.5-flash', { prefill: 'echo: hello from' }));
    expect(result.text).toBe(' the test');
    expect((fake.attempts[0]!.body as GeminiBody).contents.at(-1)).toEqual({ role: 'model', parts: [{ text: 'echo: hello from' }] });
  });

  it('streams over SSE with usage and a finish', async () => {
    const chunks = await collect(google.stream(request('gemini-2.5-flash')));
    expect(deltaText(chunks)).toBe('echo: hello from the test');
    expect(chunks.at(-2)).toMatchObject({ type: 'usage' });
    expect(chunks.at(-1)).toEqual({ type: 'finish', finish_reason: 'stop' });
    expect(fake.attempts[0]!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  it('reports a SAFETY finish as content_filter, streamed or not', async () => {
    const err = await failure(() => google.generate(request('fault:content_filter/gemini-2.5-flash')));
    expect(err).toMatchObject({ kind: 'client_error', code: 'content_filter' });
    expect(err.message).toContain('SAFETY');
    const streamed = await failure(() => collect(google.stream(request('fault:content_filter/gemini-2.5-flash'))));
    expect(streamed).toMatchObject({ kind: 'client_error', code: 'content_filter' });
  });

  it('classifies Google-format errors: 429 with Retry-After, 503, token-count 400', async () => {
    expect(await failure(() => google.generate(request('fault:rate_limit_retry_after_3/gemini')))).toMatchObject({ kind: 'rate_limit', status: 429, retryAfterMs: 3000 });
    expect(await failure(() => google.generate(request('fault:unavailable/gemini')))).toMatchObject({ kind: 'server_error', status: 503 });
    expect(await failure(() => google.generate(request('fault:context_length/gemini')))).toMatchObject({ kind: 'client_error', code: 'context_length_exceeded' });
  });

  it('throws truncated_stream when a Gemini stream ends without a finishReason', async () => {
    const err = await failure(() => collect(google.stream(request('fault:no_finish/gemini'))));
    expect(err).toMatchObject({ kind: 'server_error', code: 'truncated_stream' });
  });

  it('throws stream_idle_timeout when a Gemini stream stalls', async () => {
    const err = await failure(() => collect(google.stream(request('fault:stream_stall_1/gemini', { timeouts: fastTimeouts({ stream_idle_ms: 200 }) }))));
    expect(err).toMatchObject({ kind: 'timeout', code: 'stream_idle_timeout' });
  });

  it('returns Gemini image output as media', async () => {
    const result = await google.generate(request('gemini-2.5-flash-image', { kind: 'image' }));
    expect((fake.attempts[0]!.body as GeminiBody).generationConfig).toMatchObject({ responseModalities: ['TEXT', 'IMAGE'] });
    expect(result.media[0]).toMatchObject({ type: 'image', mime_type: 'image/png' });
    expect(result.media[0]!.data_uri).toMatch(/^data:image\/png;base64,/);
  });
});

describe('Imagen', () => {
  it('predicts one image from the last user message and returns it as a data URI', async () => {
    const result = await google.generate(request('imagen-4.0-ultra-generate-001', { kind: 'image', messages: [{ role: 'user', content: 'a red fox' }] }));
    expect(fake.attempts[0]!.path).toBe('/v1beta/models/imagen-4.0-ultra-generate-001:predict');
    expect(fake.attempts[0]!.body).toEqual({ instances: [{ prompt: 'a red fox' }], parameters: { sampleCount: 1 } });
    expect(result.media).toEqual([{ type: 'image', mime_type: 'image/png', data_uri: expect.stringMatching(/^data:image\/png;base64,iVBOR/) }]);
  });

  it('reports a filtered prediction as content_filter', async () => {
    const err = await failure(() => google.generate(request('fault:content_filter/imagen-4', { kind: 'image' })));
    expect(err).toMatchObject({ kind: 'client_error', code: 'content_filter' });
  });
});

describe('Veo', () => {
  it('starts a long-running operation and polls until it is done, returning the video URL', async () => {
    const result = await google.generate(request('veo-3.1-generate-preview', { kind: 'video', messages: [{ role: 'user', content: 'a sunrise' }] }));
    const polls = fake.attempts.filter((a) => a.path.includes('/operations/'));
    expect(fake.attempts[0]!.path).toBe('/v1beta/models/veo-3.1-generate-preview:predictLongRunning');
    expect(polls).toHaveLength(3);
    expect(polls.every((p) => p.headers['x-goog-api-key'] === 'g-test-key')).toBe(true);
    expect(result.media).toEqual([{ type: 'video', url: expect.stringMatching(/\/v1beta\/files\/.+:download\?alt=media$/), mime_type: 'video/mp4', duration_s: 8 }]);
  });

  it('backs off between polls (each gap at least as long as the previous)', async () => {
    await google.generate(request('fault:veo_polls_4/veo', { kind: 'video' }));
    const times = fake.attempts.map((a) => a.at);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toHaveLength(4);
    expect(gaps[3]!).toBeGreaterThanOrEqual(40 - 5);
  });

  it('turns an operation error into a ProviderError by its code', async () => {
    const err = await failure(() => google.generate(request('fault:operation_error_8/veo', { kind: 'video' })));
    expect(err).toMatchObject({ kind: 'rate_limit', code: 'operation_failed' });
    const internal = await failure(() => google.generate(request('fault:operation_error/veo', { kind: 'video' })));
    expect(internal).toMatchObject({ kind: 'server_error', code: 'operation_failed' });
  });

  it('stops polling at total_ms with a total_timeout', async () => {
    const slow = createGoogleAdapter({ name: 'google_ai', baseUrl: `${fake.url}/v1beta`, veoPollMs: 100 });
    const err = await failure(() => slow.generate(request('fault:veo_polls_100/veo', { kind: 'video', timeouts: fastTimeouts({ total_ms: 350 }) })));
    await slow.close?.();
    expect(err).toMatchObject({ kind: 'timeout', code: 'total_timeout' });
    expect(fake.attempts.length).toBeLessThan(6);
  });

  it("stops polling when the caller aborts, rethrowing the caller's reason", async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by user');
    const slow = createGoogleAdapter({ name: 'google_ai', baseUrl: `${fake.url}/v1beta`, veoPollMs: 100 });
    setTimeout(() => controller.abort(reason), 150);
    const err = await failure(() => slow.generate(request('fault:veo_polls_100/veo', { kind: 'video', signal: controller.signal })));
    await slow.close?.();
    expect(err).toBe(reason);
  });
});
