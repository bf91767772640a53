import { describe, expect, it } from 'vitest';
import { fixtureForTests } from './fixture.js';
import { eventually, getJson, postJson } from './support.js';

const f = fixtureForTests((raw) => {
  raw.server = { ...raw.server, keep_alive_ms: 100 };
}, { reset: true });

/** Requests that asked for JSON (categorizer, planner). */
const jsonCalls = () => f.fake.attempts.filter((a) => (a.body as { response_format?: { type?: string } }).response_format?.type === 'json_object');

describe('POST /chat against the fake provider', () => {
  it('an H request whose plan stays invalid after one repair is answered directly by the strongest model, and says so', async () => {
    const { status, body } = await postJson(`${f.t.url}/chat`, { message: 'Build me a business plan', category: 'H' });
    expect(status).toBe(200);
    expect(body.workflow).toEqual({ plan: null, run: null, fallback_reason: expect.stringMatching(/invalid twice/) });
    expect(body.model_used).toBe('thinking_ai');
    expect(body.response).toBe('echo: Build me a business plan');
    // The planner was asked twice: the plan, then the repair listing the problems.
    const planner = jsonCalls();
    expect(planner).toHaveLength(2);
    const repair = (planner[1]!.body as { messages: { role: string; content: string }[] }).messages.at(-1)!.content;
    expect(repair).toMatch(/That workflow is invalid/);
  });

  it('falls back to the heuristic when the categorizer answers something other than the expected JSON', async () => {
    const { body } = await postJson(`${f.t.url}/chat`, { message: 'Tell me a joke about cats' });
    expect(body.categorization).toMatchObject({ source: 'heuristic', reasoning: expect.stringMatching(/not the expected JSON/) });
    // Its billed call still counts in the response cost.
    expect(body.cost_usd).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it('a streaming client that disconnects cancels its model call', async () => {
    const closedBefore = f.hang.closed;
    const receivedBefore = f.hang.received.length;
    const controller = new AbortController();
    const res = await fetch(`${f.t.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hold on', category: 'M', model: 'hang', stream: true }),
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    await f.hang.waitForRequests(receivedBefore + 1);
    controller.abort();
    await f.hang.waitForClosed(closedBefore + 1);
    expect(f.hang.closed).toBe(closedBefore + 1);
  });

  it('a streaming /workflow client that disconnects ends its run cancelled', async () => {
    const closedBefore = f.hang.closed;
    const receivedBefore = f.hang.received.length;
    const controller = new AbortController();
    const res = await fetch(`${f.t.url}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stream: true, workflow: { linear_queue: [{ id: 'stuck', model: 'hang', prompt: 'x' }] } }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let received = '';
    while (!/"run_id":"[^"]+"/.test(received)) received += new TextDecoder().decode((await reader.read()).value);
    const runId = /"run_id":"([^"]+)"/.exec(received)![1]!;
    await f.hang.waitForRequests(receivedBefore + 1);
    controller.abort();
    await f.hang.waitForClosed(closedBefore + 1);
    const run = await eventually(async () => {
      const r = await getJson(`${f.t.url}/runs/${runId}`);
      return r.finished_at ? r : undefined;
    });
    expect(run.status).toBe('cancelled');
  });

  it('keeps a quiet stream alive with comment lines', async () => {
    const res = await fetch(`${f.t.url}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stream: true, workflow: { linear_queue: [{ id: 'wait', model: 'slow', prompt: 'x' }] } }),
    });
    const text = await res.text();
    expect(text).toContain(': keep-alive\n\n');
    expect(text.trimEnd().split('\n\n').at(-1)).toMatch(/^event: completed\n/);
  });

  it('refuses new work with 503 while the server is draining', async () => {
    f.t.app.ctx.draining = true;
    try {
      const { status, body, headers } = await postJson(`${f.t.url}/chat`, { message: 'hi' });
      expect(status).toBe(503);
      expect(body.error.type).toBe('overloaded');
      expect(Number(headers.get('retry-after'))).toBeGreaterThan(0);
      expect(f.fake.attempts).toHaveLength(0);
    } finally {
      f.t.app.ctx.draining = false;
    }
  });
});
