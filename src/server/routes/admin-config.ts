import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { ConfigVersion } from '../../store/control-types.js';
import { adminOf } from '../plugins/admin-auth.js';
import { AdminSecurity, ConfigVersionSchema, HashSchema, PageQuerySchema, PatchOperationSchema, pageOf } from './admin-schemas.js';
import { ChangeAnswerSchema, DocumentSchema, VersionItemSchema } from './config-schemas.js';

const ChangeBodySchema = z
  .object({
    patch: z.array(PatchOperationSchema).max(1000).optional().describe('RFC 6902 operations against the `base` version'),
    config: DocumentSchema.optional().describe('a full config document (instead of a patch)'),
    base: HashSchema.optional().describe('the version the change was written against (required with patch); 409 when it is no longer active'),
    message: z.string().max(1000).optional().describe('why: shown in the version list and the audit log'),
    dry_run: z.boolean().default(false).describe('validate and return the diff and every problem without applying'),
  })
  .strict();

const RollbackBodySchema = z.object({ to: HashSchema, message: z.string().max(1000).optional() }).strict();

const publicVersion = ({ hash, parent, author, message, created_at }: ConfigVersion) => ({ hash, parent, author, message, created_at });

/**
 * /admin/config: the active version, the version history, diffs between versions,
 * changes (a full document or a JSON Patch against a base hash, with dry runs) and
 * rollback. Admin keys only (admin-auth.ts); every change lands in the audit log.
 */
export async function adminConfigRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const control = app.ctx.control;
  const common = { tags: ['admin'], security: AdminSecurity };

  r.get(
    '/admin/config',
    {
      schema: {
        ...common,
        summary: 'The active config version and its document',
        response: { 200: z.object({ version: ConfigVersionSchema, document: DocumentSchema }) },
      },
    },
    async () => {
      const { version, document } = await control.active();
      return { version: publicVersion(version), document: document as Record<string, unknown> };
    },
  );

  r.get(
    '/admin/config/versions',
    {
      schema: {
        ...common,
        summary: 'Config versions, newest first',
        querystring: PageQuerySchema,
        response: { 200: pageOf(VersionItemSchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const found = await control.listVersions(cursor === undefined ? undefined : Number(cursor), limit);
      return { items: found.items.map((v) => ({ ...publicVersion(v), active: v.active })), next_cursor: found.next_cursor };
    },
  );

  r.get(
    '/admin/config/versions/:hash',
    {
      schema: {
        ...common,
        summary: 'One config version and its document',
        params: z.object({ hash: HashSchema }),
        response: { 200: z.object({ version: ConfigVersionSchema, document: DocumentSchema, active: z.boolean() }) },
      },
    },
    async (request) => {
      const found = await control.getVersion(request.params.hash);
      return { version: publicVersion(found.version), document: found.document as Record<string, unknown>, active: found.active };
    },
  );

  r.get(
    '/admin/config/diff',
    {
      schema: {
        ...common,
        summary: 'RFC 6902 JSON Patch from one version to another',
        querystring: z.object({ from: HashSchema, to: HashSchema }),
        response: { 200: z.object({ from: HashSchema, to: HashSchema, diff: z.array(PatchOperationSchema) }) },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      return { from, to, diff: await control.diff(from, to) };
    },
  );

  r.post(
    '/admin/config',
    {
      schema: {
        ...common,
        summary: 'Change the config without a restart',
        description:
          'A full document (`config`) or an RFC 6902 `patch` against `base` (the active hash; 409 `conflict` when another change landed first). The new version is validated exactly as at startup (every problem with its path, 400) and swapped in atomically: requests and runs already going keep their version, new ones use this one. `dry_run: true` returns the diff and the problems without applying.',
        body: ChangeBodySchema,
        response: { 200: ChangeAnswerSchema },
      },
    },
    async (request) => {
      const admin = adminOf(request);
      const outcome = await control.change(request.body, { name: admin.name, address: admin.address });
      return { ...outcome, version: publicVersion(outcome.version), diff: outcome.diff };
    },
  );

  r.post(
    '/admin/config/rollback',
    {
      schema: {
        ...common,
        summary: 'Make an earlier config version active again',
        description: 'The version is validated again (the environment may have changed) and swapped in like any change; the audit log records who rolled back from what.',
        body: RollbackBodySchema,
        response: { 200: ChangeAnswerSchema },
      },
    },
    async (request) => {
      const admin = adminOf(request);
      const outcome = await control.rollback(request.body.to, request.body.message, { name: admin.name, address: admin.address });
      return { version: publicVersion(outcome.version), diff: outcome.diff };
    },
  );
}
