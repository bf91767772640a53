import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';

/**
 * A /v1 client that hangs up on a plain (non-streamed) answer cancels its model call: the route's
 * disconnect abort (a CallerAbort, server/operation.ts) reaches the attempt and its HTTP exchange.
 * Over real HTTP, against an upstream that never answers.
 */

let fake: FakeProvider;
let server: TestApp;
let silent: Server;
const silentRequests: { closed: boolean }[] = [];

beforeAll(async () => {
  fake = await startFakeProvider();
  silent = createServer((_req, res) => {
    const seen = { closed: false };
    silentRequests.push(seen);
    res.on('close', () => (seen.closed = true));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
  server = await startTestApp({
    env: TEST_ENV,
    config: (raw) => {
      pointShippedConfigAt(raw, fake.url);
      raw.providers.openai.base_url = silentUrl;
      raw.models.slow_ai = {
        ...raw.models.medium_ai,
        provider: 'openai',
        model: 'silent-model',
        fallbacks: [],
        timeouts: { first_byte_ms: 30_000, stream_idle_ms: 30_000, response_ms: 30_000 },
      };
      // The same silent upstream behind a provider that runs one call at a time: the next call waits in its limiter.
      raw.providers.narrow = { ...raw.providers.openai, rate_limits: { requests_per_minute: 1000, max_concurrent: 1, max_wait_ms: 60_000 } };
      raw.models.narrow_ai = { ...raw.models.slow_ai, provider: 'narrow' };
    },
  });
});
afterAll(async () => {
  const closing = server?.close();
  server?.app.server.closeAllConnections();
  await closing;
  silent?.closeAllConnections();
  await new Promise((resolve) => silent?.close(resolve));
  await fake?.close();
});

async function waitFor(check: () => Promise<boolean> | boolean, withinMs = 5000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a /v1 client that hangs up on a plain answer', () => {
  it('cancels the upstream call and frees the provider; the model is not charged a failure', async () => {
    const controller = new AbortController();
    const pending = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow_ai', messages: [{ role: 'user', content: 'hi' }] }),
      signal: controller.signal,
    });
    await waitFor(() => silentRequests.length === 1);
    expect(silentRequests[0]!.closed).toBe(false);
    controller.abort();
    await pending.catch(() => undefined);
    // slow_ai's limits are 30 s and it has no fallback: only the hang-up can end the upstream request.
    await waitFor(() => silentRequests[0]!.closed);
    await waitFor(async () => (await server.app.ctx.gateway.health()).providers.openai!.running === 0);
    const stats = (await (await fetch(`${server.url}/stats`)).json()) as { models: Record<string, { failures: number; breaker: { state: string } }> };
    // A call its caller gave up on is no failure of the model (only a hedge's loser is counted, as cancelled).
    expect(stats.models.slow_ai).toMatchObject({ failures: 0, breaker: { state: 'closed' } });
    expect(silentRequests).toHaveLength(1);
  });

  it('waiting for its provider\'s limiter, leaves the queue and never reaches the upstream', async () => {
    const ask = (signal: AbortSignal) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'narrow_ai', messages: [{ role: 'user', content: 'hi' }] }),
        signal,
      }).catch(() => undefined);
    const queued = async () => (await server.app.ctx.gateway.health()).providers.narrow!.queued;
    const before = silentRequests.length;
    const first = new AbortController();
    const holding = ask(first.signal);
    await waitFor(() => silentRequests.length === before + 1);
    const second = new AbortController();
    const waiting = ask(second.signal);
    await waitFor(async () => (await queued()) === 1);
    second.abort();
    await waiting;
    // The scheduler keeps the abandoned job queued until a slot frees; it then returns without a call.
    first.abort();
    await holding;
    await waitFor(() => silentRequests[before]!.closed);
    await waitFor(async () => (await queued()) === 0 && (await server.app.ctx.gateway.health()).providers.narrow!.running === 0);
    expect(silentRequests).toHaveLength(before + 1);
  });
});
