import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config/schema.js';
import { errorBody, validationError, type ErrorDetail } from '../../errors.js';
import { resolveModel } from '../../gateway/fallback.js';
import type { GatewayRequest, GatewayResult } from '../../gateway/types.js';
import type { ChatMessage, ContentPart } from '../../providers/types.js';
import { toAppError } from '../plugins/errors.js';
import { annotateRequest } from '../../telemetry/request-log.js';
import { abortOnDisconnect } from '../operation.js';
import { hijackForEventStream } from '../plugins/sse.js';

/**
 * The OpenAI-compatible API: POST /v1/chat/completions and GET /v1/models, so
 * the official SDKs and LangChain work unchanged. The route only validates and
 * translates; every model call goes through the gateway.
 */

const ContentPartSchema = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({
    type: z.literal('image_url'),
    image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
  }),
]);

const MessageSchema = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant']).describe('`developer` is treated as `system`'),
    content: z.union([z.string(), z.array(ContentPartSchema)]).nullable(),
    name: z.string().optional(),
  })
  .loose();

export const ChatCompletionRequestSchema = z
  .object({
    model: z.string().min(1).describe('a configured model key, `auto`, or `<provider>/<provider model id>`'),
    messages: z.array(MessageSchema).min(1),
    temperature: z.number().min(0).max(2).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish().describe('preferred over max_tokens when both are given'),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    response_format: z
      .object({ type: z.enum(['text', 'json_object', 'json_schema']) })
      .loose()
      .nullish()
      .describe('json_object (and json_schema, as plain JSON mode) asks for a JSON answer'),
    n: z.literal(1).nullish().describe('only one choice is supported'),
    fallbacks: z.array(z.string().min(1)).optional().describe("replaces the model's configured fallback chain for this request"),
  })
  .loose();

type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

const UsageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() });

const ChatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number(),
  model: z.string().describe('the model that actually answered'),
  choices: z.array(
    z.object({
      index: z.number(),
      message: z.object({ role: z.literal('assistant'), content: z.string() }),
      finish_reason: z.string(),
    }),
  ),
  usage: UsageSchema,
  x_model_key: z.string(),
  x_provider: z.string(),
  x_fallback_used: z.boolean(),
  x_simulated: z.boolean(),
  x_cost_usd: z.number(),
});

const ModelListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() })),
});

export async function openaiRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = app.ctx;

  r.get(
    '/v1/models',
    { schema: { summary: 'Models, OpenAI-style', tags: ['openai'], response: { 200: ModelListSchema } } },
    async () => ({
      object: 'list' as const,
      data: [
        { id: 'auto', object: 'model' as const, created: Math.floor(ctx.startedAt / 1000), owned_by: 'master-orchestrator' },
        ...Object.entries(ctx.config.models).map(([key, m]) => ({
          id: key,
          object: 'model' as const,
          created: Math.floor(ctx.startedAt / 1000),
          owned_by: m.provider,
        })),
      ],
    }),
  );

  r.post(
    '/v1/chat/completions',
    {
      schema: {
        summary: 'Chat completion, OpenAI-compatible (stream or not)',
        description: 'With `stream: true` the answer is `text/event-stream` of `chat.completion.chunk` objects ending with `data: [DONE]`.',
        tags: ['openai'],
        body: ChatCompletionRequestSchema,
        response: { 200: ChatCompletionSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const messages = toMessages(body, ctx.config.limits);
      // A caller that hangs up cancels its model calls.
      const abort = abortOnDisconnect(reply, () => new Error('client closed the connection'));
      checkFallbacks(app, body.fallbacks);
      if (body.model !== 'auto') checkModel(app, body.model);
      const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
      const created = Math.floor(ctx.clock.now() / 1000);
      const deadline = ctx.clock.now() + ctx.config.limits.default_timeout_s * 1000;
      try {
        const model = body.model === 'auto' ? await pickModel(app, messages, abort.signal, request.id) : body.model;
        const gatewayRequest: GatewayRequest = {
          model,
          fallbacks: body.fallbacks,
          kind: 'text',
          messages,
          max_tokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
          temperature: body.temperature ?? undefined,
          json: body.response_format?.type === 'json_object' || body.response_format?.type === 'json_schema',
          signal: abort.signal,
          deadline,
          context: { request_id: request.id },
        };
        if (body.stream) {
          const includeUsage = body.stream_options?.include_usage === true;
          return await streamCompletion(app, request, reply, gatewayRequest, { id, created, includeUsage });
        }
        const result = await ctx.gateway.call(gatewayRequest);
        annotateRequest(request, { model_used: result.model_used, cost_usd: result.cost_usd });
        return completionBody(result, id, created);
      } catch (err) {
        if (!abort.signal.aborted) throw err;
        // Nobody is left to answer: not a server error worth an alarm.
        request.log.info('client closed the connection; its model calls were cancelled');
        reply.hijack();
        return reply;
      }
    },
  );
}

function completionBody(result: GatewayResult, id: string, created: number): z.infer<typeof ChatCompletionSchema> {
  return {
    id,
    object: 'chat.completion',
    created,
    model: result.model_used,
    choices: [{ index: 0, message: { role: 'assistant', content: result.text }, finish_reason: result.finish_reason }],
    usage: result.usage,
    x_model_key: result.model_used,
    x_provider: result.provider,
    x_fallback_used: result.fallback_used,
    x_simulated: result.simulated,
    x_cost_usd: result.cost_usd,
  };
}

/**
 * OpenAI messages as gateway messages (`developer` is a system message, a null
 * content an empty one), within the configured size limits.
 */
function toMessages(body: ChatCompletionRequest, limits: Config['limits']): ChatMessage[] {
  let chars = 0;
  const problems: ErrorDetail[] = [];
  let images = 0;
  const messages = body.messages.map((m, i): ChatMessage => {
    const role = m.role === 'developer' ? 'system' : m.role;
    if (m.content === null) return { role, content: '' };
    if (typeof m.content === 'string') {
      chars += m.content.length;
      return { role, content: m.content };
    }
    const parts = m.content.map((p, j): ContentPart => {
      if (p.type === 'text') {
        chars += p.text.length;
        return { type: 'text', text: p.text };
      }
      images += 1;
      if (p.image_url.url.startsWith('data:') && p.image_url.url.length > limits.max_image_data_uri_bytes) {
        problems.push({ path: `messages.${i}.content.${j}.image_url.url`, message: `data URI larger than ${limits.max_image_data_uri_bytes} bytes` });
      }
      return { type: 'image_url', image_url: { url: p.image_url.url } };
    });
    return { role, content: parts };
  });
  if (chars > limits.max_message_chars) {
    problems.push({ path: 'messages', message: `at most ${limits.max_message_chars} characters of text in total` });
  }
  if (images > limits.max_images) problems.push({ path: 'messages', message: `at most ${limits.max_images} images in total` });
  if (problems.length > 0) throw validationError('the messages exceed the configured limits', problems);
  const tools = (body as { tools?: unknown[] }).tools;
  if (Array.isArray(tools) && tools.length > 0) {
    throw validationError('tool calling is not supported by this endpoint', [{ path: 'tools', message: 'not supported' }]);
  }
  return messages;
}

/** `auto`: the orchestrator's categorizer picks the tier's model (the strongest direct model for H). */
async function pickModel(app: FastifyInstance, messages: ChatMessage[], signal: AbortSignal, requestId: string): Promise<string> {
  const picked = await app.ctx.orchestrator.pickModel({ messages, signal, request_id: requestId });
  return picked.model;
}

function checkModel(app: FastifyInstance, model: string): void {
  if (!resolveModel(app.ctx.config, model)) {
    throw validationError(`unknown model '${model}'`, [{ path: 'model', message: `unknown model '${model}'` }]);
  }
}

function checkFallbacks(app: FastifyInstance, fallbacks: string[] | undefined): void {
  const problems: ErrorDetail[] = [];
  fallbacks?.forEach((name, i) => {
    if (!resolveModel(app.ctx.config, name)) problems.push({ path: `fallbacks.${i}`, message: `unknown model '${name}'` });
  });
  if (problems.length > 0) throw validationError('unknown fallback model', problems);
}

/**
 * Streams the answer as `chat.completion.chunk` events. Until the first delta
 * the call may still fail as a normal JSON error response; after, a failure is
 * sent in-band as `data: {"error": ...}` and the stream ends without [DONE].
 */
async function streamCompletion(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  req: GatewayRequest,
  meta: { id: string; created: number; includeUsage: boolean },
): Promise<FastifyReply> {
  const stream = app.ctx.gateway.stream(req);
  const iterator = stream.chunks[Symbol.asyncIterator]();
  // Waiting for the first delta (or the end) before sending headers keeps early failures as real HTTP errors.
  const first = await iterator.next();
  const done = first.done ? await stream.result : undefined;

  const raw = hijackForEventStream(reply);
  // A caller that hung up leaves a destroyed socket: nothing more is written to it.
  const writable = () => !raw.writableEnded && !raw.destroyed;
  const send = (payload: unknown) => {
    if (writable()) raw.write(`data: ${JSON.stringify(payload)}\n\n`);
  };
  const keepAlive = setInterval(() => {
    if (writable()) raw.write(': keep-alive\n\n');
  }, app.ctx.config.server.keep_alive_ms);
  let model = first.done ? done!.model_used : first.value.model;
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

  try {
    send(chunk({ role: 'assistant', content: '' }, null));
    if (!first.done) {
      send(chunk({ content: first.value.text }, null));
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        model = next.value.model;
        send(chunk({ content: next.value.text }, null));
      }
    }
    const result = done ?? (await stream.result);
    model = result.model_used;
    annotateRequest(request, { model_used: result.model_used, cost_usd: result.cost_usd });
    send(chunk({}, result.finish_reason));
    if (meta.includeUsage) send({ id: meta.id, object: 'chat.completion.chunk', created: meta.created, model, choices: [], usage: result.usage });
    if (writable()) raw.write('data: [DONE]\n\n');
  } catch (err) {
    const appError = toAppError(err);
    if (req.signal?.aborted) request.log.info('client closed the connection; its model calls were cancelled');
    else if (appError.type === 'internal_error') request.log.error({ err }, 'stream failed');
    else request.log.info({ error_type: appError.type, message: appError.message }, 'stream failed');
    send(errorBody(appError, request.id));
  } finally {
    clearInterval(keepAlive);
    raw.end();
  }
  return reply;
}
