import { AppError, shuttingDown } from '../errors.js';

/** Gives the slot back; calling it more than once is harmless. */
export type Release = () => void;

/** Running and waiting workflow runs. */
export interface AdmissionCounts {
  running: number;
  queued: number;
}

interface Waiter {
  grant: (release: Release) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/**
 * Workflow backpressure: at most `maxRunning` runs at once, at most `maxQueued`
 * waiting in FIFO order; one more is refused at once with 503 overloaded, so a
 * client learns immediately instead of timing out. A waiting run whose signal
 * aborts leaves the queue.
 */
export class Admission {
  private running = 0;
  /** Insertion-ordered, so FIFO; a Set makes an aborted waiter's removal O(1) when thousands wait. */
  private readonly waiting = new Set<Waiter>();
  private closed = false;

  constructor(
    private readonly maxRunning: number,
    private readonly maxQueued: number,
    private readonly onChange: (counts: AdmissionCounts) => void = () => undefined,
  ) {}

  counts(): AdmissionCounts {
    return { running: this.running, queued: this.waiting.size };
  }

  /**
   * Asks for a slot. Throws synchronously when the queue is full or admission is
   * closed; otherwise returns a promise of the slot (rejecting if `signal` aborts first).
   */
  enter(signal: AbortSignal): Promise<Release> {
    if (this.closed) throw shuttingDown();
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.running < this.maxRunning) {
      this.running++;
      this.onChange(this.counts());
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.size >= this.maxQueued) throw new AppError('overloaded', 'workflow queue is full', [], 1);
    return new Promise<Release>((grant, reject) => {
      const waiter: Waiter = {
        grant,
        reject,
        signal,
        onAbort: () => {
          this.waiting.delete(waiter);
          this.onChange(this.counts());
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.add(waiter);
      this.onChange(this.counts());
    });
  }

  /** Refuses new runs and every waiting one (with 503); running runs keep their slots. */
  close(): void {
    this.closed = true;
    const refused = [...this.waiting];
    this.waiting.clear();
    for (const waiter of refused) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.reject(shuttingDown());
    }
    this.onChange(this.counts());
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.values().next().value;
      if (next) this.waiting.delete(next);
      if (next) {
        next.signal.removeEventListener('abort', next.onAbort);
        next.grant(this.releaser());
      } else {
        this.running--;
      }
      this.onChange(this.counts());
    };
  }
}
