import type { Clock } from '../clock.js';
import { providerSecrets } from '../secrets.js';
import type { Config } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import { closeAdapters } from '../providers/registry.js';
import type { ProviderAdapter } from '../providers/types.js';
import { createBreakers } from './breaker.js';
import { createProviderLimiter, type ProviderLimiter, type SharedLimits } from './limiter.js';
import { settle } from './result.js';
import { runChain, type GatewayEnv } from './run-chain.js';
import { startStream } from './stream.js';
import type { Gateway, GatewayHealth, GatewayRequest, GatewayResult } from './types.js';

export interface GatewayOptions {
  config: Config;
  providerModes: Record<string, 'live' | 'simulated'>;
  adapters: Record<string, ProviderAdapter>;
  bus: AppEventBus;
  clock: Clock;
  /** Length of the rate limiters' "minute" window (default 60 000); tests shorten it. */
  windowMs?: number;
  /** Length of the rate limiters' "day" window (default 86 400 000). */
  dayWindowMs?: number;
  /** Source of backoff jitter (default Math.random). */
  random?: () => number;
  /** Shared mode (REDIS_URL): every replica draws from one allowance per provider. */
  shared?: SharedLimits;
}

/**
 * The one door every model call goes through: per provider a rate limiter,
 * per model a circuit breaker, around each attempt retries, timeouts and the
 * fallback chain (see run-chain.ts), then the provider's adapter.
 */
export function createGateway(opts: GatewayOptions): Gateway {
  const { config, clock } = opts;
  const limiters = new Map<string, ProviderLimiter>();
  for (const [name, provider] of Object.entries(config.providers)) {
    limiters.set(
      name,
      createProviderLimiter({
        provider: name,
        limits: provider.rate_limits,
        clock,
        windowMs: opts.windowMs,
        dayWindowMs: opts.dayWindowMs,
        shared: opts.shared,
      }),
    );
  }
  const breakers = createBreakers({ config, bus: opts.bus });
  const env: GatewayEnv = {
    config,
    providerModes: opts.providerModes,
    adapters: opts.adapters,
    bus: opts.bus,
    clock,
    limiters,
    breakers,
    random: opts.random ?? Math.random,
    secrets: providerSecrets(config),
  };

  const call = async (req: GatewayRequest): Promise<GatewayResult> => {
    const success = await runChain(env, req, { attempt: (adapter, _model, preq) => adapter.generate(preq) });
    return settle(env, req, success, success.value);
  };

  const health = async (): Promise<GatewayHealth> => ({
    models: Object.fromEntries(
      Object.entries(config.models).map(([key, m]) => [key, { provider: m.provider, circuit: breakers.state(key) }]),
    ),
    providers: Object.fromEntries(
      Object.keys(config.providers).map((name) => {
        const state = limiters.get(name)!.state();
        return [name, { mode: opts.providerModes[name] ?? 'simulated', ...state }];
      }),
    ),
  });

  const close = async (): Promise<void> => {
    await Promise.all([...limiters.values()].map((l) => l.stop()));
    breakers.shutdown();
    await closeAdapters(opts.adapters);
  };

  return {
    call,
    stream: (req) => startStream(env, req),
    circuitState: (model) => breakers.state(model),
    health,
    close,
  };
}
