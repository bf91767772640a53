import * as z from 'zod';
import { ConfigVersionSchema, PatchOperationSchema, ProblemSchema } from './admin-schemas.js';

/**
 * What the /admin/config routes answer (admin-config.ts). Zod only, no runtime imports, so the
 * console (ui/) imports the inferred types type-only.
 */

export const DocumentSchema = z.record(z.string(), z.unknown()).describe('the config document as written: secrets appear as ${ENV_NAME} references, never values');

export const ChangeAnswerSchema = z.object({
  version: ConfigVersionSchema,
  diff: z.array(PatchOperationSchema).describe('RFC 6902 patch from the previous active version to this one'),
  dry_run: z.boolean().optional(),
  valid: z.boolean().optional().describe('dry runs: whether the change would apply'),
  problems: z.array(ProblemSchema).optional().describe('dry runs: every problem, with its path'),
});

export const VersionItemSchema = ConfigVersionSchema.extend({ active: z.boolean() });

export type ConfigVersionAnswer = z.infer<typeof ConfigVersionSchema>;
export type ConfigDocument = z.infer<typeof DocumentSchema>;
export type ChangeAnswer = z.infer<typeof ChangeAnswerSchema>;
export type VersionItem = z.infer<typeof VersionItemSchema>;
export type { PatchOperation } from '../../control/patch-schema.js';
export type Problem = z.infer<typeof ProblemSchema>;
