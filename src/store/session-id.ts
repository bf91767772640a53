import * as z from 'zod';

/**
 * A session id as callers may send it: short, URL- and log-safe. Shared by the
 * session routes and the chat/workflow request bodies so both accept the same ids.
 */
export const SessionIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'session ids may contain only letters, digits, "_" and "-"')
  .describe('session id: 1-128 characters of A-Z, a-z, 0-9, "_" and "-"');

export type SessionId = z.infer<typeof SessionIdSchema>;
