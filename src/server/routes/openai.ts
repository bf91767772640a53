import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { notFound } from '../../errors.js';
import { resolveModel } from '../../gateway/fallback.js';
import type { CallContext, GatewayRequest, GatewayResult } from '../../gateway/types.js';
import type { OutputKind } from '../../providers/types.js';
import { annotateRequest } from '../../telemetry/request-log.js';
import { abortOnDisconnect } from '../operation.js';
import { answerAuto } from './openai/auto.js';
import { cacheDirective } from '../../cache/directive.js';
import { completionBody, completionJson, streamCompletion, type StreamMeta } from './openai/completion.js';
import { ChatCompletionRequestSchema, ChatCompletionSchema, type ChatCompletion, ModelListSchema, ModelObjectSchema } from './openai/schema.js';
import { checkFallbacks, checkKnownFields, checkOptions, checkTarget, toMessages, toOptions } from './openai/translate.js';
import { checkAllowance } from '../../control/keys.js';

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
      const abort = abortOnDisconnect(reply, () => new Error('client closed the connection'));
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
      const answered = (result: GatewayResult): ChatCompletion => {
        annotateRequest(request, { model_used: result.model_used, cost_usd: result.cost_usd });
        void reply.header('x-cache', result.cache ?? 'bypass');
        return completionBody(result, meta);
      };
      const direct = (req: GatewayRequest): Promise<ChatCompletion | FastifyReply> => {
        try {
          return body.stream ? streamCompletion(app, request, reply, active.gateway.stream(req), meta) : active.gateway.call(req).then(answered);
        } catch (err) {
          return Promise.reject(err);
        }
      };
      const cancelled = (err: unknown): undefined => {
        if (!abort.aborted) throw err;
        // Nobody is left to answer: not a server error worth an alarm.
        request.log.info('client closed the connection; its model calls were cancelled');
        reply.hijack();
        return undefined;
      };
      // A streamed answer resolves with the hijacked reply, which Fastify leaves alone (as an async handler's return).
      const sent = (answer: Promise<ChatCompletion | FastifyReply>) => (answer as Promise<ChatCompletion>).then(undefined, cancelled);
      // A model the caller named must itself be allowed for its key; a routed one is allowed by its tier too.
      const allow = (what: { tier?: string; model?: string }) => checkAllowance(request.clientKey, what);
      try {
        if (body.model !== 'auto') {
          allow({ model: body.model });
          const req = build(body.model, 'text');
          if (!body.stream) return active.gateway.call(req).then(answered, cancelled);
          return sent(direct(req));
        }
        const directOnly = Object.keys(options).length > 0 || maxTokens !== undefined || body.temperature != null;
        return sent(answerAuto(app, request, reply, { messages, directOnly, stream: body.stream === true, meta, build, direct, gateway: active.gateway, allow }));
      } catch (err) {
        return Promise.reject(err).then(undefined, cancelled);
      }
    },
  );
}
