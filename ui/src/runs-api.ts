/**
 * Typed calls for the Runs and Sessions pages: GET /runs (filters, cursor pages), GET /runs/{id},
 * POST /runs/{id}/cancel, GET /templates, POST /template/{name} (async), GET /sessions,
 * GET / DELETE /session/{id}. The answers' types are the server's own, imported type-only
 * (src/orchestrator/workflow/types.ts, src/store/api-types.ts: pure types, no runtime code).
 */
import type { RunResult, RunStatus, TaskRecord } from '../../src/orchestrator/workflow/types.js';
import type { RunPage, RunQuery, Session, SessionPage, SessionSummary, Turn } from '../../src/store/api-types.js';
import { request } from './api.js';

export type { RunResult, RunStatus, SessionSummary, TaskRecord, Turn };
export const RUN_STATUSES: RunStatus[] = ['queued', 'running', 'completed', 'partial', 'failed', 'cancelled', 'timed_out'];

/** The filters of GET /runs the Runs page sets (the page size and cursor are the call's). */
export type RunFilters = Omit<RunQuery, 'limit' | 'cursor'>;

export const listRuns = (filters: RunFilters, cursor: string | undefined, signal?: AbortSignal) =>
  request<RunPage>('/runs', { query: { ...filters, limit: 20, cursor }, signal });

export const getRun = (id: string, signal?: AbortSignal) => request<RunResult>(`/runs/${encodeURIComponent(id)}`, { signal });

export const cancelRun = (id: string) => request<RunResult>(`/runs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });

export interface TemplateInfo {
  name: string;
  description: string | null;
  inputs: Record<string, { description: string; required: boolean; default?: string }>;
  tasks: { linear: string[]; inline: string[] };
  output: string | null;
}

export const listTemplates = (signal?: AbortSignal) => request<{ templates: TemplateInfo[] }>('/templates', { signal });

/** Starts a template as an async run: 202 with its run_id at once (the run continues on the server). */
export const startTemplate = (name: string, variables: Record<string, string>, sessionId?: string) =>
  request<{ run_id: string; status: RunStatus; location: string }>(`/template/${encodeURIComponent(name)}`, {
    method: 'POST',
    body: { variables, async: true, ...(sessionId ? { session_id: sessionId } : {}) },
  });

export const listSessions = (cursor: string | undefined, signal?: AbortSignal) =>
  request<SessionPage>('/sessions', { query: { limit: 20, cursor }, signal });

export const getSession = (id: string, signal?: AbortSignal) =>
  request<Session>(`/session/${encodeURIComponent(id)}`, { signal });

export const deleteSession = (id: string) => request<void>(`/session/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** USD with enough digits for fractions of a cent. */
export const usd = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `$${v < 0.01 && v > 0 ? v.toFixed(6) : v.toFixed(4)}`);

/** A local date and time for an ISO stamp. */
export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');
