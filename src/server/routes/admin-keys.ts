import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { CreateKeySchema, UpdateKeySchema } from '../../control/keys.js';
import { adminOf } from '../plugins/admin-auth.js';
import { AdminSecurity, pageOf } from './admin-schemas.js';

const KeySchema = z.object({
  id: z.string(),
  name: z.string(),
  models: z.array(z.string()).nullable().describe('allowed model keys and tiers; null: all'),
  rpm: z.number().int().nullable().describe('requests per minute; null: no limit'),
  budgets: z.object({ day_usd: z.number().nullable(), month_usd: z.number().nullable() }).describe('USD per UTC day and month'),
  prefix: z.string().describe('the first characters of the key, to tell keys apart'),
  created_at: z.string(),
  updated_at: z.string(),
});
const KeyWithSpendSchema = KeySchema.extend({
  spend: z.object({ day_usd: z.number(), month_usd: z.number() }).describe('recorded spend in the current UTC day and month (same cost figures as /stats)'),
});
const IdParams = z.object({ id: z.string().regex(/^key_[A-Za-z0-9]{1,64}$/, 'a key id (key_…)') });
const KeyPageQuery = z.object({
  cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('items per page (1-100)'),
});

/**
 * /admin/keys: client keys with budgets. A key (`mo_…`) is shown once, at
 * creation; the server keeps only its SHA-256. Admin keys only (admin-auth.ts);
 * every change is in the audit log.
 */
export async function adminKeyRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const keys = app.ctx.clientKeys;
  const common = { tags: ['admin'], security: AdminSecurity };
  const audit = (request: Parameters<typeof adminOf>[0], action: string, target: string, message: string, details: Record<string, unknown> = {}) =>
    app.ctx.control.audit(adminOf(request), action, target, message, details);

  r.post(
    '/admin/keys',
    {
      schema: {
        ...common,
        summary: 'Create a client key',
        description: 'Answers the key once (`key`, `mo_…`); store it, it cannot be shown again. Once any client key exists, client requests need a key.',
        body: CreateKeySchema,
        response: { 201: KeySchema.extend({ key: z.string().describe('the secret, shown only now') }) },
      },
    },
    async (request, reply) => {
      const { key, secret } = await keys.create(request.body);
      await audit(request, 'key.create', key.id, `created key '${key.name}'`, { models: key.models, rpm: key.rpm, budgets: key.budgets });
      return reply.code(201).send({ ...key, key: secret });
    },
  );

  r.get(
    '/admin/keys',
    { schema: { ...common, summary: 'Client keys, in creation order', querystring: KeyPageQuery, response: { 200: pageOf(KeySchema) } } },
    async (request) => keys.list(request.query),
  );

  r.get(
    '/admin/keys/:id',
    { schema: { ...common, summary: 'A client key and its spend', params: IdParams, response: { 200: KeyWithSpendSchema } } },
    async (request) => keys.get(request.params.id),
  );

  r.patch(
    '/admin/keys/:id',
    {
      schema: {
        ...common,
        summary: 'Change a client key',
        description: 'Fields left out keep their value; `null` removes a limit.',
        params: IdParams,
        body: UpdateKeySchema,
        response: { 200: KeyWithSpendSchema },
      },
    },
    async (request) => {
      const updated = await keys.update(request.params.id, request.body);
      await audit(request, 'key.update', updated.id, `changed key '${updated.name}'`, { change: request.body });
      return updated;
    },
  );

  r.delete(
    '/admin/keys/:id',
    { schema: { ...common, summary: 'Revoke a client key', params: IdParams, response: { 204: z.null() } } },
    async (request, reply) => {
      const key = await keys.get(request.params.id);
      await keys.delete(key.id);
      await audit(request, 'key.delete', key.id, `revoked key '${key.name}'`);
      return reply.code(204).send(null);
    },
  );
}
