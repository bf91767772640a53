import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt } from '../helpers/gateway-config.js';

/**
 * Issue 17: an upstream that echoes the `authorization` header it received into its ANSWER (not
 * an error) — a proxy, a custom OpenAI-compatible host. No configured secret may reach a caller
 * or storage: answers, stream deltas (the key split across two deltas), tool-call arguments,
 * run records, session turns.
 */
const KEY = 'sk-or-v1-ECHOED-INTO-THE-ANSWER-0123456789abcdef';
const CLIENT_KEY = 'client-api-key-that-a-model-should-never-see';

let upstream: Server;
let t: TestApp;

/** Emits exact bytes: the answer quotes the bearer token; streamed, the token is cut in two deltas at `split`. */
function startEchoingUpstream(): Promise<string> {
  upstream = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { stream?: boolean; tools?: unknown[]; messages?: { content?: unknown }[] };
      const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      // A model that learnt a client API key somewhere (a leaked log, an earlier turn) and says it.
      const quoted = JSON.stringify(body.messages ?? []).includes('say the client key') ? ` and ${CLIENT_KEY}` : '';
      const text = `I was called with ${token}${quoted}.`;
      const args = JSON.stringify({ key: token });
      if (!body.stream) {
        const message = body.tools
          ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: args } }] }
          : { role: 'assistant', content: text };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message, finish_reason: body.tools ? 'tool_calls' : 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null = null) =>
        res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
      if (body.tools) {
        chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: args.slice(0, 15) } }] });
        chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(15) } }] });
        chunk({}, 'tool_calls');
      } else {
        const split = text.indexOf(token) + 12;
        chunk({ role: 'assistant', content: text.slice(0, split) });
        chunk({ content: text.slice(split) });
        chunk({}, 'stop');
      }
      res.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) => upstream.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  const url = await startEchoingUpstream();
  t = await startTestApp({
    config: (raw) => {
      pointShippedConfigAt(raw, url);
      // Only medium_ai caches (the response cache test below); the others are called every time.
      raw.models.medium_ai.cache = { ttl_s: 60, temperature: true };
    },
    env: { OPENROUTER_API_KEY: KEY },
    apiKeys: [CLIENT_KEY],
  });
});
afterAll(async () => {
  await t?.close();
  upstream?.close();
});

const auth = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' };
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${t.url}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
};
const get = async (path: string) => (await fetch(`${t.url}${path}`, { headers: auth })).text();

const expectClean = (text: string) => {
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(CLIENT_KEY);
  // Not even the half of a key that was split across two deltas.
  expect(text).not.toContain(KEY.slice(0, 12));
  expect(text).not.toContain(KEY.slice(12, 30));
};

describe('an upstream that echoes the key into its answer', () => {
  it('/chat: the answer, the session turn and the streamed deltas carry [redacted], never the key', async () => {
    const plain = await post('/chat', { message: 'hello, say the client key', model: 'fast_ai' });
    expect(plain.status).toBe(200);
    expectClean(plain.text);
    const answer = JSON.parse(plain.text) as { response: string; session_id: string };
    expect(answer.response).toBe('I was called with [redacted] and [redacted].');
    expectClean(await get(`/session/${answer.session_id}`));

    const streamed = await post('/chat', { message: 'hello', model: 'fast_ai', stream: true });
    expect(streamed.status).toBe(200);
    expectClean(streamed.text);
    const deltas = [...streamed.text.matchAll(/event: token\ndata: (.*)\n/g)].map((m) => (JSON.parse(m[1]!) as { text?: string; delta?: string }));
    const joined = deltas.map((d) => d.text ?? d.delta ?? '').join('');
    expect(deltas.length).toBeGreaterThan(0);
    expect(joined).toBe('I was called with [redacted].');
  });

  it('/v1/chat/completions: content and tool-call arguments, plain and streamed (key split across deltas)', async () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    for (const body of [
      { model: 'fast_ai', messages },
      { model: 'fast_ai', messages, stream: true },
      { model: 'fast_ai', messages, tools },
      { model: 'fast_ai', messages, tools, stream: true },
    ]) {
      const res = await post('/v1/chat/completions', body);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expectClean(res.text);
      expect(res.text).toContain('[redacted]');
    }
  });

  it('/workflow: task output, run output and the stored run record', async () => {
    const run = await post('/workflow', { workflow: { linear_queue: [{ id: 'a', model: 'fast_ai', prompt: 'hi' }], output: 'a' } });
    expect(run.status).toBe(200);
    expectClean(run.text);
    const record = JSON.parse(run.text) as { run_id: string; output: string; variables: Record<string, string> };
    expect(record.output).toBe('I was called with [redacted].');
    expectClean(await get(`/runs/${record.run_id}`));
    const streamed = await post('/workflow', { stream: true, workflow: { linear_queue: [{ id: 'a', model: 'fast_ai', prompt: 'hi' }], output: 'a' } });
    expectClean(streamed.text);
  });

  it('the response cache keeps the scrubbed answer: a hit (plain and streamed) carries [redacted], never the key', async () => {
    const ask = (stream: boolean) => post('/chat', { message: 'cache me, say the client key', model: 'medium_ai', stream });
    const first = await ask(false);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ cache: 'miss', response: 'I was called with [redacted] and [redacted].' });
    const hit = await ask(false);
    expectClean(hit.text);
    expect(JSON.parse(hit.text)).toMatchObject({ cache: 'hit', response: 'I was called with [redacted] and [redacted].' });
    const streamed = await ask(true);
    expectClean(streamed.text);
    expect(streamed.text).toContain('"cache":"hit"');
  });
});
