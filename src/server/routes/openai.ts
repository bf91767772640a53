import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { notFound } from '../../errors.js';
import { resolveModel } from '../../gateway/fallback.js';
import type { CallContext, Gateway, GatewayRequest, GatewayResult } from '../../gateway/types.js';
import type { OutputKind } from '../../providers/types.js';
import { annotateRequest } from '../../telemetry/request-log.js';
import { abortOnDisconnect } from '../operation.js';
import { answerAuto } from './openai/auto.js';
import { cacheDirective } from '../../cache/directive.js';
import { completionBody, completionJson, streamCompletion, type StreamMeta } from './openai/completion.js';
import { ChatCompletionRequestSchema, ChatCompletionSchema, type ChatCompletion, ModelListSchema, ModelObjectSchema } from './openai/schema.js';
import { checkFallbacks, checkKnownFields, checkOptions, checkTarget, toMessages, toOptions } from './openai/translate.js';
import { checkAllowance } from '../../control/keys.js';

/** The abort reason when the caller hangs up before its answer. */
const clientClosed = () => new Error('client closed the connection');

/** A model's answer as the 200 body; its model and cost go on the request's log line. */
function answered(request: FastifyRequest, reply: FastifyReply, result: GatewayResult, meta: StreamMeta): ChatCompletion {
  annotateRequest(request, { model_used: result.model_used, cost_usd: result.cost_usd });
  void reply.header('x-cache', result.cache ?? 'bypass');
  return completionBody(result, meta);
}

/** One model's answer as an event stream: resolves with the hijacked reply; a throw before the stream opens rejects. */
function streamed(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, gateway: Gateway, req: GatewayRequest, meta: StreamMeta): Promise<FastifyReply> {
  try {
    return streamCompletion(app, request, reply, gateway.stream(req), meta);
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * The OpenAI-compatible API: POST /v1/chat/completions, GET /v1/models and
 * GET /v1/models/{id}, so the official SDKs and LangChain work unchanged. The
 * route only validates and translates (openai/translate.ts); every model call
 * goes through the gateway. Errors here use OpenAI's body (plugins/openai-errors.ts).
 */
export async function openaiRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = app.ctx;
  const created = () => Math.floor(ctx.startedAt / 1000);
  const modelObject = (id: string, owner: string) => ({ id, object: 'model' as const, created: created(), owned_by: owner });

  r.get('/v1/models', { schema: { summary: 'Models, OpenAI-style', tags: ['openai'], response: { 200: ModelListSchema } } }, async () => ({
    object: 'list' as const,
    data: [modelObject('auto', 'master-orchestrator'), ...Object.entries(ctx.runtime.current().config.models).map(([key, m]) => modelObject(key, m.provider))],
  }));

  r.get(
    '/v1/models/*',
    {
      schema: {
        summary: 'One model, OpenAI-style',
        description: 'A configured model key, `auto`, or `<provider>/<provider model id>` of a configured provider (the id may contain slashes).',
        tags: ['openai'],
        params: z.object({ '*': z.string().min(1).max(300) }),
        response: { 200: ModelObjectSchema },
      },
    },
    async (request) => {
      const id = request.params['*'];
      if (id === 'auto') return modelObject('auto', 'master-orchestrator');
      const model = resolveModel(ctx.runtime.current().config, id);
      if (!model) throw notFound(`model '${id}'`);
      return modelObject(id, model.provider);
    },
  );

  r.post(
    '/v1/chat/completions',
    {
      schema: {
        summary: 'Chat completion, OpenAI-compatible (stream or not)',
        description:
          'The Chat Completions request surface: sampling and format fields, tools and tool calls are forwarded to OpenAI-compatible providers and mapped for Gemini; a field the target cannot honour is a 400 naming it. With `stream: true` the answer is `text/event-stream` of `chat.completion.chunk` objects ending with `data: [DONE]`.',
        tags: ['openai'],
        body: ChatCompletionRequestSchema,
        response: { 200: ChatCompletionSchema },
      },
      // completionBody builds exactly the schema's fields: written by JSON.stringify, not encoded by zod first.
      serializerCompiler: completionJson,
    },
    // Not an async function: the answer is one promise chain from the gateway's result to the reply.
    (request, reply) => {
      const body = request.body;
      // The config version this request keeps to its end (also named in x-config-version).
      const active = ctx.runtime.current();
      void reply.header('x-config-version', active.hash);
      checkKnownFields(body);
      const cache = cacheDirective(body.cache, request.headers['cache-control']);
      // A streamed answer's headers leave before its outcome is known: there only a bypass is certain.
      if (cache === false) void reply.header('x-cache', 'bypass');
      const messages = toMessages(body, active.config.limits);
      const options = toOptions(body);
      checkOptions(options);
      checkFallbacks(active.config, body.fallbacks);
      if (body.model !== 'auto') checkTarget(active.config, active.adapters, body.model, messages, options);
      // A caller that hangs up cancels its model calls.
      const abort = abortOnDisconnect(reply, clientClosed);
      const meta: StreamMeta = {
        id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
        created: Math.floor(ctx.clock.now() / 1000),
        includeUsage: body.stream_options?.include_usage === true,
        abort,
      };
      const deadline = ctx.clock.now() + active.config.limits.default_timeout_s * 1000;
      const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
      const format = options.response_format?.type;
      const context: CallContext = { request_id: request.id };
      if (request.clientKey) context.key_id = request.clientKey.id;
      if (cache !== undefined) context.cache = cache;
      const build = (model: string, kind: OutputKind): GatewayRequest => ({
        model,
        fallbacks: body.fallbacks,
        kind,
        messages,
        max_tokens: maxTokens,
        default_max_tokens: false,
        temperature: body.temperature ?? undefined,
        json: format === 'json_object' || format === 'json_schema',
        options,
        signal: abort,
        deadline,
        context,
      });
      const cancelled = (err: unknown): undefined => {
        if (!abort.aborted) throw err;
        // Nobody is left to answer: not a server error worth an alarm.
        request.log.info('client closed the connection; its model calls were cancelled');
        reply.hijack();
        return undefined;
      };
      try {
        if (body.model !== 'auto') {
          // A model the caller named must itself be allowed for its key.
          checkAllowance(request.clientKey, { model: body.model });
          const req = build(body.model, 'text');
          if (!body.stream) return active.gateway.call(req).then((result) => answered(request, reply, result, meta), cancelled);
          // A streamed answer resolves with the hijacked reply, which Fastify leaves alone (as an async handler's return).
          return streamed(app, request, reply, active.gateway, req, meta).then(undefined, cancelled);
        }
        // The closures only the `auto` route needs are made on its path alone.
        const directOnly = Object.keys(options).length > 0 || maxTokens !== undefined || body.temperature != null;
        const stream = body.stream === true;
        const gateway = active.gateway;
        return (
          answerAuto(app, request, reply, {
            messages,
            directOnly,
            stream,
            meta,
            build,
            direct: (req) => (stream ? streamed(app, request, reply, gateway, req, meta) : gateway.call(req).then((result) => answered(request, reply, result, meta))),
            gateway,
            // A routed model is allowed by its tier too.
            allow: (what) => checkAllowance(request.clientKey, what),
          }) as Promise<ChatCompletion>
        ).then(undefined, cancelled);
      } catch (err) {
        return Promise.reject(err).then(undefined, cancelled);
      }
    },
  );
}
