import type { Metric, Registry } from 'prom-client';
import { LabelSeries, type LabelValue } from './label-series.js';

/** One line of the exposition: its metric name, the labels of the line (`le`) and of its series, the value. */
interface Line {
  metricName: string;
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  /** Buckets carry none (null), as prom-client's without exemplars. */
  exemplar?: null;
}
/** What a registry reads of a metric (prom-client's MetricObjectWithValues). */
interface Exported {
  name: string;
  help: string;
  type: string;
  values: Line[];
  aggregator: string;
}

interface Series {
  labels: Record<string, string>;
  /** Observations per finite bucket (not cumulative), by the bucket's index. */
  counts: number[];
  sum: number;
  count: number;
}

/**
 * A histogram registered in prom-client registries that keeps its series by label values in
 * nested Maps: one Map lookup per label and a bucket search per observation, where prom-client's
 * Histogram builds a labels object, validates it and concatenates a hash string each time. It
 * exports what prom-client's Histogram does with the same name, help, labels and buckets (cumulative
 * `_bucket` series with `le`, then `+Inf`, `_sum` and `_count`, series in the order they first
 * appeared; counter-tally.test.ts holds the text equal for both tallies); the registry reads it through the
 * `getForPromString`/`get`/`reset` it asks of every metric.
 */
export class HistogramTally<N extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: LabelSeries<Series>;

  constructor(
    readonly name: string,
    readonly help: string,
    /** Label names (one to three), in the order `observe` takes their values. */
    names: readonly N[],
    /** Upper bounds, ascending. */
    private readonly buckets: readonly number[],
    registers: readonly Registry[],
  ) {
    this.series = new LabelSeries(names, (labels) => ({ labels, counts: buckets.map(() => 0), sum: 0, count: 0 }), 'HistogramTally');
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  /** Records `value` (finite, else a TypeError as prom-client throws) in the series of the label values given, one per name in order. */
  observe(value: number, a: LabelValue, b?: LabelValue, c?: LabelValue): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const series = this.series.of(a, b, c);
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]!) {
        series.counts[i]! += 1;
        break;
      }
    }
    series.sum += value;
    series.count += 1;
  }

  /** The series as the registry writes them (labels of the series shared by its lines, `le` of each bucket). */
  getForPromString(): Promise<Exported> {
    const values: Line[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.list) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: null });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The series with their labels and `le` in one object, as prom-client's Histogram `get` gives them. */
  async get(): Promise<Exported> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } }));
    return data;
  }

  reset(): void {
    this.series.clear();
  }
}

