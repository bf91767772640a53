import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ChatRequestSchema } from '../../orchestrator/requests.js';
import { serveOperation } from '../operation.js';
import { checkAllowance } from '../../control/keys.js';
import { cacheDirective } from '../../cache/directive.js';

/** POST /chat: categorize, then answer directly (L/M) or through a generated workflow (H). */
export async function chatRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/chat',
    {
      schema: {
        summary: 'Chat',
        description:
          'Sorts the message into tier L, M or H and answers it: L and M with one model call, H with a generated and executed workflow (`workflow` holds the plan and its run). Images go to the vision model; requests to create an image or video go to the generation models. With `stream: true` the answer is Server-Sent Events: categorized, plan_ready, task_started, task_retry, task_completed, task_failed, token, then completed or error.',
        tags: ['chat'],
        body: ChatRequestSchema,
      },
    },
    async (request, reply) => {
      app.ctx.webhooks.checkCallbackUrl(request.body.callback_url);
      const cache = cacheDirective(request.body.cache, request.headers['cache-control']);
      // A streamed answer's headers leave before its outcome is known: there only a bypass is certain.
      if (cache === false) void reply.header('x-cache', 'bypass');
      return serveOperation(request, reply, request.body.stream, (signal, emit) =>
        app.ctx.orchestrator.chat({ ...request.body, cache }, {
          request_id: request.id,
          key_id: request.clientKey?.id,
          signal,
          emit,
          allow: request.clientKey ? (what) => checkAllowance(request.clientKey, what) : undefined,
        }).then((response) => {
          if (!request.body.stream) void reply.header('x-cache', response.cache);
          return response;
        }),
      );
    },
  );
}
