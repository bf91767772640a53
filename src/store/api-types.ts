import type { RunResult, RunStatus } from '../orchestrator/workflow/types.js';

/**
 * The stored records that are also HTTP answers: sessions (GET /sessions, GET /session/{id})
 * and pages of runs (GET /runs; the run record itself is RunResult in workflow/types.ts).
 * Pure types with no runtime imports, so the console (ui/) imports them type-only.
 */
/** One message of a session, as stored and as returned by GET /session/{id}. */
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

export interface Session {
  session_id: string;
  created_at: string;
  updated_at: string;
  cost_usd: number;
  turns: Turn[];
}

/** A session in the listing of GET /sessions: its stamps and cost, and how many turns are stored. */
export interface SessionSummary {
  session_id: string;
  created_at: string;
  updated_at: string;
  cost_usd: number;
  /** Turns stored (at most `limits.max_stored_turns`; older ones are trimmed). */
  turns: number;
}

/** Query of GET /sessions: page size and the `next_cursor` of the previous page. */
export interface SessionQuery {
  /** Page size (1..100). */
  limit: number;
  cursor?: string;
}

/** One page of sessions, most recently updated first; `next_cursor` is null on the last page. */
export interface SessionPage {
  sessions: SessionSummary[];
  next_cursor: string | null;
}

/** Filters of GET /runs; times are ISO 8601, compared with the run's `started_at`. */
export interface RunQuery {
  status?: RunStatus;
  workflow?: string;
  session_id?: string;
  /** Runs started at or after this time. */
  since?: string;
  /** Runs started before this time. */
  until?: string;
  /** Page size (1..100). */
  limit: number;
  /** An opaque `next_cursor` of the previous page. */
  cursor?: string;
}

/** One page of runs, newest first; `next_cursor` is null on the last page. */
export interface RunPage {
  runs: RunResult[];
  next_cursor: string | null;
}
