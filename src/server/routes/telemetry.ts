import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { AppError } from '../../errors.js';
import { StatsSnapshotSchema } from '../../telemetry/stats-schema.js';
import { TimeseriesQuerySchema, TimeseriesSchema } from '../../telemetry/timeseries-schema.js';

/** GET /stats (JSON counters since start), GET /stats/timeseries (per interval) and GET /metrics (Prometheus text format). */
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
    '/stats/timeseries',
    {
      schema: {
        summary: 'Figures per interval, for charts',
        description:
          'The last hour in 10 s buckets or the last day in 5 min buckets: requests, requests/s, 5xx errors, latency p50/p95, cost, cache hits; in total and by tier, or per model call by model. Held in memory by each replica (fixed-size ring buffers).',
        tags: ['telemetry'],
        querystring: TimeseriesQuerySchema,
        response: { 200: TimeseriesSchema },
      },
    },
    async (request) => app.ctx.timeseries.read(request.query),
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
