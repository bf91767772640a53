import * as z from 'zod';

/** Where weighted arms may stand in the config (JSON paths, dotted). */
export const SPLIT_PATHS = ['routing.tiers.L.model', 'routing.tiers.M.model', 'routing.tiers.H.model', 'routing.planner', 'routing.strongest', 'routing.default_task_model'] as const;

const modelKey = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a model key');
const splitPath = z.string().describe(`the split's path, e.g. routing.tiers.M.model (${SPLIT_PATHS.join(', ')})`);

/**
 * The structured actions POST /admin/ops understands — what the categorizer model is
 * asked to answer (JSON), validated here before anything is planned.
 */
export const OpsActionSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('rollback'),
      to: z.string().regex(/^[0-9a-f]{7,64}$/, 'a version hash or its first 7+ characters').optional(),
      at: z.iso.datetime({ offset: true }).optional().describe('roll back to the version that was active at this time'),
      previous: z.boolean().optional().describe('roll back to the version active before the current one'),
      model: modelKey.optional().describe("only this model's definition goes back; the rest stays"),
    })
    .strict()
    .refine((a) => [a.to, a.at, a.previous].filter((x) => x !== undefined && x !== false).length === 1, {
      message: 'name exactly one of: to (a hash), at (a time), previous (true)',
    }),
  z.object({ action: z.literal('set_split_weights'), split: splitPath, weights: z.record(modelKey, z.number().nonnegative()) }).strict(),
  z.object({ action: z.literal('pause_canary'), split: splitPath, model: modelKey }).strict(),
  z.object({ action: z.literal('resume_canary'), split: splitPath, model: modelKey }).strict(),
  z.object({ action: z.literal('enable_schedule'), schedule: z.string().min(1) }).strict(),
  z.object({ action: z.literal('disable_schedule'), schedule: z.string().min(1) }).strict(),
]);

export type OpsAction = z.infer<typeof OpsActionSchema>;
