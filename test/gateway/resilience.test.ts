import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { GatewayStream } from '../../src/gateway/types.js';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { maxInAnyWindow, TEST_WINDOW_MS, type TestConfigOptions } from '../helpers/gateway-config.js';
import { fakeGateway, hello, messagesOf, seenFor, type FakeGateway } from './fake-gateway.js';
import { waitFor } from '../helpers/server-process.js';

/**
 * The gateway with the real adapters over real sockets against the fake
 * provider: what the provider experienced (attempt counts, gaps, request
 * bodies) is asserted from the fake's own records.
 */

let fake: FakeProvider;
let current: FakeGateway | undefined;

beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const withModels = (models: TestConfigOptions['models'], extra: Omit<TestConfigOptions, 'fakeUrl'> = {}) => {
  current = fakeGateway(fake, { ...extra, models });
  return current;
};

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function drain(stream: GatewayStream): Promise<{ text: string; error: unknown }> {
  let text = '';
  try {
    for await (const chunk of stream.chunks) if (chunk.type === 'delta') text += chunk.text;
    return { text, error: undefined };
  } catch (error) {
    return { text, error };
  }
}

describe('retries and Retry-After', () => {
  it('waits at least the Retry-After between attempts, as measured by the provider', async () => {
    const { gateway } = withModels(
      { primary: { provider: 'alpha', model: 'fault:rate_limit_retry_after_1/primary-model', fallbacks: ['backup'] } },
      { edit: (raw) => (raw.error_handling.rate_limit.max_retries = 1) },
    );
    const result = await gateway.call(hello());
    const seen = seenFor(fake, 'primary-model');
    expect(seen).toHaveLength(2);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(result.model_used).toBe('backup');
  });

  it('does not hammer a persistent 429: the attempts are bounded by the config, then it falls over', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:rate_limit/primary-model', fallbacks: ['backup'] } });
    const result = await gateway.call(hello());
    // rate_limit.max_retries is 2 in the test config: one try and two retries.
    expect(seenFor(fake, 'primary-model')).toHaveLength(3);
    expect(result).toMatchObject({ model_used: 'backup', fallback_used: true });
    expect(result.usage.total_tokens).toBeGreaterThan(0);
  });

  it('fails over at once when the Retry-After is longer than the cap', async () => {
    const { gateway, events } = withModels({ primary: { provider: 'alpha', model: 'fault:rate_limit_retry_after_30/primary-model', fallbacks: ['backup'] } });
    const result = await gateway.call(hello());
    expect(seenFor(fake, 'primary-model')).toHaveLength(1);
    expect(result.model_used).toBe('backup');
    // At once: no retry was scheduled (no wait of any length), the next model was taken (not a wall-clock bound).
    expect(events.filter((e) => e.name === 'retry' || e.name === 'fallback').map((e) => e.name)).toEqual(['fallback']);
  });

  it('retries a server error that happens once and answers from the same model', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:fail_once/primary-model', fallbacks: ['backup'] } });
    const result = await gateway.call(hello());
    expect(result).toMatchObject({ model_used: 'primary', fallback_used: false, text: 'echo: hello there' });
    expect(result.attempts.map((a) => a.outcome)).toEqual(['failure', 'success']);
    expect(seenFor(fake, 'primary-model')).toHaveLength(2);
  });

  it('retries a connection reset before headers and then falls back', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:reset/primary-model', fallbacks: ['backup'] } });
    const result = await gateway.call(hello());
    expect(seenFor(fake, 'primary-model')).toHaveLength(3);
    expect(result.attempts[0]).toMatchObject({ kind: 'server_error' });
    expect(result.model_used).toBe('backup');
  });
});

describe('timeouts', () => {
  it('abandons a silent provider at the first-byte timeout and does not retry it; the fallback answers', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:no_response/primary-model', fallbacks: ['backup'] } });
    const before = Date.now();
    const result = await gateway.call(hello());
    expect(Date.now() - before).toBeGreaterThanOrEqual(400);
    expect(seenFor(fake, 'primary-model')).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ outcome: 'failure', kind: 'timeout', code: 'first_byte_timeout' });
    expect(result).toMatchObject({ model_used: 'backup', text: 'echo: hello there' });
  });

  it('moves a stream whose first token is too slow to the fallback', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:slow_first_token_3000/primary-model', fallbacks: ['backup'] } });
    const stream = gateway.stream(hello());
    const { text, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(text).toBe('echo: hello there');
    await expect(stream.result).resolves.toMatchObject({ model_used: 'backup' });
    expect(seenFor(fake, 'primary-model')).toHaveLength(1);
  });
});

describe('streams that break', () => {
  it('continues a cut stream on a prefill-capable fallback, which receives the partial answer as an assistant message', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:stream_cut_2/primary-model', fallbacks: ['backup'] } });
    const stream = gateway.stream(hello());
    const { text, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(text).toBe('echo: hello there');
    const result = await stream.result;
    expect(result).toMatchObject({ model_used: 'backup', text: 'echo: hello there', fallback_used: true });
    expect(result.usage.total_tokens).toBeGreaterThan(0);
    const [continuation] = seenFor(fake, 'backup-model');
    const last = messagesOf(continuation!).at(-1)!;
    expect(last.role).toBe('assistant');
    expect(text.startsWith(String(last.content))).toBe(true);
    expect(String(last.content).length).toBeGreaterThan(0);
  });

  it('continues a stalled stream after the idle timeout', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:stream_stall_2/primary-model', fallbacks: ['backup'] } });
    const stream = gateway.stream(hello());
    const { text } = await drain(stream);
    expect(text).toBe('echo: hello there');
    const result = await stream.result;
    expect(result.model_used).toBe('backup');
    expect(result.attempts[0]).toMatchObject({ outcome: 'failure', kind: 'timeout', code: 'stream_idle_timeout' });
  });

  it('regenerates on a fallback without the prefill capability and splices its answer', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:stream_cut_2/primary-model', fallbacks: ['big'] },
    });
    const stream = gateway.stream(hello());
    const { text, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(text).toBe('echo: hello there');
    await expect(stream.result).resolves.toMatchObject({ model_used: 'big', text: 'echo: hello there' });
    const [regenerated] = seenFor(fake, 'big-model');
    expect(messagesOf(regenerated!).at(-1)!.role).toBe('user');
  });

  it('never ends a cut stream as a success when no fallback can extend the answer', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:stream_cut_2/primary-model', fallbacks: ['big'] },
      big: { provider: 'beta', model: 'fault:reword/big-model', capabilities: ['text', 'vision'], context_window: 100_000 },
    });
    const stream = gateway.stream(hello());
    const { text, error } = await drain(stream);
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toBe('echo: hello there');
    expect(error).toBeInstanceOf(AppError);
    const err = await failure(stream.result);
    expect(err.type).toBe('upstream_error');
    expect(err.message).toMatch(/no fallback model could continue/);
    expect(seenFor(fake, 'big-model')).toHaveLength(1);
  });

  it('regenerates on a fallback that rejects the prefill, then splices', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:stream_cut_2/primary-model', fallbacks: ['backup', 'third'] },
      backup: { provider: 'beta', model: 'fault:reject_prefill/backup-model' },
      third: { provider: 'beta', model: 'third-model' },
    });
    const stream = gateway.stream(hello());
    const { text } = await drain(stream);
    expect(text).toBe('echo: hello there');
    const result = await stream.result;
    expect(result.model_used).toBe('backup');
    expect(result.attempts.map((a) => `${a.model}:${a.outcome}:${a.code ?? ''}`)).toEqual([
      'primary:failure:connection_reset',
      'backup:failure:prefill_unsupported',
      'backup:success:',
    ]);
    expect(seenFor(fake, 'backup-model').map((a) => messagesOf(a).at(-1)!.role)).toEqual(['assistant', 'user']);
    expect(seenFor(fake, 'third-model')).toHaveLength(0);
  });

  it('skips a malformed chunk instead of forwarding it', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:malformed_chunk/primary-model' } });
    const stream = gateway.stream(hello());
    const { text, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(text).toBe('echo: hello there');
    await expect(stream.result).resolves.toMatchObject({ model_used: 'primary' });
  });
});

describe('client errors', () => {
  it('surfaces a content filter with the provider reason and does not retry', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'fault:content_filter/primary-model', fallbacks: ['backup'] } });
    const err = await failure(gateway.call(hello()));
    expect(err.type).toBe('validation_error');
    expect(err.message).toMatch(/^the provider refused the content: .*filtered/);
    expect(fake.attempts).toHaveLength(1);
  });

  it('jumps to a larger-window model on context_length_exceeded', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:context_length/primary-model', fallbacks: ['backup', 'big'] },
    });
    const result = await gateway.call(hello());
    expect(result.model_used).toBe('big');
    expect(seenFor(fake, 'primary-model')).toHaveLength(1);
    expect(seenFor(fake, 'backup-model')).toHaveLength(0);
  });

  it('answers 502 upstream_error listing every attempt when the chain is exhausted', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:unavailable/primary-model', fallbacks: ['backup'] },
      backup: { provider: 'beta', model: 'fault:auth/backup-model' },
    });
    const err = await failure(gateway.call(hello()));
    expect(err.status).toBe(502);
    expect(err.type).toBe('upstream_error');
    expect(err.details.map((d) => `${d.model}/${d.provider}/${d.kind}/${d.status}`)).toEqual([
      'primary/alpha/server_error/503',
      'primary/alpha/server_error/503',
      'primary/alpha/server_error/503',
      'backup/beta/auth_error/401',
    ]);
    expect(fake.attempts).toHaveLength(4);
  });
});

describe('circuit breaker', () => {
  it('serves an outage from the fallback with few attempts on the dead model, then returns to it', async () => {
    const { gateway, events } = withModels({ primary: { provider: 'alpha', model: 'primary-model', fallbacks: ['backup'] } });
    const states = () => events.filter((e) => e.name === 'breaker' && (e.event as { model: string }).model === 'primary').map((e) => (e.event as { state: string }).state);
    // The outage lasts until the test ends it, not for a wall-clock span: a slow machine makes fewer
    // calls in it, never calls that land on the other side of it.
    fake.setDown('primary-model', true);
    const halfOpen = () => waitFor(() => (gateway.circuitState('primary') === 'half_open' ? true : undefined), 'the primary breaker to half-open');
    const answeredBy: string[] = [];
    for (let i = 0; i < 4; i++) answeredBy.push((await gateway.call(hello())).model_used);
    // Twice, a call while half-open: the probe finds the primary still down.
    for (let i = 0; i < 2; i++) {
      await halfOpen();
      answeredBy.push((await gateway.call(hello())).model_used);
    }
    expect(answeredBy).toEqual(Array(6).fill('backup'));
    // Without a breaker every call would try the primary three times; with it, only the attempts that
    // open it (volume threshold 3: the first call's try and two retries) and one probe per half-open
    // state (reset timeout 400 ms), each failed probe opening it again — however long the calls took.
    expect(states()[0]).toBe('open');
    const reopened = states().filter((s) => s === 'open').length - 1;
    expect(reopened).toBeGreaterThanOrEqual(2);
    expect(seenFor(fake, 'primary-model')).toHaveLength(3 + reopened);

    // The outage ends; the next half-open probe finds the primary up and closes the circuit.
    fake.setDown('primary-model', false);
    await halfOpen();
    expect((await gateway.call(hello())).model_used).toBe('primary');
    expect(gateway.circuitState('primary')).toBe('closed');
    expect(states().at(-1)).toBe('closed');
  });
});

describe('rate limiter', () => {
  it('never sends the provider more than N requests in any window under a concurrent burst', async () => {
    const { gateway, dispatched } = withModels(
      { primary: { provider: 'alpha', model: 'primary-model', fallbacks: [] } },
      { alphaLimits: { requests_per_minute: 3, max_wait_ms: 10_000 } },
    );
    const results = await Promise.all(Array.from({ length: 10 }, () => gateway.call(hello())));
    expect(results.every((r) => r.model_used === 'primary')).toBe(true);
    expect(seenFor(fake, 'primary-model')).toHaveLength(10);
    // Measured where the limiter acts, on the gateway's clock as each request leaves for the provider: the
    // fake's arrival times add each connection's delay (a new connection's first request can arrive
    // later than the next window's first), so on a loaded machine they could put four in a window the
    // gateway never sent.
    const sent = dispatched.filter((d) => d.model === 'primary-model').map((d) => d.at);
    expect(sent).toHaveLength(10);
    expect(maxInAnyWindow(sent, TEST_WINDOW_MS)).toBeLessThanOrEqual(3);
  });

  it('moves to a model on another provider instead of queueing past max_wait_ms', async () => {
    const { gateway, events } = withModels(
      { primary: { provider: 'alpha', model: 'primary-model', fallbacks: ['backup'] } },
      { alphaLimits: { requests_per_minute: 2, max_wait_ms: 50 } },
    );
    const results = await Promise.all(Array.from({ length: 5 }, () => gateway.call(hello())));
    expect(results.filter((r) => r.model_used === 'primary')).toHaveLength(2);
    expect(results.filter((r) => r.model_used === 'backup')).toHaveLength(3);
    expect(seenFor(fake, 'primary-model')).toHaveLength(2);
    expect(events.some((e) => e.name === 'limiter_wait')).toBe(true);
  });
});
