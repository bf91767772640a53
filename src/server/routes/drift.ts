import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { DriftReportSchema } from '../../telemetry/drift/series-schema.js';

/** GET /drift: every drift series this replica tracks, judged now (src/telemetry/drift/). */
export async function driftRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/drift',
    {
      schema: {
        summary: 'Drift: baseline vs recent behaviour per model, tier and the categorizer',
        description:
          'Per series (subject and metric): the frozen baseline, the recent window, the statistic comparing them, the state (ok, warn, alert from drift.thresholds) and since when. Baselines are stored (shared in Redis mode); recent windows are this replica\'s own traffic.',
        tags: ['telemetry'],
        response: { 200: DriftReportSchema },
      },
    },
    async () => ({ series: app.ctx.drift.series() }),
  );
}
