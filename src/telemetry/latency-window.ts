/**
 * The last `size` latency samples in a ring, for percentiles over recent
 * traffic at bounded memory. Percentiles use the nearest-rank method.
 */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  add(ms: number): void {
    if (this.samples.length < this.size) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  get count(): number {
    return this.samples.length;
  }

  /** The given percentiles (0-100) of the window, or null for each when it is empty. */
  percentiles<P extends number>(ps: readonly P[]): Record<P, number | null> {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const out = {} as Record<P, number | null>;
    for (const p of ps) {
      out[p] = sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
    }
    return out;
  }
}
