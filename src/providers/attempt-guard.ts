import { thrownError, timeoutError } from './wire-errors.js';

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
 * so long-lived caller signals do not accumulate dependants.) An HTTP exchange run outside a
 * gateway attempt uses it; inside one, the attempt's scope (attempt-scope.ts) is the guard.
 */
export class AttemptGuard implements ExchangeGuard {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal = this.controller.signal;
  fired: { code: TimerCode; ms: number } | undefined;
  private readonly total: NodeJS.Timeout;
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
  private readonly onAbort = (): void => this.controller.abort(this.caller.reason);

  /**
   * @param caller the caller's signal: its abort aborts `signal` with its reason
   * @param totalMs the exchange's total limit (ms): `signal` aborts with `total_timeout` then
   */
  constructor(
    private readonly caller: AbortSignal,
    totalMs: number,
  ) {
    caller.addEventListener('abort', this.onAbort, { once: true });
    this.total = setTimeout(() => this.fire('total_timeout', totalMs), Math.max(1, totalMs));
  }

  private fire(code: TimerCode, ms: number): void {
    if (this.fired || this.signal.aborted) return;
    this.fired = { code, ms };
    this.controller.abort(new Error(code));
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
    this.caller.removeEventListener('abort', this.onAbort);
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
