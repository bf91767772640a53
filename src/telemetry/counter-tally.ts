import type { Counter } from 'prom-client';

type LabelValue = string | number;
interface Series {
  labels: Record<string, string>;
  value: number;
}

/**
 * A prom-client Counter's values kept by label values in nested Maps, written into the Counter at
 * each scrape (`writeTo`, from the Counter's `collect`). Per increment: one Map lookup per label
 * and an addition; prom-client's own `inc` builds a labels object, validates it and concatenates a
 * hash string per call (~0.3 µs and ~150 bytes; a JSON request makes five). The series are the
 * Counter's: as bounded as the label values given (the callers pass bounded ones), exported in the
 * order they first appeared, as prom-client would.
 */
export class CounterTally<N extends string> {
  private readonly root = new Map<LabelValue, unknown>();
  private readonly series: Series[] = [];

  /** @param names the Counter's label names (one to three), in the order `inc` takes their values */
  constructor(private readonly names: readonly N[]) {
    if (names.length < 1 || names.length > 3) throw new RangeError('a CounterTally has one to three label names');
  }

  /**
   * Adds `by` (finite, ≥ 0, as prom-client requires; else a TypeError) to the series of the label
   * values given, one per name in order (numbers are written as their decimal text).
   */
  inc(by: number, a: LabelValue, b?: LabelValue, c?: LabelValue): void {
    if (!(by >= 0) || by === Number.POSITIVE_INFINITY) throw new TypeError(`counter increment must be a finite number ≥ 0, not ${by}`);
    const depth = this.names.length;
    let level = this.root;
    let key: LabelValue = a;
    if (depth > 1) {
      level = this.next(level, a);
      key = b!;
      if (depth > 2) {
        level = this.next(level, b!);
        key = c!;
      }
    }
    let series = level.get(key) as Series | undefined;
    if (!series) {
      const labels: Record<string, string> = {};
      const values = [a, b, c];
      this.names.forEach((name, i) => (labels[name] = String(values[i])));
      series = { labels, value: 0 };
      level.set(key, series);
      this.series.push(series);
    }
    series.value += by;
  }

  /** Sets the Counter to the tallied values (its `collect`, at each scrape). */
  writeTo(counter: Counter<N>): void {
    counter.reset();
    for (const s of this.series) counter.inc(s.labels as Partial<Record<N, string>>, s.value);
  }

  private next(level: Map<LabelValue, unknown>, value: LabelValue): Map<LabelValue, unknown> {
    let map = level.get(value) as Map<LabelValue, unknown> | undefined;
    if (!map) level.set(value, (map = new Map()));
    return map;
  }
}
