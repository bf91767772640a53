import type { DriftThresholds } from '../../config/drift-schema.js';
import type { BaselineSummary, LabelSummary } from '../../store/drift-types.js';
import type { DriftState, DriftValue } from './types.js';

/** The sample streams a subject records; each yields one or more metrics. */
export type Stream = 'latency' | 'errors' | 'output_tokens' | 'cost' | 'fallback' | 'category' | 'heuristic';

/** Streams whose samples are labels (error kind or '' for success; L/M/H), not numbers. */
export const LABELLED: ReadonlySet<Stream> = new Set(['errors', 'category']);
/** Streams whose summaries keep percentiles. */
export const PERCENTILES: ReadonlySet<Stream> = new Set(['latency']);

/** The tiers a category mix is binned by. */
const CATEGORIES = ['L', 'M', 'H'] as const;
/** Share given to an empty bin so the PSI stays finite (the usual practice). */
const PSI_EPSILON = 1e-4;

/** One metric of a stream, judged: `level` is null when it cannot be judged yet (no frozen baseline, too few recent samples). */
export interface Judged {
  metric: string;
  baseline: DriftValue | null;
  recent: DriftValue | null;
  statistic: number | null;
  level: DriftState | null;
}

type Pair = { warn: number; alert: number };
const levelOf = (x: number, t: Pair): DriftState => (x >= t.alert ? 'alert' : x >= t.warn ? 'warn' : 'ok');

/**
 * Population stability index of two distributions over the same bins:
 * Σ (r − b) · ln(r / b), empty bins counted at PSI_EPSILON. 0.1 / 0.25 are the usual warn / alert marks.
 */
export function psi(baseline: Record<string, number>, recent: Record<string, number>, bins: readonly string[]): number {
  let sum = 0;
  for (const bin of bins) {
    const b = Math.max(baseline[bin] ?? 0, PSI_EPSILON);
    const r = Math.max(recent[bin] ?? 0, PSI_EPSILON);
    sum += (r - b) * Math.log(r / b);
  }
  return sum;
}

/** recent / baseline with a floor added to both (so a zero baseline gives a finite factor). */
export const ratio = (baseline: number, recent: number, floor: number): number => (recent + floor) / (baseline + floor);

/** A ratio judged either way: 0.5 is as far as 2. */
export const ratioLevel = (factor: number, t: Pair): DriftState => levelOf(factor >= 1 ? factor : 1 / factor, t);

/** A numeric metric: which value of the summary, the statistic and its thresholds. */
interface NumericMetric {
  metric: string;
  /** Percentile metrics read p50/p95; the others the mean. */
  value: 'p50' | 'p95' | 'mean';
  /** `ratio`: recent / baseline either way (floor in the metric's unit); `rate`: recent − baseline, increases only. */
  statistic: { kind: 'ratio'; floor: number } | { kind: 'rate' };
  thresholds: (t: DriftThresholds) => Pair;
}

/** The numeric metrics of each numeric stream: the table GET /drift's `metric` names come from. */
const NUMERIC: Partial<Record<Stream, NumericMetric[]>> = {
  latency: [
    { metric: 'latency_p50_ms', value: 'p50', statistic: { kind: 'ratio', floor: 1 }, thresholds: (t) => t.latency },
    { metric: 'latency_p95_ms', value: 'p95', statistic: { kind: 'ratio', floor: 1 }, thresholds: (t) => t.latency },
  ],
  output_tokens: [{ metric: 'output_tokens_per_answer', value: 'mean', statistic: { kind: 'ratio', floor: 1 }, thresholds: (t) => t.output_tokens }],
  cost: [{ metric: 'cost_per_request_usd', value: 'mean', statistic: { kind: 'ratio', floor: 1e-6 }, thresholds: (t) => t.cost }],
  fallback: [{ metric: 'fallback_rate', value: 'mean', statistic: { kind: 'rate' }, thresholds: (t) => t.fallback_rate }],
  heuristic: [{ metric: 'heuristic_fallback_rate', value: 'mean', statistic: { kind: 'rate' }, thresholds: (t) => t.heuristic_fallback_rate }],
};

const round = (x: number): number => Number(x.toPrecision(6));

/** A value as GET /drift shows it: six significant digits. */
export const roundValue = (v: DriftValue | null): DriftValue | null =>
  v === null ? null : typeof v === 'number' ? round(v) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)]));

/** What judging reads of the recent window (see RecentWindow). */
export interface RecentView {
  readonly count: number;
  mean(): number;
  share(label: string): number;
  labels(): IterableIterator<string>;
  percentiles(): { p50: number | null; p95: number | null };
}

const labelShare = (s: LabelSummary, label: string): number => (s.count === 0 ? 0 : (s.counts[label] ?? 0) / s.count);

/**
 * Judges one stream: every metric it yields, with baseline and recent values (null while
 * missing) and, when `judge` is true and a baseline is frozen, the statistic and its level.
 * Runs after every sample: O(1) but for the latency percentiles (a sort of the recent window).
 */
export function judgeStream(stream: Stream, baseline: BaselineSummary | undefined, recent: RecentView, judge: boolean, t: DriftThresholds): Judged[] {
  const out: Judged[] = [];
  const hasRecent = recent.count > 0;
  const can = judge && baseline !== undefined && hasRecent;

  if (stream === 'category') {
    const b = baseline?.kind === 'labels' ? { L: labelShare(baseline, 'L'), M: labelShare(baseline, 'M'), H: labelShare(baseline, 'H') } : null;
    const r = hasRecent ? { L: recent.share('L'), M: recent.share('M'), H: recent.share('H') } : null;
    const statistic = can && b && r ? psi(b, r, CATEGORIES) : null;
    out.push({ metric: 'category_mix', baseline: b, recent: r, statistic, level: statistic === null ? null : levelOf(statistic, t.category_mix) });
    return out;
  }
  if (stream === 'errors') {
    const b = baseline?.kind === 'labels' && baseline.count > 0 ? baseline : undefined;
    const failed = (s: LabelSummary) => 1 - labelShare(s, '');
    const judgeRate = (metric: string, br: number | null, rr: number | null) => {
      const statistic = can && br !== null && rr !== null ? rr - br : null;
      out.push({ metric, baseline: br, recent: rr, statistic, level: statistic === null ? null : levelOf(statistic, t.error_rate) });
    };
    judgeRate('error_rate', b ? failed(b) : null, hasRecent ? 1 - recent.share('') : null);
    const kinds = new Set<string>();
    if (b) for (const k of Object.keys(b.counts)) if (k !== '') kinds.add(k);
    for (const k of recent.labels()) if (k !== '') kinds.add(k);
    for (const kind of [...kinds].sort()) judgeRate(`error_rate.${kind}`, b ? labelShare(b, kind) : null, hasRecent ? recent.share(kind) : null);
    return out;
  }
  const metrics = NUMERIC[stream] ?? [];
  const pct = metrics.some((m) => m.value !== 'mean') && hasRecent ? recent.percentiles() : undefined;
  for (const m of metrics) {
    const b = baseline?.kind === 'numeric' ? baseline[m.value] : null;
    const r = !hasRecent ? null : m.value === 'mean' ? recent.mean() : pct![m.value];
    let statistic: number | null = null;
    let level: DriftState | null = null;
    if (can && b !== null && r !== null) {
      const pair = m.thresholds(t);
      if (m.statistic.kind === 'ratio') {
        statistic = ratio(b, r, m.statistic.floor);
        level = ratioLevel(statistic, pair);
      } else {
        statistic = r - b;
        level = levelOf(statistic, pair);
      }
    }
    out.push({ metric: m.metric, baseline: b, recent: r, statistic, level });
  }
  return out;
}
