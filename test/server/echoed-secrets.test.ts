import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt } from '../helpers/gateway-config.js';

const KEY = 'sk-or-v1-ECHOED-BY-A-CARELESS-PROVIDER-42';
const GOOGLE_KEY = 'AIza-ECHOED-GOOGLE-KEY-43';

/** An upstream that fails every call and quotes the credentials it received, as some providers do. */
let upstream: Server;
let t: TestApp;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `internal error for credentials ${req.headers.authorization ?? req.headers['x-goog-api-key']}` } }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  t = await startTestApp({ config: (raw) => pointShippedConfigAt(raw, url), env: { OPENROUTER_API_KEY: KEY, GOOGLE_AI_API_KEY: GOOGLE_KEY } });
});
afterAll(async () => {
  await t?.close();
  upstream?.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
    async (res) => ({ status: res.status, text: await res.text() }),
  );

describe('a provider that echoes the key in its errors', () => {
  it('never lets the key out: not in 502 details, run records, SSE events or chat answers', async () => {
    // First, while every circuit is closed: a streamed answer that fails ends with an in-band
    // error event carrying every attempt's message.
    const streamedChat = await post('/chat', { message: 'hello', category: 'M', stream: true });
    expect(streamedChat.text).toContain('event: error');
    expect(streamedChat.text).toContain('[redacted]');

    const completion = await post('/v1/chat/completions', { model: 'fast_ai', fallbacks: [], messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.status).toBe(502);
    expect(completion.text).toContain('[redacted]');

    const run = await post('/workflow', { workflow: { linear_queue: [{ id: 'a', model: 'fast_ai', prompt: 'hi' }] } });
    expect(run.status).toBe(200);
    const record = JSON.parse(run.text) as { run_id: string; status: string };
    expect(record.status).toBe('failed');
    const stored = await (await fetch(`${t.url}/runs/${record.run_id}`)).text();

    const streamed = await post('/workflow', { stream: true, workflow: { linear_queue: [{ id: 'a', model: 'fast_ai', prompt: 'hi' }] } });
    const chat = await post('/chat', { message: 'Plan a launch, then write the posts and the email.', category: 'H' });

    for (const text of [completion.text, run.text, stored, streamed.text, chat.text, streamedChat.text]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(GOOGLE_KEY);
    }
  });
});
