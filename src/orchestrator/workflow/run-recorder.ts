import type { FastifyBaseLogger } from 'fastify';
import type { RunStore } from '../../store/types.js';
import type { RunResult } from './types.js';

/**
 * Keeps one run's record and writes it to the run store as the run progresses.
 * Saves are chained so an older snapshot can never land after a newer one, and
 * a store failure is logged rather than failing the run it describes.
 */
export class RunRecorder {
  private pending: Promise<void> = Promise.resolve();

  constructor(
    readonly record: RunResult,
    private readonly store: RunStore,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Queues a snapshot of the current record for saving. */
  save(): void {
    const snapshot = structuredClone(this.record);
    this.pending = this.pending.then(() =>
      this.store.save(snapshot).catch((err: unknown) => {
        this.log.error({ err, run_id: snapshot.run_id }, 'saving the run record failed');
      }),
    );
  }

  /** Resolves when every queued save has been attempted. */
  flush(): Promise<void> {
    return this.pending;
  }
}
