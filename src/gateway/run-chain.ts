import { sleep, type Clock } from '../clock.js';
import type { Capability, Config } from '../config/schema.js';
import { AppError } from '../errors.js';
import { scrubSecrets } from '../secrets.js';
import type { AppEventBus } from '../events.js';
import { ProviderError } from '../providers/provider-error.js';
import type { OutputKind, ProviderAdapter, ProviderRequest } from '../providers/types.js';
import type { CallerSignal } from '../caller-signal.js';
import type { AttemptTimeouts } from '../providers/types.js';
import { asProviderError, runAttempt, SkippedAttempt, type AdmittedAttempt, type AttemptPlan } from './attempt.js';
import { chainTrace, NO_ATTEMPT, type AttemptTrace } from './call-trace.js';
import { attemptDetails, recordCancelled, recordFailure } from './attempt-log.js';
import { hedgeAfterMs, HedgeRace, soloLane, type Lane } from './hedge.js';
import type { ModelBreakers } from './breaker.js';
import { requestWeight } from './request-weight.js';
import { missingCapability, requiredCapabilities, resolveChain, type ResolvedModel } from './fallback.js';
import type { ProviderLimiter } from './limiter.js';
import { decideAfterFailure } from './retry.js';
import { resolveTimeouts } from './timeouts.js';
import type { Attempt, CallContext, CallFinish, GatewayRequest } from './types.js';

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

/** How a kind of call (plain or streaming) plugs into the chain walk; `R` is what the walk resolves with. */
export interface ChainHooks<T, R = ChainSuccess<T>> {
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
  /**
   * What the walk resolves with, made from its success in the reaction that records it (no promise
   * of its own); without it, the success itself. `finish` is the one given to runChain (Gateway.call's).
   */
  done?(req: GatewayRequest, success: ChainSuccess<T>, finish: CallFinish | undefined): R;
}

export interface ChainSuccess<T> {
  value: T;
  model: ResolvedModel;
  /** Whether a model other than the requested one answered. */
  fallbackUsed: boolean;
  attempts: Attempt[];
  latencyMs: number;
}

/**
 * Walks the fallback chain: for each eligible model, attempts with retries per
 * the error class, moving on when the class, a silent timeout, an open circuit
 * or a full limiter says so. With `hedge_after_ms` set for a model (and a hook
 * that claims first tokens), the next model is started alongside it when no
 * token came by then, and the first to produce one wins (see hedge.ts).
 * Resolves with the first success; rejects with an AppError (502 exhausted, 504
 * budget spent, 400 content refused) otherwise, or the caller's abort reason
 * when the caller gave up.
 *
 * One ChainWalk object per call holds the walk's state, and each attempt is one promise
 * reaction on runAttempt's promise (no async functions or closures per call on the way).
 */
export function runChain<T, R = ChainSuccess<T>>(env: GatewayEnv, req: GatewayRequest, hooks: ChainHooks<T, R>, finish?: CallFinish): Promise<R> {
  try {
    return new ChainWalk(env, req, hooks, finish).next();
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * One walk of the chain (see runChain). A model's turn resolves with the call's success; when its model is
 * passed by, a solo turn goes on to the next model itself and a hedged turn resolves undefined.
 */
class ChainWalk<T, R> {
  private readonly context: CallContext;
  readonly kind: OutputKind;
  private readonly chain: readonly ResolvedModel[];
  private readonly needs: readonly Capability[];
  readonly deadline: number;
  private readonly attempts: Attempt[] = [];
  /** Providers whose limiter had no slot within the wait (made on the first). */
  private fullProviders: Set<string> | undefined;
  private contextFloor = 0;
  private previous: { model: string; reason: string } | undefined;
  private position = 0;
  // Spans of the attempts and events of the walk, under the call's span (call-trace.ts); a no-op when tracing is off.
  readonly tracing = chainTrace();

  constructor(
    readonly env: GatewayEnv,
    readonly req: GatewayRequest,
    readonly hooks: ChainHooks<T, R>,
    private readonly finish: CallFinish | undefined,
  ) {
    this.context = req.context ?? {};
    this.kind = req.kind ?? 'text';
    this.chain = resolveChain(env.config, req.model, req.fallbacks);
    this.needs = requiredCapabilities(this.kind, req.messages);
    this.deadline = req.deadline ?? env.clock.now() + env.config.limits.default_timeout_s * 1000;
  }

  /** The turns of the models left, in order: the first success, or the 502 when the chain runs out (thrown). */
  next(): Promise<R> {
    const model = this.nextModel();
    if (!model) {
      throw new AppError('upstream_error', this.hooks.exhaustedMessage?.() ?? 'every model in the fallback chain failed', attemptDetails(this.attempts));
    }
    const hedgeMs = this.hooks.hedging ? hedgeAfterMs(this.env.config, model) : 0;
    if (hedgeMs > 0) return this.hedged(model, hedgeMs).then((success) => success ?? this.next());
    // A turn of its own goes on to the next model itself (see onward): no promise between the turns.
    return this.tryModel(model, soloLane(this.req.signal), true, true) as Promise<R>;
  }

  /** Where a turn goes when its model is passed by: a solo turn walks on (next), a hedged one ends undefined for hedged() to weigh. */
  private onward(solo: boolean): Promise<R> | undefined {
    return solo ? this.next() : undefined;
  }

  private checkBudget(): void {
    const { req } = this;
    if (req.signal?.aborted) throw req.signal.reason;
    if (this.env.clock.now() >= this.deadline) {
      throw new AppError('timeout', 'the time budget of the call ran out before a model answered', attemptDetails(this.attempts));
    }
  }

  private skip(model: ResolvedModel, code: Attempt['code'], message: string): void {
    this.attempts.push({ model: model.key, provider: model.provider, outcome: 'skipped', code, message, duration_ms: 0 });
    this.previous = { model: model.key, reason: String(code) };
    this.tracing.event('model_skipped', { 'gen_ai.request.model': model.key, 'error.type': String(code), 'mo.reason': message });
  }

  /** The next model of the chain that may be tried now, recording why the others are passed by. */
  private nextModel(): ResolvedModel | undefined {
    const { chain, hooks, req } = this;
    while (this.position < chain.length) {
      const model = chain[this.position++]!;
      const lacking = missingCapability(model, this.needs);
      if (lacking) {
        this.skip(model, 'capability', `lacks the '${lacking}' capability`);
        continue;
      }
      const hookReason = hooks.skip?.(model);
      if (hookReason) {
        this.skip(model, 'capability', hookReason);
        continue;
      }
      if (this.contextFloor > 0 && model.context_window <= this.contextFloor) {
        this.skip(model, 'context_length_exceeded', `context window ${model.context_window} is not larger than ${this.contextFloor}`);
        continue;
      }
      if (this.fullProviders?.has(model.provider)) {
        this.skip(model, 'limiter_wait', `provider '${model.provider}' has no free slot`);
        continue;
      }
      const adapter = this.env.adapters[model.provider];
      if (!adapter) throw new AppError('internal_error', `no adapter for provider '${model.provider}'`);
      const refused = req.options ? adapter.unsupported?.(req.options, model.model)[0] : undefined;
      if (refused) {
        this.skip(model, 'capability', `cannot honour '${refused.param}': ${refused.message}`);
        continue;
      }
      return model;
    }
    return undefined;
  }

  /**
   * One model's turn: attempts with retries until success, a move to the next model (`onward`), or an
   * error that ends the call.
   */
  private tryModel(model: ResolvedModel, lane: Lane, announce: boolean, solo: boolean): Promise<R | undefined> {
    try {
      if (announce && this.previous) {
        const { previous } = this;
        this.env.bus.emit('fallback', { from: previous.model, to: model.key, reason: previous.reason, context: this.context });
        this.tracing.event('fallback', { 'mo.from': previous.model, 'mo.to': model.key, 'mo.reason': previous.reason });
      }
      return this.attempt(model, lane, 0, solo);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** One attempt on `model` (its `retries`th retry), and what follows it: success, a retry, or a move on. */
  private attempt(model: ResolvedModel, lane: Lane, retries: number, solo: boolean): Promise<R | undefined> {
    this.checkBudget();
    // The attempt's plan is one object (its limits, wait hook and provider call as methods: no closures per attempt).
    const step = new ChainAttempt<T>(this, model, lane, retries + 1);
    let pending: Promise<T>;
    try {
      // What can throw on the request's content (its weight) is worked out here, so a throw is this attempt's failure.
      step.weigh();
      pending = runAttempt(step);
    } catch (err) {
      pending = Promise.reject(err);
    }
    return pending.then(
      (value): R => this.succeeded(step, value),
      (err: unknown) => this.failed(err, model, lane, retries, step.startedAt, step.trace, step.adapter, solo),
    );
  }

  /** The attempt answered: recorded, and the walk's result made (`hooks.done`, or the success itself). */
  private succeeded(step: ChainAttempt<T>, value: T): R {
    const { model } = step;
    step.trace.succeeded(value);
    const latencyMs = this.env.clock.now() - step.startedAt;
    this.attempts.push({ model: model.key, provider: model.provider, outcome: 'success', duration_ms: latencyMs });
    const success: ChainSuccess<T> = { value, model, fallbackUsed: model.key !== this.chain[0]!.key, attempts: this.attempts, latencyMs };
    return this.hooks.done ? this.hooks.done(this.req, success, this.finish) : (success as R);
  }

  /** After a failed attempt: a retry (its promise), a move to the next model (`onward`), or a throw that ends the call. */
  private failed(
    err: unknown,
    model: ResolvedModel,
    lane: Lane,
    retries: number,
    startedAt: number,
    attemptTrace: AttemptTrace,
    adapter: ProviderAdapter,
    solo: boolean,
  ): Promise<R | undefined> | undefined {
    const { env, req, hooks, attempts, context } = this;
    const { bus, clock, config } = env;
    if (err instanceof SkippedAttempt) {
      if (err.code === 'limiter_wait') (this.fullProviders ??= new Set()).add(model.provider);
      this.skip(model, err.code, err.message);
      return this.onward(solo);
    }
    if (err instanceof AppError || req.signal?.aborted) {
      attemptTrace.failed(err);
      if (err instanceof AppError) throw err;
      throw req.signal!.reason;
    }
    if (lane.lost) {
      attemptTrace.cancelled();
      recordCancelled(bus, attempts, model, lane.signal?.reason, { durationMs: clock.now() - startedAt, simulated: adapter.simulated, context });
      return this.onward(solo);
    }
    const failure = withoutSecrets(asProviderError(err, model.provider), env.secrets);
    attemptTrace.failed(failure);
    recordFailure(bus, attempts, model, failure, { durationMs: clock.now() - startedAt, simulated: adapter.simulated, context });
    if (hooks.retryNow?.(model, failure) === true) return this.attempt(model, lane, retries, solo);
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
    this.checkBudget();
    if (decision.action === 'next') {
      if (decision.needLargerContext) this.contextFloor = Math.max(this.contextFloor, model.context_window);
      this.previous = { model: model.key, reason: decision.reason };
      return this.onward(solo);
    }
    // Output already produced cannot be unsent; and waiting past the deadline helps no one.
    if (lane.claimed || clock.now() + decision.delayMs >= this.deadline) {
      this.previous = { model: model.key, reason: failure.code ?? failure.kind };
      return this.onward(solo);
    }
    const retry = retries + 1;
    bus.emit('retry', {
      model: model.key,
      provider: model.provider,
      kind: failure.kind,
      attempt: retry,
      delay_ms: decision.delayMs,
      context,
    });
    this.tracing.event('retry', { 'gen_ai.request.model': model.key, 'error.type': failure.code ?? failure.kind, 'mo.retry': retry, 'mo.delay_ms': decision.delayMs });
    return sleep(decision.delayMs, lane.signal).then(
      () => this.attempt(model, lane, retry, solo),
      (slept: unknown) => {
        if (!lane.lost) throw slept;
        return this.onward(solo);
      },
    );
  }

  /**
   * `first`'s turn, with the next model started alongside it when `first` has produced no
   * token `hedgeMs` after its turn began. Both turns run to their end (the loser is
   * cancelled as soon as the winner claims), so both attempts are recorded.
   */
  private async hedged(first: ResolvedModel, hedgeMs: number): Promise<R | undefined> {
    const { bus } = this.env;
    const race = new HedgeRace(this.req.signal);
    try {
      const laneA = race.lane(first.key);
      const turns: Array<Promise<R | undefined>> = [];
      // An error that ends the call (content refused, budget spent, caller gone) stops the other turn too.
      const track = (turn: Promise<R | undefined>) => {
        const tracked = turn.catch((err: unknown) => {
          race.abortAll(err);
          throw err;
        });
        turns.push(tracked);
        return tracked;
      };
      const a = track(this.tryModel(first, laneA, true, false));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'hedge'>((resolve) => (timer = setTimeout(() => resolve('hedge'), hedgeMs)));
      const early = await Promise.race([a.then(() => 'settled' as const, () => 'settled' as const), laneA.won.then(() => 'won' as const), timedOut]);
      clearTimeout(timer);
      if (early !== 'hedge') return await a;
      const second = this.nextModel();
      if (!second) return await a;
      bus.emit('hedge', { model: first.key, hedge: second.key, after_ms: hedgeMs, context: this.context });
      this.tracing.event('hedge', { 'mo.model': first.key, 'mo.hedge': second.key, 'mo.after_ms': hedgeMs });
      track(this.tryModel(second, race.lane(second.key), false, false));
      const outcomes = await Promise.all(turns);
      return outcomes.find((o) => o !== undefined);
    } finally {
      race.dispose();
    }
  }
}

/**
 * One attempt of a chain walk on `model`: runAttempt's plan (the limiter's weight and wait, the attempt's
 * limits when it is admitted) and the provider request it makes, as one object.
 */
class ChainAttempt<T> implements AttemptPlan<T> {
  readonly adapter: ProviderAdapter;
  readonly breakers: ModelBreakers;
  // Set by weigh(), inside the attempt's try.
  limiter: ProviderLimiter | undefined = undefined;
  weight = 0;
  maxWaitMs = 0;
  readonly signal: CallerSignal | undefined;
  readonly startedAt: number;
  // The attempt's span (call-trace.ts); NO_ATTEMPT when tracing is off.
  readonly trace: AttemptTrace;
  private readonly prefill: string | undefined;
  /** The most the model may write for this request (tokens): what the limiter weighs. */
  private readonly limit: number;
  private readonly maxTokens: number | undefined;

  constructor(
    private readonly walk: ChainWalk<T, unknown>,
    readonly model: ResolvedModel,
    private readonly lane: Lane,
    attempt: number,
  ) {
    const { env, req } = walk;
    this.adapter = env.adapters[model.provider]!;
    this.prefill = walk.hooks.prefill?.(model);
    this.limit = Math.min(req.max_tokens ?? model.max_output_tokens, model.max_output_tokens);
    // The OpenAI door sends no limit the caller did not ask for; the limiter still weighs the worst case.
    this.maxTokens = req.max_tokens === undefined && req.default_max_tokens === false ? undefined : this.limit;
    this.startedAt = env.clock.now();
    this.trace = walk.tracing.attempt(model, walk.kind, attempt);
    this.breakers = env.breakers;
    this.signal = this.lane.signal;
  }

  /** The attempt's limiter, the request's weight on it and the longest wait for a slot (ms). Throws on a malformed message. */
  weigh(): void {
    const { env, req, deadline } = this.walk;
    const { config, clock } = env;
    const model = this.model;
    const live = env.providerModes[model.provider] === 'live';
    const rules = config.providers[model.provider]?.rate_limits;
    this.limiter = live ? env.limiters.get(model.provider) : undefined;
    // Only a live provider's limiter weighs the request (against the most it may write).
    this.weight = live ? requestWeight(req.messages, this.limit, this.prefill) : 0;
    this.maxWaitMs = Math.min(rules?.max_wait_ms ?? 0, req.max_wait_ms ?? Number.POSITIVE_INFINITY, Math.max(0, deadline - clock.now()));
  }

  timeouts(): AttemptTimeouts {
    const { env, deadline } = this.walk;
    const { config } = env;
    return resolveTimeouts(config, this.model, config.providers[this.model.provider], deadline - env.clock.now());
  }

  onLimiterWait(waitMs: number): void {
    const provider = this.model.provider;
    this.walk.env.bus.emit('limiter_wait', { provider, wait_ms: Math.round(waitMs) });
    this.walk.tracing.event('limiter_wait', { 'gen_ai.provider.name': provider, 'mo.wait_ms': Math.round(waitMs) });
  }

  call(attempt: AdmittedAttempt): Promise<T> {
    const { req, kind, hooks } = this.walk;
    const { model } = this;
    const preq: ProviderRequest = {
      onResponseStart: attempt.onResponseStart,
      model: model.model,
      kind,
      messages: req.messages,
      max_tokens: this.maxTokens,
      temperature: req.temperature ?? model.temperature,
      json: req.json,
      options: req.options,
      prefill: this.prefill,
      timeouts: attempt.timeouts,
      signal: attempt,
    };
    // Tracing off: the attempt is made as it is (no closure for a span that is not made).
    if (this.trace === NO_ATTEMPT) return hooks.attempt(this.adapter, model, preq, this.lane);
    return this.trace.run((trace) => hooks.attempt(this.adapter, model, trace ? { ...preq, trace } : preq, this.lane));
  }
}

/** The same error with any provider key removed from its message. */
function withoutSecrets(err: ProviderError, secrets: readonly string[]): ProviderError {
  const message = scrubSecrets(err.message, secrets);
  if (message === err.message) return err;
  return new ProviderError({ kind: err.kind, code: err.code, status: err.status, retryAfterMs: err.retryAfterMs, provider: err.provider, message });
}
