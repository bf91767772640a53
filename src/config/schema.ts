import { AuthSchema } from './auth-schema.js';
import { DriftSchema } from './drift-schema.js';
import * as z from 'zod';
import { TelemetrySchema } from './telemetry-schema.js';
import { maxTimeoutSeconds, timerMs, timerSeconds } from './minimums.js';
import { notReserved, withoutReservedKeys } from './reserved-names.js';

/**
 * The zod schema of orchestration_config.json — the single source of truth for
 * the config's shape, its TypeScript types and its generated JSON Schema.
 * Cross-references (a fallback naming an unknown model, cycles...) are checked
 * in `cross-check.ts`, so this file only describes shapes and defaults.
 */

const modelKeyPattern = z.string().regex(/^[a-z][a-z0-9_]*$/, 'model keys are snake_case');
const modelKey = notReserved(modelKeyPattern);

export const RateLimitsSchema = z
  .object({
    requests_per_minute: z.number().int().positive().describe('requests allowed per rolling minute'),
    tokens_per_minute: z.number().int().positive().optional().describe('estimated tokens allowed per minute'),
    requests_per_day: z.number().int().positive().optional().describe('requests allowed per day'),
    burst: z.number().int().positive().optional().describe('requests that may start at once before the per-minute pace applies'),
    max_concurrent: z.number().int().positive().default(50).describe('calls in flight at once'),
    max_wait_ms: timerMs()
      .nonnegative()
      .default(30_000)
      .describe('longest a call may queue for this provider before the gateway moves to a fallback on another provider'),
  })
  .strict();

/** Shared by the model, provider and global `timeouts`: the nearest one set wins. */
const HedgeAfterMs = timerMs()
  .nonnegative()
  .optional()
  .describe(
    'streams: with no first token this long after the attempt began, the next model of the chain is started too; the first to produce a token wins, the other is cancelled. 0 or absent: off',
  );

export const TimeoutsSchema = z
  .object({
    connect_ms: timerMs().positive().optional(),
    first_byte_ms: timerMs().positive().optional().describe('streams: time to the first token'),
    response_ms: timerMs()
      .positive()
      .optional()
      .describe('non-streamed calls: the whole answer (which is when a provider sends its headers) must arrive within this'),
    stream_idle_ms: timerMs().positive().optional().describe('longest silence between stream chunks'),
    total_ms: timerMs().positive().optional().describe('cap on one attempt; the request budget still applies'),
    hedge_after_ms: HedgeAfterMs,
  })
  .strict();

export const ProviderSchema = z
  .object({
    type: z.enum(['openai_compatible', 'google', 'simulator']).describe('wire format spoken by the provider'),
    base_url: z.string().url().describe('overridable with the <NAME>_BASE_URL environment variable'),
    api_key: z.string().optional().describe('a ${ENV_VAR} reference; a missing key means the provider is simulated'),
    requires_key: z.boolean().default(true).describe('false for keyless local servers (Ollama, vLLM): live without a key'),
    headers: z.record(z.string(), z.string()).default({}).describe('extra headers sent with every call (e.g. OpenRouter attribution)'),
    rate_limits: RateLimitsSchema,
    timeouts: TimeoutsSchema.default({}),
  })
  .strict();

export const CapabilitySchema = z.enum(['text', 'vision', 'image_generation', 'video_generation', 'json_output', 'assistant_prefill']);

export const ModelSchema = z
  .object({
    provider: z.string().min(1),
    model: z.string().min(1).describe("the provider's own model id"),
    description: z.string().default(''),
    capabilities: z.array(CapabilitySchema).min(1),
    context_window: z.number().int().positive(),
    max_output_tokens: z.number().int().positive().default(4096),
    pricing: z
      .object({
        input_per_million: z.number().nonnegative(),
        output_per_million: z.number().nonnegative(),
        per_image: z.number().nonnegative().optional(),
        per_video_second: z.number().nonnegative().optional(),
      })
      .strict(),
    fallbacks: z.array(modelKey).default([]),
    timeouts: TimeoutsSchema.default({}),
    temperature: z.number().min(0).max(2).optional(),
    cache: z
      .object({
        ttl_s: z.number().positive().describe('seconds an answer of this model is reused for identical requests'),
        temperature: z.boolean().default(false).describe('also cache answers made with a temperature above 0 (or the provider default)'),
        tool_calls: z.boolean().default(false).describe('also cache requests that offer tools, and answers that call them'),
      })
      .strict()
      .optional()
      .describe('response cache for this model (see the top-level cache section); absent: only requests that ask with cache.ttl_s'),
  })
  .strict();

/**
 * Guard rails of a canary arm, compared with the baseline arm (the split's
 * heaviest other arm) once both have `min_samples` calls.
 */
export const CanaryGuardSchema = z
  .object({
    max_error_rate: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("breach when the canary's failed-call rate exceeds the baseline's by more than this fraction"),
    max_p95_ms_ratio: z.number().positive().optional().describe("breach when the canary's p95 latency is more than this multiple of the baseline's"),
    max_p95_ms: z.number().positive().optional().describe("breach when the canary's p95 latency is above this many ms"),
    max_cost_per_request_ratio: z
      .number()
      .positive()
      .optional()
      .describe("breach when the canary's USD per call is more than this multiple of the baseline's"),
    min_samples: z.number().int().positive().default(50).describe('calls of each arm before the guard decides'),
  })
  .strict();

/** A canary arm: its share of traffic climbs the ramp while no guard rail is breached. */
export const CanarySchema = z
  .object({
    ramp: z
      .array(z.number().gt(0).max(100))
      .min(1)
      .default([1, 5, 25, 100])
      .describe('percent of the split the canary gets at each step; reaching 100 promotes it'),
    step_after_requests: z.number().int().positive().optional().describe('canary calls at a step before the next step'),
    step_after_minutes: z.number().positive().optional().describe('minutes at a step before the next step'),
    guard: CanaryGuardSchema.default(CanaryGuardSchema.parse({})),
    paused: z.boolean().default(false).describe('hold the current step: no ramping, no automatic decision'),
  })
  .strict();

/** One arm of a weighted split. */
export const ArmSchema = z
  .object({
    model: modelKey,
    weight: z.number().nonnegative().describe('relative share of the traffic (sessions) this arm answers'),
    canary: CanarySchema.optional(),
  })
  .strict();

/**
 * A model named by the routing: one model key, or weighted arms — each
 * session (or request without one) is assigned one arm, deterministically.
 */
export const ModelRefSchema = z.union([modelKey, z.array(ArmSchema).min(1)]);

/** A shadow of a route: after the primary answered, the same messages go to this model too; its answer is only compared. */
export const ShadowSchema = z
  .object({
    model: modelKey,
    sample_rate: z.number().min(0).max(1).default(1).describe('fraction of the route\'s answers that are shadowed'),
  })
  .strict();

export const TierSchema = z.discriminatedUnion('handler', [
  z
    .object({ handler: z.literal('direct'), model: ModelRefSchema, description: z.string().default(''), shadow: ShadowSchema.optional() })
    .strict(),
  z.object({ handler: z.literal('workflow'), description: z.string().default('') }).strict(),
]);

export const RoutingSchema = z
  .object({
    categorizer: modelKey,
    planner: ModelRefSchema,
    finisher: modelKey,
    failure_reporter: modelKey,
    vision: modelKey.describe('answers requests that carry images'),
    image_generation: modelKey,
    video_generation: modelKey,
    strongest: ModelRefSchema.describe('answers directly when a plan cannot be made'),
    default_task_model: ModelRefSchema.describe('model of a workflow task that names none'),
    tiers: z.object({ L: TierSchema, M: TierSchema, H: TierSchema }).strict(),
  })
  .strict();

export const ErrorClassSchema = z
  .object({
    max_retries: z.number().int().min(0).max(10),
    backoff_base_ms: timerMs().nonnegative(),
    backoff_cap_ms: timerMs().nonnegative(),
    trips_breaker: z.boolean(),
    fallback: z.boolean().describe('move to the next model in the chain once retries are spent'),
  })
  .strict();

export const ErrorHandlingSchema = z
  .object({
    rate_limit: ErrorClassSchema,
    timeout: ErrorClassSchema,
    server_error: ErrorClassSchema,
    client_error: ErrorClassSchema,
    auth_error: ErrorClassSchema,
    quota: ErrorClassSchema.default({ max_retries: 0, backoff_base_ms: 0, backoff_cap_ms: 0, trips_breaker: false, fallback: true }).describe(
      'out of credits, over a spend cap or plan limit (HTTP 402, insufficient_quota, billing_error...): the provider cannot serve this key now; default: fall back at once, no retry, no breaker trip',
    ),
    retry_after_cap_ms: timerMs()
      .nonnegative()
      .default(20_000)
      .describe('a provider retry hint (Retry-After, retry-after-ms, x-ratelimit-reset-*, RetryInfo) longer than this fails over at once instead of waiting'),
  })
  .strict();

export const CircuitBreakerSchema = z
  .object({
    error_threshold_percentage: z.number().min(1).max(100).default(50),
    volume_threshold: z.number().int().positive().default(5).describe('calls in the window before the breaker may open'),
    rolling_window_ms: timerMs().positive().default(60_000),
    reset_timeout_ms: timerMs().positive().default(30_000).describe('open time before a half-open probe'),
  })
  .strict();

export const LimitsSchema = z
  .object({
    max_concurrent_workflows: z.number().int().positive().default(1000),
    queue_depth: z.number().int().nonnegative().default(10_000),
    default_timeout_s: maxTimeoutSeconds().default(300),
    run_stall_s: timerSeconds()
      .positive()
      .default(30)
      .describe('shared mode: a run whose replica died is resumed by another within this many seconds (its queue lock lapses and is reclaimed)'),
    max_tasks_per_workflow: z.number().int().positive().default(50),
    task_concurrency: z.number().int().positive().default(10).describe('linear tasks of one run in flight at once'),
    max_message_chars: z.number().int().positive().default(200_000),
    max_images: z.number().int().nonnegative().default(8),
    max_image_data_uri_bytes: z.number().int().positive().default(5_000_000),
    max_prompt_chars: z.number().int().positive().default(100_000),
    max_variable_chars: z.number().int().positive().default(200_000),
  })
  .strict();

export const DefaultTimeoutsSchema = z
  .object({
    connect_ms: timerMs().positive().default(10_000),
    first_byte_ms: timerMs().positive().default(30_000),
    response_ms: timerMs().positive().default(120_000),
    stream_idle_ms: timerMs().positive().default(30_000),
    hedge_after_ms: HedgeAfterMs,
  })
  .strict();

export const MonitoringSchema = z
  .object({
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    metrics_enabled: z.boolean().default(true),
    latency_window: z.number().int().positive().default(1000).describe('latency samples kept per model for percentiles'),
  })
  .strict();

export const ServerSchema = z
  .object({
    body_limit_bytes: z.number().int().positive().default(10_485_760),
    cors_origins: z.array(z.string()).default([]),
    rate_limit: z
      .object({
        enabled: z.boolean().default(true),
        max: z.number().int().positive().default(600).describe('requests per caller per window'),
        time_window_ms: timerMs().positive().default(60_000),
      })
      .strict()
      .default({ enabled: true, max: 600, time_window_ms: 60_000 }),
    shutdown_grace_ms: timerMs().nonnegative().default(30_000),
    keep_alive_ms: timerMs().positive().default(15_000).describe('SSE comment interval'),
    request_timeout_ms: timerMs()
      .positive()
      .default(30_000)
      .describe('a request, headers and body, must arrive whole within this; otherwise 408 request_timeout and the connection is closed'),
    headers_timeout_ms: timerMs()
      .positive()
      .default(10_000)
      .describe('the request line and headers must arrive within this (at most request_timeout_ms); otherwise 408 and the connection is closed'),
    keep_alive_timeout_ms: timerMs()
      .positive()
      .default(72_000)
      .describe('an idle keep-alive connection is closed after this; keep it longer than a load balancer in front'),
    connection_timeout_ms: timerMs()
      .nonnegative()
      .default(0)
      .describe('a connection with no byte either way for this long is closed; 0: off (a non-streamed run may be silent until its own timeout)'),
    timeout_check_ms: timerMs()
      .positive()
      .default(1_000)
      .describe('how often connections are checked against request_timeout_ms and headers_timeout_ms'),
    max_header_bytes: z
      .number()
      .int()
      .min(1024)
      .default(16_384)
      .describe('request line and headers larger than this are refused with 431 headers_too_large'),
  })
  .strict()
  .refine((s) => s.headers_timeout_ms <= s.request_timeout_ms, {
    path: ['headers_timeout_ms'],
    message: 'must not be longer than request_timeout_ms',
  });

/**
 * Bounds of the state that grows with names callers choose (ad-hoc `<provider>/<id>` models,
 * callers, rate-limit keys): past a bound the least recently used entry is dropped (and its
 * timers stopped), or the value counts as `other`. Configured models are never dropped.
 */
export const BoundsSchema = z
  .object({
    ad_hoc_models: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe('ad-hoc <provider>/<model id> models whose circuit breaker and resolution are kept; the least recently used is dropped and its timers stopped'),
    model_resets: z
      .number()
      .int()
      .min(1)
      .default(1024)
      .describe('per provider: provider model ids whose announced rate-limit reset is remembered; the one ending soonest is dropped'),
    label_values: z
      .number()
      .int()
      .nonnegative()
      .default(20)
      .describe('distinct ad-hoc model, provider and split names shown in /metrics labels and /stats; further names count as "other"'),
    callers: z
      .number()
      .int()
      .nonnegative()
      .default(1000)
      .describe('distinct callers (token subject, key name) counted by name in /stats; further callers count as "other"'),
    rate_limit_callers: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .describe('callers (API key or IP) the per-caller rate limit tracks at once; the least recently seen is forgotten'),
  })
  .strict();

export const StorageSchema = z
  .object({
    driver: z.enum(['sqlite', 'memory']).default('sqlite'),
    redis_url: z
      .string()
      .optional()
      .describe('shared mode: sessions, runs and provider rate limits live in this Redis (REDIS_URL overrides); replicas behave as one server'),
    data_dir: z.string().default('./data'),
    session_ttl_hours: z.number().positive().default(24 * 30),
    run_max_age_hours: z.number().positive().default(24 * 7),
    history_turns: z.number().int().positive().default(50).describe('turns of a session sent as context'),
    max_stored_turns: z.number().int().positive().optional().describe('drop the oldest stored turns past this count'),
    sweep_interval_s: timerSeconds().positive().default(600),
  })
  .strict();

/**
 * What a webhook can announce, as Standard Webhooks event types: a run's terminal status, or a
 * drift series changing state (`drift.state_changed`, config subscriptions only).
 */
export const WebhookEventSchema = z.enum(['run.completed', 'run.partial', 'run.failed', 'run.cancelled', 'run.timed_out', 'drift.state_changed']);

export const WebhooksSchema = z
  .object({
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, "must be 'whsec_' followed by base64 (Standard Webhooks)")
      .optional()
      .describe("signing secret, as '${WEBHOOK_SECRET}' (WEBHOOK_SECRET overrides); without one, webhooks are off and callback_url is refused"),
    allow_hosts: z
      .array(z.string().min(1))
      .default([])
      .describe('host or host:port exempt from the private-address refusal (WEBHOOK_ALLOW_HOSTS adds to it, comma-separated)'),
    subscriptions: z
      .array(
        z
          .object({
            url: z.string().min(1).describe('https URL that receives every run of these events'),
            events: z.array(WebhookEventSchema).min(1),
          })
          .strict(),
      )
      .default([]),
    timeout_ms: timerMs().positive().default(10_000).describe('one delivery attempt, connection to response headers'),
    max_age_h: z.number().positive().default(24).describe('a delivery is retried until it is this old (hours)'),
    retry_base_ms: timerMs().positive().max(60_000).default(5_000).describe('first retry delay before jitter; doubles per attempt'),
    retry_cap_ms: timerMs().positive().default(3_600_000).describe('longest delay between two attempts'),
    poll_ms: timerMs().positive().default(1_000).describe('how often a replica looks for due deliveries it did not enqueue itself'),
  })
  .strict();

export const MissedFirePolicySchema = z.enum(['skip', 'run_once']);

export const ScheduleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _ . - (at most 100)'),
    cron: z.string().min(1).describe("cron expression: 5 fields, or 6 with seconds first ('*/30 * * * * *')"),
    timezone: z.string().min(1).default('UTC').describe("IANA time zone the cron expression is read in, e.g. 'Europe/Paris'"),
    template: z.string().min(1).describe('name of the template each fire runs'),
    variables: z.record(z.string(), z.string()).default({}),
    enabled: z.boolean().default(true),
    missed_fire: MissedFirePolicySchema.default('skip').describe('fires missed while no replica ran: skip them, or run once on return'),
  })
  .strict();

export const CacheSchema = z
  .object({
    enabled: z.boolean().default(true).describe('false: no call uses the response cache'),
    max_entries: z.number().int().positive().default(10_000).describe('in-process cache: answers kept at most (least recently used go first)'),
    max_bytes: z.number().int().positive().default(64 * 1024 * 1024).describe('in-process cache: approximate bytes kept at most; in shared mode Redis bounds memory'),
  })
  .strict();

export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1).default(1),
    providers: withoutReservedKeys(z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), ProviderSchema)),
    models: withoutReservedKeys(z.record(modelKeyPattern, ModelSchema)),
    routing: RoutingSchema,
    error_handling: ErrorHandlingSchema,
    circuit_breaker: CircuitBreakerSchema.default(CircuitBreakerSchema.parse({})),
    timeouts: DefaultTimeoutsSchema.default(DefaultTimeoutsSchema.parse({})),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
    monitoring: MonitoringSchema.default(MonitoringSchema.parse({})),
    server: ServerSchema.default(ServerSchema.parse({})),
    storage: StorageSchema.default(StorageSchema.parse({})),
    bounds: BoundsSchema.default(BoundsSchema.parse({})).describe('bounds of the state keyed by names callers choose'),
    auth: AuthSchema.default({}),
    webhooks: WebhooksSchema.default(WebhooksSchema.parse({})),
    schedules: z.array(ScheduleSchema).default([]).describe('template runs fired by cron expressions; each fire starts one run across the fleet'),
    cache: CacheSchema.default(CacheSchema.parse({})).describe('exact-match response cache (src/cache/): lifetimes per model (models.*.cache) or per request'),
    telemetry: TelemetrySchema.default(TelemetrySchema.parse({})).describe('OpenTelemetry traces (telemetry.tracing)'),
    drift: DriftSchema.default(DriftSchema.parse({})).describe('drift detection (src/telemetry/drift/): baseline vs recent window per model, tier and the categorizer; GET /drift'),
  })
  .strict();

/** The validated config, with env references resolved and defaults applied. */
export type Config = z.infer<typeof ConfigSchema>;
export type ProviderConfig = z.infer<typeof ProviderSchema>;
export type ModelConfig = z.infer<typeof ModelSchema>;
export type Capability = z.infer<typeof CapabilitySchema>;
export type ErrorClassConfig = z.infer<typeof ErrorClassSchema>;
export type Tier = z.infer<typeof TierSchema>;
export type ModelRef = z.infer<typeof ModelRefSchema>;
export type Arm = z.infer<typeof ArmSchema>;
export type Canary = z.infer<typeof CanarySchema>;
export type Shadow = z.infer<typeof ShadowSchema>;
export type Timeouts = z.infer<typeof TimeoutsSchema>;
export type WebhooksConfig = z.infer<typeof WebhooksSchema>;
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;
export type ScheduleConfig = z.infer<typeof ScheduleSchema>;
export type BoundsConfig = z.infer<typeof BoundsSchema>;
