import { describe, expect, it } from 'vitest';
import type { FakeAttempt } from '../../scripts/fake-provider/server.js';
import { fakeAppForTests } from '../helpers/fake-app.js';
import { streamCompletion, type StreamOutcome } from './sse.js';

/**
 * The failover suite: sixteen upstream faults, each through a streamed
 * `POST /v1/chat/completions` whose model and `fallbacks` are ad-hoc
 * `openrouter/<id>` models on the fault-injecting fake provider. Every fault
 * that can be rescued ends with the complete answer (the full text equals the
 * fake's echo) and `[DONE]`; none ends as a truncated success; none hangs.
 */

// Each test names its own primary model: circuit breakers are per model and outlive a test.

/** Over fifty short words, so that the echo (the first 200 characters) has more than forty. */
const MESSAGE = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
const EXPECTED = `echo: ${MESSAGE.slice(0, 200)}`;
const BACKUP = 'openrouter/backup-model';

const app = fakeAppForTests({
  config: (raw) => {
    // Roomier than the unit tests' limits: the suite runs on a busy machine.
    raw.timeouts = { connect_ms: 2000, first_byte_ms: 1500, stream_idle_ms: 600, response_ms: 1500 };
    // The same upstream under another name whose models hedge after 300 ms without a first token.
    raw.providers.hedged = { ...raw.providers.openrouter, timeouts: { hedge_after_ms: 300, first_byte_ms: 30_000 } };
  },
});

/** A streamed completion of MESSAGE on `model` with ad-hoc fallbacks. */
const ask = (model: string, fallbacks: string[] = [BACKUP]): Promise<StreamOutcome> =>
  streamCompletion(app.t.url, { model: `openrouter/${model}`, fallbacks, messages: [{ role: 'user', content: MESSAGE }] });

const seen = (real: string): FakeAttempt[] => app.fake.attempts.filter((a) => a.model.endsWith(real));
const lastMessage = (a: FakeAttempt) => ((a.body as { messages: Array<{ role: string; content: string }> }).messages ?? []).at(-1)!;

/** The whole answer, properly finished, from the expected model(s). */
function expectComplete(out: StreamOutcome, answeredBy: string): void {
  expect(out.status).toBe(200);
  expect(out.error).toBeUndefined();
  expect(out.text).toBe(EXPECTED);
  expect(out.finish).toBe('stop');
  expect(out.done).toBe(true);
  expect(out.models.at(-1)).toBe(answeredBy);
}

describe('failover suite: faults before the first token', () => {
  it('1. 429 with Retry-After, then OK: the same model answers after the hinted wait', async () => {
    const out = await ask('fault:rate_limit_once_1/primary-1');
    expectComplete(out, 'openrouter/fault:rate_limit_once_1/primary-1');
    const tries = seen('primary-1');
    expect(tries).toHaveLength(2);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(950);
    expect(seen('backup-model')).toHaveLength(0);
  });

  it('2. 429 always: the fallback answers', async () => {
    const out = await ask('fault:rate_limit/primary-2');
    expectComplete(out, BACKUP);
    expect(seen('primary-2').length).toBeGreaterThanOrEqual(1);
  });

  it('3. 500 once: a retry on the same model answers', async () => {
    const out = await ask('fault:fail_once/primary-3');
    expectComplete(out, 'openrouter/fault:fail_once/primary-3');
    expect(seen('primary-3')).toHaveLength(2);
  });

  it('4. 503 always: the fallback answers', async () => {
    expectComplete(await ask('fault:unavailable/primary-4'), BACKUP);
  });

  it('5. TCP reset once: a retry on the same model answers', async () => {
    const out = await ask('fault:reset_once/primary-5');
    expectComplete(out, 'openrouter/fault:reset_once/primary-5');
    expect(seen('primary-5')).toHaveLength(2);
  });

  it('6. accepts and never answers: cut at first_byte_ms, the fallback answers', async () => {
    expectComplete(await ask('fault:no_response/primary-6'), BACKUP);
  });

  it('7. first token after 20 s: hedged after hedge_after_ms, the fallback answers and the slow attempt is cancelled', async () => {
    const primary = 'hedged/fault:slow_first_token_20000/primary-7';
    const out = await streamCompletion(app.t.url, { model: primary, fallbacks: [BACKUP], messages: [{ role: 'user', content: MESSAGE }] });
    expectComplete(out, BACKUP);
    expect(out.models).toEqual([BACKUP]);
    // The fake saw the hedge: both requests, and the slow one's connection closed by the gateway.
    expect(seen('primary-7')).toHaveLength(1);
    expect(seen('backup-model')).toHaveLength(1);
    await expect.poll(() => seen('primary-7')[0]!.closedEarly).toBe(true);
    const stats = (await (await fetch(`${app.t.url}/stats`)).json()) as { models: Record<string, { calls: number; failures: number; cancelled: number; cost_usd: number }> };
    expect(stats.models[primary]).toMatchObject({ calls: 1, failures: 0, cancelled: 1, cost_usd: 0 });
    // No wall-clock bound: the backup answering while the primary's request was closed unanswered (its
    // first token is 20 s away, past the test's own timeout) is what only a hedge produces.
  });

  it('12. context length exceeded: the next model answers', async () => {
    expectComplete(await ask('fault:context_length/primary-12'), BACKUP);
  });

  it('13. content policy: not rescued — a 400 with the provider reason, no fallback tried', async () => {
    const out = await ask('fault:content_filter/primary-13');
    expect(out.status).toBe(400);
    expect(JSON.stringify(out.body)).toMatch(/content management policy/);
    expect(seen('backup-model')).toHaveLength(0);
  });

  it('15. primary down then recovering: the fallback answers while it is down, the primary again once it is back', async () => {
    app.fake.setDown('primary-down', true);
    expectComplete(await ask('primary-down'), BACKUP);
    app.fake.setDown('primary-down', false);
    // Its circuit may have opened: it is probed again after circuit_breaker.reset_timeout_ms.
    let out: StreamOutcome | undefined;
    for (let i = 0; i < 50; i++) {
      out = await ask('primary-down');
      expect(out.text).toBe(EXPECTED);
      if (out.models.at(-1) === 'openrouter/primary-down') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expectComplete(out!, 'openrouter/primary-down');
  });

  it('16. 503 whose body names a model: the fallback answers', async () => {
    expectComplete(await ask('fault:unavailable_model/primary-16'), BACKUP);
  });
});

describe('failover suite: faults after the first token', () => {
  it('8. stream cut after 40 words: the fallback continues from the prefill, the client gets the whole answer', async () => {
    const out = await ask('fault:word_chunks+stream_cut_40/primary-8');
    expectComplete(out, BACKUP);
    expect(out.models).toEqual(['openrouter/fault:word_chunks+stream_cut_40/primary-8', BACKUP]);
    const [continuation] = seen('backup-model');
    const prefill = lastMessage(continuation!);
    expect(prefill.role).toBe('assistant');
    expect(prefill.content.trim().split(' ')).toHaveLength(40);
    expect(EXPECTED.startsWith(prefill.content)).toBe(true);
  });

  it('9. stream stalls mid-answer: cut at stream_idle_ms and continued by the fallback', async () => {
    const out = await ask('fault:word_chunks+stream_stall_20/primary-9');
    expectComplete(out, BACKUP);
    expect(lastMessage(seen('backup-model')[0]!).role).toBe('assistant');
  });

  it('10. one malformed event: skipped, the same model finishes', async () => {
    expectComplete(await ask('fault:malformed_chunk/primary-10'), 'openrouter/fault:malformed_chunk/primary-10');
  });

  it('11. no [DONE] after the finish reason: a complete answer from the same model', async () => {
    expectComplete(await ask('fault:missing_done/primary-11'), 'openrouter/fault:missing_done/primary-11');
  });

  it('11b. neither finish reason nor [DONE]: a cut, continued by the fallback', async () => {
    expectComplete(await ask('fault:no_finish/primary-11b'), BACKUP);
  });

  it('11c. an error chunk mid-answer (OpenRouter: error with finish_reason "error", then [DONE]): a break, continued by the fallback', async () => {
    const out = await ask('fault:word_chunks+midstream_error_30/primary-11c');
    expectComplete(out, BACKUP);
    expect(out.models).toEqual(['openrouter/fault:word_chunks+midstream_error_30/primary-11c', BACKUP]);
    expect(lastMessage(seen('backup-model')[0]!).content.trim().split(' ')).toHaveLength(30);
  });

  it('11d. an error chunk mid-answer and a fallback that rejects the prefill: regenerated and spliced', async () => {
    const fallback = 'openrouter/fault:reject_prefill/backup-11d';
    expectComplete(await ask('fault:word_chunks+midstream_error_30/primary-11d', [fallback]), fallback);
  });

  it('14. cut, with a fallback that rejects the prefill: regenerated there without it and spliced', async () => {
    const fallback = 'openrouter/fault:reject_prefill/backup-model';
    const out = await ask('fault:word_chunks+stream_cut_40/primary-14', [fallback]);
    expectComplete(out, fallback);
    const [rejected, regenerated] = seen('backup-model');
    expect(lastMessage(rejected!).role).toBe('assistant');
    expect(lastMessage(regenerated!).role).toBe('user');
  });

  it('14b. cut, with a fallback that ignores the prefill and restarts: only the part after what was sent reaches the client', async () => {
    const fallback = 'openrouter/fault:ignore_prefill/backup-model';
    const out = await ask('fault:word_chunks+stream_cut_40/primary-14b', [fallback]);
    expectComplete(out, fallback);
    expect(seen('backup-model')).toHaveLength(1);
  });

  it('14c. cut, with no fallback able to extend the answer: an in-band error, never a truncated success', async () => {
    const out = await ask('fault:word_chunks+stream_cut_40/primary-14c', ['openrouter/fault:reject_prefill+reword/backup-14c']);
    expect(out.status).toBe(200);
    expect(out.done).toBe(false);
    expect(out.finish).toBeUndefined();
    expect(out.error?.message).toMatch(/no fallback model could continue/);
    expect(EXPECTED.startsWith(out.text)).toBe(true);
    expect(out.text.length).toBeLessThan(EXPECTED.length);
  });

  it('14d. a fallback that cannot splice is passed for the next one that can', async () => {
    const out = await ask('fault:word_chunks+stream_cut_40/primary-14d', ['openrouter/fault:reject_prefill+reword/backup-14d', 'openrouter/third-model']);
    expectComplete(out, 'openrouter/third-model');
  });
});
