/**
 * Typed calls for the Runs and Sessions pages: GET /runs (filters, cursor pages), GET /runs/{id},
 * POST /runs/{id}/cancel, GET /templates, POST /template/{name} (async), GET /sessions,
 * GET / DELETE /session/{id}. Shapes mirror the server's records (src/orchestrator/workflow/types.ts,
 * src/store/session-schema.ts); only the fields the console reads are named.
 */
import { request } from './api.js';

export type RunStatus = 'queued' | 'running' | 'completed' | 'partial' | 'failed' | 'cancelled' | 'timed_out';
export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';
export const RUN_STATUSES: RunStatus[] = ['queued', 'running', 'completed', 'partial', 'failed', 'cancelled', 'timed_out'];

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface TaskAttempt {
  replica: string;
  started_at: string;
  status: 'running' | 'completed' | 'failed' | 'interrupted';
}

/** One task of a run record (GET /runs/{id}). */
export interface TaskRecord {
  id: string;
  queue: 'linear' | 'inline';
  /** Absent on records made before the console existed. */
  output_variable?: string;
  references?: string[];
  prompt?: string | null;
  status: TaskStatus;
  model_used: string | null;
  fallback_used: boolean;
  attempts: TaskAttempt[];
  calls: number;
  replica: string | null;
  started_at: string | null;
  duration_ms: number;
  usage: Usage;
  cost_usd: number;
  error: { kind: string; message: string } | null;
  truncated?: true;
}

export interface RunRecord {
  run_id: string;
  workflow: string;
  status: RunStatus;
  output: string | null;
  variables: Record<string, string>;
  tasks: TaskRecord[];
  failure_report: string | null;
  usage: Usage;
  cost_usd: number;
  duration_ms: number;
  started_at: string;
  finished_at: string | null;
  session_id: string | null;
  simulated: boolean;
  resumed: number;
  cancelled_by: string | null;
  config_version?: string;
}

export interface RunFilters {
  status?: RunStatus;
  workflow?: string;
  session_id?: string;
  since?: string;
  until?: string;
}

export const listRuns = (filters: RunFilters, cursor: string | undefined, signal?: AbortSignal) =>
  request<{ runs: RunRecord[]; next_cursor: string | null }>('/runs', { query: { ...filters, limit: 20, cursor }, signal });

export const getRun = (id: string, signal?: AbortSignal) => request<RunRecord>(`/runs/${encodeURIComponent(id)}`, { signal });

export const cancelRun = (id: string) => request<RunRecord>(`/runs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });

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

export interface SessionSummary {
  session_id: string;
  created_at: string;
  updated_at: string;
  cost_usd: number;
  turns: number;
}

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  category: 'L' | 'M' | 'H' | null;
  model_used: string | null;
  run_id: string | null;
  request_id: string | null;
  cost_usd: number;
  created_at: string;
}

export const listSessions = (cursor: string | undefined, signal?: AbortSignal) =>
  request<{ sessions: SessionSummary[]; next_cursor: string | null }>('/sessions', { query: { limit: 20, cursor }, signal });

export const getSession = (id: string, signal?: AbortSignal) =>
  request<SessionSummary & { turns: Turn[] }>(`/session/${encodeURIComponent(id)}`, { signal });

export const deleteSession = (id: string) => request<void>(`/session/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** USD with enough digits for fractions of a cent. */
export const usd = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `$${v < 0.01 && v > 0 ? v.toFixed(6) : v.toFixed(4)}`);

/** A local date and time for an ISO stamp. */
export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');
