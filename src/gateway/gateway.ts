import type { Clock } from '../clock.js';
import { providerSecrets } from '../secrets.js';
import type { Config } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import { closeAdapters } from '../providers/registry.js';
import { tracingOn } from '../telemetry/spans.js';
import type { ProviderAdapter } from '../providers/types.js';
import { createBreakers } from './breaker.js';
import { createProviderLimiter, type ProviderLimiter, type SharedLimits } from './limiter.js';
import { settle, type Answer } from './result.js';
import { runChain, type ChainHooks, type GatewayEnv } from './run-chain.js';
import { hedgesWhenStreamed } from './hedge.js';
import { createOutboundScrubber } from './outbound-scrub.js';
import { startStream } from './stream.js';
import { traceCall } from './call-trace.js';
import type { CallFinish, Gateway, GatewayHealth, GatewayRequest, GatewayResult, GatewayVersion } from './types.js';

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
  /** Secrets from the environment besides the provider keys (client API keys, admin keys): never in an answer. */
  secrets?: readonly string[];
}

/** A provider's limiter and the rules it was built from (JSON), to tell whether a new config changed them. */
interface PooledLimiter {
  limiter: ProviderLimiter;
  rules: string;
}

/**
 * The one door every model call goes through: per provider a rate limiter,
 * per model a circuit breaker, around each attempt retries, timeouts and the
 * fallback chain (see run-chain.ts), then the provider's adapter.
 *
 * `reconfigure` returns a gateway for a new config version that keeps the state
 * of what did not change — the limiters of providers whose `rate_limits` are the
 * same, the breakers of models (and their providers) that are the same — while
 * the gateway it was called on keeps answering under its own version, so calls
 * that began before a swap end as they began. Limiters and adapters a new version
 * replaced are stopped once no call of an older version can still need them
 * (after the longest request budget), or at `close`.
 */
export function createGateway(opts: GatewayOptions): Gateway {
  const { clock } = opts;
  const retired = new Set<{ timer: NodeJS.Timeout; stop: () => Promise<void> }>();
  const breakers = createBreakers({ config: opts.config, bus: opts.bus });
  let latest: GatewayEnv | undefined;

  const newLimiter = (name: string, config: Config): PooledLimiter => {
    const limits = config.providers[name]!.rate_limits;
    const limiter = createProviderLimiter({
      provider: name,
      limits,
      clock,
      windowMs: opts.windowMs,
      dayWindowMs: opts.dayWindowMs,
      shared: opts.shared,
      maxModelResets: config.bounds.model_resets,
    });
    return { limiter, rules: limiterRules(name, config) };
  };
  const pooled = new Map<string, PooledLimiter>();
  for (const name of Object.keys(opts.config.providers)) pooled.set(name, newLimiter(name, opts.config));

  /** Stops `stop`'s resource once calls of the version that used it have had their whole budget to end. */
  const retire = (graceMs: number, stop: () => Promise<void>) => {
    const entry = {
      stop,
      timer: setTimeout(() => {
        retired.delete(entry);
        void stop().catch(() => undefined);
      }, graceMs),
    };
    entry.timer.unref();
    retired.add(entry);
  };

  const envOf = (version: GatewayVersion): GatewayEnv => ({
    config: version.config,
    providerModes: version.providerModes,
    adapters: version.adapters,
    bus: opts.bus,
    clock,
    limiters: new Map([...pooled].filter(([name]) => Object.hasOwn(version.config.providers, name)).map(([name, p]) => [name, p.limiter])),
    breakers,
    random: opts.random ?? Math.random,
    secrets: [...providerSecrets(version.config), ...(opts.secrets ?? [])],
  });

  const view = (env: GatewayEnv): Gateway => {
    // Every answer leaves through here: the one place secrets are removed from answers (outbound-scrub.ts).
    const outbound = createOutboundScrubber(env.secrets);
    // How a non-streamed call makes its attempts (the adapter's whole answer), and its result: settled in the
    // reaction that records the successful attempt, then the caller's `finish` (no promise of their own).
    const plain: ChainHooks<Answer, GatewayResult> = {
      attempt: (adapter, _model, preq) => adapter.generate(preq),
      done: (req, success, finish) => {
        const result = settle(env, req, success, success.value, outbound);
        return finish ? finish(req, result) : result;
      },
    };
    const callPlain = (req: GatewayRequest, finish: CallFinish | undefined): Promise<GatewayResult> => {
      try {
        // A non-streamed answer shows no first token, so a model that hedges is called streamed and collected.
        if (hedgesWhenStreamed(env.config, req)) {
          const collected = startStream(env, req).result.then(outbound.result);
          return finish ? collected.then((result) => finish(req, result)) : collected;
        }
        return runChain(env, req, plain, finish);
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return {
    // Each call runs in its span, with its attempts as children (call-trace.ts); with tracing off, no wrapper at all.
    call: (req: GatewayRequest, finish?: CallFinish): Promise<GatewayResult> =>
      tracingOn() ? traceCall(req, env, () => callPlain(req, finish), sameResult) : callPlain(req, finish),
    stream: (req) => (tracingOn() ? traceCall(req, env, () => startStream(env, req, outbound), (stream) => stream.result) : startStream(env, req, outbound)),
    circuitState: (model) => breakers.state(model),
    stateSizes: () => {
      const { configured, ad_hoc } = breakers.size();
      let resets = 0;
      for (const p of pooled.values()) resets += p.limiter.rememberedResets();
      return { breakers: configured + ad_hoc, ad_hoc_breakers: ad_hoc, model_resets: resets };
    },
    health: async (): Promise<GatewayHealth> => ({
      models: Object.fromEntries(
        Object.entries(env.config.models).map(([key, m]) => [key, { provider: m.provider, circuit: breakers.state(key) }]),
      ),
      providers: Object.fromEntries(
        Object.keys(env.config.providers).map((name) => {
          const state = (env.limiters.get(name) ?? pooled.get(name)!.limiter).state();
          const { requests_per_minute, max_concurrent } = env.config.providers[name]!.rate_limits;
          return [name, { mode: env.providerModes[name] ?? 'simulated', ...state, limits: { requests_per_minute, max_concurrent } }];
        }),
      ),
    }),
    reconfigure: (next) => {
      const before = latest!;
      const graceMs = before.config.limits.default_timeout_s * 1000 + 5_000;
      for (const [name, entry] of [...pooled]) {
        const provider = next.config.providers[name];
        if (provider && limiterRules(name, next.config) === entry.rules) continue;
        pooled.delete(name);
        retire(graceMs, () => entry.limiter.stop());
      }
      for (const name of Object.keys(next.config.providers)) if (!pooled.has(name)) pooled.set(name, newLimiter(name, next.config));
      breakers.reconfigure(next.config, changedModels(before, next));
      for (const [name, adapter] of Object.entries(before.adapters)) {
        if (next.adapters[name] !== adapter) retire(graceMs, async () => adapter.close?.());
      }
      latest = envOf(next);
      return view(latest);
    },
    close: async () => {
      const stops = [...retired].map((entry) => {
        clearTimeout(entry.timer);
        return entry.stop().catch(() => undefined);
      });
      retired.clear();
      await Promise.all([...pooled.values()].map((p) => p.limiter.stop()));
      breakers.shutdown();
      await Promise.all(stops);
      await closeAdapters(latest!.adapters);
    },
    };
  };

  latest = envOf({ config: opts.config, providerModes: opts.providerModes, adapters: opts.adapters });
  return view(latest);
}

/** A call's started promise is its result (traceCall's `result`). */
const sameResult = (result: Promise<GatewayResult>): Promise<GatewayResult> => result;

/** What a provider's limiter is built from, as text: a new one is built when it changed. */
const limiterRules = (provider: string, config: Config): string =>
  JSON.stringify([config.providers[provider]!.rate_limits, config.bounds.model_resets]);

/** Models whose breaker must start afresh: removed, redefined, or served by a provider that changed. */
function changedModels(before: GatewayEnv, next: GatewayVersion): Set<string> {
  const changed = new Set<string>();
  const providerChanged = (name: string) =>
    JSON.stringify(before.config.providers[name]) !== JSON.stringify(next.config.providers[name]) ||
    before.providerModes[name] !== next.providerModes[name] ||
    before.adapters[name] !== next.adapters[name];
  for (const [key, model] of Object.entries(before.config.models)) {
    const now = next.config.models[key];
    if (!now || JSON.stringify(now) !== JSON.stringify(model) || providerChanged(model.provider)) changed.add(key);
  }
  return changed;
}
