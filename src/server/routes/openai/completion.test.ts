import { describe, expect, it } from 'vitest';
import { encode } from 'zod';
import type { GatewayResult } from '../../../gateway/types.js';
import { completionBody, completionJson } from './completion.js';
import { ChatCompletionSchema } from './schema.js';

const result = (over: Partial<GatewayResult> = {}): GatewayResult => ({
  text: 'Hello',
  media: [],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  cost_usd: 0.0001,
  model_used: 'medium_ai',
  provider: 'openrouter',
  fallback_used: false,
  attempts: [],
  finish_reason: 'stop',
  truncated: false,
  simulated: false,
  ...over,
});
const meta = { id: 'chatcmpl-1', created: 1_700_000_000 };

/** What the route sent before: zod's encode of the schema (unknown keys stripped), then JSON.stringify. */
const throughZod = (body: unknown) => JSON.stringify(encode(ChatCompletionSchema, body as never));

describe('the chat.completion body is written without zod, byte for byte as zod would', () => {
  const cases: Array<[string, GatewayResult, Parameters<typeof completionBody>[1]]> = [
    ['a plain answer', result(), meta],
    ['a cache hit with logprobs', result({ cache: 'hit', logprobs: { content: [{ token: 'Hello', logprob: -0.1 }] } }), meta],
    [
      'tool calls only, with keys a provider added',
      result({ text: '', finish_reason: 'tool_calls', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}', extra: 1 }, index: 0 } as never] }),
      meta,
    ],
    ['usage with keys a provider added', result({ usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, prompt_tokens_details: { cached_tokens: 0 } } as never }), meta],
    [
      'an auto answer by a workflow that made an image',
      result(),
      { ...meta, runId: 'run-1', media: [{ type: 'image', url: 'https://x/1.png', mime_type: 'image/png', model_used: 'image_ai', duration_s: 3 } as never] },
    ],
  ];
  it.each(cases)('%s', (_name, r, m) => {
    const body = completionBody(r, m);
    const written = completionJson()(body);
    expect(written).toBe(throughZod(body));
    expect(ChatCompletionSchema.strict().safeParse(JSON.parse(written)).success).toBe(true);
  });
});
