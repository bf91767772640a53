import * as z from 'zod';

/**
 * What GET /admin/experiments and /admin/experiments/{id} answer: canaries (control/canary.ts
 * CanaryView) and shadows (control/shadow.ts ShadowSummary). Zod only, no runtime imports, so
 * the console (ui/) imports the inferred types type-only.
 */

const ArmFiguresSchema = z.object({
  model: z.string(),
  calls: z.number().int().describe('calls routed to this arm since the experiment started (retries included)'),
  errors: z.number().int(),
  error_rate: z.number().nullable(),
  p95_ms: z.number().nullable().describe('over the last 1,000 calls'),
  cost_per_call_usd: z.number().nullable().describe('USD per successful call'),
});

export const CanarySchema = z.object({
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

export const ShadowSchema = z.object({
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

export const ExperimentSchema = z.discriminatedUnion('kind', [CanarySchema, ShadowSchema]);

export type CanaryAnswer = z.infer<typeof CanarySchema>;
export type ShadowAnswer = z.infer<typeof ShadowSchema>;
export type ExperimentAnswer = z.infer<typeof ExperimentSchema>;
