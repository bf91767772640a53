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
  /** Sets the run's final fields as the next save begins (see finish); returns the webhook messages written with them. */
  private conclude: ((record: RunResult) => readonly OutboxMessage[] | undefined) | undefined;

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

  /**
   * Marks the queued save as begun; when the run's conclusion waits (finish), sets the final fields
   * now, in the turn of the write, and hands the save the webhook messages to write with them.
   */
  private begin(): readonly OutboxMessage[] | undefined {
    this.queued = false;
    const conclude = this.conclude;
    if (!conclude) return undefined;
    this.conclude = undefined;
    try {
      return conclude(this.record);
    } catch (err) {
      // Logged like a failed write (the batch path runs this inside the turn's flush, which must not throw).
      this.failed(err);
      return undefined;
    }
  }

  private readonly failed = (err: unknown): void => {
    this.log.error({ err, run_id: this.record.run_id }, 'saving the run record failed');
  };

  private readonly saveAtTurnEnd = (): Promise<void> =>
    turnEnd().then(() => this.store.save(this.record, this.begin()).catch(this.failed));

  private readonly saveInBatch = (): Promise<void> =>
    this.batch!.add(() => ({ kind: 'save', run: this.record, outbox: this.begin() })).then((result) => {
      if (!result.ok) this.failed(result.error);
    });

  /** Saves the current record and resolves once it (and every earlier save) has been attempted. */
  commit(): Promise<void> {
    this.save();
    return this.pending;
  }

  /**
   * The run's final save. `conclude` sets the record's final fields (status, output, finished_at, …)
   * and returns the webhook messages of that status, which the store writes in the same transaction
   * as the record (see RunStore.save). It runs when the save begins, in the turn of the write, not
   * now: a store that holds the live record (memory) would otherwise show the final status for up
   * to a turn before the save that carries it, its webhook messages and, after it, `run_finished`
   * and `completed` — which SQLite and Redis, reading what was written, never show. Resolves once
   * that save (and every earlier one) has been attempted.
   */
  finish(conclude: (record: RunResult) => readonly OutboxMessage[] | undefined): Promise<void> {
    this.conclude = conclude;
    return this.commit();
  }

  /** Resolves when every queued save has been attempted. */
  flush(): Promise<void> {
    return this.pending;
  }
}
