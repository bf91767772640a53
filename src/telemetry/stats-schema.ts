import * as z from 'zod';

const count = z.number().int().nonnegative();

export const ModelStatsSchema = z.object({
  provider: z.string(),
  calls: count.describe('attempts made: successes, failures and cancelled hedges (simulated ones included)'),
  successes: count,
  failures: count,
  cancelled: count.describe('attempts that lost a hedge race (hedge_after_ms) and were cancelled: not failures, not billed'),
  failures_by_kind: z.record(z.string(), count).describe('rate_limit, timeout, server_error, client_error, auth_error'),
  retries: count,
  fallbacks: count.describe('times this model failed over to another'),
  fallbacks_to: count.describe('times another model failed over to this one'),
  breaker: z.object({ state: z.enum(['closed', 'open', 'half_open']), opens: count }),
  latency_ms: z.object({
    p50: z.number().nullable(),
    p95: z.number().nullable(),
    p99: z.number().nullable(),
    samples: count.describe('attempts in the window the percentiles are taken over'),
  }),
  tokens_in: count,
  tokens_out: count,
  cost_usd: z.number().describe('billed cost of successful live calls'),
  simulated_calls: count.describe('calls the simulator answered; they cost nothing'),
});

export const StatsSnapshotSchema = z.object({
  started_at: z.string(),
  uptime_s: z.number(),
  requests: z.object({
    total: count,
    by_endpoint: z.record(z.string(), count).describe('keyed "METHOD /route/template"'),
    by_caller: z.record(z.string(), count).describe('keyed by caller: "jwt:<caller claim>" or "key:<key fingerprint>"; only when auth is on'),
    by_category: z.object({ L: count, M: count, H: count }),
    categorizer_source: z.object({ model: count, heuristic: count, override: count }),
  }),
  workflows: z.object({
    started: count,
    by_status: z.record(z.string(), count).describe('finished runs: completed, partial, failed, cancelled, timed_out'),
    cost_usd: z.number(),
    queued: count.describe('runs waiting for a slot now'),
    running: count.describe('runs in progress now'),
  }),
  models: z.record(z.string(), ModelStatsSchema),
  splits: z
    .record(z.string(), z.record(z.string(), count))
    .describe('calls routed per weighted split (keyed by its config path, e.g. routing.tiers.M.model) and arm (model key)'),
  cache: z
    .object({
      hits: count.describe('calls answered from the response cache: no provider call'),
      misses: count.describe('cacheable calls a provider answered'),
      bypasses: count.describe('calls that did not use the cache (opted out, no ttl_s, temperature above 0, tools, not text)'),
      tokens_saved: count.describe('tokens (prompt + completion) of the original calls the hits replayed'),
      saved_usd: z.number().describe('USD those original calls cost, not spent again'),
    })
    .describe('the response cache (src/cache/)'),
  totals: z.object({
    calls: count,
    failures: count,
    retries: count,
    fallbacks: count,
    simulated_calls: count,
    tokens_in: count,
    tokens_out: count,
    cost_usd: z.number(),
  }),
});

/** What GET /stats returns. */
export type StatsSnapshot = z.infer<typeof StatsSnapshotSchema>;
export type ModelStats = z.infer<typeof ModelStatsSchema>;
