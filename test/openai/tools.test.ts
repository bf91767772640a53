import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeAppForTests } from '../helpers/fake-app.js';

/**
 * Tool calling through /v1/chat/completions with the official `openai` client,
 * unchanged: OpenAI-compatible providers get tools, tool_choice, assistant
 * tool_calls and tool results as sent; Gemini gets them as function calling.
 * The fake provider calls the first offered tool, with each required string
 * argument set to the last user message, and answers `tool result: …` after a tool turn.
 */

const app = fakeAppForTests();
let client: OpenAI;
beforeAll(() => {
  client = new OpenAI({ baseURL: `${app.t.url}/v1`, apiKey: 'not-checked', maxRetries: 0 });
});

const weather: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'the weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
/** `weather` with the function the client's runTools calls, its arguments parsed from JSON. */
const runnableWeather = (run: (args: { city: string }) => unknown) => ({
  type: 'function' as const,
  function: {
    name: weather.function.name,
    description: weather.function.description!,
    parameters: weather.function.parameters!,
    parse: (text: string) => JSON.parse(text) as { city: string },
    function: run,
  },
});
const ask: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Paris' }];
const sentBody = (i = 0) => app.fake.attempts[i]!.body as Record<string, any>;

describe.each([
  ['an OpenAI-compatible provider', 'medium_ai'],
  ['Gemini', 'long_context_ai'],
])('tool calls from %s', (_name, model) => {
  it('answers a non-streamed tool call', async () => {
    const completion = await client.chat.completions.create({ model, messages: ask, tools: [weather], tool_choice: 'auto' });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    expect(call.id).toBeTruthy();
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
  });

  it('streams tool_calls deltas that the client assembles intact', async () => {
    const stream = client.chat.completions.stream({ model, messages: ask, tools: [weather] });
    const argumentDeltas: string[] = [];
    stream.on('tool_calls.function.arguments.delta', (e) => argumentDeltas.push(e.arguments_delta));
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(argumentDeltas.join('')).toBe(call.function.arguments);
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('runs tools to the final answer with runTools', async () => {
    const calls: unknown[] = [];
    const runner = client.chat.completions.runTools({
      model,
      messages: ask,
      tools: [
        runnableWeather((args) => {
          calls.push(args);
          return { city: args.city, sky: 'clear' };
        }),
      ],
    });
    const content = await runner.finalContent();
    expect(calls).toEqual([{ city: 'Paris' }]);
    expect(content).toMatch(/^tool result: /);
    expect(content).toContain('clear');
    expect(app.fake.attempts).toHaveLength(2);
  });

  it('runs tools to the final answer when streaming', async () => {
    const runner = client.chat.completions.runTools({
      model,
      stream: true,
      messages: ask,
      tools: [runnableWeather(() => 'sunny')],
    });
    expect(await runner.finalContent()).toContain('sunny');
  });
});

describe('tool turns on the wire', () => {
  const history: ChatCompletionMessageParam[] = [
    { role: 'user', content: 'Paris and Rome' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{"city":"Rome"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"clear"}' },
    { role: 'tool', tool_call_id: 'call_2', content: 'noon' },
  ];

  it('passes assistant tool_calls and tool results to an OpenAI-compatible provider as sent', async () => {
    const completion = await client.chat.completions.create({ model: 'medium_ai', messages: history, tools: [weather], parallel_tool_calls: true });
    expect(completion.choices[0]!.message.content).toBe('tool result: noon');
    const sent = sentBody().messages;
    expect(sent[1]).toEqual({ role: 'assistant', content: null, tool_calls: (history[1] as { tool_calls: unknown }).tool_calls });
    expect(sent[2]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '{"sky":"clear"}' });
    expect(sentBody().parallel_tool_calls).toBe(true);
  });

  it('maps them to Gemini functionCall and functionResponse parts, answers to parallel calls in one turn', async () => {
    const completion = await client.chat.completions.create({ model: 'long_context_ai', messages: history, tools: [weather] });
    expect(completion.choices[0]!.message.content).toContain('tool result:');
    expect(sentBody().contents).toEqual([
      { role: 'user', parts: [{ text: 'Paris and Rome' }] },
      {
        role: 'model',
        parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'get_time', args: { city: 'Rome' } } }],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { sky: 'clear' } } },
          { functionResponse: { name: 'get_time', response: { result: 'noon' } } },
        ],
      },
    ]);
  });

  it("gives Gemini its function call's thoughtSignature back on the next turn", async () => {
    const first = await client.chat.completions.create({ model: 'long_context_ai', messages: ask, tools: [weather] });
    const message = first.choices[0]!.message;
    await client.chat.completions.create({
      model: 'long_context_ai',
      messages: [...ask, message, { role: 'tool', tool_call_id: message.tool_calls![0]!.id, content: 'sunny' }],
      tools: [weather],
    });
    const modelTurn = sentBody(1).contents[1];
    expect(modelTurn.parts[0]).toEqual({ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'ZmFrZS1zaWduYXR1cmU=' });
  });

  it('answers with text when tool_choice is none', async () => {
    const completion = await client.chat.completions.create({ model: 'medium_ai', messages: ask, tools: [weather], tool_choice: 'none' });
    expect(completion.choices[0]!.message.content).toBe('echo: Paris');
    expect(completion.choices[0]!.message.tool_calls).toBeUndefined();
  });
});
