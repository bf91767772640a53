import { parseConfig, type LoadedConfig } from '../../src/config/load.js';

/**
 * Configs for gateway tests: every provider pointed at the fake provider, with
 * short timeouts, backoffs, breaker windows and limiter waits so the resilience
 * paths run in milliseconds. The limiter's "minute" is shortened separately
 * through `createGateway({ windowMs })` (see TEST_WINDOW_MS).
 */

/** A short stand-in for the rate limiters' 60 s window. */
export const TEST_WINDOW_MS = 500;

/** Environment that makes the test providers live (keys are test values; the fake does not check them). */
export const TEST_ENV: NodeJS.ProcessEnv = {
  OPENROUTER_API_KEY: 'test-openrouter-key',
  GOOGLE_AI_API_KEY: 'test-google-key',
  OPENAI_API_KEY: 'test-openai-key',
  FAKE_KEY: 'test-key',
};

type Raw = Record<string, any>;

/** The short timing every test config shares (merged over the shipped or synthetic config). */
export function shortTimings(raw: Raw): void {
  raw.timeouts = { connect_ms: 1000, first_byte_ms: 400, stream_idle_ms: 300, response_ms: 400 };
  raw.error_handling = {
    rate_limit: { max_retries: 2, backoff_base_ms: 10, backoff_cap_ms: 40, trips_breaker: true, fallback: true },
    timeout: { max_retries: 1, backoff_base_ms: 10, backoff_cap_ms: 40, trips_breaker: true, fallback: true },
    server_error: { max_retries: 2, backoff_base_ms: 10, backoff_cap_ms: 40, trips_breaker: true, fallback: true },
    client_error: { max_retries: 0, backoff_base_ms: 0, backoff_cap_ms: 0, trips_breaker: false, fallback: false },
    auth_error: { max_retries: 0, backoff_base_ms: 0, backoff_cap_ms: 0, trips_breaker: false, fallback: true },
    retry_after_cap_ms: 2000,
  };
  raw.circuit_breaker = { error_threshold_percentage: 50, volume_threshold: 3, rolling_window_ms: 5000, reset_timeout_ms: 400 };
  for (const model of Object.values(raw.models ?? {}) as Raw[]) delete model.timeouts;
}

/**
 * Points a copy of the shipped orchestration_config.json at the fake provider
 * (OpenAI-compatible providers at `<fake>/v1`, Google at `<fake>/v1beta`) with
 * short timings. Use with `startTestApp({ config: (raw) => pointShippedConfigAt(raw, url), env: TEST_ENV })`.
 */
export function pointShippedConfigAt(raw: Raw, fakeUrl: string): void {
  for (const provider of Object.values(raw.providers) as Raw[]) {
    provider.base_url = provider.type === 'google' ? `${fakeUrl}/v1beta` : `${fakeUrl}/v1`;
    provider.rate_limits = { ...provider.rate_limits, requests_per_minute: 10_000, max_wait_ms: 1000 };
    delete provider.rate_limits.requests_per_day;
    delete provider.rate_limits.burst;
  }
  shortTimings(raw);
}

/**
 * Points the shipped config's `openai` provider at `baseUrl` (an upstream of the test's own) and adds
 * `slow_ai` there: model `silent-model`, no fallback, time limits longer than any wait of a test, so
 * only the test (a hang-up, a cancel) ends its calls. Call after pointShippedConfigAt.
 */
export function addSilentModel(raw: Raw, baseUrl: string): void {
  raw.providers.openai.base_url = baseUrl;
  raw.models.slow_ai = {
    ...raw.models.medium_ai,
    provider: 'openai',
    model: 'silent-model',
    fallbacks: [],
    timeouts: { first_byte_ms: 30_000, stream_idle_ms: 30_000, response_ms: 30_000 },
  };
}

/** A model entry of the synthetic test config. */
export interface TestModel {
  provider: 'alpha' | 'beta' | 'gem';
  model: string;
  capabilities?: string[];
  context_window?: number;
  fallbacks?: string[];
  timeouts?: Record<string, number>;
  pricing?: Record<string, number>;
  max_output_tokens?: number;
}

export interface TestConfigOptions {
  /** The fake provider's base URL (e.g. http://127.0.0.1:1234); any URL for in-process adapters. */
  fakeUrl?: string;
  /** Replaces or adds models (key → entry); the defaults are below. */
  models?: Record<string, TestModel>;
  /** Overrides of provider alpha's rate limits (beta and gem stay generous). */
  alphaLimits?: Raw;
  /** Further changes to the raw config before it is validated. */
  edit?: (raw: Raw) => void;
  /** When true (default) every provider is live; false leaves them keyless (simulated). */
  live?: boolean;
}

/**
 * A small synthetic config: providers `alpha` and `beta` (OpenAI-compatible,
 * both at the fake) and `gem` (Google, at the fake); models `primary` (alpha)
 * → `backup` (beta), `big` (beta, larger window), `imagen`, `veo`.
 */
export function testConfig(opts: TestConfigOptions = {}): LoadedConfig {
  const url = opts.fakeUrl ?? 'http://127.0.0.1:9';
  const limits = { requests_per_minute: 10_000, max_concurrent: 50, max_wait_ms: 1000 };
  const provider = (type: string, path: string, extra: Raw = {}) => ({
    type,
    base_url: `${url}${path}`,
    api_key: '${FAKE_KEY}',
    rate_limits: { ...limits, ...extra },
  });
  const text = ['text', 'json_output', 'assistant_prefill'];
  const models: Record<string, TestModel> = {
    primary: { provider: 'alpha', model: 'primary-model', capabilities: text, context_window: 1000, fallbacks: ['backup'] },
    backup: { provider: 'beta', model: 'backup-model', capabilities: text, context_window: 1000 },
    big: { provider: 'beta', model: 'big-model', capabilities: ['text', 'vision', 'json_output'], context_window: 100_000 },
    imagen: { provider: 'gem', model: 'imagen-test', capabilities: ['image_generation'], context_window: 1000 },
    veo: { provider: 'gem', model: 'veo-test', capabilities: ['video_generation'], context_window: 1000 },
    ...opts.models,
  };
  const raw: Raw = {
    version: 1,
    providers: {
      alpha: provider('openai_compatible', '/v1', opts.alphaLimits),
      beta: provider('openai_compatible', '/v1'),
      gem: provider('google', '/v1beta'),
    },
    models: Object.fromEntries(
      Object.entries(models).map(([key, m]) => [
        key,
        {
          provider: m.provider,
          model: m.model,
          capabilities: m.capabilities ?? text,
          context_window: m.context_window ?? 1000,
          max_output_tokens: m.max_output_tokens ?? 256,
          pricing: m.pricing ?? { input_per_million: 1, output_per_million: 2 },
          fallbacks: m.fallbacks ?? [],
          ...(m.timeouts ? { timeouts: m.timeouts } : {}),
        },
      ]),
    ),
    routing: {
      categorizer: 'primary',
      planner: 'primary',
      finisher: 'primary',
      failure_reporter: 'primary',
      vision: 'big',
      image_generation: 'imagen',
      video_generation: 'veo',
      strongest: 'big',
      default_task_model: 'primary',
      tiers: {
        L: { handler: 'direct', model: 'primary' },
        M: { handler: 'direct', model: 'primary' },
        H: { handler: 'workflow' },
      },
    },
    error_handling: {},
  };
  shortTimings(raw);
  // shortTimings drops per-model timeouts of the shipped config; the synthetic models keep theirs.
  for (const [key, m] of Object.entries(models)) if (m.timeouts) raw.models[key].timeouts = m.timeouts;
  opts.edit?.(raw);
  return parseConfig(raw, opts.live === false ? {} : TEST_ENV, 'test-config');
}

/** The largest number of the given times falling in any window [t, t + windowMs). */
export function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}
