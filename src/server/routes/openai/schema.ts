import { CacheDirectiveSchema } from '../../../cache/directive.js';
import * as z from 'zod';

/**
 * The OpenAI Chat Completions request and response shapes this server speaks
 * (https://platform.openai.com/docs/api-reference/chat/create): one zod schema
 * each, which validates, types the route and generates the OpenAPI document.
 */

const ContentPartSchema = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({
    type: z.literal('image_url'),
    image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
  }),
]);

const ToolCallSchema = z.object({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const MessageSchema = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']).describe('`developer` is treated as `system`'),
    content: z.union([z.string(), z.array(ContentPartSchema)]).nullish(),
    name: z.string().optional(),
    tool_calls: z.array(ToolCallSchema).optional().describe('assistant turns: the functions the model called'),
    tool_call_id: z.string().min(1).optional().describe('tool turns: the call this message answers'),
  })
  .loose()
  .superRefine((m, ctx) => {
    if (m.role === 'tool' && !m.tool_call_id) ctx.addIssue({ code: 'custom', path: ['tool_call_id'], message: 'a tool message needs tool_call_id' });
  });

const ToolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/)
      .describe('a-z, A-Z, 0-9, underscores and dashes, at most 64'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional().describe('a JSON Schema object'),
    strict: z.boolean().nullish(),
  }),
});

const ToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

const ResponseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export const ChatCompletionRequestSchema = z
  .object({
    model: z.string().min(1).describe('a configured model key, `auto`, or `<provider>/<provider model id>`'),
    messages: z.array(MessageSchema).min(1),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    max_tokens: z.number().int().positive().nullish().describe('sent only when given: no limit is invented'),
    max_completion_tokens: z.number().int().positive().nullish().describe('preferred over max_tokens when both are given'),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish().describe('up to 4 sequences'),
    seed: z.number().int().nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullish().describe('token id → bias'),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    user: z.string().nullish(),
    n: z.number().int().min(1).max(128).nullish().describe('only 1: the gateway returns one answer'),
    response_format: ResponseFormatSchema.nullish(),
    tools: z.array(ToolSchema).nullish(),
    tool_choice: ToolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high']).nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    fallbacks: z.array(z.string().min(1)).optional().describe("replaces the model's configured fallback chain for this request"),
    cache: CacheDirectiveSchema,
  })
  .loose();

export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

/** The request fields this server knows; any other is refused (400) rather than silently ignored. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set(Object.keys(ChatCompletionRequestSchema.shape));

const UsageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() });

const MediaSchema = z.object({
  type: z.enum(['image', 'video']),
  url: z.string().optional(),
  data_uri: z.string().optional(),
  mime_type: z.string(),
  model_used: z.string(),
});

export const ChatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number(),
  model: z.string().describe('the model that actually answered'),
  choices: z.array(
    z.object({
      index: z.number(),
      message: z.object({ role: z.literal('assistant'), content: z.string().nullable(), tool_calls: z.array(ToolCallSchema).optional() }),
      logprobs: z.unknown().nullable(),
      finish_reason: z.string(),
    }),
  ),
  usage: UsageSchema,
  x_model_key: z.string(),
  x_provider: z.string(),
  x_fallback_used: z.boolean(),
  x_simulated: z.boolean().describe('true when the built-in simulator made (part of) this answer'),
  x_cost_usd: z.number(),
  x_truncated: z.boolean().describe('the answer stopped at its token limit (finish_reason "length")'),
  cache: z.enum(['hit', 'miss', 'bypass']).describe('response cache: hit (no provider call, x_cost_usd 0), miss (a provider answered) or bypass (the cache was not used); also the x-cache header'),
  x_run_id: z.string().optional().describe('`auto` requests answered by a generated workflow: its run id'),
  x_media: z.array(MediaSchema).optional().describe('`auto` requests that created an image or video'),
});

export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;

const ModelSchema = z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() });

export const ModelListSchema = z.object({ object: z.literal('list'), data: z.array(ModelSchema) });
export const ModelObjectSchema = ModelSchema;
