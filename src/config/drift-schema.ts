import * as z from 'zod';

/** A pair of thresholds: `warn` ≤ statistic < `alert` is warn, at or above `alert` is alert. */
const thresholds = (what: string, warn: number, alert: number, min: number) =>
  z
    .object({
      warn: z.number().gt(min).default(warn),
      alert: z.number().gt(min).default(alert),
    })
    .strict()
    .refine((t) => t.alert >= t.warn, { message: 'alert must be at least warn', path: ['alert'] })
    .default({ warn, alert })
    .describe(what);

/**
 * `drift`: per model, per tier and for the categorizer, a baseline window is compared with a recent
 * window of samples (src/telemetry/drift/). Windows are sample counts; the recent one also drops
 * samples older than `recent_max_age_s`. Ratio thresholds are factors either way (2 = twice or half the
 * baseline); rate thresholds are increases in absolute share (0.05 = five more calls in a hundred).
 */
export const DriftSchema = z
  .object({
    enabled: z.boolean().default(true).describe('false: no samples are recorded, GET /drift lists nothing'),
    baseline_samples: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(200)
      .describe("samples a series' baseline learns from (the first ones after start or after its model's config changed); then it is frozen and stored"),
    recent_samples: z.number().int().min(1).max(10_000).default(50).describe('the recent window: the last this many samples'),
    recent_max_age_s: z.number().positive().default(3600).describe('samples older than this (seconds) leave the recent window'),
    min_samples: z
      .number()
      .int()
      .min(1)
      .default(20)
      .describe('a series is judged once its recent window holds this many samples (with fewer it keeps its state; statistic null)'),
    max_adhoc_models: z
      .number()
      .int()
      .nonnegative()
      .max(1000)
      .default(20)
      .describe('ad-hoc <provider>/<model id> models tracked at once (least recently used dropped first); configured models always are'),
    thresholds: z
      .object({
        category_mix: thresholds('population stability index of the L/M/H mix a model answers', 0.1, 0.25, 0),
        latency: thresholds('latency p50 and p95: recent / baseline, either way (a factor above 1)', 1.5, 2, 1),
        output_tokens: thresholds('output tokens per answer: recent / baseline mean, either way (a factor above 1)', 1.5, 2, 1),
        cost: thresholds('cost per request (USD): recent / baseline mean, either way (a factor above 1)', 1.5, 2, 1),
        error_rate: thresholds('error rate (all kinds, and per kind): recent minus baseline share of failed attempts', 0.05, 0.15, 0),
        fallback_rate: thresholds('fallback rate: recent minus baseline share of calls that moved to the next model', 0.05, 0.15, 0),
        heuristic_fallback_rate: thresholds("categorizer's heuristic-fallback rate: recent minus baseline share of categorizations", 0.1, 0.25, 0),
      })
      .strict()
      .default({
        category_mix: { warn: 0.1, alert: 0.25 },
        latency: { warn: 1.5, alert: 2 },
        output_tokens: { warn: 1.5, alert: 2 },
        cost: { warn: 1.5, alert: 2 },
        error_rate: { warn: 0.05, alert: 0.15 },
        fallback_rate: { warn: 0.05, alert: 0.15 },
        heuristic_fallback_rate: { warn: 0.1, alert: 0.25 },
      }),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.min_samples > d.recent_samples) {
      ctx.addIssue({ code: 'custom', path: ['min_samples'], message: `must be at most recent_samples (${d.recent_samples})` });
    }
  });

export type DriftConfig = z.infer<typeof DriftSchema>;
export type DriftThresholds = DriftConfig['thresholds'];
