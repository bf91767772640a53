import type { RunWrite, RunWriteResult, Stores } from '../store/types.js';

interface Queued {
  /** Makes the write when the batch goes out (a record save takes the record as it is then). */
  take: () => RunWrite;
  done: (result: RunWriteResult) => void;
}

/**
 * The run writes (record saves, event appends) that every run asks for in one event-loop
 * turn, written together at the end of the turn (setImmediate) in one `Stores.writeRuns`
 * call: with SQLite one transaction, one commit, instead of one per write. Under load a
 * turn handles the answers of many runs, so this is one transaction for what used to be
 * dozens. A write asked for in a turn is written by the end of that turn, as a
 * RunRecorder's own save was before; batches go out in order, and a batch's writes are
 * applied in the order they were asked for.
 */
export class TurnWrites {
  private queue: Queued[] = [];
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly write: (writes: readonly RunWrite[]) => Promise<RunWriteResult[]>) {}

  /** Queues a write for the end of this turn; resolves with its result (never rejects). */
  add(take: () => RunWrite): Promise<RunWriteResult> {
    return new Promise((done) => {
      if (this.queue.length === 0) setImmediate(this.flush);
      this.queue.push({ take, done });
    });
  }

  private readonly flush = (): void => {
    const batch = this.queue;
    this.queue = [];
    const writes = batch.map((q) => q.take());
    this.tail = this.tail.then(() =>
      this.write(writes).then(
        (results) => batch.forEach((q, i) => q.done(results[i] ?? { ok: false, error: new Error('no result for this write') })),
        (error: unknown) => batch.forEach((q) => q.done({ ok: false, error })),
      ),
    );
  };
}

const byStores = new WeakMap<Stores, TurnWrites>();

/** The turn batch of these stores, shared by every run they hold; undefined when the driver writes one at a time (no `writeRuns`). */
export function turnWritesOf(stores: Stores): TurnWrites | undefined {
  const writeRuns = stores.writeRuns;
  if (!writeRuns) return undefined;
  let writes = byStores.get(stores);
  if (!writes) byStores.set(stores, (writes = new TurnWrites((batch) => writeRuns.call(stores, batch))));
  return writes;
}
