import * as z from 'zod';

// Zod only, apart from json-patch.ts (which reaches node types), so the console can import the type.

/** One RFC 6902 operation, as requests send it and diffs answer it. */
export const PatchOperationSchema = z
  .object({
    op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
    path: z.string().describe('JSON Pointer (RFC 6901), e.g. /routing/tiers/M/model'),
    value: z.unknown().optional(),
    from: z.string().optional(),
  })
  .describe('one RFC 6902 operation');

export type PatchOperation = z.infer<typeof PatchOperationSchema>;
