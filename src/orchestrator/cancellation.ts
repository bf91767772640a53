import { CallerAbort, type CallerSignal } from '../caller-signal.js';
import { AppError } from '../errors.js';

/**
 * Why a request or run was stopped before it finished: the caller hung up, the
 * replica is shutting down (a durable run is handed back, not cancelled), the
 * time budget ran out, or someone cancelled the run (POST /runs/{id}/cancel).
 */
export type CancelCause = 'client_closed' | 'shutdown' | 'deadline' | 'cancelled';

/**
 * The abort reason the orchestrator puts on its signals. It is an AppError so
 * that, when it surfaces, the error plugin answers with the right kind: 504 when
 * the time budget ran out, 503 while shutting down. A client that hung up never
 * sees its reason; the kind there only labels the log line.
 */
export class CancelledError extends AppError {
  constructor(readonly cancelCause: CancelCause, message?: string) {
    super(
      cancelCause === 'shutdown' ? 'overloaded' : 'timeout',
      message ?? DEFAULT_MESSAGES[cancelCause],
      [],
      cancelCause === 'shutdown' ? 1 : undefined,
    );
    this.name = 'CancelledError';
  }
}

const DEFAULT_MESSAGES: Record<CancelCause, string> = {
  client_closed: 'the client closed the connection before the answer was ready',
  shutdown: 'the server is shutting down',
  deadline: 'the request ran out of time',
  cancelled: 'the run was cancelled',
};

/** The cause of an aborted signal, when the orchestrator set it; client_closed for any foreign reason. */
export function cancelCauseOf(signal: CallerSignal): CancelCause | null {
  if (!signal.aborted) return null;
  return signal.reason instanceof CancelledError ? signal.reason.cancelCause : 'client_closed';
}

/** Throws the signal's reason when it has aborted, so callers stop instead of treating an abort as a model failure. */
export function throwIfAborted(signal: CallerSignal): void {
  if (!signal.aborted) return;
  throw signal.reason instanceof Error ? signal.reason : new CancelledError('client_closed');
}

/**
 * A cancellation that follows `parent` and also aborts at `deadline` (epoch ms, by `now`) with a
 * deadline cause. Its signal is a CallerAbort: no AbortSignal is made unless a holder asks for one.
 */
export interface Budget {
  signal: CallerSignal;
  deadline: number;
  /** Stops the deadline timer and detaches from the parent; call when the work ends. */
  dispose(): void;
}

export function createBudget(parent: CallerSignal, deadline: number, now: () => number): Budget {
  const controller = new CallerAbort();
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  const stopDeadline = abortAtDeadline(controller, deadline, now);
  return {
    signal: controller,
    deadline,
    dispose: () => {
      stopDeadline();
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}

/**
 * Aborts `controller` with a deadline cause at `deadline` (epoch ms, by `now`): a budget on a
 * controller the caller already has, instead of a second controller following it (createBudget).
 * Returns the stop (clears the timer); call it when the work ends.
 */
export function abortAtDeadline(controller: { abort(reason: unknown): void }, deadline: number, now: () => number): () => void {
  const timer = setTimeout(() => controller.abort(new CancelledError('deadline')), Math.max(0, deadline - now()));
  timer.unref?.();
  return () => clearTimeout(timer);
}
