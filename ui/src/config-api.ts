/**
 * Typed calls for the Config, Traffic and Drift pages: the admin config API (versions, diff,
 * change with dry runs, rollback), the experiments (canaries and shadows) and GET /drift.
 * Shapes mirror src/server/routes/admin-config.ts and the drift schema; the experiments' types are
 * the server's own (src/server/routes/experiment-schemas.ts, zod only), imported type-only.
 */
import type { CanaryAnswer, ExperimentAnswer, ShadowAnswer } from '../../src/server/routes/experiment-schemas.js';
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

export type { CanaryAnswer as Canary, ShadowAnswer as Shadow };

export const listExperiments = (signal?: AbortSignal) => request<{ items: ExperimentAnswer[]; next_cursor: string | null }>('/admin/experiments', { query: { limit: 100 }, signal });

export const getExperiment = (id: string, signal?: AbortSignal) => request<ExperimentAnswer>(`/admin/experiments/${encodeURIComponent(id)}`, { signal });

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
