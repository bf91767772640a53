import type { FastifyBaseLogger } from 'fastify';
import type { OutboxMessage } from '../../store/outbox-types.js';
import type { RunStore } from '../../store/types.js';
import type { TurnWrites } from '../../runs/turn-writes.js';
import type { RunResult } from './types.js';

/** Resolves after the I/O callbacks of this event-loop turn (setImmediate). */
const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Keeps one run's record and writes it to the run store as the run progresses.
 * Saves are chained so an older snapshot can never land after a newer one, and
 * a store failure is logged rather than failing the run it describes.
 *
 * A save waits for the end of the event-loop turn it was asked in, so every change the run
 * makes in that turn is one write: tasks whose answers arrived together, a task's result and
 * the start of the task after it, the last result and the final record. Under load a turn
 * handles many answers, and a run of N tasks writes its (whole) record far fewer than 2N
 * times; when idle the wait is one turn (microseconds).
 */
export class RunRecorder {
  private pending: Promise<void> = Promise.resolve();
  /** A save is queued and has not begun: it will write the newest state, so another is not needed. */
  private queued = false;
  /** Messages the next save writes with the record (the final one's webhooks). */
  private outbox: readonly OutboxMessage[] | undefined;

  /** `batch`: the stores' turn batch (SQLite): this run's saves go out with every other run's of the same turn. */
  constructor(
    readonly record: RunResult,
    private readonly store: RunStore,
    private readonly log: FastifyBaseLogger,
    private readonly batch?: TurnWrites,
  ) {}

  /**
   * Queues a save of the current record. Saves coalesce: while one waits for the end of
   * the turn or for the previous write, later calls ride on it, and it writes the record as
   * it is when it begins. Stores copy the record when `save` is called, so no snapshot is taken here.
   */
  save(): void {
    if (this.queued) return;
    this.queued = true;
    this.pending = this.pending.then(this.batch ? this.saveInBatch : this.saveAtTurnEnd);
  }

  /** Marks the queued save as begun and hands it the outbox messages waiting for the record. */
  private takeOutbox(): readonly OutboxMessage[] | undefined {
    this.queued = false;
    const outbox = this.outbox;
    this.outbox = undefined;
    return outbox;
  }

  private readonly failed = (err: unknown): void => {
    this.log.error({ err, run_id: this.record.run_id }, 'saving the run record failed');
  };

  private readonly saveAtTurnEnd = (): Promise<void> =>
    turnEnd().then(() => this.store.save(this.record, this.takeOutbox()).catch(this.failed));

  private readonly saveInBatch = (): Promise<void> =>
    this.batch!.add(() => ({ kind: 'save', run: this.record, outbox: this.takeOutbox() })).then((result) => {
      if (!result.ok) this.failed(result.error);
    });

  /**
   * Saves the current record and resolves once it (and every earlier save) has been attempted;
   * `outbox` messages are written in the same transaction as that record (see RunStore.save).
   */
  commit(outbox?: readonly OutboxMessage[]): Promise<void> {
    if (outbox?.length) this.outbox = [...(this.outbox ?? []), ...outbox];
    this.save();
    return this.pending;
  }

  /** Resolves when every queued save has been attempted. */
  flush(): Promise<void> {
    return this.pending;
  }
}
