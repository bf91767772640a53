import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { MissedFirePolicySchema } from '../../config/schema.js';

const RunStatusSchema = z.enum(['queued', 'running', 'completed', 'partial', 'failed', 'cancelled', 'timed_out']);

/** The body of GET /schedules (also its OpenAPI description). */
export const SchedulesResponseSchema = z.object({
  schedules: z.array(
    z.object({
      name: z.string(),
      cron: z.string(),
      timezone: z.string(),
      template: z.string(),
      variables: z.record(z.string(), z.string()),
      enabled: z.boolean(),
      missed_fire: MissedFirePolicySchema,
      next_fire_at: z.string().nullable().describe('ISO time of the next fire; null when disabled'),
      last_run: z
        .object({
          fired_at: z.string().describe('ISO time of the fire'),
          run_id: z.string().nullable().describe('null until the run has started'),
          status: RunStatusSchema.nullable().describe("the run's status now; null when its record is gone"),
        })
        .nullable()
        .describe('the last fire that started a run'),
    }),
  ),
});

/** GET /schedules. */
export async function scheduleRoutes(app: FastifyInstance): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/schedules',
    {
      schema: {
        summary: 'Configured schedules',
        description:
          'Every schedule of orchestration_config.json with its next fire time and its last run. Each fire starts one template run across the whole fleet; fires are ordinary runs (GET /runs/{id}, webhooks, stats).',
        tags: ['schedules'],
        response: { 200: SchedulesResponseSchema },
      },
    },
    async () => ({ schedules: await app.ctx.schedules.list() }),
  );
}
