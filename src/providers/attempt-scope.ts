import { CallerAbort, type CallerSignal } from '../caller-signal.js';
import { thrownError, timeoutError } from './wire-errors.js';

/** The limits an exchange arms: the three of an attempt, and the quiet end after a finish reason. */
export type TimerCode = 'first_byte_timeout' | 'stream_idle_timeout' | 'total_timeout' | 'grace';

/** What the gateway does when an attempt settles (its breaker and limiter slot), told before the attempt's promise settles. */
export interface AttemptOutcome<T> {
  succeeded(value: T): void;
  failed(err: unknown): void;
}

/**
 * One attempt's cancellation and its one timer. The gateway runs every attempt in one
 * (gateway/attempt.ts); the scope itself is the CallerSignal the adapter gets (`ProviderRequest.signal`),
 * and it aborts when the caller's signal does, when the attempt's time is up (`deadline`), or when
 * the exchange running in it misses the limit it armed. An HTTP exchange of the attempt (http.ts
 * `json` and `sse`) finds the scope by its signal being one, arms its limits on it and registers
 * itself (`exchange`) to be aborted with it: per attempt one small object, one listener on the
 * caller's signal and one timer, whose deadline moves (the earlier of the attempt's end and the
 * armed limit). An AbortSignal (~2.5 µs on Node 20) is made only when something asks for `signal`.
 * An exchange run outside a gateway attempt runs in a scope of its own (its total_ms the deadline).
 */
export class AttemptScope extends CallerAbort {
  /** The exchange limit that fired, if one did: the attempt then fails with its timeout (after `grace`, a stream's quiet end, it goes on). */
  fired: { code: TimerCode; ms: number } | undefined;
  /** The exchange in flight, while one runs: aborted with the attempt (instead of a listener on its signal). */
  exchange: { abort(reason: unknown): void } | undefined;
  private armedCode: TimerCode = 'first_byte_timeout';
  /** When the armed limit is due (Date.now ms); Infinity when nothing is armed. */
  private armedAt = Number.POSITIVE_INFINITY;
  private armedMs = 0;
  /** When a limit may be armed at the latest (see `expect`): the timer is due no later. */
  private expectedAt = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private running = false;
  private ended: ((reason: unknown) => void) | undefined;
  /** What runs when the attempt settles, before its promise does (see `run`). */
  private outcome: AttemptOutcome<never> | undefined;
  private readonly onCallerAbort = (): void => this.end(this.caller!.reason);

  /**
   * @param caller the caller's signal: its abort ends the attempt with its reason
   * @param deadline Date.now() ms at which the attempt's time is up
   * @param overdue the error the attempt fails with at `deadline` (a subclass may override `overdueError` instead)
   */
  constructor(
    private readonly caller: CallerSignal | undefined,
    readonly deadline: number,
    private readonly overdue?: () => unknown,
  ) {
    super();
    if (caller?.aborted) super.abort(caller.reason);
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  /**
   * Runs the attempt: settles as `call` does, or rejects at once with the caller's reason or the
   * `overdue` error (an adapter that ignores its signal cannot hold the caller past the limit).
   * `outcome`, when given, is told first (in the same turn, no promise of its own): `succeeded` with
   * the value, or `failed` with the error the promise rejects with; a throw of `succeeded` rejects.
   */
  run<T>(call: (scope: AttemptScope) => Promise<T>, outcome?: AttemptOutcome<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.outcome = outcome as AttemptOutcome<never> | undefined;
      if (this.aborted) return this.fail(reject, this.reason);
      this.ended = reject;
      let pending: Promise<T>;
      try {
        pending = call(this);
      } catch (err) {
        return this.fail(reject, err);
      }
      // Set after the attempt's synchronous start, so that a limit it armed is the timer's first deadline.
      this.running = true;
      this.schedule();
      pending.then(
        (value) => {
          // Undefined once the attempt ended first (caller, deadline): fail() told `failed` already.
          const told = this.outcome as AttemptOutcome<T> | undefined;
          this.outcome = undefined;
          this.close();
          if (told) {
            try {
              told.succeeded(value);
            } catch (err) {
              return reject(err);
            }
          }
          resolve(value);
        },
        (err: unknown) => this.fail(reject, err),
      );
    });
  }

  /** The attempt failed with `err`: timer and listener go, `outcome` is told, the promise rejects (with what `failed` threw, if it did). */
  private fail(reject: (reason: unknown) => void, err: unknown): void {
    this.close();
    const outcome = this.outcome;
    this.outcome = undefined;
    try {
      outcome?.failed(err);
    } catch (thrown) {
      return reject(thrown);
    }
    reject(err);
  }

  /** Arms the exchange's limit: `code` fires after `ms` unless disarmed (`dispose`) first; `limitMs` is named in the error. */
  arm(code: TimerCode, ms: number, limitMs = ms): void {
    this.armedCode = code;
    this.armedAt = Date.now() + Math.max(1, ms);
    this.armedMs = limitMs;
    if (this.running) this.schedule();
  }

  /**
   * Says that a limit due at `at` (Date.now ms) may be armed later (an exchange arms its answer's
   * limit when the headers come): the one timer is set no later than that, so arming it then
   * moves no timer.
   */
  expect(at: number): void {
    this.expectedAt = at;
    if (this.running) this.schedule();
  }

  /** Stops the armed limit; the attempt's own deadline still holds. */
  disarm(): void {
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  /** The exchange ended: its limit no longer applies, nothing is left to cancel. */
  dispose(): void {
    this.armedAt = Number.POSITIVE_INFINITY;
    this.expectedAt = Number.POSITIVE_INFINITY;
    this.exchange = undefined;
  }

  /** The timeout of the exchange limit that fired, else the attempt's own reason when it ended, else the wire error. */
  translate(provider: string, err: unknown): unknown {
    const fired = this.fired;
    if (fired && fired.code !== 'grace') return timeoutError(provider, fired.code, fired.ms);
    if (this.aborted) return this.reason;
    return thrownError(provider, err);
  }

  private schedule(): void {
    const at = Math.min(this.deadline, this.armedAt, this.expectedAt);
    // A timer due no later than `at` stays: when it fires early it finds the deadline and waits on.
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    // The scope rides on the timer as its argument: no closure per scope.
    this.timer = setTimeout(AttemptScope.fire, Math.max(1, at - Date.now()), this);
  }

  private static fire(scope: AttemptScope): void {
    scope.onTimer();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.aborted || !this.running) return;
    const now = Date.now();
    if (this.armedAt <= now) {
      this.fired = { code: this.armedCode, ms: this.armedMs };
      this.armedAt = Number.POSITIVE_INFINITY;
      if (this.fired.code !== 'grace') return this.abort(new Error(this.fired.code));
      // The quiet end after a stream's finish (http.ts `sse`) ends the exchange, not the attempt: it goes on to its success.
      const exchange = this.exchange;
      this.exchange = undefined;
      exchange?.abort(new Error('grace'));
      this.schedule();
    } else if (this.deadline <= now) this.end(this.overdueError());
    else {
      if (this.expectedAt <= now) this.expectedAt = Number.POSITIVE_INFINITY;
      this.schedule();
    }
  }

  /** The error the attempt fails with at its deadline. */
  protected overdueError(): unknown {
    return this.overdue?.();
  }

  private end(reason: unknown): void {
    if (this.aborted) return;
    const ended = this.ended;
    this.close();
    this.abort(reason);
    if (ended) this.fail(ended, reason);
  }

  /** Aborts the attempt's signal (its listeners, and `signal` if made), then the exchange in flight. */
  override abort(reason: unknown): void {
    if (this.aborted) return;
    super.abort(reason);
    const exchange = this.exchange;
    this.exchange = undefined;
    exchange?.abort(reason);
  }

  /** The attempt is over: its timer and the caller's listener go. */
  private close(): void {
    this.running = false;
    this.ended = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}
