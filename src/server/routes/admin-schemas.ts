import * as z from 'zod';

/** Shapes the admin routes share: pages, cursors, versions, patches. Zod only (the console imports types from here). */

export const HashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a config version hash: 64 lowercase hex characters');

export const PageQuerySchema = z.object({
  cursor: z.string().regex(/^[1-9][0-9]{0,15}$/, 'a cursor from next_cursor').optional().describe('next_cursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('items per page (1-100)'),
});

/** `next_cursor` fetches the next (older) page; null on the last one. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export const ConfigVersionSchema = z.object({
  hash: HashSchema.describe('SHA-256 of the canonical JSON (RFC 8785) of the document'),
  parent: z.string().nullable().describe('the version active when this one was made'),
  author: z.string().describe("admin key name, 'file' or 'system'"),
  message: z.string(),
  created_at: z.string().describe('ISO 8601'),
});

export { PatchOperationSchema } from '../../control/patch-schema.js';

export const ProblemSchema = z.object({ path: z.string(), message: z.string() });

export const AdminSecurity = [{ bearerAuth: [] }];
