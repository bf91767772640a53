import { sleep, type Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { AppError } from '../errors.js';
import { scrubSecrets } from '../secrets.js';
import type { AppEventBus } from '../events.js';
import { ProviderError } from '../providers/provider-error.js';
import type { ProviderAdapter, ProviderRequest } from '../providers/types.js';
import { asProviderError, runAttempt, SkippedAttempt } from './attempt.js';
import { chainTrace } from './call-trace.js';
import { attemptDetails, recordCancelled, recordFailure } from './attempt-log.js';
import { hedgeAfterMs, HedgeRace, soloLane, type Lane } from './hedge.js';
import type { ModelBreakers } from './breaker.js';
import { requestWeight } from './request-weight.js';
import { missingCapability, requiredCapabilities, resolveChain, type ResolvedModel } from './fallback.js';
import type { ProviderLimiter } from './limiter.js';
import { decideAfterFailure } from './retry.js';
import { resolveTimeouts } from './timeouts.js';
import type { Attempt, CallContext, GatewayRequest } from './types.js';

/** The gateway's long-lived parts that every call shares. */
export interface GatewayEnv {
  config: Config;
  providerModes: Record<string, 'live' | 'simulated'>;
  adapters: Record<string, ProviderAdapter>;
  bus: AppEventBus;
  clock: Clock;
  limiters: Map<string, ProviderLimiter>;
  breakers: ModelBreakers;
  random: () => number;
  /** Provider keys, removed from upstream error text before it goes anywhere. */
  secrets: readonly string[];
}

/** How a kind of call (plain or streaming) plugs into the chain walk. */
export interface ChainHooks<T> {
  /**
   * Performs one attempt against the provider. An attempt that produces output calls
   * `lane.claim()` first, and stops without delivering anything when it returns false.
   */
  attempt(adapter: ProviderAdapter, model: ResolvedModel, preq: ProviderRequest, lane: Lane): Promise<T>;
  /** True when attempts claim their first output, so that a slow model may be hedged (`hedge_after_ms`). */
  hedging?: boolean;
  /** A further reason to pass a model by. */
  skip?(model: ResolvedModel): string | undefined;
  /** The partial answer the next attempt on this model must continue, if any. */
  prefill?(model: ResolvedModel): string | undefined;
  /**
   * True when the failed attempt should be made again on the same model at once, outside the
   * retry budget (a rejected prefill: the request changes). Must not answer true forever.
   */
  retryNow?(model: ResolvedModel, failure: ProviderError): boolean;
  /** The message of the 502 when the chain runs out. */
  exhaustedMessage?(): string;
}

export interface ChainSuccess<T> {
  value: T;
  model: ResolvedModel;
  /** Whether a model other than the requested one answered. */
  fallbackUsed: boolean;
  attempts: Attempt[];
  latencyMs: number;
}

/** How one model's turn in the walk ended when it did not throw. */
type ModelOutcome<T> = { ok: true; success: ChainSuccess<T> } | { ok: false };

/**
 * Walks the fallback chain: for each eligible model, attempts with retries per
 * the error class, moving on when the class, a silent timeout, an open circuit
 * or a full limiter says so. With `hedge_after_ms` set for a model (and a hook
 * that claims first tokens), the next model is started alongside it when no
 * token came by then, and the first to produce one wins (see hedge.ts).
 * Resolves with the first success; throws an AppError (502 exhausted, 504
 * budget spent, 400 content refused) otherwise, or the caller's abort reason
 * when the caller gave up.
 */
export async function runChain<T>(env: GatewayEnv, req: GatewayRequest, hooks: ChainHooks<T>): Promise<ChainSuccess<T>> {
  const { config, bus, clock } = env;
  const context: CallContext = req.context ?? {};
  const kind = req.kind ?? 'text';
  const chain = resolveChain(config, req.model, req.fallbacks);
  const needs = requiredCapabilities(kind, req.messages);
  const deadline = req.deadline ?? clock.now() + config.limits.default_timeout_s * 1000;
  const attempts: Attempt[] = [];
  /** Providers whose limiter had no slot within the wait (made on the first). */
  let fullProviders: Set<string> | undefined;
  let contextFloor = 0;
  let previous: { model: string; reason: string } | undefined;
  let position = 0;
  // Spans of the attempts and events of the walk, under the call's span (call-trace.ts); a no-op when tracing is off.
  const tracing = chainTrace();

  const checkBudget = () => {
    if (req.signal?.aborted) throw req.signal.reason;
    if (clock.now() >= deadline) {
      throw new AppError('timeout', 'the time budget of the call ran out before a model answered', attemptDetails(attempts));
    }
  };
  const skip = (model: ResolvedModel, code: Attempt['code'], message: string) => {
    attempts.push({ model: model.key, provider: model.provider, outcome: 'skipped', code, message, duration_ms: 0 });
    previous = { model: model.key, reason: String(code) };
    tracing.event('model_skipped', { 'gen_ai.request.model': model.key, 'error.type': String(code), 'mo.reason': message });
  };

  /** The next model of the chain that may be tried now, recording why the others are passed by. */
  const nextModel = (): ResolvedModel | undefined => {
    while (position < chain.length) {
      const model = chain[position++]!;
      const lacking = missingCapability(model, needs);
      if (lacking) {
        skip(model, 'capability', `lacks the '${lacking}' capability`);
        continue;
      }
      const hookReason = hooks.skip?.(model);
      if (hookReason) {
        skip(model, 'capability', hookReason);
        continue;
      }
      if (contextFloor > 0 && model.context_window <= contextFloor) {
        skip(model, 'context_length_exceeded', `context window ${model.context_window} is not larger than ${contextFloor}`);
        continue;
      }
      if (fullProviders?.has(model.provider)) {
        skip(model, 'limiter_wait', `provider '${model.provider}' has no free slot`);
        continue;
      }
      const adapter = env.adapters[model.provider];
      if (!adapter) throw new AppError('internal_error', `no adapter for provider '${model.provider}'`);
      const refused = req.options ? adapter.unsupported?.(req.options, model.model)[0] : undefined;
      if (refused) {
        skip(model, 'capability', `cannot honour '${refused.param}': ${refused.message}`);
        continue;
      }
      return model;
    }
    return undefined;
  };

  /** One model's turn: attempts with retries until success, a move to the next model, or an error that ends the call. */
  const tryModel = async (model: ResolvedModel, lane: Lane, announce = true): Promise<ModelOutcome<T>> => {
    const adapter = env.adapters[model.provider]!;
    if (announce && previous) {
      bus.emit('fallback', { from: previous.model, to: model.key, reason: previous.reason, context });
      tracing.event('fallback', { 'mo.from': previous.model, 'mo.to': model.key, 'mo.reason': previous.reason });
    }
    const live = env.providerModes[model.provider] === 'live';
    const rules = config.providers[model.provider]?.rate_limits;

    for (let retries = 0; ; ) {
      checkBudget();
      const prefill = hooks.prefill?.(model);
      const limit = Math.min(req.max_tokens ?? model.max_output_tokens, model.max_output_tokens);
      // The OpenAI door sends no limit the caller did not ask for; the limiter still weighs the worst case.
      const maxTokens = req.max_tokens === undefined && req.default_max_tokens === false ? undefined : limit;
      const startedAt = clock.now();
      const attemptTrace = tracing.attempt(model, kind, retries + 1);
      try {
        const value = await runAttempt(
          {
            model,
            limiter: live ? env.limiters.get(model.provider) : undefined,
            breakers: env.breakers,
            // Only a live provider's limiter weighs the request.
            weight: live ? requestWeight(req.messages, limit, prefill) : 0,
            maxWaitMs: Math.min(rules?.max_wait_ms ?? 0, req.max_wait_ms ?? Number.POSITIVE_INFINITY, Math.max(0, deadline - clock.now())),
            signal: lane.signal,
            timeouts: () => resolveTimeouts(config, model, config.providers[model.provider], deadline - clock.now()),
            onLimiterWait: (waitMs) => {
              bus.emit('limiter_wait', { provider: model.provider, wait_ms: Math.round(waitMs) });
              tracing.event('limiter_wait', { 'gen_ai.provider.name': model.provider, 'mo.wait_ms': Math.round(waitMs) });
            },
          },
          (signal, timeouts, onResponseStart) => {
            const preq: ProviderRequest = {
              onResponseStart,
              model: model.model,
              kind,
              messages: req.messages,
              max_tokens: maxTokens,
              temperature: req.temperature ?? model.temperature,
              json: req.json,
              options: req.options,
              prefill,
              timeouts,
              signal,
            };
            return attemptTrace.run((trace) => hooks.attempt(adapter, model, trace ? { ...preq, trace } : preq, lane));
          },
        );
        attemptTrace.succeeded(value);
        const latencyMs = clock.now() - startedAt;
        attempts.push({ model: model.key, provider: model.provider, outcome: 'success', duration_ms: latencyMs });
        return { ok: true, success: { value, model, fallbackUsed: model.key !== chain[0]!.key, attempts, latencyMs } };
      } catch (err) {
        if (err instanceof SkippedAttempt) {
          if (err.code === 'limiter_wait') (fullProviders ??= new Set()).add(model.provider);
          skip(model, err.code, err.message);
          return { ok: false };
        }
        if (err instanceof AppError || req.signal?.aborted) {
          attemptTrace.failed(err);
          if (err instanceof AppError) throw err;
          throw req.signal!.reason;
        }
        if (lane.lost) {
          attemptTrace.cancelled();
          recordCancelled(bus, attempts, model, lane.signal?.reason, { durationMs: clock.now() - startedAt, simulated: adapter.simulated, context });
          return { ok: false };
        }
        const failure = withoutSecrets(asProviderError(err, model.provider), env.secrets);
        attemptTrace.failed(failure);
        recordFailure(bus, attempts, model, failure, { durationMs: clock.now() - startedAt, simulated: adapter.simulated, context });
        if (hooks.retryNow?.(model, failure) === true) continue;
        const decision = decideAfterFailure(failure, retries, config.error_handling, env.random);
        if (decision.action === 'surface') {
          throw new AppError('validation_error', `the provider refused the content: ${failure.message}`, [
            { model: model.key, kind: 'client_error', code: 'content_filter', message: failure.message },
          ]);
        }
        if (decision.action === 'fail') {
          throw new AppError(
            'upstream_error',
            `model '${model.key}' failed (${decision.reason}) and its error class does not fall back`,
            attemptDetails(attempts),
          );
        }
        // A refusal or a non-falling-back class answers as such; anything else first checks the budget.
        checkBudget();
        if (decision.action === 'next') {
          if (decision.needLargerContext) contextFloor = Math.max(contextFloor, model.context_window);
          previous = { model: model.key, reason: decision.reason };
          return { ok: false };
        }
        // Output already produced cannot be unsent; and waiting past the deadline helps no one.
        if (lane.claimed || clock.now() + decision.delayMs >= deadline) {
          previous = { model: model.key, reason: failure.code ?? failure.kind };
          return { ok: false };
        }
        retries += 1;
        bus.emit('retry', {
          model: model.key,
          provider: model.provider,
          kind: failure.kind,
          attempt: retries,
          delay_ms: decision.delayMs,
          context,
        });
        tracing.event('retry', { 'gen_ai.request.model': model.key, 'error.type': failure.code ?? failure.kind, 'mo.retry': retries, 'mo.delay_ms': decision.delayMs });
        try {
          await sleep(decision.delayMs, lane.signal);
        } catch (slept) {
          if (!lane.lost) throw slept;
          return { ok: false };
        }
      }
    }
  };

  /**
   * `first`'s turn, with the next model started alongside it when `first` has produced no
   * token `hedgeMs` after its turn began. Both turns run to their end (the loser is
   * cancelled as soon as the winner claims), so both attempts are recorded.
   */
  const hedged = async (first: ResolvedModel, hedgeMs: number): Promise<ModelOutcome<T>> => {
    const race = new HedgeRace(req.signal);
    try {
      const laneA = race.lane(first.key);
      const turns: Array<Promise<ModelOutcome<T>>> = [];
      // An error that ends the call (content refused, budget spent, caller gone) stops the other turn too.
      const track = (turn: Promise<ModelOutcome<T>>) => {
        const tracked = turn.catch((err: unknown) => {
          race.abortAll(err);
          throw err;
        });
        turns.push(tracked);
        return tracked;
      };
      const a = track(tryModel(first, laneA));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'hedge'>((resolve) => (timer = setTimeout(() => resolve('hedge'), hedgeMs)));
      const early = await Promise.race([a.then(() => 'settled' as const, () => 'settled' as const), laneA.won.then(() => 'won' as const), timedOut]);
      clearTimeout(timer);
      if (early !== 'hedge') return await a;
      const second = nextModel();
      if (!second) return await a;
      bus.emit('hedge', { model: first.key, hedge: second.key, after_ms: hedgeMs, context });
      tracing.event('hedge', { 'mo.model': first.key, 'mo.hedge': second.key, 'mo.after_ms': hedgeMs });
      track(tryModel(second, race.lane(second.key), false));
      const outcomes = await Promise.all(turns);
      return outcomes.find((o) => o.ok) ?? { ok: false };
    } finally {
      race.dispose();
    }
  };

  for (let model = nextModel(); model; model = nextModel()) {
    const hedgeMs = hooks.hedging ? hedgeAfterMs(config, model) : 0;
    const outcome = hedgeMs > 0 ? await hedged(model, hedgeMs) : await tryModel(model, soloLane(req.signal));
    if (outcome.ok) return outcome.success;
  }
  throw new AppError('upstream_error', hooks.exhaustedMessage?.() ?? 'every model in the fallback chain failed', attemptDetails(attempts));
}

/** The same error with any provider key removed from its message. */
function withoutSecrets(err: ProviderError, secrets: readonly string[]): ProviderError {
  const message = scrubSecrets(err.message, secrets);
  if (message === err.message) return err;
  return new ProviderError({ kind: err.kind, code: err.code, status: err.status, retryAfterMs: err.retryAfterMs, provider: err.provider, message });
}
