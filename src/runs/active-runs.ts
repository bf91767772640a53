import { settledWithin } from '../clock.js';
import { CancelledError } from '../orchestrator/cancellation.js';
import type { RunResult } from '../orchestrator/workflow/types.js';

/** A run this replica is driving (single-node engine.ts and shared-engine.ts alike). */
export interface ActiveRun {
  controller: AbortController;
  record: RunResult;
  /** Settles (never rejects) when the run stops running here. */
  done: Promise<unknown>;
}

/** The runs this replica drives, by run id, with what both engines do with them: cancel one, drain all at shutdown. */
export class ActiveRuns extends Map<string, ActiveRun> {
  /** Aborts the run if this replica holds it, recording who cancelled it; the run (to await its `done`) or undefined. */
  abort(runId: string, by: string): ActiveRun | undefined {
    const here = this.get(runId);
    if (here && !here.controller.signal.aborted) {
      here.record.cancelled_by ??= by;
      here.controller.abort(new CancelledError('cancelled'));
    }
    return here;
  }

  /**
   * Shutdown: waits up to `graceMs` for the runs to end on their own (they hand themselves back at
   * their next task boundary), then aborts the rest with `shutdown` (handed back) and waits for them.
   */
  async drain(graceMs: number, log: { warn(obj: object, msg: string): void }): Promise<void> {
    const all = () => Promise.all([...this.values()].map((a) => a.done));
    await settledWithin(all(), graceMs);
    if (this.size > 0) {
      log.warn({ runs: this.size }, 'shutdown grace period over; handing running runs back');
      for (const a of this.values()) a.controller.abort(new CancelledError('shutdown'));
      await all();
    }
  }
}
