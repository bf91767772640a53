import * as z from 'zod';
import type { Session, SessionSummary, Turn } from './api-types.js';

/** A stored turn as GET /session/{id} returns it (documents the `Turn` contract in OpenAPI). */
export const TurnSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  category: z.enum(['L', 'M', 'H']).nullable().describe('tier the request was sorted into'),
  model_used: z.string().nullable().describe('model that wrote an assistant turn'),
  run_id: z.string().nullable().describe('workflow run behind the answer, for category H'),
  request_id: z.string().nullable(),
  cost_usd: z.number().describe('billed cost of the calls that produced this turn'),
  created_at: z.string().describe('ISO time'),
});

export const SessionSchema = z.object({
  session_id: z.string(),
  created_at: z.string(),
  updated_at: z.string().describe('time of the latest turn'),
  cost_usd: z.number().describe('sum of every billed call of the session, including trimmed turns'),
  turns: z.array(TurnSchema).describe('oldest first'),
});

/** A session in the listing of GET /sessions. */
export const SessionSummarySchema = z.object({
  session_id: z.string(),
  created_at: z.string().describe('ISO time'),
  updated_at: z.string().describe('time of the latest turn'),
  cost_usd: z.number().describe('sum of every billed call of the session, including trimmed turns'),
  turns: z.number().int().describe('turns stored (older ones beyond limits.max_stored_turns are trimmed)'),
});

export const SessionListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('page size (1..100)'),
    cursor: z.string().min(1).max(400).optional().describe('the next_cursor of the previous page'),
  })
  .strict();

export const SessionPageSchema = z.object({
  sessions: z.array(SessionSummarySchema).describe('most recently updated first'),
  next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// Compile-time proof that the schemas and the store's interfaces describe the same shapes.
const turnMatches: Same<z.infer<typeof TurnSchema>, Turn> = true;
const sessionMatches: Same<z.infer<typeof SessionSchema>, Session> = true;
const summaryMatches: Same<z.infer<typeof SessionSummarySchema>, SessionSummary> = true;
void summaryMatches;
void turnMatches;
void sessionMatches;
