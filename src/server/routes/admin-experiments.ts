import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { CanaryView } from '../../control/canary.js';
import type { ShadowSummary } from '../../control/shadow.js';
import { notFound } from '../../errors.js';
import { AdminSecurity, pageOf } from './admin-schemas.js';
import { ExperimentSchema } from './experiment-schemas.js';

type Experiment = CanaryView | ShadowSummary;

const IdParams = z.object({ id: z.string().regex(/^routing(\.[A-Za-z_]+){1,3}$/, 'an experiment id: a config path such as routing.tiers.M.model') });
const PageQuery = z.object({
  cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/**
 * /admin/experiments: the canaries of weighted splits (state, step, samples,
 * the figures that decided) and the shadows of routes (pairs compared).
 */
export async function adminExperimentRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const common = { tags: ['admin'], security: AdminSecurity };

  /** Shadows the active config names (an empty summary before any pair) and any seen since. */
  const shadows = (): ShadowSummary[] => {
    const seen = new Map(app.ctx.shadows.list().map((s) => [s.id, s]));
    for (const t of ['L', 'M', 'H'] as const) {
      const tier = app.ctx.config.routing.tiers[t];
      const id = `routing.tiers.${t}.shadow`;
      if (tier.handler !== 'direct' || !tier.shadow || seen.has(id)) continue;
      const empty = { latency_ms: { p50: null, p95: null }, mean_tokens: null, mean_chars: null, cost_usd: 0, mean_cost_usd: null };
      seen.set(id, {
        id,
        kind: 'shadow',
        route: `routing.tiers.${t}.model`,
        model: tier.shadow.model,
        sample_rate: tier.shadow.sample_rate,
        pairs: 0,
        failed: 0,
        dropped: 0,
        primary: empty,
        shadow: empty,
        similarity: { mean: null, min: null, measure: 'token-set Jaccard' },
        recent: [],
      });
    }
    return [...seen.values()];
  };
  const all = async (): Promise<Experiment[]> => [...(await app.ctx.canaries.list()), ...shadows()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  r.get(
    '/admin/experiments',
    {
      schema: {
        ...common,
        summary: 'Canaries and shadows',
        description: 'Each canary with its state, step, samples and deciding figures; each shadow with its comparison summary (recent pairs only in the detail).',
        querystring: PageQuery,
        response: { 200: pageOf(ExperimentSchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const items = (await all()).filter((e) => cursor === undefined || e.id > cursor).map((e) => (e.kind === 'shadow' ? { ...e, recent: [] } : e));
      const page = items.slice(0, limit);
      return { items: page, next_cursor: items.length > limit ? page.at(-1)!.id : null };
    },
  );

  r.get(
    '/admin/experiments/:id',
    { schema: { ...common, summary: 'One canary or shadow', params: IdParams, response: { 200: ExperimentSchema } } },
    async (request) => {
      const { id } = request.params;
      const found = id.endsWith('.shadow') ? shadows().find((s) => s.id === id) : await app.ctx.canaries.view(id);
      if (!found) throw notFound(`experiment '${id}'`);
      return found;
    },
  );
}
