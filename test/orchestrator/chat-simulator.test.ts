import { describe, expect, it } from 'vitest';
import { testAppForTests } from '../helpers/app.js';
import { getJson, readSse } from './support.js';

const t = testAppForTests();
const post = t.post;

describe('POST /chat with the simulator (no keys)', () => {
  it('answers an L request directly with the tier L model', async () => {
    const { status, body } = await post('/chat', { message: 'Why is the sky blue?', category: 'L' });
    expect(status).toBe(200);
    expect(body.category).toBe('L');
    expect(body.categorization).toMatchObject({ category: 'L', source: 'override' });
    expect(body.model_used).toBe('thinking_ai');
    expect(body.workflow).toBeNull();
    expect(body.simulated).toBe(true);
    expect(body.response).toContain('Why is the sky blue?');
    expect(typeof body.session_id).toBe('string');
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it('categorizes with the categorizer model and answers an M request', async () => {
    const { status, body } = await post('/chat', { message: 'Give me a friendly reminder email for a team lunch on Friday.' });
    expect(status).toBe(200);
    expect(body.categorization.source).toBe('model');
    expect(body.category).toBe('M');
    expect(body.model_used).toBe('medium_ai');
  });

  it('plans and runs a workflow for an H request and returns plan and run', async () => {
    const message =
      'Research the European e-bike market, then write a full marketing strategy report with a launch plan, and also create a budget outline step by step.';
    const { status, body } = await post('/chat', { message });
    expect(status).toBe(200);
    expect(body.category).toBe('H');
    expect(body.workflow.plan.linear_queue.length).toBeGreaterThan(0);
    expect(body.workflow.run.status).toBe('completed');
    expect(body.workflow.run.tasks.every((task: { status: string }) => task.status === 'completed')).toBe(true);
    expect(body.response).toBe(body.workflow.run.output);
    const run = await getJson(`${t.url}/runs/${body.workflow.run.run_id}`);
    expect(run.status).toBe('completed');
  });

  it('continues a session and records both turns', async () => {
    const first = await post('/chat', { message: 'My name is Ada.', category: 'M' });
    const second = await post('/chat', { message: 'What is my name?', category: 'M', session_id: first.body.session_id });
    expect(second.body.session_id).toBe(first.body.session_id);
    const session = await getJson(`${t.url}/session/${first.body.session_id}`);
    expect(session.turns.map((turn: { role: string }) => turn.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('rejects unknown addons, bad image references and a model that cannot answer, with their paths', async () => {
    const addons = await post('/chat', { message: 'hi', addons: ['seo_writer', 'nope'] });
    expect(addons.status).toBe(400);
    expect(addons.body.error.details).toEqual([{ path: 'addons.1', message: "unknown addon 'nope'" }]);
    const images = await post('/chat', { message: 'hi', images: ['http://example.com/a.png', 'file:///etc/passwd', 'https://example.com/ok.png'] });
    expect(images.status).toBe(400);
    expect(images.body.error.details.map((d: { path: string }) => d.path)).toEqual(['images.0', 'images.1']);
    const model = await post('/chat', { message: 'hi', model: 'image_generation' });
    expect(model.status).toBe(400);
    expect(model.body.error.details).toEqual([{ path: 'model', message: "model 'image_generation' lacks the 'text' capability this request needs" }]);
  });

  it('routes images to the vision model and image requests to the image generation model', async () => {
    const vision = await post('/chat', { message: 'What is in this picture?', images: ['https://example.com/cat.png'] });
    expect(vision.status).toBe(200);
    expect(vision.body.model_used).toBe('image_analysis');
    const image = await post('/chat', { message: 'Generate an image of a red fox in the snow', category: 'M' });
    expect(image.status).toBe(200);
    expect(image.body.model_used).toBe('image_generation');
    expect(image.body.media[0]).toMatchObject({ type: 'image', model_used: 'image_generation' });
  });
});

describe('the OpenAI-compatible auto model', () => {
  it('categorizes the last user message and answers with the tier model', async () => {
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Why is the sky blue?' }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: string }).model).toBe('thinking_ai');
  });
});

describe('POST /chat streaming with the simulator', () => {
  it('streams categorized, plan_ready, the task events, then one completed event for an H request', async () => {
    const res = await fetch(`${t.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Plan a product launch', category: 'H', stream: true }),
    });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    const names = events.map((e) => e.event).filter((n) => n !== 'token');
    expect(names.slice(0, 2)).toEqual(['categorized', 'plan_ready']);
    expect(names.at(-1)).toBe('completed');
    expect(names.filter((n) => n === 'completed' || n === 'error')).toHaveLength(1);
    const completed = events.at(-1)!.data;
    const tasks = completed.workflow.run.tasks.length;
    expect(names.filter((n) => n === 'task_started')).toHaveLength(tasks);
    expect(names.filter((n) => n === 'task_completed')).toHaveLength(tasks);
    // Every task event of a task comes after its start.
    for (const task of completed.workflow.run.tasks) {
      const start = events.findIndex((e) => e.event === 'task_started' && e.data.task_id === task.id);
      const end = events.findIndex((e) => e.event === 'task_completed' && e.data.task.id === task.id);
      expect(end).toBeGreaterThan(start);
    }
    expect(events.filter((e) => e.event === 'token').map((e) => e.data.text).join('')).toBe(completed.response);
  });
});

describe('token limits', () => {
  const small = testAppForTests({
    config: (raw) => {
      for (const [key, model] of Object.entries(raw.models as Record<string, { context_window: number }>)) {
        model.context_window = key === 'thinking_ai' ? 4000 : key === 'long_context_ai' ? 8000 : 2500;
      }
      raw.limits = { ...raw.limits, max_message_chars: 30_000 };
    },
  });
  const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i % 10}`).join(' ');
  const ask = (message: string) =>
    fetch(`${small.url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message, category: 'M' }) }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }),
    );

  it('escalates to a larger window when the input does not fit the tier model', async () => {
    expect((await ask(words(100))).body.model_used).toBe('medium_ai');
    expect((await ask(words(1000))).body.model_used).toBe('thinking_ai');
    expect((await ask(words(3000))).body.model_used).toBe('long_context_ai');
  });

  it('answers 400 with path message when the message is longer than limits.max_message_chars', async () => {
    const { status, body } = await ask('x'.repeat(30_001));
    expect(status).toBe(400);
    expect(body.error.details).toEqual([{ path: 'message', message: 'message is 30001 characters; the limit is 30000' }]);
  });

  it('answers 400 with the input size and the largest window when nothing fits', async () => {
    const { status, body } = await ask(words(6000));
    expect(status).toBe(400);
    expect(body.error.type).toBe('validation_error');
    expect(body.error.message).toMatch(/about \d+ tokens.*8000 tokens/);
  });
});
