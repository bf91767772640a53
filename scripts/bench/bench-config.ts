import { readFileSync } from 'node:fs';

/** How a bench server differs from the shipped config. */
export interface BenchServerOptions {
  /** The fake provider's origin (`http://127.0.0.1:<port>`). */
  fakeUrl: string;
  /** A scaled rate limit for openrouter (the limiter-fidelity section); default: limits lifted. */
  rateLimit?: { requestsPerWindow: number; windowMs: number; maxWaitMs: number };
  /** Overrides of `limits` (max_concurrent_workflows, queue_depth, ...). */
  limits?: Record<string, number>;
  /** Shadow tier M with fast_ai at 100 % (section 7). */
  shadow?: boolean;
  /** medium_ai (tier M) caches its answers for an hour at any temperature (section 8). */
  cache?: boolean;
  /** Tracing on (section 9): spans exported as OTLP/HTTP protobuf to `url`, or handed to an exporter that drops them. */
  tracing?: { exporter: 'otlp'; url: string } | { exporter: 'noop' };
}

const LIFTED = {
  requests_per_minute: 100_000_000,
  tokens_per_minute: 1_000_000_000_000,
  max_concurrent: 10_000,
  max_wait_ms: 60_000,
};

/**
 * The shipped orchestration_config.json, pointed at the fake provider (OpenAI-compatible
 * at `<fake>/v1`, Google at `<fake>/v1beta`) with everything that would measure
 * something other than the product's own cost switched off: provider rate limits
 * lifted (unless the section measures the limiter), the per-caller HTTP rate limit
 * off, logs silent, the memory store.
 */
export function benchConfig(opts: BenchServerOptions): Record<string, any> {
  const raw = JSON.parse(readFileSync('orchestration_config.json', 'utf8')) as Record<string, any>;
  raw.providers.openrouter.base_url = `${opts.fakeUrl}/v1`;
  raw.providers.google_ai.base_url = `${opts.fakeUrl}/v1beta`;
  for (const provider of Object.values(raw.providers) as Array<Record<string, any>>) {
    provider.rate_limits = { ...LIFTED };
  }
  if (opts.rateLimit) {
    // The limiter's "minute" is shortened to windowMs by the gateway option, so this is per window.
    raw.providers.openrouter.rate_limits = {
      requests_per_minute: opts.rateLimit.requestsPerWindow,
      max_concurrent: 10_000,
      max_wait_ms: opts.rateLimit.maxWaitMs,
    };
  }
  raw.server.rate_limit.enabled = false;
  raw.monitoring.log_level = 'silent';
  raw.storage.driver = 'memory';
  raw.limits = { ...raw.limits, ...opts.limits };
  if (opts.shadow) raw.routing.tiers.M.shadow = { model: 'fast_ai', sample_rate: 1 };
  if (opts.cache) raw.models.medium_ai.cache = { ttl_s: 3600, temperature: true };
  return raw;
}

/** Makes openrouter and google_ai live (a key each); the openai provider stays simulated and unused. */
export const BENCH_ENV: NodeJS.ProcessEnv = { OPENROUTER_API_KEY: 'bench', GOOGLE_AI_API_KEY: 'bench' };
