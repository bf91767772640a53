import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { OpsActionSchema } from '../../control/ops-action.js';
import { validationError } from '../../errors.js';
import { abortOnDisconnect } from '../operation.js';
import { adminOf } from '../plugins/admin-auth.js';
import { AdminSecurity, ConfigVersionSchema, PatchOperationSchema } from './admin-schemas.js';

const OpsBodySchema = z
  .object({
    text: z.string().min(1).max(2000).optional().describe('what to do, in plain words'),
    confirm: z.string().uuid().optional().describe('the id of a plan to apply'),
  })
  .strict();

const PlanSchema = z.object({
  id: z.string(),
  text: z.string(),
  action: OpsActionSchema,
  source: z.enum(['model', 'parser']).describe("'model': the categorizer's JSON; 'parser': the deterministic reading used when that JSON was not a valid action"),
  base: z.string(),
  target: z.string().describe('the version the change would make active'),
  diff: z.array(PatchOperationSchema),
  summary: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
});

const AppliedSchema = z.object({ plan_id: z.string(), summary: z.string(), version: ConfigVersionSchema.extend({ seq: z.number().optional() }), diff: z.array(PatchOperationSchema) });

/** POST /admin/ops: plain words → a plan (nothing applied); {"confirm": "<plan id>"} applies it. */
export async function adminOpsRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/admin/ops',
    {
      schema: {
        tags: ['admin'],
        security: AdminSecurity,
        summary: 'Config operations in plain words',
        description:
          'With `text`, the categorizer model reads it as one action (rollback to a version by hash, time or "previous", set split weights, pause or resume a canary, enable or disable a schedule), validated against a schema; the answer is a plan with its id and the config diff it would make — nothing is applied. With `confirm` (a plan id) the plan is applied as a config change (409 when the config changed since, or the plan expired or was applied).',
        body: OpsBodySchema,
        response: { 200: z.union([PlanSchema, AppliedSchema]) },
      },
    },
    async (request, reply) => {
      const admin = adminOf(request);
      const actor = { name: admin.name, address: admin.address };
      const { text, confirm } = request.body;
      if ((text === undefined) === (confirm === undefined)) {
        throw validationError('send either "text" (to plan) or "confirm" (a plan id, to apply)', [{ path: 'body', message: 'exactly one of text and confirm' }]);
      }
      if (confirm !== undefined) return app.ctx.ops.confirm(confirm, actor);
      const abort = abortOnDisconnect(reply, () => new Error('client closed the connection'));
      return app.ctx.ops.plan(text!, actor, abort.signal);
    },
  );
}
