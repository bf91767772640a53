import type { FastifyBaseLogger } from 'fastify';
import type { RunEventLog } from '../store/types.js';
import type { TurnWrites } from './turn-writes.js';

/**
 * Appends one run's events to its log in the order they happen: appends are
 * chained, so a slow write never lets a later event land first. A failed append
 * is logged, not allowed to fail the run it describes.
 */
export class RunEventWriter {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly log: RunEventLog,
    private readonly runId: string,
    private readonly logger: FastifyBaseLogger,
    /** The stores' turn batch (SQLite): appends go out with every other write of the turn, in order. */
    private readonly batch?: TurnWrites,
  ) {}

  append(event: string, data: object): void {
    if (this.batch) {
      this.chain = this.batch.add(() => ({ kind: 'event', run_id: this.runId, event, data })).then((result) => {
        if (!result.ok) this.logger.error({ err: result.error, run_id: this.runId, event }, 'appending to the run event log failed');
      });
      return;
    }
    this.chain = this.chain.then(() =>
      this.log.append(this.runId, event, data).catch((err: unknown) => {
        this.logger.error({ err, run_id: this.runId, event }, 'appending to the run event log failed');
      }),
    );
  }

  /** Resolves once every event appended so far has been written (or has failed and been logged). */
  flush(): Promise<void> {
    return this.chain.then(() => undefined);
  }
}
