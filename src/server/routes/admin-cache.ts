import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { adminOf } from '../plugins/admin-auth.js';
import { AdminSecurity } from './admin-schemas.js';

const ClearedSchema = z.object({ removed: z.number().int().nonnegative().describe('answers removed from the response cache') });

/** DELETE /admin/cache: empties the response cache (in Redis mode, for every replica); audited as cache.clear. */
export async function adminCacheRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.delete(
    '/admin/cache',
    {
      schema: {
        tags: ['admin'],
        security: AdminSecurity,
        summary: 'Clear the response cache',
        description: 'Removes every cached answer. In shared mode (Redis) the cache is shared, so this clears it for every replica.',
        response: { 200: ClearedSchema },
      },
    },
    async (request) => {
      const removed = await app.ctx.cache.clear();
      await app.ctx.control.audit(adminOf(request), 'cache.clear', null, `cleared the response cache (${removed} answers)`, { removed });
      return { removed };
    },
  );
}
