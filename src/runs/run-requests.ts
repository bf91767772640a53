import * as z from 'zod';

/**
 * Query and parameters of the /runs routes (GET /runs, GET /runs/{id},
 * POST /runs/{id}/cancel, GET /runs/{id}/events): one zod schema each, for
 * validation and the OpenAPI document.
 */

const STATUSES = ['queued', 'running', 'completed', 'partial', 'failed', 'cancelled', 'timed_out'] as const;

export const RunIdParamsSchema = z.object({ run_id: z.string().min(1).max(100) });

export const RunListQuerySchema = z
  .object({
    status: z.enum(STATUSES).optional().describe('only runs in this status'),
    workflow: z.string().min(1).max(100).optional().describe("only runs of this workflow (its name: a template's, or the inline workflow's)"),
    session_id: z.string().min(1).max(128).optional().describe('only runs of this session'),
    since: z.string().min(1).max(40).optional().describe('ISO 8601: runs started at or after this time'),
    until: z.string().min(1).max(40).optional().describe('ISO 8601: runs started before this time'),
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('page size (1..100)'),
    cursor: z.string().min(1).max(400).optional().describe('the next_cursor of the previous page'),
  })
  .strict();

export const RunEventsQuerySchema = z
  .object({
    last_event_id: z.string().min(1).max(100).optional().describe('resume after this event id (the Last-Event-ID header wins)'),
  })
  .strict();

export type RunListQuery = z.infer<typeof RunListQuerySchema>;
