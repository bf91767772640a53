import type { RunResult } from '../orchestrator/workflow/types.js';

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

/**
 * Sessions. `appendTurns` is atomic: a user turn and its answer land together
 * or not at all, and concurrent appends on one session never lose a turn.
 */
export interface SessionStore {
  /** Creates the session when it does not exist. */
  appendTurns(sessionId: string, turns: Turn[]): Promise<void>;
  get(sessionId: string): Promise<Session | null>;
  /** The last `limit` turns, oldest first, for context. */
  recentTurns(sessionId: string, limit: number): Promise<Turn[]>;
  delete(sessionId: string): Promise<boolean>;
  /** Removes sessions idle since before `cutoff` (ISO time); returns how many. */
  deleteIdleSince(cutoff: string): Promise<number>;
}

export interface RunStore {
  /** Inserts or replaces the run record (called as the run progresses); copies it before returning control. */
  save(run: RunResult): Promise<void>;
  get(runId: string): Promise<RunResult | null>;
  /** Removes runs that started before `cutoff` (ISO time); returns how many. */
  deleteStartedBefore(cutoff: string): Promise<number>;
}

export interface Stores {
  sessions: SessionStore;
  runs: RunStore;
  /** 'ok' or a reason it is not. */
  health(): Promise<{ status: 'ok' | 'error'; driver: string; message?: string }>;
  close(): Promise<void>;
}
