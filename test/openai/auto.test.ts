import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';

/**
 * `model: "auto"` on /v1/chat/completions routes exactly like /chat: images go
 * to the vision model, create-an-image to the generation models, H runs the
 * generated workflow and answers with its final output (streamed when asked),
 * its run id in `x_run_id`. The simulator plays every provider here, so the
 * categorizer and planner answer as real ones would.
 */

let server: TestApp;
let client: OpenAI;
let fake: FakeProvider;
let live: TestApp;

const H_MESSAGE =
  'Research the European e-bike market, then write a full marketing strategy report with a launch plan, and also create a budget outline step by step.';

beforeAll(async () => {
  server = await startTestApp();
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-checked', maxRetries: 0 });
  fake = await startFakeProvider();
  live = await startTestApp({ env: TEST_ENV, config: (raw) => pointShippedConfigAt(raw, fake.url) });
});
afterAll(async () => {
  await Promise.all([server?.close(), live?.close()]);
  await fake?.close();
});

type Extra = Record<string, unknown>;
const getJson = async (path: string) => (await fetch(`${server.url}${path}`)).json() as Promise<Extra>;

describe('auto routes like /chat', () => {
  it('runs the generated workflow for an H request and answers with its final output and run id', async () => {
    const completion = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: H_MESSAGE }] });
    const extra = completion as unknown as Extra;
    expect(typeof extra.x_run_id).toBe('string');
    const run = await getJson(`/runs/${String(extra.x_run_id)}`);
    expect(run.status).toBe('completed');
    expect(completion.choices[0]!.message.content).toBe(run.output);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(extra.x_simulated).toBe(true);
    // Usage and cost count every call the answer took: planner and tasks.
    expect(completion.usage!.total_tokens).toBeGreaterThan((run.usage as { total_tokens: number }).total_tokens - 1);
  });

  it('streams the workflow answer, every chunk carrying the run id and the simulated mark', async () => {
    const stream = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: H_MESSAGE }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let runIds = new Set<unknown>();
    let finish: string | null = null;
    let contentChunks = 0;
    for await (const chunk of stream) {
      const extra = chunk as unknown as Extra;
      if (chunk.choices.length > 0) runIds.add(extra.x_run_id);
      expect(extra.x_simulated).toBe(true);
      const delta = chunk.choices[0]?.delta.content;
      if (delta) {
        text += delta;
        contentChunks++;
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    runIds = new Set([...runIds].filter((id) => id !== undefined));
    expect(runIds.size).toBe(1);
    const run = await getJson(`/runs/${String([...runIds][0])}`);
    expect(text).toBe(run.output);
    expect(contentChunks).toBeGreaterThan(1);
    expect(finish).toBe('stop');
  });

  it('sends images to the vision model', async () => {
    const completion = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    });
    expect(completion.model).toBe(server.loaded.config.routing.vision);
  });

  it('sends a request to create an image to the image generation model, with the media in x_media', async () => {
    const completion = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Generate an image of a red fox in the snow' }] });
    const extra = completion as unknown as Extra;
    expect(completion.model).toBe(server.loaded.config.routing.image_generation);
    const media = extra.x_media as Array<{ type: string; data_uri?: string; model_used: string }>;
    expect(media).toHaveLength(1);
    expect(media[0]).toMatchObject({ type: 'image', model_used: server.loaded.config.routing.image_generation });
    expect(media[0]!.data_uri).toMatch(/^data:image\/png;base64,/);
    expect(completion.choices[0]!.message.content).toContain('[image: image/png]');
  });

  it('streams a generated image as one answer with x_media on its last chunk', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'Generate an image of a red fox in the snow' }] }),
    });
    const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Extra & { choices: Array<{ delta: { content?: string }; finish_reason: string | null }> });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toContain('[image: image/png]');
    const last = chunks.at(-1)!;
    expect(last.choices[0]!.finish_reason).toBe('stop');
    expect((last.x_media as unknown[]).length).toBe(1);
  });

  it('answers an L/M request with the tier model, no run', async () => {
    const completion = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Give me a friendly reminder email for a team lunch on Friday.' }] });
    const extra = completion as unknown as Extra;
    expect(completion.model).toBe('medium_ai');
    expect(extra.x_run_id).toBeUndefined();
  });

  it('answers an H request that carries tools with one model (the strongest), which honours them', async () => {
    const completion = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: H_MESSAGE }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
    });
    expect(completion.model).toBe(server.loaded.config.routing.strongest);
    expect((completion as unknown as Extra).x_run_id).toBeUndefined();
  });

  it('sends no invented max_tokens on the auto door either', async () => {
    fake.reset();
    const res = await fetch(`${live.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'what is 2+2?' }], seed: 3 }),
    });
    expect(res.status).toBe(200);
    const answer = fake.attempts.at(-1)!.body as Extra;
    expect(answer.seed).toBe(3);
    expect(answer).not.toHaveProperty('max_tokens');
  });
});
