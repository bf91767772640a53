import { describe, expect, it } from 'vitest';
import { geminiChunkCarries, geminiUnsupported, parseGemini } from './gemini-wire.js';

describe('Gemini answers read back in OpenAI terms', () => {
  it('turns functionCall parts into tool calls, numbering them from the given index and keeping the thought signature in the id', () => {
    const parsed = parseGemini(
      {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2ln' },
                { functionCall: { id: 'fc-2', name: 'get_time', args: {} } },
              ],
            },
            finishReason: 'STOP',
          },
        ],
      },
      3,
    );
    expect(parsed.toolCalls).toHaveLength(2);
    expect(parsed.toolCalls[0]!.id).toMatch(/^call_3_[0-9a-f]{8}\.sig\.c2ln$/);
    expect(parsed.toolCalls[0]!.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(parsed.toolCalls[1]).toEqual({ id: 'fc-2', type: 'function', function: { name: 'get_time', arguments: '{}' } });
    expect(parsed.text).toBe('');
  });

  it('maps logprobsResult to OpenAI choices[].logprobs', () => {
    const parsed = parseGemini({
      candidates: [
        {
          content: { parts: [{ text: 'Hi' }] },
          finishReason: 'STOP',
          logprobsResult: {
            chosenCandidates: [{ token: 'Hi', logProbability: -0.1 }],
            topCandidates: [{ candidates: [{ token: 'Hi', logProbability: -0.1 }, { token: 'Hey', logProbability: -2.5 }] }],
          },
        },
      ],
    });
    expect(parsed.logprobs).toEqual({
      content: [
        {
          token: 'Hi',
          logprob: -0.1,
          bytes: null,
          top_logprobs: [
            { token: 'Hi', logprob: -0.1, bytes: null },
            { token: 'Hey', logprob: -2.5, bytes: null },
          ],
        },
      ],
    });
  });

  it('names every field Gemini cannot honour, and accepts the ones it maps', () => {
    expect(geminiUnsupported({ logit_bias: { '1': 1 }, user: 'u', metadata: { a: 'b' }, parallel_tool_calls: false }).map((u) => u.param)).toEqual([
      'logit_bias',
      'user',
      'metadata',
      'parallel_tool_calls',
    ]);
    expect(geminiUnsupported({ stop: ['x'], top_p: 1, seed: 1, parallel_tool_calls: true, reasoning_effort: 'low', tool_choice: 'auto' })).toEqual([]);
  });
});

describe('geminiChunkCarries: what counts as progress on a Gemini stream', () => {
  const usage = { usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } };
  const candidate = (c: Record<string, unknown>) => ({ candidates: [{ index: 0, ...c }], ...usage });
  it('keep-alives carry nothing: empty text parts, no parts, reasoning flags without text, usage alone', () => {
    for (const chunk of [
      candidate({ content: { parts: [{ text: '' }], role: 'model' } }),
      candidate({ content: { parts: [], role: 'model' } }),
      candidate({ content: { parts: [{ text: '', thought: true }] } }),
      { candidates: [], ...usage },
      usage,
    ]) {
      expect(geminiChunkCarries(chunk), JSON.stringify(chunk)).toBe(false);
    }
  });
  it('text, reasoning, a function call, inline data, a finish reason, prompt feedback or an error carry something', () => {
    for (const chunk of [
      candidate({ content: { parts: [{ text: 'Hi' }] } }),
      candidate({ content: { parts: [{ text: 'thinking', thought: true }] } }),
      candidate({ content: { parts: [{ functionCall: { name: 'f', args: {} } }] } }),
      candidate({ content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'AAAA' } }] } }),
      candidate({ content: { parts: [{ text: '' }] }, finishReason: 'STOP' }),
      { promptFeedback: { blockReason: 'SAFETY' } },
      { error: { code: 500, message: 'x' } },
      'not an object',
    ]) {
      expect(geminiChunkCarries(chunk), JSON.stringify(chunk)).toBe(true);
    }
  });
});
