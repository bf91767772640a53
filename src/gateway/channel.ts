/**
 * A one-reader async queue: the producer pushes without waiting (text deltas
 * are small), the reader iterates; `fail` makes the reader's loop throw once
 * the buffered items are read. A reader that stops early just stops reading.
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
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

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
