/**
 * What a drift baseline keeps once it is frozen (src/telemetry/drift/): a summary of its samples,
 * small enough to store and share, never the samples themselves.
 */

/** Numeric samples (latency ms, output tokens, USD, 0/1 for rates): their count, mean and percentiles (nearest rank; null when not kept). */
export interface NumericSummary {
  kind: 'numeric';
  count: number;
  mean: number;
  p50: number | null;
  p95: number | null;
}

/** Labelled samples (error kinds with '' for success, categories L/M/H): how many of each. */
export interface LabelSummary {
  kind: 'labels';
  count: number;
  counts: Record<string, number>;
}

export type BaselineSummary = NumericSummary | LabelSummary;

/** One frozen baseline: a subject's stream of samples, learnt under one config version of that subject. */
export interface DriftBaselineRecord {
  /** `model:<key>`, `tier:<L|M|H>` or `categorizer`. */
  subject: string;
  /** The sample stream: latency, errors, output_tokens, cost, fallback, category, heuristic. */
  stream: string;
  /** The subject's config version (a hash of its config entry) the samples were taken under. */
  version: string;
  summary: BaselineSummary;
  /** Epoch ms it was frozen. */
  created_ms: number;
}

/**
 * Where baselines outlive the process: the SQLite file of the other stores, or the shared Redis
 * (every replica judges against the same baselines). First writer wins per subject, stream and version.
 */
export interface DriftBaselineStore {
  /** Every stored baseline. */
  list(): Promise<DriftBaselineRecord[]>;
  /**
   * Stores `record` unless a baseline of the same subject, stream and version is there (one of
   * another version is replaced); resolves with the baseline stored afterwards.
   */
  claim(record: DriftBaselineRecord): Promise<DriftBaselineRecord>;
}
