import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { Gateway, GatewayRequest, GatewayStream, GatewayStreamChunk } from '../../src/gateway/types.js';
import { scrubAppError } from '../../src/server/plugins/errors.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The second scrub layer (issue 19): whatever error reaches the way out carrying a configured
 * secret leaves without it — on every way out: the JSON error body, the `error` event of a
 * named-event stream, and the in-band error of a `/v1` stream. The errors here come from a gateway
 * that bypasses the first layer (gateway/run-chain.ts), so only the second one stands between the
 * secret and the caller.
 */
const PROVIDER_KEY = 'sk-or-v1-SECOND-LAYER-provider-1111';
const CLIENT_KEY = 'mo-client-SECOND-LAYER-2222';
const ADMIN_KEY = 'mo-admin-SECOND-LAYER-3333';
const SECRETS = [PROVIDER_KEY, CLIENT_KEY, ADMIN_KEY];

/** An upstream failure whose message and details quote every secret, nested too. */
const leakyError = () =>
  new AppError('upstream_error', `every model failed; sent authorization: Bearer ${PROVIDER_KEY}`, [
    { model: 'fast_ai', kind: 'server_error', status: 500, message: `echo of ${CLIENT_KEY}`, attempts: [{ note: `admin ${ADMIN_KEY}` }] },
  ]);

/** A gateway whose calls fail with `leakyError` after a turn of the event loop (so a stream has opened). */
function leakyGateway(): Gateway {
  const later = () => new Promise((resolve) => setTimeout(resolve, 5));
  return {
    call: async () => {
      await later();
      throw leakyError();
    },
    stream: (req: GatewayRequest): GatewayStream => {
      const result = later().then(() => Promise.reject(leakyError()));
      result.catch(() => undefined);
      async function* chunks(): AsyncGenerator<GatewayStreamChunk> {
        // One delta first, so a /v1 stream has sent its headers and must fail in-band.
        yield { type: 'delta', text: 'partial ', model: req.model, simulated: false };
        await later();
        throw leakyError();
      }
      return { chunks: chunks(), result };
    },
    circuitState: () => 'closed',
    health: async () => ({ models: {}, providers: {} }),
    close: async () => undefined,
  };
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({
    env: { OPENROUTER_API_KEY: PROVIDER_KEY },
    apiKeys: [CLIENT_KEY],
    adminApiKeys: `ops:${ADMIN_KEY}`,
    gateway: leakyGateway(),
    jwt: false,
  });
});
afterAll(async () => t?.close());

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

const expectScrubbed = (text: string) => {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  expect(text).toContain('[redacted]');
};

describe('the second scrub layer', () => {
  it('removes every configured secret from an error, message and nested details', () => {
    const out = scrubAppError(leakyError(), SECRETS);
    expectScrubbed(JSON.stringify({ message: out.message, details: out.details }));
    expect(out.type).toBe('upstream_error');
    expect(out.details[0]).toMatchObject({ model: 'fast_ai', status: 500, message: 'echo of [redacted]' });
  });

  it('scrubs the JSON error body', async () => {
    const res = await post('/chat', { message: 'hello', category: 'M' });
    expect(res.status).toBe(502);
    expect(res.type).toMatch(/^application\/json/);
    expectScrubbed(res.text);
  });

  it('scrubs the error event of a named-event stream', async () => {
    const res = await post('/chat', { message: 'hello', category: 'M', stream: true });
    expect(res.type).toMatch(/^text\/event-stream/);
    expect(res.text).toContain('event: error');
    expectScrubbed(res.text);
  });

  it('scrubs the in-band error of a /v1 stream', async () => {
    const res = await post('/v1/chat/completions', { model: 'fast_ai', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.type).toMatch(/^text\/event-stream/);
    expect(res.text).toContain('partial ');
    expect(res.text).toMatch(/data: \{"error"/);
    expectScrubbed(res.text);
  });

  it('scrubs the /v1 JSON error body', async () => {
    const res = await post('/v1/chat/completions', { model: 'fast_ai', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(502);
    expectScrubbed(res.text);
  });
});
