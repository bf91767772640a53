import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { WorkflowSchema } from '../../orchestrator/workflow/types.js';
import { validateWorkflowDefinition } from '../../orchestrator/workflow/validate.js';
import type { ChatMessage, ProviderRequest, StreamChunk } from '../types.js';
import { createSimulatorAdapter } from './adapter.js';

const sim = createSimulatorAdapter('openrouter');
const timeouts = { connect_ms: 1000, first_byte_ms: 1000, stream_idle_ms: 1000, total_ms: 5000 };
const req = (messages: ChatMessage[], over: Partial<ProviderRequest> = {}): ProviderRequest => ({
  model: 'meta-llama/llama-3.3-70b-instruct',
  kind: 'text',
  messages,
  timeouts,
  signal: new AbortController().signal,
  ...over,
});
const user = (content: string): ChatMessage => ({ role: 'user', content });

describe('simulator adapter', () => {
  it('answers the same request with the same text, marked simulated, with a recognisable prefix', async () => {
    const a = await sim.generate(req([user('What is the capital of France?')]));
    const b = await sim.generate(req([user('What is the capital of France?')]));
    expect(a).toEqual(b);
    expect(a.simulated).toBe(true);
    expect(a.text).toMatch(/^\[simulated meta-llama\/llama-3\.3-70b-instruct\] /);
    expect(a.text).toContain('What is the capital of France?');
    expect(a.usage.prompt_tokens).toBeGreaterThan(0);
    expect(a.usage.total_tokens).toBe(a.usage.prompt_tokens + a.usage.completion_tokens);
  });

  it('counts more prompt tokens for a longer request', async () => {
    const short = await sim.generate(req([user('hi')]));
    const long = await sim.generate(req([user('hi '.repeat(400))]));
    expect(long.usage.prompt_tokens).toBeGreaterThan(short.usage.prompt_tokens + 200);
  });

  it('returns a valid categorization when the system prompt asks for one', async () => {
    const system: ChatMessage = { role: 'system', content: 'Categorize the request into L, M or H. Answer JSON.' };
    const categories: Record<string, string> = {};
    for (const [label, message] of [
      ['short', 'Why is the sky blue?'],
      ['everyday', 'Translate this sentence to French: I like green apples very much.'],
      ['big', 'Write a full marketing campaign for our new coffee brand: research the audience, then draft three blog posts, then create a social media calendar and an email series.'],
    ] as const) {
      const result = await sim.generate(req([system, user(message)], { json: true }));
      const parsed = JSON.parse(result.text) as { category: string; reasoning: string };
      expect(['L', 'M', 'H']).toContain(parsed.category);
      expect(parsed.reasoning.length).toBeGreaterThan(0);
      categories[label] = parsed.category;
    }
    expect(categories).toEqual({ short: 'L', everyday: 'M', big: 'H' });
  });

  it('continues a categorization prefill into valid JSON', async () => {
    const system: ChatMessage = { role: 'system', content: 'You categorize requests.' };
    const prefill = '{"category": "';
    const result = await sim.generate(req([system, user('Why is the sky blue?')], { json: true, prefill }));
    expect(JSON.parse(prefill + result.text)).toMatchObject({ category: 'L' });
  });

  it('returns a workflow plan that passes the workflow schema and validation, using the listed models', async () => {
    const loaded = parseConfig(JSON.parse(readFileSync('orchestration_config.json', 'utf8')), {});
    const system: ChatMessage = {
      role: 'system',
      content:
        'Plan a workflow as JSON with name, linear_queue, inline_queue and output.\n' +
        'Fields:\n- linear_queue: tasks that start at once\n- inline_queue: tasks run in order\n\n' +
        'Available models:\n- fast_ai: cheap answers (text, json_output)\n- image_generation: images (image_generation)\n- code_ai: code (text)\n',
    };
    const result = await sim.generate(req([system, user('Write a blog post about {{bees}} and a tweet about it')], { json: true }));
    const plan = WorkflowSchema.parse(JSON.parse(result.text));
    expect(plan.linear_queue).toHaveLength(2);
    expect(plan.inline_queue).toHaveLength(1);
    expect(plan.inline_queue[0]!.prompt).toContain('{{key_points}}');
    expect(plan.inline_queue[0]!.prompt).toContain('{{outline}}');
    expect(plan.linear_queue.map((t) => t.model)).toEqual(['fast_ai', 'code_ai']);
    expect(validateWorkflowDefinition(plan, { config: loaded.config, addonIds: new Set() })).toEqual([]);
  });

  it('plans with medium_ai when no models are listed', async () => {
    const system: ChatMessage = { role: 'system', content: 'Return a workflow JSON with linear_queue and inline_queue.' };
    const plan = WorkflowSchema.parse(JSON.parse((await sim.generate(req([system, user('do things')], { json: true }))).text));
    expect([...plan.linear_queue, ...plan.inline_queue].every((t) => t.model === 'medium_ai')).toBe(true);
  });

  it('answers other JSON requests with an answer object', async () => {
    const result = await sim.generate(req([user('give me json')], { json: true }));
    expect(JSON.parse(result.text)).toHaveProperty('answer');
  });

  it('makes a real PNG for image requests, its colour derived from the request', async () => {
    const a = await sim.generate(req([user('a red fox')], { kind: 'image' }));
    const b = await sim.generate(req([user('a blue whale')], { kind: 'image' }));
    const png = Buffer.from(a.media[0]!.data_uri!.split(',')[1]!, 'base64');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(8); // width
    const idatAt = png.indexOf('IDAT');
    const pixels = inflateSync(png.subarray(idatAt + 4, idatAt + 4 + png.readUInt32BE(idatAt - 4)));
    expect(pixels.length).toBe(8 * (1 + 8 * 3));
    expect(a.media[0]).toMatchObject({ type: 'image', mime_type: 'image/png' });
    expect(a.media[0]!.data_uri).not.toBe(b.media[0]!.data_uri);
  });

  it('returns a simulated video reference, never a fake data URI', async () => {
    const result = await sim.generate(req([user('a sunrise')], { kind: 'video' }));
    expect(result.media[0]).toMatchObject({ type: 'video', mime_type: 'video/mp4', url: expect.stringMatching(/^simulated:\/\/video\/[0-9a-f]+\.mp4$/) });
    expect(result.media[0]!.data_uri).toBeUndefined();
    expect(result.text).toContain('simulated');
  });

  it('streams the same answer in several deltas, then usage, then finish', async () => {
    const r = req([user('Tell me about the ocean and its tides in a few words please')]);
    const whole = await sim.generate(r);
    const chunks: StreamChunk[] = [];
    for await (const c of sim.stream(r)) chunks.push(c);
    const deltas = chunks.filter((c): c is Extract<StreamChunk, { type: 'delta' }> => c.type === 'delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.map((d) => d.text).join('')).toBe(whole.text);
    expect(chunks.at(-2)).toEqual({ type: 'usage', usage: whole.usage });
    expect(chunks.at(-1)).toEqual({ type: 'finish', finish_reason: 'stop' });
  });

  it("stops a stream with the caller's abort reason", async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const err = await (async () => {
      try {
        for await (const c of sim.stream(req([user('a long answer please, with many words in it')], { signal: controller.signal }))) {
          if (c.type === 'delta') controller.abort(reason);
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBe(reason);
  });
});
