import { Counter, type Registry } from 'prom-client';
import { LabelSeries, type LabelValue } from './label-series.js';

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
  private readonly series: LabelSeries<Series>;

  /** @param names the Counter's label names (one to three), in the order `inc` takes their values */
  constructor(names: readonly N[]) {
    this.series = new LabelSeries(names, (labels) => ({ labels, value: 0 }), 'CounterTally');
  }

  /**
   * Adds `by` (finite, ≥ 0, as prom-client requires; else a TypeError) to the series of the label
   * values given, one per name in order (numbers are written as their decimal text).
   */
  inc(by: number, a: LabelValue, b?: LabelValue, c?: LabelValue): void {
    if (!(by >= 0) || by === Number.POSITIVE_INFINITY) throw new TypeError(`counter increment must be a finite number ≥ 0, not ${by}`);
    this.series.of(a, b, c).value += by;
  }

  /** Sets the Counter to the tallied values (its `collect`, at each scrape). */
  writeTo(counter: Counter<N>): void {
    counter.reset();
    for (const s of this.series.list) counter.inc(s.labels as Partial<Record<N, string>>, s.value);
  }

}

/**
 * A prom-client Counter named `name` in `registers` whose values a CounterTally keeps: the tally is what
 * callers add to, and the Counter reads it at each scrape (its `collect`). `names` are the label names, once.
 */
export function talliedCounter<N extends string>(name: string, help: string, names: readonly N[], registers: Registry[]): CounterTally<N> {
  const tally = new CounterTally(names);
  new Counter({
    name,
    help,
    labelNames: names,
    registers,
    collect() {
      tally.writeTo(this);
    },
  });
  return tally;
}
