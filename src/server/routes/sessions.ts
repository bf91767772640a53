import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { notFound } from '../../errors.js';
import { SessionListQuerySchema, SessionPageSchema, SessionSchema } from '../../store/session-schema.js';
import { SessionIdSchema } from '../../store/session-id.js';

const Params = z.object({ id: SessionIdSchema });

/** GET /sessions (the list), GET and DELETE /session/{id}: a session's history, and forgetting it. */
export async function sessionRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/sessions',
    {
      schema: {
        summary: 'List sessions',
        description:
          'Sessions most recently updated first, without their turns (`turns` counts them): `{"sessions": [...], "next_cursor": "..." | null}` — pass next_cursor as `cursor` for the next page.',
        tags: ['sessions'],
        querystring: SessionListQuerySchema,
        response: { 200: SessionPageSchema },
      },
    },
    async (request) => app.ctx.stores.sessions.list(request.query),
  );

  r.get(
    '/session/:id',
    {
      schema: {
        summary: 'Session history',
        description: 'The turns of a session in order, with the category, model, run and cost of each.',
        tags: ['sessions'],
        params: Params,
        response: { 200: SessionSchema },
      },
    },
    async (request) => {
      const session = await app.ctx.stores.sessions.get(request.params.id);
      if (!session) throw notFound(`session '${request.params.id}'`);
      return session;
    },
  );

  r.delete(
    '/session/:id',
    {
      schema: {
        summary: 'Delete a session',
        description: 'Removes the session and all its turns.',
        tags: ['sessions'],
        params: Params,
        response: { 204: z.null().describe('deleted') },
      },
    },
    async (request, reply) => {
      const removed = await app.ctx.stores.sessions.delete(request.params.id);
      if (!removed) throw notFound(`session '${request.params.id}'`);
      return reply.code(204).send(null);
    },
  );
}
