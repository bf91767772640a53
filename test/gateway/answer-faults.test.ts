import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayStream } from '../../src/gateway/types.js';
import type { TestConfigOptions } from '../helpers/gateway-config.js';
import { startFixture, type Fixture } from '../orchestrator/fixture.js';
import { postJson } from '../orchestrator/support.js';
import { hello, seenFor } from './fake-gateway.js';
import { fakeSuite } from './fake-suite.js';

/**
 * Issue 11 class A: a failure inside a normal-looking 200 is a failed attempt (retry, then
 * the fallback), never a success — for whole answers and for streams, on both wires.
 * `finish_reason: length` stays a success, reported as truncated.
 */

const suite = fakeSuite();
const withModels = (models: TestConfigOptions['models']) => suite.withModels(models);
const seen = (id: string) => seenFor(suite.fake, id);
const primaryOn = (provider: 'alpha' | 'gem', fault: string) => withModels({ primary: { provider, model: `fault:${fault}/primary-model`, fallbacks: ['backup'] } });

async function drain(stream: GatewayStream): Promise<string> {
  let text = '';
  for await (const chunk of stream.chunks) if (chunk.type === 'delta') text += chunk.text;
  return text;
}

describe('A: failures inside a 200 answer', () => {
  it('OpenRouter 200 with finish_reason "error" and choices[0].error → a failed attempt; the fallback answers', async () => {
    const { gateway } = primaryOn('alpha', 'choice_error');
    const result = await gateway.call(hello());
    expect(result).toMatchObject({ model_used: 'backup', fallback_used: true, text: 'echo: hello there' });
    expect(result.attempts[0]).toMatchObject({ model: 'primary', outcome: 'failure', kind: 'server_error', status: 502 });
    // server_error is retried (max_retries 2 in the test config) before the fallback.
    expect(seen('primary-model')).toHaveLength(3);
  });

  it.each([
    ['OpenAI finish_reason "error"', 'alpha', 'abnormal_finish', 'abnormal_finish'],
    ['Gemini finishReason OTHER', 'gem', 'abnormal_finish', 'abnormal_finish'],
    ['OpenAI empty content', 'alpha', 'empty_answer', 'empty_answer'],
    ['Gemini empty parts', 'gem', 'empty_answer', 'empty_answer'],
    ['OpenAI choices: []', 'alpha', 'empty_candidates', 'malformed_body'],
    ['Gemini candidates: []', 'gem', 'empty_candidates', 'malformed_body'],
  ] as const)('%s is never a success: the fallback answers', async (_what, provider, fault, code) => {
    const { gateway } = primaryOn(provider, fault);
    const result = await gateway.call(hello());
    expect(result.model_used).toBe('backup');
    expect(result.text).toBe('echo: hello there');
    expect(result.attempts[0]).toMatchObject({ outcome: 'failure', kind: 'server_error', code });
  });

  it.each([
    ['OpenAI', 'alpha'],
    ['Gemini', 'gem'],
  ] as const)('%s finish at the token limit stays a success, reported as truncated', async (_what, provider) => {
    const { gateway } = primaryOn(provider, 'truncated');
    const result = await gateway.call(hello());
    expect(result).toMatchObject({ model_used: 'primary', finish_reason: 'length', truncated: true });
    const normal = await withModels({}).gateway.call(hello());
    expect(normal).toMatchObject({ finish_reason: 'stop', truncated: false });
  });
});

describe('A: failures inside a stream', () => {
  it.each([
    ['OpenRouter error chunk with finish_reason "error" after two chunks, then [DONE]', 'alpha', 'midstream_error_2'],
    ['Gemini {error} chunk after two chunks', 'gem', 'midstream_error_2'],
  ] as const)('%s is a broken stream, continued by the fallback, never a success of the primary', async (_what, provider, fault) => {
    const { gateway } = primaryOn(provider, fault);
    const stream = gateway.stream(hello());
    const text = await drain(stream);
    const result = await stream.result;
    expect(result.model_used).toBe('backup');
    expect(result.attempts[0]).toMatchObject({ model: 'primary', outcome: 'failure', kind: 'server_error' });
    expect(text).toBe(result.text);
    expect(result.text.startsWith('echo: hello there')).toBe(true);
  });

  it.each([
    ['OpenAI', 'alpha'],
    ['Gemini', 'gem'],
  ] as const)('%s: an abnormal finish reason at the end of a stream is a broken stream', async (_what, provider) => {
    const { gateway } = primaryOn(provider, 'abnormal_finish');
    const stream = gateway.stream(hello());
    await drain(stream);
    const result = await stream.result;
    expect(result.model_used).toBe('backup');
    expect(result.attempts[0]).toMatchObject({ model: 'primary', outcome: 'failure', code: 'abnormal_finish' });
  });

  it.each([
    ['OpenAI', 'alpha'],
    ['Gemini', 'gem'],
  ] as const)('%s: a stream that finishes without a single token is not a success', async (_what, provider) => {
    const { gateway } = primaryOn(provider, 'empty_answer');
    const stream = gateway.stream(hello());
    expect(await drain(stream)).toBe('echo: hello there');
    const result = await stream.result;
    expect(result.model_used).toBe('backup');
    expect(result.attempts[0]).toMatchObject({ model: 'primary', outcome: 'failure', code: 'empty_answer' });
  });

  it('a truncated stream is a success, reported as truncated', async () => {
    const { gateway } = primaryOn('alpha', 'truncated');
    const stream = gateway.stream(hello());
    expect(await drain(stream)).toBe('echo: hello there');
    expect(await stream.result).toMatchObject({ model_used: 'primary', finish_reason: 'length', truncated: true });
  });
});

describe('A: through the HTTP API', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture((raw) => {
      const model = (id: string) => ({
        provider: 'openrouter',
        model: id,
        capabilities: ['text', 'json_output'],
        context_window: 100_000,
        pricing: { input_per_million: 1, output_per_million: 2 },
        fallbacks: [],
      });
      raw.models.silent = model('fault:empty_answer/silent-model');
      raw.models.cut_short = model('fault:truncated/cut-model');
    });
  });
  afterAll(async () => {
    await f.close();
  });

  it('a workflow task whose model produced nothing is failed, not completed with an empty output', async () => {
    const workflow = {
      name: 'silence',
      linear_queue: [
        { id: 'quiet', model: 'silent', prompt: 'Say something.' },
        { id: 'talk', model: 'medium_ai', prompt: 'Say hello.' },
      ],
    };
    const { status, body } = await postJson(`${f.t.url}/workflow`, { workflow });
    expect(status).toBe(200);
    const quiet = body.tasks.find((t: { id: string }) => t.id === 'quiet');
    expect(quiet).toMatchObject({ status: 'failed', model_used: 'silent' });
    expect(quiet.error.kind).toBe('server_error');
    expect(body.tasks.find((t: { id: string }) => t.id === 'talk')).toMatchObject({ status: 'completed' });
    expect(body.variables.quiet).toBeUndefined();
  });

  it('a truncated task answer is completed and marked truncated: true', async () => {
    const workflow = { name: 'short', linear_queue: [{ id: 'brief', model: 'cut_short', prompt: 'Say hello.' }] };
    const { body } = await postJson(`${f.t.url}/workflow`, { workflow });
    expect(body.status).toBe('completed');
    expect(body.tasks[0]).toMatchObject({ status: 'completed', truncated: true });
  });

  it('/chat and /v1/chat/completions report a truncated answer', async () => {
    const chat = await postJson(`${f.t.url}/chat`, { message: 'Say hello.', model: 'cut_short', category: 'M' });
    expect(chat.body).toMatchObject({ model_used: 'cut_short', truncated: true });
    const plain = await postJson(`${f.t.url}/chat`, { message: 'Say hello.', model: 'medium_ai', category: 'M' });
    expect(plain.body.truncated).toBe(false);
    const v1 = await postJson(`${f.t.url}/v1/chat/completions`, { model: 'cut_short', messages: [{ role: 'user', content: 'Say hello.' }] });
    expect(v1.body).toMatchObject({ x_truncated: true, choices: [{ finish_reason: 'length' }] });
  });

  it('the issue example over /v1: OpenRouter 200 with a choice-level error → the ad-hoc fallback answers', async () => {
    const v1 = await postJson(`${f.t.url}/v1/chat/completions`, {
      model: 'openrouter/fault:choice_error/flaky-upstream',
      fallbacks: ['openrouter/steady-model'],
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ model: 'openrouter/steady-model', x_fallback_used: true, choices: [{ message: { content: 'echo: Say hello.' }, finish_reason: 'stop' }] });
  });

  it('a streamed /v1 answer whose upstream sends an error chunk mid-stream is completed by the fallback, then [DONE]', async () => {
    const res = await fetch(`${f.t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'openrouter/fault:midstream_error_2/flaky-upstream',
        fallbacks: ['openrouter/steady-model'],
        stream: true,
        messages: [{ role: 'user', content: 'Say hello to everyone here.' }],
      }),
    });
    const body = await res.text();
    const events = body
      .split('\n\n')
      .map((e) => e.replace(/^data: /, '').trim())
      .filter(Boolean);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { error?: unknown; choices: Array<{ delta: { content?: string }; finish_reason: string | null }> });
    expect(chunks.some((c) => c.error !== undefined)).toBe(false);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('echo: Say hello to everyone here.');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('/v1/chat/completions never answers an empty success: the model failed, so a 502', async () => {
    const v1 = await postJson(`${f.t.url}/v1/chat/completions`, { model: 'silent', messages: [{ role: 'user', content: 'Say hello.' }] });
    expect(v1.status).toBe(502);
  });
});
