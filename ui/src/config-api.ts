/**
 * Typed calls for the Config, Traffic and Drift pages: the admin config API (versions, diff,
 * change with dry runs, rollback), the experiments (canaries and shadows) and GET /drift.
 * Shapes mirror src/server/routes/admin-config.ts, admin-experiments.ts and the drift schema.
 */
import { request } from './api.js';

export interface ConfigVersion {
  hash: string;
  parent: string | null;
  author: string;
  message: string;
  created_at: string;
}

/** One RFC 6902 operation. */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

export interface Problem {
  path: string;
  message: string;
}

export interface ChangeAnswer {
  version: ConfigVersion;
  diff: PatchOperation[];
  dry_run?: boolean;
  valid?: boolean;
  problems?: Problem[];
}

export type ConfigDocument = Record<string, unknown>;

export const getActiveConfig = (signal?: AbortSignal) => request<{ version: ConfigVersion; document: ConfigDocument }>('/admin/config', { signal });

export const listVersions = (cursor: string | undefined, signal?: AbortSignal) =>
  request<{ items: (ConfigVersion & { active: boolean })[]; next_cursor: string | null }>('/admin/config/versions', { query: { limit: 20, cursor }, signal });

export const getVersion = (hash: string, signal?: AbortSignal) =>
  request<{ version: ConfigVersion; document: ConfigDocument; active: boolean }>(`/admin/config/versions/${hash}`, { signal });

export const getDiff = (from: string, to: string, signal?: AbortSignal) =>
  request<{ from: string; to: string; diff: PatchOperation[] }>('/admin/config/diff', { query: { from, to }, signal });

/** POST /admin/config: a patch against `base` or a whole document; `dry_run` validates and diffs without applying. */
export const changeConfig = (body: { patch?: PatchOperation[]; config?: ConfigDocument; base?: string; message?: string; dry_run?: boolean }) =>
  request<ChangeAnswer>('/admin/config', { method: 'POST', body });

export const rollbackConfig = (to: string, message?: string) =>
  request<ChangeAnswer>('/admin/config/rollback', { method: 'POST', body: { to, ...(message ? { message } : {}) } });

export interface ArmFigures {
  model: string;
  calls: number;
  errors: number;
  error_rate: number | null;
  p95_ms: number | null;
  cost_per_call_usd: number | null;
}

export interface Canary {
  id: string;
  kind: 'canary';
  split: string;
  state: 'running' | 'paused' | 'rolled_back' | 'promoted';
  canary_model: string;
  baseline_model: string | null;
  ramp: number[];
  step: number;
  share_pct: number;
  step_calls: number;
  step_started_at: string;
  started_at: string;
  guard: Record<string, unknown>;
  samples: { canary: ArmFigures; baseline: ArmFigures | null };
  decision: { status: 'rolled_back' | 'promoted'; at: string; reason: string; figures: Record<string, number | string | null>; config_version: string | null } | null;
}

export interface ShadowSide {
  latency_ms: { p50: number | null; p95: number | null };
  mean_tokens: number | null;
  mean_chars: number | null;
  cost_usd: number;
  mean_cost_usd: number | null;
}

export interface Shadow {
  id: string;
  kind: 'shadow';
  route: string;
  model: string;
  sample_rate: number;
  pairs: number;
  failed: number;
  dropped: number;
  primary: ShadowSide;
  shadow: ShadowSide;
  similarity: { mean: number | null; min: number | null; measure: string };
  recent: {
    at: string;
    request_id: string;
    primary: { model: string; latency_ms: number; tokens: number; cost_usd: number; chars: number };
    shadow: { model: string; latency_ms: number; tokens: number; cost_usd: number; chars: number } | null;
    error?: string;
    similarity: number | null;
  }[];
}

export type Experiment = Canary | Shadow;

export const listExperiments = (signal?: AbortSignal) => request<{ items: Experiment[]; next_cursor: string | null }>('/admin/experiments', { query: { limit: 100 }, signal });

export const getExperiment = (id: string, signal?: AbortSignal) => request<Experiment>(`/admin/experiments/${encodeURIComponent(id)}`, { signal });

/** One drift series of GET /drift: a subject (model or tier), a metric, its two windows and state. */
export interface DriftSeries {
  /** `model:<key>`, `tier:<L|M|H>` or `categorizer`. */
  subject: string;
  metric: string;
  /** In the metric's unit, or a share per tier (category_mix); null while there are no samples. */
  baseline: number | Record<string, number> | null;
  recent: number | Record<string, number> | null;
  /** PSI (category_mix), recent / baseline (latency, tokens, cost) or recent − baseline (rates); null until both windows are full enough. */
  statistic: number | null;
  state: 'ok' | 'warn' | 'alert';
  since: string;
  samples?: { baseline: number; recent: number };
}

export const getDrift = (signal?: AbortSignal) => request<{ series: DriftSeries[] }>('/drift', { signal });

/** A hash as people read it: its first 12 characters. */
export const short = (hash: string | null | undefined): string => (hash ? hash.slice(0, 12) : '—');
