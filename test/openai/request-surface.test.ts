import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeAppForTests } from '../helpers/fake-app.js';

/**
 * The Chat Completions request surface through real HTTP: every field reaches the
 * fake provider (OpenAI wire as sent, Gemini wire mapped), or the request is a 400
 * in OpenAI's error body naming the field — never silently dropped.
 */

const app = fakeAppForTests({
  config: (raw) => {
    // A model with a Gemini fallback, to see the fallback passed by when it cannot honour a field.
    raw.models.down_ai = { ...raw.models.medium_ai, model: 'fault:unavailable/down-model', fallbacks: ['long_context_ai'] };
  },
});
let client: OpenAI;
beforeAll(() => {
  client = new OpenAI({ baseURL: `${app.t.url}/v1`, apiKey: 'not-checked', maxRetries: 0 });
});

const post = (body: unknown) =>
  fetch(`${app.t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const sentBody = (i = 0) => app.fake.attempts[i]!.body as Record<string, any>;
const hi = [{ role: 'user' as const, content: 'hello there' }];

/** Every field of the surface, in the values a test can recognise. */
const EVERY_FIELD = {
  stop: ['END', 'STOP'],
  top_p: 0.5,
  seed: 7,
  frequency_penalty: 0.25,
  presence_penalty: -0.5,
  logit_bias: { '50256': -100 },
  logprobs: true,
  top_logprobs: 3,
  user: 'user-42',
  n: 1,
  max_completion_tokens: 321,
  response_format: { type: 'json_schema', json_schema: { name: 'echo', schema: { type: 'object', properties: { echo: { type: 'string' } } }, strict: true } },
  tools: [{ type: 'function', function: { name: 'lookup', description: 'look it up', parameters: { type: 'object', properties: {} } } }],
  tool_choice: 'none',
  parallel_tool_calls: true,
  reasoning_effort: 'low',
  metadata: { team: 'search' },
} as const;

describe('OpenAI-compatible providers receive every request field', () => {
  it('forwards the whole surface under its own names', async () => {
    const res = await post({ model: 'medium_ai', messages: hi, ...EVERY_FIELD });
    expect(res.status).toBe(200);
    const body = sentBody();
    const { max_completion_tokens: _limit, ...rest } = EVERY_FIELD;
    expect(body).toMatchObject(rest);
    // OpenRouter takes the limit as max_tokens.
    expect(body.max_tokens).toBe(321);
    expect(body.max_completion_tokens).toBeUndefined();
  });

  it('the example of the issue: stop, top_p and seed reach the provider', async () => {
    const completion = await client.chat.completions.create({ model: 'medium_ai', messages: [{ role: 'user', content: 'hi' }], stop: ['END'], top_p: 0.5, seed: 7 });
    expect(completion.choices[0]!.message.content).toBe('echo: hi');
    expect(sentBody()).toMatchObject({ stop: ['END'], top_p: 0.5, seed: 7 });
  });

  it('sends a single stop string as a list', async () => {
    await post({ model: 'medium_ai', messages: hi, stop: 'END' });
    expect(sentBody().stop).toEqual(['END']);
  });

  it('invents no max_tokens when the client sent none, streamed or not', async () => {
    await client.chat.completions.create({ model: 'medium_ai', messages: hi });
    const stream = await client.chat.completions.create({ model: 'medium_ai', messages: hi, stream: true });
    for await (const _chunk of stream) void _chunk;
    expect(app.fake.attempts).toHaveLength(2);
    for (const attempt of app.fake.attempts) {
      expect(attempt.body).not.toHaveProperty('max_tokens');
      expect(attempt.body).not.toHaveProperty('max_completion_tokens');
    }
  });

  it('passes max_tokens as given', async () => {
    await client.chat.completions.create({ model: 'medium_ai', messages: hi, max_tokens: 77 });
    expect(sentBody().max_tokens).toBe(77);
  });

  it('returns the logprobs the provider sent back', async () => {
    const completion = await client.chat.completions.create({ model: 'medium_ai', messages: hi, logprobs: true, top_logprobs: 2 });
    expect(sentBody()).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(completion.choices[0]!.logprobs).toBeNull();
  });

  it('answers JSON-schema output through the official client', async () => {
    const completion = await client.chat.completions.create({
      model: 'medium_ai',
      messages: [{ role: 'user', content: 'give json' }],
      response_format: { type: 'json_schema', json_schema: { name: 'echo', schema: { type: 'object', properties: { echo: { type: 'string' } }, required: ['echo'] }, strict: true } },
    });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({ echo: 'give json' });
    expect(sentBody().response_format.json_schema.name).toBe('echo');
  });
});

describe('Gemini receives every request field it can honour, mapped', () => {
  it('maps sampling, format, logprobs, thinking and tools into generationConfig, tools and toolConfig', async () => {
    const res = await post({
      model: 'long_context_ai',
      messages: hi,
      stop: ['END'],
      top_p: 0.5,
      seed: 7,
      frequency_penalty: 0.25,
      presence_penalty: -0.5,
      logprobs: true,
      top_logprobs: 3,
      n: 1,
      max_completion_tokens: 321,
      response_format: EVERY_FIELD.response_format,
      reasoning_effort: 'high',
      tools: [{ type: 'function', function: { name: 'lookup', description: 'look it up', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
      tool_choice: 'none',
      parallel_tool_calls: true,
    });
    expect(res.status).toBe(200);
    const body = sentBody();
    expect(app.fake.attempts[0]!.path).toContain('gemini-2.5-flash:generateContent');
    const { temperature: _t, ...generationConfig } = body.generationConfig;
    expect(generationConfig).toEqual({
      maxOutputTokens: 321,
      responseMimeType: 'application/json',
      stopSequences: ['END'],
      topP: 0.5,
      seed: 7,
      frequencyPenalty: 0.25,
      presencePenalty: -0.5,
      candidateCount: 1,
      responseLogprobs: true,
      logprobs: 3,
      responseJsonSchema: EVERY_FIELD.response_format.json_schema.schema,
      thinkingConfig: { thinkingBudget: 24576 },
    });
    expect(body.tools).toEqual([
      { functionDeclarations: [{ name: 'lookup', description: 'look it up', parametersJsonSchema: { type: 'object', properties: { q: { type: 'string' } } } }] },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    const json = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(JSON.parse(json.choices[0]!.message.content)).toEqual({ echo: 'hello there' });
  });

  it('maps tool_choice required and a named function to mode ANY', async () => {
    const tools = [{ type: 'function', function: { name: 'a' } }, { type: 'function', function: { name: 'b' } }];
    await post({ model: 'long_context_ai', messages: hi, tools, tool_choice: 'required' });
    await post({ model: 'long_context_ai', messages: hi, tools, tool_choice: { type: 'function', function: { name: 'b' } } });
    await post({ model: 'long_context_ai', messages: hi, tools, tool_choice: 'auto' });
    expect(sentBody(0).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(sentBody(1).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['b'] } });
    expect(sentBody(2).toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
  });

  it('sends json_object as responseMimeType and reasoning_effort none as a zero thinking budget', async () => {
    await post({ model: 'long_context_ai', messages: hi, response_format: { type: 'json_object' }, reasoning_effort: 'none' });
    expect(sentBody().generationConfig).toMatchObject({ responseMimeType: 'application/json', thinkingConfig: { thinkingBudget: 0 } });
    expect(sentBody().generationConfig).not.toHaveProperty('responseJsonSchema');
  });

  it('invents no maxOutputTokens when the client sent none', async () => {
    await post({ model: 'long_context_ai', messages: hi });
    expect(sentBody().generationConfig).not.toHaveProperty('maxOutputTokens');
  });

  it.each([
    ['logit_bias', { logit_bias: { '1': 5 } }],
    ['user', { user: 'u1' }],
    ['metadata', { metadata: { a: 'b' } }],
    ['parallel_tool_calls', { parallel_tool_calls: false, tools: [{ type: 'function', function: { name: 'a' } }] }],
  ])('answers 400 naming %s, which Gemini cannot honour, through the official client', async (param, fields) => {
    const error = await client.chat.completions.create({ model: 'long_context_ai', messages: hi, ...(fields as object) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const e = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.type).toBe('invalid_request_error');
    expect(e.code).toBe('unsupported_parameter');
    expect(e.param).toBe(param);
    expect(e.message).toContain(param);
    expect(app.fake.attempts).toHaveLength(0);
  });

  it('passes a Gemini fallback by when it cannot honour a field the primary could', async () => {
    const res = await post({ model: 'down_ai', messages: hi, logit_bias: { '1': 5 } });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { details: Array<{ model: string; code?: string; message: string }> } };
    expect(body.error.details.at(-1)).toMatchObject({ model: 'long_context_ai', code: 'capability' });
    expect(body.error.details.at(-1)!.message).toContain("'logit_bias'");
    expect(app.fake.attempts.every((a) => !a.path.includes('gemini'))).toBe(true);
  });
});

describe('fields no target can honour here', () => {
  it('answers 400 for n > 1 naming n', async () => {
    const error = (await client.chat.completions.create({ model: 'medium_ai', messages: hi, n: 2 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(400);
    expect(error.param).toBe('n');
    expect(error.code).toBe('unsupported_parameter');
  });

  it('answers 400 naming an unknown field instead of ignoring it', async () => {
    const res = await post({ model: 'medium_ai', messages: hi, functions: [{ name: 'legacy' }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; code: string; type: string } };
    expect(body.error).toMatchObject({ param: 'functions', code: 'unsupported_parameter', type: 'invalid_request_error' });
  });

  it('answers 400 for top_logprobs without logprobs and tool_choice naming no offered tool', async () => {
    const a = await post({ model: 'medium_ai', messages: hi, top_logprobs: 2 });
    expect(((await a.json()) as { error: { param: string } }).error.param).toBe('top_logprobs');
    const b = await post({ model: 'medium_ai', messages: hi, tools: [{ type: 'function', function: { name: 'a' } }], tool_choice: { type: 'function', function: { name: 'zzz' } } });
    expect(((await b.json()) as { error: { param: string } }).error.param).toBe('tool_choice.function.name');
  });

  it('names the failing path of a schema error in param (bracketed indexes)', async () => {
    const res = await post({ model: 'medium_ai', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'bad name!' } }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string } };
    expect(body.error.param).toBe('tools[0].function.name');
  });
});
