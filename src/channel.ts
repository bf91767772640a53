/**
 * A one-reader async queue: the producer pushes without waiting (text deltas
 * are small), the reader iterates; `fail` makes the reader's loop throw once
 * the buffered items are read. A reader that stops early just stops reading.
 */
export class Channel<T> implements AsyncIterable<T> {
  private buffer: T[] = [];
  private done = false;
  private error: { reason: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(item: T): void {
    if (this.done) return;
    this.buffer.push(item);
    this.notify();
  }

  end(): void {
    this.done = true;
    this.notify();
  }

  fail(reason: unknown): void {
    if (this.done) return;
    this.error = { reason };
    this.done = true;
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.buffer.length > 0) {
        yield this.buffer.shift()!;
        continue;
      }
      if (this.done) {
        if (this.error) throw this.error.reason;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /**
   * The same items, as the batches they were pushed in between two reads: one wake-up (one promise)
   * per batch instead of one per item, for a reader that handles each item synchronously. Use either
   * this or the item iterator, once.
   */
  async *batches(): AsyncGenerator<T[]> {
    for (;;) {
      if (this.buffer.length > 0) {
        const batch = this.buffer;
        this.buffer = [];
        yield batch;
        continue;
      }
      if (this.done) {
        if (this.error) throw this.error.reason;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** `source`'s items in batches: a Channel's own (see `Channel.batches`), else one item per batch. */
export function batchesOf<T>(source: AsyncIterable<T>): AsyncGenerator<T[]> {
  return source instanceof Channel ? (source as Channel<T>).batches() : singles(source);
}

async function* singles<T>(source: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const item of source) yield [item];
}

/**
 * What a push producer emits, as an async iterator: `produce(push)` starts at once and its items wait
 * in a Channel until read; the iteration ends when its promise resolves and throws what it rejects
 * with. A reader that stops early (break, return) calls `cancel` (if given) and makes the producer's
 * next push throw, which ends it.
 */
export function pulled<T>(produce: (push: (item: T) => void) => Promise<void>, cancel?: () => void): AsyncIterableIterator<T> {
  const channel = new Channel<T>();
  let stopped = false;
  const produced = produce((item) => {
    if (stopped) throw new Error('the reader stopped reading');
    channel.push(item);
  });
  produced.then(
    () => channel.end(),
    (err: unknown) => channel.fail(err),
  );
  const items = channel[Symbol.asyncIterator]();
  return {
    next: () => items.next(),
    return: (value?: unknown) => {
      stopped = true;
      cancel?.();
      return items.return ? items.return(value) : Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
