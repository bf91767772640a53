import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { AdminSecurity, PageQuerySchema, pageOf } from './admin-schemas.js';

const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string().describe('ISO 8601'),
  actor: z.string().describe("admin key name, 'file' or 'system'"),
  address: z.string().nullable().describe("the caller's IP address; null for the server's own changes"),
  action: z.string().describe('e.g. config.apply, config.rollback, config.file'),
  target: z.string().nullable(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
});

/** GET /admin/audit: every admin change, newest first — who, when, what, from which address. */
export async function adminAuditRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/admin/audit',
    {
      schema: { tags: ['admin'], security: AdminSecurity, summary: 'The audit log, newest first', querystring: PageQuerySchema, response: { 200: pageOf(AuditEntrySchema) } },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      return app.ctx.control.listAudit(cursor === undefined ? undefined : Number(cursor), limit);
    },
  );
}
