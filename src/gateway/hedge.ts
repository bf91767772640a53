import type { CallerSignal } from '../caller-signal.js';
import type { Config } from '../config/schema.js';
import { resolveModel, type ResolvedModel } from './fallback.js';
import type { GatewayRequest } from './types.js';

/**
 * Hedging for slow first tokens: when a model has produced no token `hedge_after_ms`
 * after its attempt began, the next model of the chain is started as well; the first
 * of the two to produce a token wins and the other is cancelled (its abort reaches the
 * upstream connection). See run-chain.ts for the walk and stream.ts for the claim.
 */

/** The reason a losing attempt is aborted with: the other attempt produced the first token. */
export class HedgeLost extends Error {
  constructor(readonly winner: string) {
    super(`cancelled: '${winner}' produced the first token first`);
    this.name = 'HedgeLost';
  }
}

/**
 * What one model's attempts share with the chain walk while they run: the signal that
 * cancels them, and the claim an attempt makes at its first output.
 */
export interface Lane {
  /** Aborts this model's attempts: the caller hung up, or (in a race) the other model won. */
  readonly signal: CallerSignal | undefined;
  /**
   * Called at the attempt's first output (token, tool call, or its end). True when the
   * attempt may deliver it; false when another model already won the race, and then
   * the attempt must stop without delivering anything.
   */
  claim(): boolean;
  /** True once an attempt of this lane claimed: output was produced, so it is never retried. */
  readonly claimed: boolean;
  /** True when another model won the race and this lane was cancelled. */
  readonly lost: boolean;
}

/**
 * A lane that races no one (hedging off): every claim succeeds. No timer, one small object: a class
 * instance, since an object literal with a getter is built on V8's slow path (~1 µs per call
 * against ~30 ns; every model turn of every call makes one).
 */
class SoloLane implements Lane {
  claimed = false;
  readonly lost = false;
  constructor(readonly signal: CallerSignal | undefined) {}

  claim(): boolean {
    return (this.claimed = true);
  }
}

/** A lane that races no one (see SoloLane). */
export const soloLane = (signal: CallerSignal | undefined): Lane => new SoloLane(signal);

/** A lane of a race, with a promise that resolves when it wins. */
export interface RaceLane extends Lane {
  readonly won: Promise<void>;
}

/**
 * Two (or more) lanes of which the first to claim wins: the others are aborted with
 * HedgeLost. The caller's abort reaches every lane. `dispose()` detaches from the
 * caller's signal once the race is over.
 */
export class HedgeRace {
  private readonly lanes: Array<{ model: string; controller: AbortController }> = [];
  private winner: string | undefined;
  private readonly onCallerAbort = () => {
    for (const lane of this.lanes) lane.controller.abort(this.callerSignal!.reason);
  };

  constructor(private readonly callerSignal: CallerSignal | undefined) {
    callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  lane(model: string): RaceLane {
    const controller = new AbortController();
    if (this.callerSignal?.aborted) controller.abort(this.callerSignal.reason);
    this.lanes.push({ model, controller });
    return new RacingLane(this, model, controller.signal);
  }

  /** Called by a lane's first claim: true when `model` won (now or before), after aborting the others. */
  claimFor(model: string): boolean {
    if (this.winner === undefined) {
      this.winner = model;
      for (const other of this.lanes) if (other.model !== model) other.controller.abort(new HedgeLost(model));
    }
    return this.winner === model;
  }

  /** True when a model other than `model` won. */
  lostBy(model: string): boolean {
    return this.winner !== undefined && this.winner !== model;
  }

  /** Stops every lane (an error in one turn that ends the whole call). */
  abortAll(reason: unknown): void {
    for (const lane of this.lanes) lane.controller.abort(reason);
  }

  dispose(): void {
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }
}

/** One model's lane of a HedgeRace (a class: see SoloLane). */
class RacingLane implements RaceLane {
  claimed = false;
  readonly won: Promise<void>;
  private resolveWon!: () => void;

  constructor(
    private readonly race: HedgeRace,
    private readonly model: string,
    readonly signal: AbortSignal,
  ) {
    this.won = new Promise<void>((resolve) => (this.resolveWon = resolve));
  }

  claim(): boolean {
    if (!this.race.claimFor(this.model)) return false;
    if (!this.claimed) this.resolveWon();
    this.claimed = true;
    return true;
  }

  get lost(): boolean {
    return this.race.lostBy(this.model);
  }
}

/**
 * The model's `hedge_after_ms`: from the model's timeouts, else its provider's, else the
 * global `timeouts`; 0 or absent means no hedging.
 */
export function hedgeAfterMs(config: Config, model: ResolvedModel): number {
  return model.timeouts.hedge_after_ms ?? config.providers[model.provider]?.timeouts.hedge_after_ms ?? config.timeouts.hedge_after_ms ?? 0;
}

/**
 * True when a non-streamed call should be made as a stream so that it can be hedged:
 * a text answer whose first model has `hedge_after_ms`, and nothing asked for that only
 * the non-streamed answer carries (logprobs, several choices).
 */
export function hedgesWhenStreamed(config: Config, req: GatewayRequest): boolean {
  if ((req.kind ?? 'text') !== 'text' || req.options?.logprobs || (req.options?.n ?? 1) > 1) return false;
  const first = resolveModel(config, req.model);
  return first !== undefined && hedgeAfterMs(config, first) > 0;
}
