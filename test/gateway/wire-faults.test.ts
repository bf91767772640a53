import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestConfigOptions } from '../helpers/gateway-config.js';
import { startFixture, type Fixture } from '../orchestrator/fixture.js';
import { postJson } from '../orchestrator/support.js';
import { hello, seenFor } from './fake-gateway.js';
import { fakeSuite } from './fake-suite.js';

/**
 * Issue 11, classes B and C through the gateway, the real adapters and real sockets:
 * what the provider wrote on the wire (status, headers, body) decides retry, wait and fallback.
 * Waits are asserted as lower bounds measured by the fake provider (never upper bounds).
 */

const suite = fakeSuite();
const withModels = (models: TestConfigOptions['models'], extra: Omit<TestConfigOptions, 'fakeUrl' | 'models'> = {}) => suite.withModels(models, extra);

const gap = (fakeModel: string): number => {
  const seen = seenFor(suite.fake, fakeModel);
  expect(seen.length).toBeGreaterThanOrEqual(2);
  return seen[1]!.at - seen[0]!.at;
};

describe('C: one classification table decides the fallback', () => {
  it("an Anthropic context overflow relayed by OpenRouter in metadata.raw moves to the next model with a larger window", async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:context_relay/primary-model', context_window: 200_000, fallbacks: ['backup', 'big'] },
      backup: { provider: 'beta', model: 'backup-model', context_window: 128_000 },
      big: { provider: 'beta', model: 'big-model', capabilities: ['text', 'vision', 'json_output'], context_window: 1_000_000 },
    });
    const result = await gateway.call(hello());
    expect(result).toMatchObject({ model_used: 'big', fallback_used: true, text: 'echo: hello there' });
    expect(seenFor(suite.fake, 'primary-model')).toHaveLength(1);
    expect(seenFor(suite.fake, 'backup-model')).toHaveLength(0);
    expect(result.attempts.map((a) => `${a.model}:${a.outcome}:${a.code ?? ''}`)).toEqual([
      'primary:failure:context_length_exceeded',
      'backup:skipped:context_length_exceeded',
      'big:success:',
    ]);
  });

  it.each([
    ['OpenRouter 402 "requires more credits"', 'credits', 402],
    ['OpenAI 429 insufficient_quota', 'insufficient_quota', 429],
  ])('%s falls back at once, without retrying the provider that cannot serve the key', async (_what, fault, status) => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: `fault:${fault}/primary-model`, fallbacks: ['backup'] } });
    const result = await gateway.call(hello());
    expect(result).toMatchObject({ model_used: 'backup', text: 'echo: hello there' });
    expect(seenFor(suite.fake, 'primary-model')).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ kind: 'quota', code: 'quota_exceeded', status });
  });

  it('an Anthropic 529 overloaded_error is retried, then falls back, and is reported as overloaded', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:overloaded/primary-model', fallbacks: ['backup'] } });
    const result = await gateway.call(hello());
    expect(result.model_used).toBe('backup');
    // server_error.max_retries is 2 in the test config.
    expect(seenFor(suite.fake, 'primary-model')).toHaveLength(3);
    expect(result.attempts[0]).toMatchObject({ kind: 'server_error', code: 'overloaded', status: 529 });
  });

  it('a Gemini "model is overloaded" 503 is the same class', async () => {
    const { gateway } = withModels({ primary: { provider: 'gem', model: 'fault:overloaded/gemini-x', fallbacks: ['backup'] } });
    const result = await gateway.call(hello());
    expect(result.model_used).toBe('backup');
    expect(result.attempts[0]).toMatchObject({ kind: 'server_error', code: 'overloaded', status: 503 });
  });
});

describe('B: one retry-hint reader for every retryable status', () => {
  const capped = (cap: number, retries = 1): Omit<TestConfigOptions, 'fakeUrl' | 'models'> => ({
    edit: (raw) => {
      raw.error_handling.retry_after_cap_ms = cap;
      raw.error_handling.rate_limit.max_retries = retries;
      raw.error_handling.server_error.max_retries = retries;
    },
  });

  it('429 with retry-after-ms: 2500 → the retry comes at least 2.5 s later', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:rate_limit_retry_after_ms_2500/primary-model', fallbacks: ['backup'] } }, capped(5000));
    await gateway.call(hello());
    expect(gap('primary-model')).toBeGreaterThanOrEqual(2500);
  });

  it('429 with retry-after-ms beyond retry_after_cap_ms → the fallback at once, no retry', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:rate_limit_retry_after_ms_2500/primary-model', fallbacks: ['backup'] } }, capped(2000));
    const result = await gateway.call(hello());
    expect(result.model_used).toBe('backup');
    expect(seenFor(suite.fake, 'primary-model')).toHaveLength(1);
  });

  it('an OpenAI spent request window (x-ratelimit-remaining-requests: 0, reset 1.5s) is waited out', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:rate_limit_reset_1500/primary-model', fallbacks: ['backup'] } }, capped(5000));
    await gateway.call(hello());
    expect(gap('primary-model')).toBeGreaterThanOrEqual(1500);
  });

  it("Google's RetryInfo retryDelay in the error body is waited out", async () => {
    const { gateway } = withModels({ primary: { provider: 'gem', model: 'fault:rate_limit_retry_info_1200/gemini-x', fallbacks: ['backup'] } }, capped(5000));
    await gateway.call(hello());
    expect(gap('gemini-x')).toBeGreaterThanOrEqual(1200);
  });

  it('a 503 with Retry-After is waited out too, not only a 429', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:unavailable_retry_after_1/primary-model', fallbacks: ['backup'] } }, capped(5000));
    await gateway.call(hello());
    expect(gap('primary-model')).toBeGreaterThanOrEqual(1000);
  });
});

describe('the issue examples over /v1/chat/completions, with ad-hoc fallbacks', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(async () => {
    await f.close();
  });
  const ask = (model: string, extra: Record<string, unknown> = {}) =>
    postJson(`${f.t.url}/v1/chat/completions`, { model, fallbacks: ['openrouter/steady-model'], messages: [{ role: 'user', content: 'Say hello.' }], ...extra });

  it.each([
    ["Anthropic's context overflow relayed by OpenRouter", 'context_relay'],
    ['OpenRouter 402 requires more credits', 'credits'],
    ['Anthropic 529 overloaded', 'overloaded'],
  ])('%s → the fallback answers, 200', async (_what, fault) => {
    const res = await ask(`openrouter/fault:${fault}/first-model`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model: 'openrouter/steady-model', x_fallback_used: true, choices: [{ message: { content: 'echo: Say hello.' } }] });
  });

  it('a streamed answer after 429s with retry-after-ms waits out each hint, then the fallback completes it', async () => {
    f.fake.reset();
    const res = await fetch(`${f.t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openrouter/fault:rate_limit_retry_after_ms_300/first-model', fallbacks: ['openrouter/steady-model'], stream: true, messages: [{ role: 'user', content: 'Say hello.' }] }),
    });
    const body = await res.text();
    expect(body.trim().endsWith('data: [DONE]')).toBe(true);
    const seen = f.fake.attempts.filter((a) => a.model.endsWith('first-model'));
    // rate_limit.max_retries is 2 in the test timings: three tries, each at least the hint after the last.
    expect(seen).toHaveLength(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.at - seen[i - 1]!.at).toBeGreaterThanOrEqual(300);
    expect(body).toContain('"model":"openrouter/steady-model"');
  });
});
