import type { Database } from 'better-sqlite3';
import type { RunResult, Workflow } from '../orchestrator/workflow/types.js';
import type { RunPage, RunQuery, Session, SessionPage, SessionQuery, Turn } from './api-types.js';
import type { ControlStore } from './control-types.js';
import type { Outbox, OutboxMessage } from './outbox-types.js';
import type { DriftBaselineStore } from './drift-types.js';

export type { RunPage, RunQuery, Session, SessionPage, SessionQuery, SessionSummary, Turn } from './api-types.js';

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
  /** Sessions most recently updated first, one page at a time (a 400 naming `cursor` for a cursor it did not issue). */
  list(query: SessionQuery): Promise<SessionPage>;
  /** Removes sessions idle since before `cutoff` (ISO time); returns how many. */
  deleteIdleSince(cutoff: string): Promise<number>;
}

/**
 * What a run needs to run or resume on any replica, written with its record when
 * it is accepted and never changed. Not part of the public record.
 */
export interface RunSpec {
  /** The validated workflow definition (a template's or a generated plan included). */
  workflow: Workflow;
  /** What the user asked for, for the finisher and the failure reporter. */
  goal: string;
  /** The request that started the run (log lines and events carry it). */
  request_id: string;
  /** The managed client key billed for the run's model calls (CallContext.key_id); absent when none. */
  key_id?: string;
  /** Epoch ms the run was accepted; its duration counts from here. */
  accepted_at: number;
  /** Epoch ms past which the run ends `timed_out` with what it has, however often it resumed. */
  deadline: number;
  /** A caller streams the answer: the final step streams and its `token` events go to the run's log. */
  stream?: boolean;
  /**
   * The W3C trace context the run was submitted under (tracing on): every try of the run, on
   * any replica or after a restart, makes its spans children of it, so the run stays one trace.
   */
  trace?: { traceparent: string; tracestate?: string };
}

export interface RunStore {
  /** Writes a new run's record and spec together, before any model call (the run is durable from here). */
  create(run: RunResult, spec: RunSpec): Promise<void>;
  /**
   * Inserts or replaces the run record (called as the run progresses); copies it before returning control
   * (the memory store: once the run is final; until then it holds the record given, which only the
   * run's recorder changes, and copies it on every read).
   * `outbox`: messages written to the stores' outbox in the same transaction as the record (the
   * transactional outbox: a final record and its webhooks commit together or not at all).
   */
  save(run: RunResult, outbox?: readonly OutboxMessage[]): Promise<void>;
  get(runId: string): Promise<RunResult | null>;
  /** The spec written by `create`; null for unknown runs (or runs recorded before runs were durable). */
  spec(runId: string): Promise<RunSpec | null>;
  /** Ids of runs still `queued` or `running`, oldest first, at most `limit`: what a restart resumes. */
  unfinished(limit: number): Promise<string[]>;
  /** Runs matching `query`, newest first (by started_at, then run_id), one page at a time. */
  list(query: RunQuery): Promise<RunPage>;
  /** Removes runs that started before `cutoff` (ISO time), with their event logs; returns how many. */
  deleteStartedBefore(cutoff: string): Promise<number>;
}

/** One entry of a run's event log: `id` is opaque, increases within the run, and is the SSE event id. */
export interface RunEvent {
  id: string;
  event: string;
  data: object;
}

/**
 * The append-only event log of each run (task_started, task_completed, token,
 * …, completed), which GET /runs/{id}/events replays from any replica.
 */
export interface RunEventLog {
  /** Appends one event; resolves with its id once stored. */
  append(runId: string, event: string, data: object): Promise<string>;
  /**
   * Up to `limit` events after `afterId` (exclusive; null = from the start), oldest first.
   * Throws a 400 (path `last-event-id`) when `afterId` is not an id this log issues.
   */
  read(runId: string, afterId: string | null, limit: number): Promise<RunEvent[]>;
  /**
   * Wakes `onAppend` after appends to this run's log (by any replica in shared
   * mode) — and once when the watch is in place — so the watcher reads again;
   * one wake-up may cover several appends. Returns the unsubscribe.
   */
  watch(runId: string, onAppend: () => void): () => void;
}

/** One write of a run, for `Stores.writeRuns`: a new run (`runs.create`), a record save (with its outbox messages) or an event append. */
export type RunWrite =
  | { kind: 'create'; run: RunResult; spec: RunSpec }
  | { kind: 'save'; run: RunResult; outbox?: readonly OutboxMessage[] }
  | { kind: 'event'; run_id: string; event: string; data: object };

/** What became of one `RunWrite`: the event's id, or the error that write failed with. */
export type RunWriteResult = { ok: true; id?: string } | { ok: false; error: unknown };

export interface Stores {
  /** The SQLite database (SQLite driver only): the key store and schedule state keep their tables in it. */
  sqlite?: Database;
  /** The webhook outbox, beside the run records so a run's final save can write its messages in the same transaction. */
  outbox: Outbox;
  sessions: SessionStore;
  runs: RunStore;
  events: RunEventLog;
  /** Config versions, the active version and the audit log (the control plane). */
  control: ControlStore;
  /** Frozen drift baselines, so they survive restarts (and are shared in Redis mode). */
  drift: DriftBaselineStore;
  /**
   * Several runs' writes in one go (the SQLite driver: one transaction), in the given order, each
   * as `runs.create` / `runs.save` / `events.append` would write it; a write that fails fails alone (the driver
   * retries the others one by one). Absent on drivers where each write is its own round trip
   * anyway (memory, Redis): callers then use `runs` and `events`.
   */
  writeRuns?(writes: readonly RunWrite[]): Promise<RunWriteResult[]>;
  /** 'ok' or a reason it is not. */
  health(): Promise<{ status: 'ok' | 'error'; driver: string; message?: string }>;
  close(): Promise<void>;
}
