import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { notFound } from '../../errors.js';
import { streamRunEvents } from '../../runs/event-stream.js';
import { RunEventsQuerySchema, RunIdParamsSchema, RunListQuerySchema } from '../../runs/run-requests.js';

const RECORD_NOTE =
  'A run record: status, output, variables, per task status, `output_variable` (its value is in `variables`), `references` (the {{variables}} its prompt uses), `prompt` (after substitution, once started), model, `attempts` (each try: replica, started_at, status), `calls`, `replica`, usage and cost; `resumed` (times it resumed after its replica stopped) and `cancelled_by`.';

/** GET /runs, GET /runs/{run_id}, POST /runs/{run_id}/cancel, GET /runs/{run_id}/events. */
export async function runRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/runs',
    {
      schema: {
        summary: 'List runs',
        description: `Runs newest first, filtered by status, workflow, session and start time; \`{"runs": [...], "next_cursor": "..." | null}\` — pass next_cursor as \`cursor\` for the next page. ${RECORD_NOTE}`,
        tags: ['runs'],
        querystring: RunListQuerySchema,
      },
    },
    async (request) => app.ctx.stores.runs.list(request.query),
  );

  r.get(
    '/runs/:run_id',
    {
      schema: {
        summary: 'A workflow run',
        description: `The record of a run, also while it is still queued or running. ${RECORD_NOTE} \`webhooks\` lists every delivery attempt of its webhooks as \`{event, url, status_code, at}\` (status_code null when no response came, with \`error\` saying why).`,
        tags: ['runs'],
        params: RunIdParamsSchema,
      },
    },
    async (request) => {
      const run = await app.ctx.stores.runs.get(request.params.run_id);
      if (!run) throw notFound(`run '${request.params.run_id}'`);
      return { ...run, webhooks: await app.ctx.webhooks.attempts(run.run_id) };
    },
  );

  r.post(
    '/runs/:run_id/cancel',
    {
      schema: {
        summary: 'Cancel a run',
        description:
          'Cancels a queued or running run wherever it runs: its in-flight model calls are aborted, it ends `cancelled` with `cancelled_by: "api"`, and the answer is its record. A run that already ended is returned unchanged.',
        tags: ['runs'],
        params: RunIdParamsSchema,
      },
    },
    async (request) => {
      const run = await app.ctx.runs.cancel(request.params.run_id, 'api');
      if (!run) throw notFound(`run '${request.params.run_id}'`);
      return run;
    },
  );

  r.get(
    '/runs/:run_id/events',
    {
      schema: {
        summary: "A run's events (Server-Sent Events)",
        description:
          "Every event of the run from the start (run_queued, task_started, task_retry, task_completed, task_failed, token, run_resumed, run_handed_back, …), then live, from any replica; the last is always `completed` (the final record, whatever the status). Each message has an `id:`; reconnect with `Last-Event-ID` (or `?last_event_id=`) to get only what came after it, exactly once.",
        tags: ['runs'],
        params: RunIdParamsSchema,
        querystring: RunEventsQuerySchema,
      },
    },
    async (request, reply) => {
      const { run_id } = request.params;
      const header = request.headers['last-event-id'];
      const afterId = (typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined) ?? request.query.last_event_id ?? null;
      const run = await app.ctx.stores.runs.get(run_id);
      if (!run) throw notFound(`run '${run_id}'`);
      // Read before taking the response over, so a bad Last-Event-ID is still a plain 400.
      const first = await app.ctx.stores.events.read(run_id, afterId, 500);
      await streamRunEvents(reply, app.ctx.stores.events, run_id, { afterId, first }, app.ctx.config.server.keep_alive_ms);
      return reply;
    },
  );
}
