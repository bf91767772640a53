import type { BaselineSummary, LabelSummary, NumericSummary } from '../../store/drift-types.js';

/** A sample: a number (ms, tokens, USD, 0/1) for numeric streams, a label (error kind or '' for success, L/M/H) for labelled ones. */
export type Sample = number | string;

/** The nearest-rank percentile (0-100) of ascending `sorted`; null when empty. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Summary of numeric samples; percentiles only when asked (they need a sort). */
export function summarizeNumbers(values: readonly number[], percentiles: boolean): NumericSummary {
  let sum = 0;
  for (const v of values) sum += v;
  const sorted = percentiles ? [...values].sort((a, b) => a - b) : [];
  return {
    kind: 'numeric',
    count: values.length,
    mean: values.length === 0 ? 0 : sum / values.length,
    p50: nearestRank(sorted, 50),
    p95: nearestRank(sorted, 95),
  };
}

/** Summary of labelled samples. */
export function summarizeLabels(values: readonly string[]): LabelSummary {
  const counts: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return { kind: 'labels', count: values.length, counts };
}

/**
 * The recent window of one stream: the last `size` samples no older than `maxAgeMs`, in a ring
 * (bounded memory). The sum (numbers) and the count per label are kept as samples come and go, so
 * means and shares cost O(1) — percentiles O(n log n) (a sort of the window).
 */
export class RecentWindow {
  private readonly values: Sample[] = [];
  private readonly times: number[] = [];
  private head = 0;
  private length = 0;
  private sum = 0;
  private scratch: Float64Array | undefined;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly size: number,
    private readonly maxAgeMs: number,
  ) {}

  add(value: Sample, at: number): void {
    if (this.length === this.size) this.dropOldest();
    const slot = (this.head + this.length) % this.size;
    this.values[slot] = value;
    this.times[slot] = at;
    this.length++;
    if (typeof value === 'number') this.sum += value;
    else this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }

  /** Drops samples taken before `now - maxAgeMs`. */
  expire(now: number): void {
    while (this.length > 0 && this.times[this.head]! < now - this.maxAgeMs) this.dropOldest();
  }

  get count(): number {
    return this.length;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
    this.sum = 0;
    this.counts.clear();
  }

  /** Mean of the numeric samples (0 when empty). */
  mean(): number {
    return this.length === 0 ? 0 : this.sum / this.length;
  }

  /** Share (0-1) of the samples carrying `label` (0 when empty). */
  share(label: string): number {
    return this.length === 0 ? 0 : (this.counts.get(label) ?? 0) / this.length;
  }

  /** Labels present now. */
  labels(): IterableIterator<string> {
    return this.counts.keys();
  }

  /** Nearest-rank p50 and p95 of the numeric samples (a typed-array sort of the window); null when empty. */
  percentiles(): { p50: number | null; p95: number | null } {
    if (this.length === 0) return { p50: null, p95: null };
    const sorted = (this.scratch ??= new Float64Array(this.size)).subarray(0, this.length);
    for (let i = 0; i < this.length; i++) sorted[i] = this.values[(this.head + i) % this.size] as number;
    sorted.sort();
    const at = (p: number) => sorted[Math.min(this.length - 1, Math.max(0, Math.ceil((p / 100) * this.length) - 1))]!;
    return { p50: at(50), p95: at(95) };
  }

  private dropOldest(): void {
    const value = this.values[this.head]!;
    if (typeof value === 'number') this.sum -= value;
    else {
      const left = (this.counts.get(value) ?? 1) - 1;
      if (left === 0) this.counts.delete(value);
      else this.counts.set(value, left);
    }
    this.head = (this.head + 1) % this.size;
    this.length--;
    if (this.length === 0) this.sum = 0;
  }
}

/**
 * A baseline being learnt: the first `size` samples, then frozen as a summary (the samples are
 * dropped). A frozen baseline may also arrive whole from the store.
 */
export class BaselineLearner {
  private pending: Sample[] = [];
  private frozen: BaselineSummary | undefined;

  constructor(private readonly size: number) {}

  /** Adds a sample while learning; returns the summary at the moment it freezes, else undefined. */
  add(value: Sample, labelled: boolean, percentiles: boolean): BaselineSummary | undefined {
    if (this.frozen) return undefined;
    this.pending.push(value);
    if (this.pending.length < this.size) return undefined;
    this.frozen = labelled ? summarizeLabels(this.pending as string[]) : summarizeNumbers(this.pending as number[], percentiles);
    this.pending = [];
    return this.frozen;
  }

  /** Takes a stored baseline (learnt here or by another replica) instead of the one being learnt. */
  adopt(summary: BaselineSummary): void {
    this.frozen = summary;
    this.pending = [];
  }

  get summary(): BaselineSummary | undefined {
    return this.frozen;
  }

  /** Samples learnt so far (the baseline's count once frozen). */
  get count(): number {
    return this.frozen ? this.frozen.count : this.pending.length;
  }

  reset(): void {
    this.frozen = undefined;
    this.pending = [];
  }
}
