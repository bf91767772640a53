import * as z from 'zod';

/** The windows GET /stats/timeseries keeps, and the bucket each is cut into. */
export const TIMESERIES_WINDOWS = {
  '1h': { bucket_s: 10, buckets: 360 },
  '1d': { bucket_s: 300, buckets: 288 },
} as const;

export const TimeseriesQuerySchema = z
  .object({
    window: z.enum(['1h', '1d']).default('1h').describe('the last hour in 10 s buckets, or the last day in 5 min buckets'),
    by: z
      .enum(['tier', 'model'])
      .default('tier')
      .describe('tier: API requests by the tier they were routed to (L, M, H; `none` when the caller named a model or the request failed before routing); model: calls to each model'),
  })
  .strict();

const nullableNumbers = z.array(z.number().nullable());

const SummarySchema = z.object({
  requests: z.number().int().describe('requests (by=model: calls) in the window'),
  requests_per_s: z.number().describe('requests per second over the part of the window the server has been up'),
  errors: z.number().int().describe('requests answered 5xx (by=model: failed calls)'),
  error_rate: z.number().nullable().describe('errors / requests; null without requests'),
  latency_ms: z.object({
    p50: z.number().nullable(),
    p95: z.number().nullable(),
  }).describe('from a log histogram (bins 2^(k/2) ms wide: within ±19 %); null without requests'),
  cost_usd: z.number().describe('USD billed in the window (live calls; simulated ones cost nothing)'),
  cost_per_hour_usd: z.number().describe('cost_usd over the part of the window the server has been up, per hour'),
  cache_hit_rate: z.number().nullable().describe('response-cache hits / cacheable lookups (x-cache header); null when none was looked up'),
});

const SeriesSchema = z.object({
  summary: SummarySchema,
  requests: z.array(z.number().int()).describe('per bucket, oldest first'),
  requests_per_s: z.array(z.number()).describe('per bucket; the current bucket over its elapsed part'),
  errors: z.array(z.number().int()),
  error_rate: nullableNumbers,
  latency_p50_ms: nullableNumbers,
  latency_p95_ms: nullableNumbers,
  cost_usd: z.array(z.number()),
  cache_hits: z.array(z.number().int()),
  cache_lookups: z.array(z.number().int()),
});

export const TimeseriesSchema = z.object({
  window: z.enum(['1h', '1d']),
  by: z.enum(['tier', 'model']),
  bucket_s: z.number().int(),
  now: z.string().describe('ISO time of the answer; the last bucket holds it'),
  times_ms: z.array(z.number()).describe('start of each bucket, ms since the epoch, oldest first'),
  total: SeriesSchema.describe('every API request that does model work (POST /chat, /workflow, /template/{name}, /v1/chat/completions)'),
  groups: z.record(z.string(), SeriesSchema).describe('by tier (L, M, H, none) or by model key; a group appears once it has data. Each replica keeps its own figures'),
});

export type TimeseriesQuery = z.infer<typeof TimeseriesQuerySchema>;
export type TimeseriesResponse = z.infer<typeof TimeseriesSchema>;
export type TimeseriesSeries = z.infer<typeof SeriesSchema>;
