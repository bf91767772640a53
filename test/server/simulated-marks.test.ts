import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * "Every simulated answer carries `simulated: true`" (README), path by path (issue 19): /chat
 * JSON and streamed, L/M and H, media; /workflow and /template JSON, streamed and async, and the
 * stored run record. (/v1 JSON and every streamed chunk: test/openai/errors-and-marks.test.ts and
 * auto.test.ts.) Without provider keys every answer is the simulator's.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

/** The named events of a finished event stream, their data parsed. */
const eventsOf = (text: string): { event: string; data: Record<string, any> }[] => {
  const events: { event: string; data: Record<string, any> }[] = [];
  const parser = createParser({ onEvent: (e) => events.push({ event: e.event ?? 'message', data: JSON.parse(e.data) as Record<string, any> }) });
  parser.feed(text);
  return events;
};

const json = async (path: string, body: unknown) => {
  const res = await post(path, body);
  expect(res.status).toBe(200);
  return JSON.parse(res.text) as Record<string, any>;
};

const WORKFLOW = { linear_queue: [{ id: 'a', prompt: 'Say hi' }], inline_queue: [{ id: 'b', prompt: 'Polish {{a}}' }] };

describe('simulated answers are marked on every path', () => {
  it('/chat JSON, tier M', async () => {
    expect((await json('/chat', { message: 'hello', category: 'M' })).simulated).toBe(true);
  });

  it('/chat JSON, tier H: the answer and its workflow run', async () => {
    const body = await json('/chat', { message: 'Plan a launch, then write the posts and the email.', category: 'H' });
    expect(body.simulated).toBe(true);
    expect(body.workflow.run.simulated).toBe(true);
  });

  it('/chat JSON, a generated image', async () => {
    const body = await json('/chat', { message: 'Generate an image of a red fox in the snow', category: 'M' });
    expect(body.media).toHaveLength(1);
    expect(body.simulated).toBe(true);
  });

  it('/chat streamed: every token and the completed body', async () => {
    const res = await post('/chat', { message: 'hello', category: 'M', stream: true });
    const events = eventsOf(res.text);
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of tokens) expect(token.data.simulated).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'completed', data: { simulated: true } });
  });

  it('/workflow JSON, and the stored run record', async () => {
    const run = await json('/workflow', { workflow: WORKFLOW });
    expect(run.status).toBe('completed');
    expect(run.simulated).toBe(true);
    const stored = (await (await fetch(`${t.url}/runs/${run.run_id}`)).json()) as Record<string, any>;
    expect(stored.simulated).toBe(true);
  });

  it('/workflow streamed: the completed run', async () => {
    const events = eventsOf((await post('/workflow', { workflow: WORKFLOW, stream: true })).text);
    expect(events.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed', simulated: true } });
  });

  it('/template JSON and async (the record followed at Location)', async () => {
    expect((await json('/template/research_report', { variables: { topic: 'tides' } })).simulated).toBe(true);
    const accepted = await post('/template/research_report', { variables: { topic: 'tides' }, async: true });
    expect(accepted.status).toBe(202);
    const { location } = JSON.parse(accepted.text) as { location: string };
    await expect
      .poll(async () => ((await (await fetch(`${t.url}${location}`)).json()) as Record<string, any>).status, { timeout: 20_000 })
      .toBe('completed');
    expect(((await (await fetch(`${t.url}${location}`)).json()) as Record<string, any>).simulated).toBe(true);
  });
});
