import type { CallerSignal } from '../caller-signal.js';
import type { TokenSink } from '../orchestrator/stream-call.js';
import type { Emit } from '../orchestrator/workflow/executor.js';
import type { RunResult } from '../orchestrator/workflow/types.js';
import type { RunEventLog } from '../store/types.js';

/** Log events that are not part of the live stream contract of /workflow and /template (see README, Streaming). */
const LOG_ONLY = new Set(['run_queued', 'run_resumed', 'run_handed_back']);

/**
 * Waits for a run's final record by following its event log, wherever the run
 * executes (shared mode: any replica), and hands a waiting caller its progress:
 * events to `emit`, answer deltas to `onToken`. Resolves with the data of the
 * run's `completed` event; rejects with the signal's reason when `signal`
 * aborts first (the run itself goes on unless someone cancels it).
 */
export function followRun(log: RunEventLog, runId: string, opts: { emit?: Emit; onToken?: TokenSink; signal?: CallerSignal }): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    let dirty = true;
    let reading = false;
    let after: string | null = null;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      stop();
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => finish(() => reject(opts.signal!.reason));
    const pump = async () => {
      if (reading || done) return;
      reading = true;
      try {
        while (dirty && !done) {
          dirty = false;
          for (;;) {
            const batch = await log.read(runId, after, 500);
            for (const e of batch) {
              after = e.id;
              if (e.event === 'completed') return finish(() => resolve(e.data as RunResult));
              if (e.event === 'token') {
                const d = e.data as { text?: unknown; model?: unknown; simulated?: unknown };
                opts.onToken?.(String(d.text ?? ''), { model: String(d.model ?? ''), simulated: d.simulated === true });
              }
              else if (!LOG_ONLY.has(e.event)) opts.emit?.(e.event, e.data);
            }
            if (batch.length < 500 || done) break;
          }
        }
      } catch {
        // A store hiccup (Redis away a moment): read again shortly rather than losing the caller.
        setTimeout(() => {
          dirty = true;
          void pump();
        }, 200).unref?.();
      } finally {
        reading = false;
      }
      if (dirty && !done) void pump();
    };
    const stop = log.watch(runId, () => {
      dirty = true;
      void pump();
    });
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    void pump();
  });
}
