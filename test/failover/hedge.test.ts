import { describe, expect, it } from 'vitest';
import type { Attempt, GatewayStream } from '../../src/gateway/types.js';
import { hello, seenFor } from '../gateway/fake-gateway.js';
import { fakeSuite } from '../gateway/fake-suite.js';

/**
 * Hedging (`hedge_after_ms`): the gateway with the real adapters against the fake
 * provider. What is asserted is who answered, what the fake saw (both requests, the
 * loser's connection closed early) and what was recorded — never how long it took.
 */

const suite = fakeSuite();
const withModels: typeof suite.withModels = (models, extra) => suite.withModels(models, extra);

/** Slow enough never to answer first, long limits so only the hedge decides. */
const SLOW = { hedge_after_ms: 100, first_byte_ms: 10_000, stream_idle_ms: 10_000 };

async function drain(stream: GatewayStream): Promise<{ text: string; models: string[]; error: unknown }> {
  let text = '';
  const models: string[] = [];
  try {
    for await (const chunk of stream.chunks) {
      if (chunk.type === 'delta') text += chunk.text;
      if (models.at(-1) !== chunk.model) models.push(chunk.model);
    }
    return { text, models, error: undefined };
  } catch (error) {
    return { text, models, error };
  }
}

const outcomes = (attempts: Attempt[]) => attempts.map((a) => `${a.model}:${a.outcome}${a.code ? `:${a.code}` : ''}`).sort();

describe('hedging slow first tokens (hedge_after_ms)', () => {
  it('starts the next model when the first has no token by hedge_after_ms; the first token wins and the loser is cancelled upstream', async () => {
    const { gateway, events } = withModels({
      primary: { provider: 'alpha', model: 'fault:slow_first_token_5000/primary-model', fallbacks: ['backup'], timeouts: SLOW },
    });
    const stream = gateway.stream(hello());
    const { text, models, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(text).toBe('echo: hello there');
    expect(models).toEqual(['backup']);
    const result = await stream.result;
    expect(result).toMatchObject({ model_used: 'backup', fallback_used: true });
    expect(outcomes(result.attempts)).toEqual(['backup:success', 'primary:cancelled:hedge_lost']);
    // The fake saw the hedge: both requests, and the loser's connection was closed by the gateway.
    expect(seenFor(suite.fake, 'primary-model')).toHaveLength(1);
    expect(seenFor(suite.fake, 'backup-model')).toHaveLength(1);
    await expect.poll(() => seenFor(suite.fake, 'primary-model')[0]!.closedEarly).toBe(true);
    expect(events.find((e) => e.name === 'hedge')?.event).toMatchObject({ model: 'primary', hedge: 'backup', after_ms: 100 });
    // Only the winner is billed: the loser's attempt carries no usage and no cost.
    const cancelled = events.find((e) => e.name === 'attempt' && (e.event as { outcome: string }).outcome === 'cancelled')!.event;
    expect(cancelled).toMatchObject({ model: 'primary', code: 'hedge_lost' });
    expect(cancelled).not.toHaveProperty('usage');
    expect(cancelled).not.toHaveProperty('cost_usd');
  });

  it('keeps the first model when it produces a token before the hedge starts (no second request)', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'primary-model', fallbacks: ['backup'], timeouts: { hedge_after_ms: 5000 } },
    });
    const stream = gateway.stream(hello());
    const { text } = await drain(stream);
    expect(text).toBe('echo: hello there');
    await expect(stream.result).resolves.toMatchObject({ model_used: 'primary' });
    expect(seenFor(suite.fake, 'backup-model')).toHaveLength(0);
  });

  it('lets the first model win the race when its token comes before the hedge model’s, and cancels the hedge', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:slow_first_token_600/primary-model', fallbacks: ['backup'], timeouts: SLOW },
      backup: { provider: 'beta', model: 'fault:slow_first_token_5000/backup-model', timeouts: { first_byte_ms: 10_000 } },
    });
    const stream = gateway.stream(hello());
    const { text, models } = await drain(stream);
    expect(text).toBe('echo: hello there');
    expect(models).toEqual(['primary']);
    const result = await stream.result;
    expect(result).toMatchObject({ model_used: 'primary', fallback_used: false });
    expect(outcomes(result.attempts)).toEqual(['backup:cancelled:hedge_lost', 'primary:success']);
    await expect.poll(() => seenFor(suite.fake, 'backup-model')[0]?.closedEarly).toBe(true);
  });

  it('falls back as usual when the first model fails before the hedge would start', async () => {
    const { gateway, events } = withModels({
      primary: { provider: 'alpha', model: 'fault:unavailable/primary-model', fallbacks: ['backup'], timeouts: { hedge_after_ms: 5000 } },
    });
    const stream = gateway.stream(hello());
    await drain(stream);
    await expect(stream.result).resolves.toMatchObject({ model_used: 'backup' });
    expect(events.some((e) => e.name === 'hedge')).toBe(false);
  });

  it('goes on down the chain when both racing models fail', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:slow_first_token_300+stream_cut_0/primary-model', fallbacks: ['backup', 'third'], timeouts: SLOW },
      backup: { provider: 'beta', model: 'fault:slow_first_token_300+reset/backup-model' },
      third: { provider: 'beta', model: 'third-model' },
    });
    const stream = gateway.stream(hello());
    const { text } = await drain(stream);
    expect(text).toBe('echo: hello there');
    await expect(stream.result).resolves.toMatchObject({ model_used: 'third' });
  });

  it('hedges by the provider’s or the global hedge_after_ms when the model sets none, and 0 turns it off', async () => {
    const global = withModels(
      { primary: { provider: 'alpha', model: 'fault:slow_first_token_5000/primary-model', fallbacks: ['backup'], timeouts: { first_byte_ms: 10_000 } } },
      { edit: (raw) => (raw.timeouts.hedge_after_ms = 100) },
    );
    const hedgedStream = global.gateway.stream(hello());
    await drain(hedgedStream);
    await expect(hedgedStream.result).resolves.toMatchObject({ model_used: 'backup' });
    await global.close();

    suite.fake.reset();
    const off = withModels(
      { primary: { provider: 'alpha', model: 'fault:slow_first_token_300/primary-model', fallbacks: ['backup'], timeouts: { first_byte_ms: 10_000, hedge_after_ms: 0 } } },
      { edit: (raw) => (raw.providers.alpha.timeouts = { hedge_after_ms: 50 }) },
    );
    const plain = off.gateway.stream(hello());
    await drain(plain);
    await expect(plain.result).resolves.toMatchObject({ model_used: 'primary' });
    expect(seenFor(suite.fake, 'backup-model')).toHaveLength(0);
  });

  it('hedges a non-streamed call too: made as a stream upstream, collected into one answer', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:slow_first_token_5000/primary-model', fallbacks: ['backup'], timeouts: SLOW },
    });
    // The caller's finish (the response cache's bypass mark) is applied once, to the collected result.
    const finished: string[] = [];
    const result = await gateway.call(hello(), (_req, res) => {
      finished.push(res.model_used);
      res.cache = 'bypass';
      return res;
    });
    expect(finished).toEqual(['backup']);
    expect(result).toMatchObject({ text: 'echo: hello there', model_used: 'backup', finish_reason: 'stop', cache: 'bypass' });
    expect(result.usage.total_tokens).toBeGreaterThan(0);
    expect(outcomes(result.attempts)).toEqual(['backup:success', 'primary:cancelled:hedge_lost']);
    expect(suite.fake.attempts.every((a) => a.stream)).toBe(true);
  });

  it('keeps non-streamed calls of models without hedging non-streamed', async () => {
    const { gateway } = withModels({ primary: { provider: 'alpha', model: 'primary-model', fallbacks: ['backup'] } });
    await expect(gateway.call(hello())).resolves.toMatchObject({ model_used: 'primary' });
    expect(suite.fake.attempts.map((a) => a.stream)).toEqual([false]);
  });

  it('cancels both racing attempts when the caller hangs up', async () => {
    const { gateway } = withModels({
      primary: { provider: 'alpha', model: 'fault:slow_first_token_5000/primary-model', fallbacks: ['backup'], timeouts: SLOW },
      backup: { provider: 'beta', model: 'fault:slow_first_token_5000/backup-model', timeouts: { first_byte_ms: 10_000 } },
    });
    const controller = new AbortController();
    const stream = gateway.stream(hello({ signal: controller.signal }));
    await expect.poll(() => suite.fake.attempts.length).toBe(2);
    controller.abort(new Error('client gone'));
    const { error } = await drain(stream);
    expect((error as Error).message).toBe('client gone');
    await expect.poll(() => suite.fake.attempts.every((a) => a.closedEarly)).toBe(true);
  });
});
