import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/telemetry/logger.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { logLines } from '../helpers/log-lines.js';

const { sink, lines, lineWhere } = logLines();
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ logger: pino(loggerOptions('info'), sink) });
});
afterAll(async () => t?.close());

/** The request's 'request completed' line, written as its response finishes (maybe after the client read it). */
const requestLine = (requestId: string) => lineWhere((l) => l.request_id === requestId && l.msg === 'request completed');

describe('one log line per request', () => {
  it('carries request id, route, status, duration, category, model used and cost of a /chat answer', async () => {
    const res = await fetch(`${t.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'log-chat-1' },
      body: JSON.stringify({ message: 'Tell me the capital of France.', category: 'M' }),
    });
    const body = (await res.json()) as { model_used: string; session_id: string };
    const line = await requestLine('log-chat-1');
    expect(line).toMatchObject({ method: 'POST', route: '/chat', status: 200, category: 'M', model_used: body.model_used, cost_usd: 0, session_id: body.session_id });
    expect(line.duration_ms).toEqual(expect.any(Number));
    expect(lines.filter((l) => l.request_id === 'log-chat-1' && l.msg === 'request completed')).toHaveLength(1);
  });

  it('also logs a streamed request, once, with its run', async () => {
    const res = await fetch(`${t.url}/template/research_report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'log-stream-1' },
      body: JSON.stringify({ variables: { topic: 'tides' }, stream: true }),
    });
    const text = await res.text();
    expect(text).toContain('event: completed');
    const line = await requestLine('log-stream-1');
    expect(line).toMatchObject({ route: '/template/:name', status: 200, run_id: expect.any(String) });
  });
});

describe('gateway lines', () => {
  it('logs each model attempt at debug with the request id', async () => {
    const debug = logLines();
    const app = await startTestApp({ logger: pino(loggerOptions('debug'), debug.sink) });
    try {
      await fetch(`${app.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'log-gw-1' },
        body: JSON.stringify({ model: 'fast_ai', messages: [{ role: 'user', content: 'hi' }] }),
      });
      const attempt = debug.lines.find((l) => l.msg === 'model attempt' && l.request_id === 'log-gw-1');
      expect(attempt).toMatchObject({ level: 'debug', model: 'fast_ai', provider: 'openrouter', outcome: 'success', simulated: true });
    } finally {
      await app.close();
    }
  });
});
