/**
 * Typed calls for the Config, Traffic and Drift pages: the admin config API (versions, diff,
 * change with dry runs, rollback), the experiments (canaries and shadows) and GET /drift.
 * The answers' types are the server's own response schemas, imported type-only (zod only, no
 * runtime code): src/server/routes/config-schemas.ts, experiment-schemas.ts and
 * src/telemetry/drift/series-schema.ts.
 */
import type { ChangeAnswer, ConfigDocument, ConfigVersionAnswer, PatchOperation, Problem, VersionItem } from '../../src/server/routes/config-schemas.js';
import type { CanaryAnswer, ExperimentAnswer, ShadowAnswer } from '../../src/server/routes/experiment-schemas.js';
import type { DriftReport } from '../../src/telemetry/drift/series-schema.js';
import { request } from './api.js';

export type { CanaryAnswer as Canary, ChangeAnswer, ConfigDocument, ConfigVersionAnswer as ConfigVersion, PatchOperation, Problem, ShadowAnswer as Shadow, VersionItem };

export const getActiveConfig = (signal?: AbortSignal) => request<{ version: ConfigVersionAnswer; document: ConfigDocument }>('/admin/config', { signal });

export const listVersions = (cursor: string | undefined, signal?: AbortSignal) =>
  request<{ items: VersionItem[]; next_cursor: string | null }>('/admin/config/versions', { query: { limit: 20, cursor }, signal });

export const getVersion = (hash: string, signal?: AbortSignal) =>
  request<{ version: ConfigVersionAnswer; document: ConfigDocument; active: boolean }>(`/admin/config/versions/${hash}`, { signal });

export const getDiff = (from: string, to: string, signal?: AbortSignal) =>
  request<{ from: string; to: string; diff: PatchOperation[] }>('/admin/config/diff', { query: { from, to }, signal });

/** POST /admin/config: a patch against `base` or a whole document; `dry_run` validates and diffs without applying. */
export const changeConfig = (body: { patch?: PatchOperation[]; config?: ConfigDocument; base?: string; message?: string; dry_run?: boolean }) =>
  request<ChangeAnswer>('/admin/config', { method: 'POST', body });

export const rollbackConfig = (to: string, message?: string) =>
  request<ChangeAnswer>('/admin/config/rollback', { method: 'POST', body: { to, ...(message ? { message } : {}) } });

export const listExperiments = (signal?: AbortSignal) => request<{ items: ExperimentAnswer[]; next_cursor: string | null }>('/admin/experiments', { query: { limit: 100 }, signal });

export const getExperiment = (id: string, signal?: AbortSignal) => request<ExperimentAnswer>(`/admin/experiments/${encodeURIComponent(id)}`, { signal });

/** One drift series of GET /drift: a subject (model or tier), a metric, its two windows and state. */
export type DriftSeries = DriftReport['series'][number];

export const getDrift = (signal?: AbortSignal) => request<DriftReport>('/drift', { signal });

/** A hash as people read it: its first 12 characters. */
export const short = (hash: string | null | undefined): string => (hash ? hash.slice(0, 12) : '—');
