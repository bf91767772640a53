import { scopeOf } from './attempt-scope.js';
import { thrownError, timeoutError } from './wire-errors.js';

/**
 * Whether `signal` aborts by itself no later than `deadline` (Date.now() ms): an attempt scope's
 * signal (attempt-scope.ts) carries the attempt's deadline. An HTTP exchange of the attempt whose
 * own total limit ends no sooner needs no controller and timer of its own for it (an AbortSignal
 * costs ~5 µs to create on Node 20).
 */
export function abortsBy(signal: AbortSignal, deadline: number): boolean {
  const own = scopeOf(signal)?.deadline;
  return own !== undefined && own <= deadline;
}

/** What an HTTP exchange needs of its guard: the signal to send, a timer to arm (and disarm), and the error to throw. */
export interface ExchangeGuard {
  readonly signal: AbortSignal;
  /** The limit that fired, if one did. */
  readonly fired: { code: TimerCode; ms: number } | undefined;
  arm(code: TimerCode, ms: number, limitMs?: number): void;
  /** Stops the armed limit (what the guard's own end, if any, still applies). */
  disarm(): void;
  translate(provider: string, err: unknown): unknown;
  dispose(): void;
}

/** Our timers: the three limits of an attempt, and the quiet end after a finish reason. */
export type TimerCode = 'first_byte_timeout' | 'stream_idle_timeout' | 'total_timeout' | 'grace';

/**
 * Our side of one attempt: an AbortController fed by the caller's signal and by our own
 * timers, remembering which fired so the failure can be told apart from a caller abort.
 * (A manual controller rather than AbortSignal.any: the listener is removed on dispose,
 * so long-lived caller signals do not accumulate dependants.)
 *
 * Without `totalMs` (a caller's signal that ends the exchange at its total limit already, see
 * `abortsBy`), the guard has no controller, listener or total timer of its own: `signal` is the
 * caller's, and a timer that fires ends the exchange by destroying the response body given to
 * `attach` (the reader sees the body's error; `translate` still names the timer). A stream read outside
 * a gateway attempt uses it (inside one, the attempt's scope is the guard): an AbortSignal costs ~5 µs
 * to create on Node 20, and a stream's timers are armed only once its headers (and body) are there.
 */
export class AttemptGuard implements ExchangeGuard {
  private readonly controller: AbortController | undefined;
  readonly signal: AbortSignal;
  fired: { code: TimerCode; ms: number } | undefined;
  private readonly total: NodeJS.Timeout | undefined;
  /** What a timer destroys when there is no controller of our own. */
  private body: { destroy(error?: Error): unknown } | undefined;
  /**
   * The one timer behind `arm`: a stream re-arms it at every event, so instead of a clearTimeout and a
   * setTimeout per event, `arm` moves a deadline and the timer, when it fires early, waits for the rest.
   */
  private idle: NodeJS.Timeout | undefined;
  /** When `idle` is due (Date.now ms). */
  private idleAt = 0;
  /** What `arm` set: the code, its deadline (Date.now ms) and the limit named in the error; undefined when disarmed. */
  private armedCode: TimerCode | undefined;
  private armedAt = 0;
  private armedLimitMs = 0;
  private readonly onAbort = (): void => this.controller!.abort(this.caller.reason);

  constructor(
    private readonly caller: AbortSignal,
    totalMs?: number,
  ) {
    if (totalMs === undefined) {
      this.signal = caller;
      return;
    }
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    caller.addEventListener('abort', this.onAbort, { once: true });
    this.total = setTimeout(() => this.fire('total_timeout', totalMs), Math.max(1, totalMs));
  }

  /** The response body a timer destroys (only needed without a controller of our own). */
  attach(body: { destroy(error?: Error): unknown }): void {
    this.body = body;
  }

  private fire(code: TimerCode, ms: number): void {
    if (this.fired || this.signal.aborted) return;
    this.fired = { code, ms };
    if (this.controller) this.controller.abort(new Error(code));
    else this.body?.destroy(new Error(code));
  }

  /** Fires `code` after `ms` (replacing what was armed); `limitMs` is the configured limit named in the error. */
  arm(code: TimerCode, ms: number, limitMs = ms): void {
    const at = Date.now() + Math.max(1, ms);
    this.armedCode = code;
    this.armedAt = at;
    this.armedLimitMs = limitMs;
    // A timer due later than the new deadline is replaced; one due earlier finds the deadline moved and waits on.
    if (this.idle !== undefined && this.idleAt <= at) return;
    clearTimeout(this.idle);
    this.schedule(at);
  }

  disarm(): void {
    this.armedCode = undefined;
  }

  dispose(): void {
    this.armedCode = undefined;
    clearTimeout(this.total);
    clearTimeout(this.idle);
    this.idle = undefined;
    this.body = undefined;
    if (this.controller) this.caller.removeEventListener('abort', this.onAbort);
  }

  private schedule(at: number): void {
    this.idleAt = at;
    this.idle = setTimeout(this.onIdle, Math.max(1, at - Date.now()));
  }

  private readonly onIdle = (): void => {
    this.idle = undefined;
    const code = this.armedCode;
    if (code === undefined) return;
    if (Date.now() < this.armedAt) return this.schedule(this.armedAt);
    this.armedCode = undefined;
    this.fire(code, this.armedLimitMs);
  };

  /** The caller's reason if the caller aborted, our timeout if a timer fired, else the wire error. */
  translate(provider: string, err: unknown): unknown {
    if (this.caller.aborted) return this.caller.reason;
    if (this.fired && this.fired.code !== 'grace') return timeoutError(provider, this.fired.code, this.fired.ms);
    return thrownError(provider, err);
  }
}
