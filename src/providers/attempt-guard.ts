import { thrownError, timeoutError } from './wire-errors.js';

/** Our timers: the three limits of an attempt, and the quiet end after a finish reason. */
export type TimerCode = 'first_byte_timeout' | 'stream_idle_timeout' | 'total_timeout' | 'grace';

/**
 * Our side of one attempt: an AbortController fed by the caller's signal and by our own
 * timers, remembering which fired so the failure can be told apart from a caller abort.
 * (A manual controller rather than AbortSignal.any: the listener is removed on dispose,
 * so long-lived caller signals do not accumulate dependants.)
 */
export class AttemptGuard {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  fired: { code: TimerCode; ms: number } | undefined;
  private readonly total: NodeJS.Timeout;
  private idle: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.controller.abort(this.caller.reason);

  constructor(
    private readonly caller: AbortSignal,
    totalMs: number,
  ) {
    caller.addEventListener('abort', this.onAbort, { once: true });
    this.total = setTimeout(() => this.fire('total_timeout', totalMs), Math.max(1, totalMs));
  }

  private fire(code: TimerCode, ms: number): void {
    if (this.signal.aborted) return;
    this.fired = { code, ms };
    this.controller.abort(new Error(code));
  }

  /** Fires `code` after `ms`; `limitMs` is the configured limit named in the error. */
  arm(code: TimerCode, ms: number, limitMs = ms): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.fire(code, limitMs), Math.max(1, ms));
  }

  disarm(): void {
    clearTimeout(this.idle);
  }

  dispose(): void {
    clearTimeout(this.total);
    clearTimeout(this.idle);
    this.caller.removeEventListener('abort', this.onAbort);
  }

  /** The caller's reason if the caller aborted, our timeout if a timer fired, else the wire error. */
  translate(provider: string, err: unknown): unknown {
    if (this.caller.aborted) return this.caller.reason;
    if (this.fired && this.fired.code !== 'grace') return timeoutError(provider, this.fired.code, this.fired.ms);
    return thrownError(provider, err);
  }
}
