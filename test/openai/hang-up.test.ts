import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { addSilentModel, pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';
import { eventually, startHangingUpstream, type HangingUpstream } from '../orchestrator/support.js';

/**
 * A /v1 client that hangs up on a plain (non-streamed) answer cancels its model call: the route's
 * disconnect abort (a CallerAbort, server/operation.ts) reaches the attempt and its HTTP exchange.
 * Over real HTTP, against an upstream that never answers.
 */

let fake: FakeProvider;
let hang: HangingUpstream;
let server: TestApp;

beforeAll(async () => {
  fake = await startFakeProvider();
  hang = await startHangingUpstream();
  server = await startTestApp({
    env: TEST_ENV,
    config: (raw) => {
      pointShippedConfigAt(raw, fake.url);
      // Time limits longer than any wait here, and no fallback: only the hang-up can end a call.
      addSilentModel(raw, `${hang.url}/v1`);
      // The same upstream behind a provider that runs one call at a time: the next call waits in its limiter.
      raw.providers.narrow = { ...raw.providers.openai, rate_limits: { requests_per_minute: 1000, max_concurrent: 1, max_wait_ms: 60_000 } };
      raw.models.narrow_ai = { ...raw.models.slow_ai, provider: 'narrow' };
    },
  });
});
afterAll(async () => {
  // A client that hung up may leave a request-less keep-alive socket behind, which a graceful close would wait on.
  const closing = server?.close();
  server?.app.server.closeAllConnections();
  await closing;
  await hang?.close();
  await fake?.close();
});

const ask = (model: string, signal: AbortSignal) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    signal,
  }).catch(() => undefined);
const health = async (provider: string) => (await server.app.ctx.gateway.health()).providers[provider]!;
const until = (check: () => Promise<boolean>) => eventually(async () => ((await check()) ? true : undefined), 5000);

describe('a /v1 client that hangs up on a plain answer', () => {
  it('cancels the upstream call and frees the provider; the model is not charged a failure', async () => {
    const before = hang.received.length;
    const controller = new AbortController();
    const pending = ask('slow_ai', controller.signal);
    await hang.waitForRequests(before + 1);
    expect(hang.closed).toBe(before);
    controller.abort();
    await pending;
    await hang.waitForClosed(before + 1);
    await until(async () => (await health('openai')).running === 0);
    const stats = (await (await fetch(`${server.url}/stats`)).json()) as { models: Record<string, { failures: number; breaker: { state: string } }> };
    // A call its caller gave up on is no failure of the model (only a hedge's loser is counted, as cancelled).
    expect(stats.models.slow_ai).toMatchObject({ failures: 0, breaker: { state: 'closed' } });
    expect(hang.received).toHaveLength(before + 1);
  });

  it("waiting for its provider's limiter, never reaches the upstream", async () => {
    const before = hang.received.length;
    const first = new AbortController();
    const holding = ask('narrow_ai', first.signal);
    await hang.waitForRequests(before + 1);
    const second = new AbortController();
    const waiting = ask('narrow_ai', second.signal);
    await until(async () => (await health('narrow')).queued === 1);
    second.abort();
    await waiting;
    // The scheduler keeps the abandoned job queued until a slot frees (it then returns without a call),
    // but the caller left: the provider's queue no longer counts it while the first call still runs.
    await until(async () => (await health('narrow')).queued === 0);
    expect((await health('narrow')).running).toBe(1);
    first.abort();
    await holding;
    await hang.waitForClosed(before + 1);
    await until(async () => (await health('narrow')).queued === 0 && (await health('narrow')).running === 0);
    expect(hang.received).toHaveLength(before + 1);
  });
});
