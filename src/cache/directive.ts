import * as z from 'zod';
import type { CacheDirective } from './types.js';

/** The `cache` request field of /chat and /v1/chat/completions (an extension field there). */
export const CacheDirectiveSchema = z
  .union([z.literal(false), z.object({ ttl_s: z.number().positive().max(31_536_000).describe('seconds the answer may be reused') }).strict()])
  .optional()
  .describe('response cache: false bypasses it, {ttl_s} caches this request\'s answers that long (otherwise the model\'s cache.ttl_s); header Cache-Control: no-cache also bypasses');

/** The request's directive: `Cache-Control: no-cache` (or no-store) wins over the body's field. */
export function cacheDirective(field: CacheDirective | undefined, cacheControl: string | string[] | undefined): CacheDirective | undefined {
  const header = Array.isArray(cacheControl) ? cacheControl.join(',') : (cacheControl ?? '');
  if (/(^|,)\s*no-(cache|store)\s*(,|$)/i.test(header)) return false;
  return field;
}
