import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';

const CircuitStateSchema = z.enum(['closed', 'open', 'half_open']);

export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']),
  version: z.string(),
  config_version: z.string().describe('hash of the config version this replica serves new requests with'),
  uptime_s: z.number(),
  draining: z.boolean(),
  providers: z.record(
    z.string(),
    z.object({
      mode: z.enum(['live', 'simulated']),
      queued: z.number().describe('calls waiting for the rate limiter'),
      running: z.number().describe('calls in flight'),
      reservoir: z.number().nullable().describe('starts still allowed in the current minute'),
      limits: z
        .object({ requests_per_minute: z.number(), max_concurrent: z.number() })
        .describe('the configured rate_limits the figures above count against'),
    }),
  ),
  models: z.record(z.string(), z.object({ provider: z.string(), circuit: CircuitStateSchema })),
  store: z.object({ status: z.enum(['ok', 'error']), driver: z.string(), message: z.string().optional() }),
  workflows: z.object({ running: z.number(), queued: z.number() }),
  replicas: z
    .array(z.object({ replica: z.string(), config_version: z.string(), seen_at: z.string() }))
    .optional()
    .describe('shared mode: every live replica and the config version hash it runs, as each last reported it (every 10 s and on each change); more than one hash = a mixed fleet'),
});

/** Liveness (`/`) and detailed health (`/health`, 503 when the server should not get traffic). */
export async function metaRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = app.ctx;

  r.get(
    '/',
    {
      schema: {
        summary: 'Liveness',
        tags: ['meta'],
        response: { 200: z.object({ name: z.string(), version: z.string(), status: z.literal('ok') }) },
      },
    },
    async () => ({ name: 'master-orchestrator', version: ctx.version, status: 'ok' as const }),
  );

  r.get(
    '/health',
    { schema: { summary: 'Detailed health', tags: ['meta'], response: { 200: HealthSchema, 503: HealthSchema } } },
    async (_request, reply) => {
      const active = ctx.runtime.current();
      const [gateway, store, replicas] = await Promise.all([
        active.gateway.health(),
        ctx.stores.health(),
        // Redis being away is the store's status to report, not a reason to fail /health.
        ctx.configFleet?.().catch(() => undefined),
      ]);
      const anyOpen = Object.values(gateway.models).some((m) => m.circuit !== 'closed');
      const serving = !ctx.draining && store.status === 'ok';
      const body = {
        status: serving ? (anyOpen ? ('degraded' as const) : ('ok' as const)) : ('unavailable' as const),
        version: ctx.version,
        config_version: active.hash,
        uptime_s: Math.round((ctx.clock.now() - ctx.startedAt) / 1000),
        draining: ctx.draining,
        providers: gateway.providers,
        models: gateway.models,
        store,
        workflows: ctx.orchestrator.admission(),
        ...(replicas ? { replicas } : {}),
      };
      return reply.code(serving ? 200 : 503).send(body);
    },
  );
}
