/** A label value of a tallied series: a string, or a number written as its decimal text. */
export type LabelValue = string | number;

/**
 * The series of a tallied metric (CounterTally, HistogramTally) kept by their label values (one to
 * three, in the order of `names`) in nested Maps: finding a series is one Map lookup per label, and its
 * labels object is built once, when the series is first seen. `list` holds every series in the order
 * they first appeared (prom-client's export order). As bounded as the label values callers pass.
 */
export class LabelSeries<S extends { labels: Record<string, string> }> {
  private root = new Map<LabelValue, unknown>();
  /** Every series, oldest first. */
  list: S[] = [];

  /**
   * @param names the metric's label names (one to three; else a RangeError naming `kind`)
   * @param make a new series with zero values for its labels
   */
  constructor(
    private readonly names: readonly string[],
    private readonly make: (labels: Record<string, string>) => S,
    kind: string,
  ) {
    if (names.length < 1 || names.length > 3) throw new RangeError(`a ${kind} has one to three label names`);
  }

  /** The series of the label values given, one per name in order; made on first sight. */
  of(a: LabelValue, b?: LabelValue, c?: LabelValue): S {
    const depth = this.names.length;
    let level = this.root;
    let key: LabelValue = a;
    if (depth > 1) {
      level = next(level, a);
      key = b!;
      if (depth > 2) {
        level = next(level, b!);
        key = c!;
      }
    }
    let series = level.get(key) as S | undefined;
    if (!series) {
      const labels: Record<string, string> = {};
      const values = [a, b, c];
      this.names.forEach((name, i) => (labels[name] = String(values[i])));
      series = this.make(labels);
      level.set(key, series);
      this.list.push(series);
    }
    return series;
  }

  /** Forgets every series. */
  clear(): void {
    this.root = new Map();
    this.list = [];
  }
}

function next(level: Map<LabelValue, unknown>, value: LabelValue): Map<LabelValue, unknown> {
  let map = level.get(value) as Map<LabelValue, unknown> | undefined;
  if (!map) level.set(value, (map = new Map()));
  return map;
}
