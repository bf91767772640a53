import * as z from 'zod';

const DriftValueSchema = z
  .union([z.number(), z.record(z.string(), z.number())])
  .nullable()
  .describe('in the metric\'s unit (ms, tokens, USD, share 0-1); category_mix: share per tier {L, M, H}; null while there are no samples');

export const DriftSeriesSchema = z.object({
  subject: z.string().describe('model:<model key>, tier:<L|M|H> (the calls made for requests of that category) or categorizer'),
  metric: z
    .string()
    .describe(
      'category_mix, latency_p50_ms, latency_p95_ms, error_rate, error_rate.<kind>, output_tokens_per_answer, cost_per_request_usd, fallback_rate, heuristic_fallback_rate',
    ),
  baseline: DriftValueSchema.describe('the frozen baseline (the first drift.baseline_samples samples); null while it is being learnt'),
  recent: DriftValueSchema.describe('the recent window (the last drift.recent_samples samples, at most drift.recent_max_age_s old)'),
  statistic: z
    .number()
    .nullable()
    .describe(
      'category_mix: population stability index; latency, tokens, cost: recent / baseline; rates: recent minus baseline. Null until the baseline is frozen and the recent window holds drift.min_samples',
    ),
  state: z.enum(['ok', 'warn', 'alert']).describe('from the statistic and drift.thresholds; kept while the statistic is null'),
  since: z.string().describe('ISO time the series entered its state (or began to be tracked)'),
  samples: z.object({
    baseline: z.number().int().nonnegative().describe('samples in the baseline (learnt so far, or frozen)'),
    recent: z.number().int().nonnegative().describe('samples in the recent window now'),
  }),
});

export const DriftReportSchema = z.object({
  series: z.array(DriftSeriesSchema).describe('every tracked series, by subject then metric'),
});

export type DriftReport = z.infer<typeof DriftReportSchema>;
