import type { CallerSignal } from '../caller-signal.js';
import { AppError } from '../errors.js';
import { isProviderError } from '../providers/provider-error.js';
import { cancelCauseOf } from './cancellation.js';

/** What a task record says about a failed call. */
export interface FailureSummary {
  kind: string;
  message: string;
  /** Tries the gateway made before giving up (at least 1). */
  attempts: number;
  /** The last model tried, when the error says. */
  model: string | null;
}

const CANCEL_REASONS: Record<Exclude<ReturnType<typeof cancelCauseOf>, null | 'deadline'>, string> = {
  shutdown: 'the server is shutting down',
  client_closed: 'the client disconnected',
  cancelled: 'the run was cancelled',
};

/**
 * Reduces whatever a gateway call threw to a record value. An aborted signal
 * wins over the error itself: a call cut short by the run's deadline or a client
 * hanging up is `timeout` / `cancelled`, not a model failure.
 */
export function summarizeFailure(err: unknown, signal: CallerSignal): FailureSummary {
  const cause = cancelCauseOf(signal);
  if (cause === 'deadline') return { kind: 'timeout', message: 'the run ran out of time while this task was running', attempts: 1, model: null };
  if (cause) return { kind: 'cancelled', message: `cancelled: ${CANCEL_REASONS[cause]}`, attempts: 1, model: null };
  if (err instanceof AppError) {
    const tries = err.details.filter((d) => typeof d.model === 'string' && d.kind !== 'skipped');
    const last = tries.at(-1);
    return {
      kind: last?.kind ?? err.type,
      message: err.message,
      attempts: Math.max(1, tries.length),
      model: typeof last?.model === 'string' ? last.model : null,
    };
  }
  if (isProviderError(err)) return { kind: err.kind, message: err.message, attempts: 1, model: null };
  return { kind: 'internal', message: err instanceof Error ? err.message : String(err), attempts: 1, model: null };
}
