/** A series' state: its statistic below `warn`, between `warn` and `alert`, or at or above `alert`. */
export type DriftState = 'ok' | 'warn' | 'alert';

/** A baseline or recent value: a number in the metric's unit, or a distribution (category_mix: share per tier). */
export type DriftValue = number | Record<string, number>;

/** Numeric form of a state (gauges, comparisons): 0 ok, 1 warn, 2 alert. */
export const STATE_VALUE: Record<DriftState, number> = { ok: 0, warn: 1, alert: 2 };

/** One tracked series, as GET /drift lists it. */
export interface DriftSeries {
  /** `model:<key>`, `tier:<L|M|H>` or `categorizer`. */
  subject: string;
  metric: string;
  baseline: DriftValue | null;
  recent: DriftValue | null;
  statistic: number | null;
  state: DriftState;
  /** ISO time the series entered its state (or started being tracked). */
  since: string;
  samples: { baseline: number; recent: number };
}

/** Events of drift detection (logs, metrics and webhooks listen). */
export interface DriftEvents {
  /** A series changed state: its statistic crossed a threshold, or its baseline was reset by a config change of its subject. */
  drift_state_changed: {
    subject: string;
    metric: string;
    from: DriftState;
    to: DriftState;
    statistic: number | null;
    baseline: DriftValue | null;
    recent: DriftValue | null;
    /** ISO time of the change. */
    since: string;
    reason: 'threshold' | 'baseline_reset';
    /** The replica that judged it (each replica judges its own recent traffic). */
    replica: string;
  };
}
