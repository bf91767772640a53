import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { StatsSnapshotSchema } from '../../telemetry/stats-schema.js';

/** GET /stats (JSON counters since start) and GET /metrics (Prometheus text format). */
export async function telemetryRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/stats',
    {
      schema: {
        summary: 'Counters since start',
        description:
          'Requests by endpoint and category, categorizer sources, workflows by status, queue, and per model: calls, failures by kind, retries, fallbacks, breaker, latency percentiles, tokens and cost.',
        tags: ['telemetry'],
        response: { 200: StatsSnapshotSchema },
      },
    },
    async () => app.ctx.stats.snapshot(),
  );

  r.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description: 'Prometheus text exposition format; 404 when monitoring.metrics_enabled is false.',
        tags: ['telemetry'],
        produces: ['text/plain'],
        response: { 200: z.string().describe('Prometheus text format') },
      },
    },
    async (_request, reply) => {
      if (!app.ctx.config.monitoring.metrics_enabled) throw new AppError('not_found', 'metrics are disabled');
      const text = await app.ctx.metrics.render();
      return reply.type(app.ctx.metrics.contentType).send(text);
    },
  );
}
