import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { AppError } from '../errors.js';
import { EventBus } from '../event-bus.js';
import type { AppEvents } from '../events.js';
import { ScriptedAdapter, type Step } from '../../test/gateway/scripted-adapter.js';
import { testConfig, type TestConfigOptions } from '../../test/helpers/gateway-config.js';
import { createGateway } from './gateway.js';
import type { Gateway, GatewayRequest } from './types.js';

let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

interface Setup extends TestConfigOptions {
  alpha?: Record<string, Step[]>;
  beta?: Record<string, Step[]>;
  simulated?: string[];
}

function setup(opts: Setup = {}) {
  const loaded = testConfig(opts);
  const bus = new EventBus<AppEvents>();
  const events: { name: string; event: unknown }[] = [];
  for (const name of ['attempt', 'retry', 'fallback', 'breaker', 'limiter_wait'] as const) {
    bus.on(name, (event) => events.push({ name, event }));
  }
  const alpha = new ScriptedAdapter('alpha', opts.alpha ?? {}, opts.simulated?.includes('alpha'));
  const beta = new ScriptedAdapter('beta', opts.beta ?? {}, opts.simulated?.includes('beta'));
  const gem = new ScriptedAdapter('gem', {});
  const providerModes = { ...loaded.providerModes };
  for (const p of opts.simulated ?? []) providerModes[p] = 'simulated';
  gateway = createGateway({
    config: loaded.config,
    providerModes,
    adapters: { alpha, beta, gem },
    bus,
    clock: systemClock,
    windowMs: 300,
    random: () => 0.5,
  });
  return { gateway, alpha, beta, events, config: loaded.config };
}

const ask = (extra: Partial<GatewayRequest> = {}): GatewayRequest => ({
  model: 'primary',
  messages: [{ role: 'user', content: 'hello' }],
  context: { request_id: 'req-1' },
  ...extra,
});

const fail = (failure: Extract<Step, { fail: unknown }>['fail']): Step => ({ fail: failure });

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected the call to fail');
}

describe('gateway call', () => {
  it('answers from the requested model and prices the answer from config', async () => {
    const { gateway, events } = setup();
    const result = await gateway.call(ask());
    expect(result).toMatchObject({
      text: 'answer from primary-model',
      model_used: 'primary',
      provider: 'alpha',
      fallback_used: false,
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      simulated: false,
    });
    // 10 prompt tokens at 1/M + 5 completion tokens at 2/M.
    expect(result.cost_usd).toBeCloseTo(0.00002, 12);
    expect(events.filter((e) => e.name === 'attempt')).toEqual([
      { name: 'attempt', event: expect.objectContaining({ model: 'primary', outcome: 'success', context: { request_id: 'req-1' } }) },
    ]);
  });

  it("hands its result to the caller's finish and resolves with what finish returns", async () => {
    const { gateway } = setup({ alpha: { 'primary-model': [fail({ kind: 'server_error', status: 503 })] } });
    const seen: string[] = [];
    const result = await gateway.call(ask(), (req, res) => {
      seen.push(`${req.model}->${res.model_used}`);
      res.cache = 'bypass';
      return res;
    });
    // The fallback answered: finish saw the settled result once, and the call resolves with it, marked.
    expect(seen).toEqual(['primary->backup']);
    expect(result).toMatchObject({ model_used: 'backup', cache: 'bypass' });
  });

  it("fails the attempt, not the walk, when the request's weight cannot be worked out (a malformed message)", async () => {
    const { gateway, events } = setup();
    // A message whose content is neither text nor parts (types forbid it; a caller's bug could still send it).
    const malformed = ask({ messages: [{ role: 'assistant', content: null } as unknown as GatewayRequest['messages'][number]] });
    const err = await rejection(gateway.call(malformed));
    expect(err.type).not.toBe('internal_error');
    // Each model of the chain was tried and recorded as a failed attempt, as any other attempt's failure is.
    const attempts = events.filter((e) => e.name === 'attempt').map((e) => (e.event as { model: string; outcome: string }).outcome);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((o) => o !== 'success')).toBe(true);
  });

  it("never calls the caller's finish for a call that fails", async () => {
    const { gateway } = setup({ alpha: { 'primary-model': [fail({ kind: 'client_error', status: 400, message: 'bad field' })] } });
    const calls: unknown[] = [];
    const err = await rejection(
      gateway.call(ask(), (_req, res) => {
        calls.push(res);
        return res;
      }),
    );
    expect(err.type).toBe('upstream_error');
    expect(calls).toEqual([]);
  });

  it('retries a server error on the same model, then succeeds', async () => {
    const { gateway, alpha, events } = setup({
      alpha: { 'primary-model': [fail({ kind: 'server_error', status: 500 }), { answer: 'ok' }] },
    });
    const result = await gateway.call(ask());
    expect(result.text).toBe('ok');
    expect(alpha.callsTo('primary-model')).toHaveLength(2);
    expect(result.attempts.map((a) => a.outcome)).toEqual(['failure', 'success']);
    expect(events.some((e) => e.name === 'retry')).toBe(true);
  });

  it('falls back when retries are spent, names the fallback and bills only the success', async () => {
    const { gateway, alpha, events } = setup({ alpha: { 'primary-model': [fail({ kind: 'server_error', status: 503 })] } });
    const result = await gateway.call(ask());
    expect(result).toMatchObject({ model_used: 'backup', provider: 'beta', fallback_used: true, text: 'answer from backup-model' });
    // max_retries 2: one try and two retries on the primary.
    expect(alpha.callsTo('primary-model')).toHaveLength(3);
    expect(result.attempts.map((a) => `${a.model}:${a.outcome}`)).toEqual([
      'primary:failure',
      'primary:failure',
      'primary:failure',
      'backup:success',
    ]);
    expect(result.cost_usd).toBeCloseTo(0.00002, 12);
    expect(events.find((e) => e.name === 'fallback')?.event).toMatchObject({ from: 'primary', to: 'backup', reason: 'server_error' });
  });

  it('waits at least the Retry-After before retrying', async () => {
    const { gateway, alpha } = setup({
      alpha: { 'primary-model': [fail({ kind: 'rate_limit', status: 429, retryAfterMs: 300 }), { answer: 'ok' }] },
    });
    await gateway.call(ask());
    const [first, second] = alpha.callsTo('primary-model');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(295);
  });

  it('fails over at once when the Retry-After exceeds the cap', async () => {
    const { gateway, alpha, events } = setup({ alpha: { 'primary-model': [fail({ kind: 'rate_limit', status: 429, retryAfterMs: 60_000 })] } });
    const result = await gateway.call(ask());
    expect(result.model_used).toBe('backup');
    expect(alpha.callsTo('primary-model')).toHaveLength(1);
    // At once: no retry was scheduled (no wait of any length), the next model was taken (not a wall-clock bound).
    expect(events.filter((e) => e.name === 'retry' || e.name === 'fallback').map((e) => e.name)).toEqual(['fallback']);
  });

  it('never retries a client error and stops when its class does not fall back', async () => {
    const { gateway, alpha, beta } = setup({ alpha: { 'primary-model': [fail({ kind: 'client_error', status: 400, message: 'bad field' })] } });
    const err = await rejection(gateway.call(ask()));
    expect(err.type).toBe('upstream_error');
    expect(err.details).toEqual([expect.objectContaining({ model: 'primary', kind: 'client_error', status: 400, message: 'bad field' })]);
    expect(alpha.calls).toHaveLength(1);
    expect(beta.calls).toHaveLength(0);
  });

  it('surfaces a content filter refusal with its reason, unretried', async () => {
    const { gateway, alpha, beta } = setup({
      alpha: { 'primary-model': [fail({ kind: 'client_error', code: 'content_filter', status: 400, message: 'flagged as violent' })] },
    });
    const err = await rejection(gateway.call(ask()));
    expect(err.type).toBe('validation_error');
    expect(err.message).toBe('the provider refused the content: flagged as violent');
    expect(err.details).toEqual([expect.objectContaining({ model: 'primary', kind: 'client_error', code: 'content_filter' })]);
    expect(alpha.calls).toHaveLength(1);
    expect(beta.calls).toHaveLength(0);
  });

  it('jumps to a model with a larger context window on context_length_exceeded', async () => {
    const { gateway, beta } = setup({
      models: { primary: { provider: 'alpha', model: 'primary-model', context_window: 1000, fallbacks: ['backup', 'big'] } },
      alpha: { 'primary-model': [fail({ kind: 'client_error', code: 'context_length_exceeded', status: 400 })] },
    });
    const result = await gateway.call(ask());
    expect(result.model_used).toBe('big');
    expect(beta.callsTo('backup-model')).toHaveLength(0);
    expect(result.attempts.map((a) => `${a.model}:${a.outcome}:${a.code ?? ''}`)).toEqual([
      'primary:failure:context_length_exceeded',
      'backup:skipped:context_length_exceeded',
      'big:success:',
    ]);
  });

  it('does not retry a model that stayed silent; the fallback answers', async () => {
    const { gateway, alpha } = setup({ alpha: { 'primary-model': [fail({ kind: 'timeout', code: 'first_byte_timeout' })] } });
    const result = await gateway.call(ask());
    expect(result.model_used).toBe('backup');
    expect(alpha.callsTo('primary-model')).toHaveLength(1);
  });

  it('abandons an attempt at its time limit even when the adapter ignores its signal', async () => {
    const { gateway } = setup({
      models: { primary: { provider: 'alpha', model: 'primary-model', fallbacks: ['backup'], timeouts: { total_ms: 150 } } },
      alpha: { 'primary-model': [{ hang: 'deaf' }] },
    });
    const result = await gateway.call(ask());
    expect(result.model_used).toBe('backup');
    expect(result.attempts[0]).toMatchObject({ outcome: 'failure', kind: 'timeout', code: 'total_timeout' });
  });

  it('lists every attempt in a 502 when the whole chain fails', async () => {
    const { gateway } = setup({
      alpha: { 'primary-model': [fail({ kind: 'server_error', status: 500 })] },
      beta: { 'backup-model': [fail({ kind: 'auth_error', status: 401 })] },
    });
    const err = await rejection(gateway.call(ask()));
    expect(err.type).toBe('upstream_error');
    expect(err.message).toBe('every model in the fallback chain failed');
    expect(err.details.map((d) => `${d.model}:${d.kind}:${d.status}`)).toEqual([
      'primary:server_error:500',
      'primary:server_error:500',
      'primary:server_error:500',
      'backup:auth_error:401',
    ]);
    expect(err.details[0]).toMatchObject({ provider: 'alpha', message: expect.any(String) });
  });

  it('passes over models that lack the capability the request needs', async () => {
    const { gateway } = setup({ models: { primary: { provider: 'alpha', model: 'primary-model', fallbacks: ['backup', 'big'] } } });
    const result = await gateway.call(
      ask({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }] }] }),
    );
    expect(result.model_used).toBe('big');
    expect(result.attempts.filter((a) => a.outcome === 'skipped').map((a) => a.code)).toEqual(['capability', 'capability']);
  });

  it("uses the request's own fallbacks and ad-hoc provider models", async () => {
    const { gateway, beta } = setup({ alpha: { 'primary-model': [fail({ kind: 'auth_error', status: 401 })] } });
    const result = await gateway.call(ask({ fallbacks: ['beta/some-model'] }));
    expect(result).toMatchObject({ model_used: 'beta/some-model', cost_usd: 0 });
    expect(beta.callsTo('some-model')).toHaveLength(1);
  });

  it('skips a model whose circuit is open, and returns to it after it recovers', async () => {
    const { gateway, alpha, events } = setup({
      edit: (raw) => {
        raw.error_handling.server_error.max_retries = 0;
        raw.circuit_breaker = { error_threshold_percentage: 50, volume_threshold: 2, rolling_window_ms: 5000, reset_timeout_ms: 200 };
      },
      alpha: {
        'primary-model': [
          fail({ kind: 'server_error', status: 503 }),
          fail({ kind: 'server_error', status: 503 }),
          { answer: 'primary is back' },
        ],
      },
    });
    await gateway.call(ask());
    await gateway.call(ask());
    expect(gateway.circuitState('primary')).toBe('open');
    const during = await gateway.call(ask());
    expect(during.model_used).toBe('backup');
    expect(during.attempts[0]).toMatchObject({ model: 'primary', outcome: 'skipped', code: 'circuit_open' });
    expect(alpha.callsTo('primary-model')).toHaveLength(2);

    await new Promise((r) => setTimeout(r, 250));
    const after = await gateway.call(ask());
    expect(after.model_used).toBe('primary');
    expect(gateway.circuitState('primary')).toBe('closed');
    expect(events.filter((e) => e.name === 'breaker').map((e) => (e.event as { state: string }).state)).toEqual([
      'open',
      'half_open',
      'closed',
    ]);
  });

  it('moves to another provider when the limiter would make the call wait too long', async () => {
    const { gateway, alpha, events } = setup({ alphaLimits: { requests_per_minute: 1, max_wait_ms: 50 } });
    await gateway.call(ask());
    const result = await gateway.call(ask());
    expect(result.model_used).toBe('backup');
    expect(result.attempts[0]).toMatchObject({ model: 'primary', outcome: 'skipped', code: 'limiter_wait' });
    expect(alpha.calls).toHaveLength(1);
    expect(events.some((e) => e.name === 'limiter_wait')).toBe(true);
  });

  it('throws a timeout when the deadline passes', async () => {
    const { gateway } = setup({ alpha: { 'primary-model': [{ hang: true }] }, beta: { 'backup-model': [{ hang: true }] } });
    const err = await rejection(gateway.call(ask({ deadline: Date.now() + 200 })));
    expect(err.type).toBe('timeout');
  });

  it("does not count a call that ran out of its caller's budget against the model's circuit", async () => {
    const { gateway } = setup({
      edit: (raw) => {
        raw.circuit_breaker = { error_threshold_percentage: 50, volume_threshold: 2, rolling_window_ms: 5000, reset_timeout_ms: 5000 };
      },
      alpha: { 'primary-model': [{ hang: true }, { hang: true }, { hang: true }, { hang: true }] },
      beta: { 'backup-model': [{ hang: true }, { hang: true }, { hang: true }, { hang: true }] },
    });
    for (let i = 0; i < 4; i++) {
      const err = await rejection(gateway.call(ask({ deadline: Date.now() + 40 })));
      expect(err.type).toBe('timeout');
    }
    expect(gateway.circuitState('primary')).toBe('closed');
  });

  it("stops at once when the caller's signal aborts", async () => {
    const { gateway, beta } = setup({ alpha: { 'primary-model': [{ hang: true }] } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('client went away')), 50);
    await expect(gateway.call(ask({ signal: controller.signal }))).rejects.toThrow('client went away');
    expect(beta.calls).toHaveLength(0);
  });

  it('charges nothing for a simulated provider and marks the answer simulated', async () => {
    const { gateway } = setup({ simulated: ['alpha'] });
    const result = await gateway.call(ask());
    expect(result).toMatchObject({ simulated: true, cost_usd: 0 });
  });

  it('rejects an unknown model as a validation error on the model path', async () => {
    const { gateway } = setup();
    const err = await rejection(gateway.call(ask({ model: 'nope' })));
    expect(err.type).toBe('validation_error');
    expect(err.details).toEqual([{ path: 'model', message: "unknown model 'nope'" }]);
  });

  it('reports circuit states and provider limiter state in health', async () => {
    const { gateway } = setup();
    const health = await gateway.health();
    expect(health.models.primary).toEqual({ provider: 'alpha', circuit: 'closed' });
    expect(health.providers.alpha).toMatchObject({ mode: 'live', queued: 0, running: 0 });
    expect(health.providers.alpha!.reservoir).toBeGreaterThan(0);
  });
});

describe('gateway stream', () => {
  async function collect(stream: ReturnType<Gateway['stream']>) {
    const deltas: string[] = [];
    let error: unknown;
    try {
      for await (const chunk of stream.chunks) if (chunk.type === 'delta') deltas.push(chunk.text);
    } catch (err) {
      error = err;
    }
    return { deltas, error };
  }

  it('streams deltas and resolves the result with text, usage and cost', async () => {
    const { gateway } = setup({ alpha: { 'primary-model': [{ chunks: ['Hel', 'lo'] }] } });
    const stream = gateway.stream(ask());
    const { deltas, error } = await collect(stream);
    expect(error).toBeUndefined();
    expect(deltas).toEqual(['Hel', 'lo']);
    await expect(stream.result).resolves.toMatchObject({
      text: 'Hello',
      model_used: 'primary',
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
  });

  it('falls over freely before the first delta', async () => {
    const { gateway } = setup({ alpha: { 'primary-model': [fail({ kind: 'timeout', code: 'first_byte_timeout' })] } });
    const stream = gateway.stream(ask());
    const { deltas } = await collect(stream);
    expect(deltas.join('')).toBe('answer from backup-model');
    await expect(stream.result).resolves.toMatchObject({ model_used: 'backup', fallback_used: true });
  });

  it('continues a cut stream on a prefill-capable fallback, handing it the partial answer', async () => {
    const { gateway, alpha, beta } = setup({
      alpha: { 'primary-model': [{ chunks: ['The answer ', 'is'], then: 'cut' }] },
      beta: { 'backup-model': [{ chunks: [' forty-two.'] }] },
    });
    const stream = gateway.stream(ask());
    const { deltas, error } = await collect(stream);
    expect(error).toBeUndefined();
    expect(deltas.join('')).toBe('The answer is forty-two.');
    expect(alpha.callsTo('primary-model')).toHaveLength(1);
    expect(beta.callsTo('backup-model')[0]!.prefill).toBe('The answer is');
    const result = await stream.result;
    expect(result).toMatchObject({ text: 'The answer is forty-two.', model_used: 'backup', fallback_used: true });
    // Only the finishing segment is billed.
    expect(result.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
  });

  it('passes over a fallback that rejects the prefill and then fails without it to the next one', async () => {
    const { gateway, beta } = setup({
      models: {
        primary: { provider: 'alpha', model: 'primary-model', fallbacks: ['backup', 'third'] },
        third: { provider: 'beta', model: 'third-model' },
      },
      alpha: { 'primary-model': [{ chunks: ['par', 'tial'], then: 'cut' }] },
      beta: {
        'backup-model': [fail({ kind: 'client_error', code: 'prefill_unsupported', status: 400 })],
        'third-model': [{ chunks: [' rest'] }],
      },
    });
    const stream = gateway.stream(ask());
    const { deltas } = await collect(stream);
    expect(deltas.join('')).toBe('partial rest');
    expect(beta.callsTo('backup-model').map((c) => c.prefill)).toEqual(['partial', undefined]);
    expect(beta.callsTo('third-model')[0]!.prefill).toBe('partial');
    await expect(stream.result).resolves.toMatchObject({ model_used: 'third' });
  });

  it('ends with an error, never a success, when no fallback can continue a cut stream', async () => {
    const { gateway, beta } = setup({
      models: {
        primary: { provider: 'alpha', model: 'primary-model', fallbacks: ['big'] },
      },
      alpha: { 'primary-model': [{ chunks: ['half an ', 'answer'], then: 'cut' }] },
      beta: { 'big-model': [{ chunks: ['a different ', 'answer'] }] },
    });
    const stream = gateway.stream(ask());
    const { deltas, error } = await collect(stream);
    expect(deltas.join('')).toBe('half an answer');
    expect(error).toBeInstanceOf(AppError);
    const err = await rejection(stream.result);
    expect(err.type).toBe('upstream_error');
    expect(err.details.map((d) => `${d.model}:${d.code ?? d.kind}`)).toEqual(['primary:truncated_stream', 'big:server_error']);
    expect(err.details[1]!.message).toMatch(/does not start with the text already sent/);
    // big declares no assistant_prefill: it is asked to regenerate, once (a mismatch is not retried).
    expect(beta.calls.map((c) => c.prefill)).toEqual([undefined]);
  });

  it('splices the regenerated answer of a model without prefill when it starts with what was sent', async () => {
    const { gateway, beta } = setup({
      models: {
        primary: { provider: 'alpha', model: 'primary-model', fallbacks: ['big'] },
      },
      alpha: { 'primary-model': [{ chunks: ['half an ', 'answer'], then: 'cut' }] },
      beta: { 'big-model': [{ chunks: ['half', ' an ans', 'wer, then', ' the rest'] }] },
    });
    const stream = gateway.stream(ask());
    const { deltas, error } = await collect(stream);
    expect(error).toBeUndefined();
    expect(deltas.join('')).toBe('half an answer, then the rest');
    // Only what the client did not have is sent (a delta ending like a configured key's start may be held a moment).
    expect(deltas.slice(2).join('')).toBe(', then the rest');
    await expect(stream.result).resolves.toMatchObject({ model_used: 'big', text: 'half an answer, then the rest' });
    expect(beta.calls[0]!.prefill).toBeUndefined();
  });

  it('does not continue a stream that broke after it carried tool calls: it ends with an error', async () => {
    const { gateway, beta } = setup({
      alpha: { 'primary-model': [{ chunks: ['Let me look.', { tool_call: 'search' }], then: 'cut' }] },
    });
    const stream = gateway.stream(ask());
    const { error } = await collect(stream);
    expect(error).toBeInstanceOf(AppError);
    const err = await rejection(stream.result);
    expect(err.message).toMatch(/tool calls/);
    expect(err.details.map((d) => `${d.model}:${d.code ?? d.kind}`)).toEqual(['primary:truncated_stream', 'backup:capability']);
    expect(beta.calls).toHaveLength(0);
  });

  it('treats a stream that ends without its finish chunk as a failure', async () => {
    const { gateway } = setup({
      models: { primary: { provider: 'alpha', model: 'primary-model', fallbacks: [] } },
      alpha: { 'primary-model': [{ chunks: ['unfinished'], then: 'end' }] },
    });
    const stream = gateway.stream(ask());
    const { error } = await collect(stream);
    expect(error).toBeInstanceOf(AppError);
    await expect(stream.result).rejects.toMatchObject({ type: 'upstream_error' });
  });
});
