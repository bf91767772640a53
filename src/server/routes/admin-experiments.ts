import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CanaryView } from '../../control/canary.js';
import type { ShadowSummary } from '../../control/shadow.js';
import { notFound } from '../../errors.js';
import { AdminSecurity, pageOf } from './admin-schemas.js';

const ArmFiguresSchema = z.object({
  model: z.string(),
  calls: z.number().int().describe('calls routed to this arm since the experiment started (retries included)'),
  errors: z.number().int(),
  error_rate: z.number().nullable(),
  p95_ms: z.number().nullable().describe('over the last 1,000 calls'),
  cost_per_call_usd: z.number().nullable().describe('USD per successful call'),
});

const CanarySchema = z.object({
  id: z.string().describe("the split's config path, e.g. routing.tiers.M.model"),
  kind: z.literal('canary'),
  split: z.string(),
  state: z.enum(['running', 'paused', 'rolled_back', 'promoted']),
  canary_model: z.string(),
  baseline_model: z.string().nullable(),
  ramp: z.array(z.number()).describe('percent of the split at each step'),
  step: z.number().int().describe('index into ramp'),
  share_pct: z.number(),
  step_calls: z.number().int().describe('canary calls at the current step'),
  step_started_at: z.string(),
  started_at: z.string(),
  guard: z.record(z.string(), z.unknown()),
  samples: z.object({ canary: ArmFiguresSchema, baseline: ArmFiguresSchema.nullable() }),
  decision: z
    .object({
      status: z.enum(['rolled_back', 'promoted']),
      at: z.string(),
      reason: z.string().describe('the guard rail breached (with its figures), or why it was promoted'),
      figures: z.record(z.string(), z.union([z.number(), z.string(), z.null()])).describe('the figures that decided'),
      config_version: z.string().nullable().describe('the config version the decision created'),
    })
    .nullable(),
});

const SideSchema = z.object({
  latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
  mean_tokens: z.number().nullable(),
  mean_chars: z.number().nullable(),
  cost_usd: z.number(),
  mean_cost_usd: z.number().nullable(),
});
const PairSideSchema = z.object({ model: z.string(), latency_ms: z.number(), tokens: z.number(), cost_usd: z.number(), chars: z.number() });

const ShadowSchema = z.object({
  id: z.string().describe("the route's config path plus .shadow, e.g. routing.tiers.M.shadow"),
  kind: z.literal('shadow'),
  route: z.string(),
  model: z.string(),
  sample_rate: z.number(),
  pairs: z.number().int().describe('primary/shadow pairs recorded'),
  failed: z.number().int().describe('shadow calls that failed'),
  dropped: z.number().int().describe('shadows not sent: no free slot at the shadow provider, or too many in flight'),
  primary: SideSchema,
  shadow: SideSchema,
  similarity: z.object({ mean: z.number().nullable(), min: z.number().nullable(), measure: z.literal('token-set Jaccard') }),
  recent: z.array(
    z.object({
      at: z.string(),
      request_id: z.string(),
      primary: PairSideSchema,
      shadow: PairSideSchema.nullable(),
      error: z.string().optional(),
      similarity: z.number().nullable(),
    }),
  ),
});

const ExperimentSchema = z.discriminatedUnion('kind', [CanarySchema, ShadowSchema]);
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
