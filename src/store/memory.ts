import { systemClock } from '../clock.js';
import { AppError } from '../errors.js';
import { isFinalStatus, type RunResult } from '../orchestrator/workflow/types.js';
import type { Database } from 'better-sqlite3';
import { createMemoryControlStore } from './control-memory.js';
import { createSqliteOutbox } from './outbox-sqlite.js';
import type { Outbox } from './outbox-types.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { createMemoryDriftStore } from './drift-memory.js';
import { isoMs, latestStamp, type StoreOptions } from './driver-options.js';
import { sequenceOf } from './event-id.js';
import { LocalWatchers } from './local-watchers.js';
import { newestFirst, pageOf, runFilter, type RunListKey } from './run-query.js';
import { isAfterPageCursor } from './page-cursor.js';
import { eventJson, runJson } from './run-json.js';
import { decodeSessionCursor, recentlyUpdatedFirst, sessionPageOf } from './session-query.js';
import type { RunEvent, RunEventLog, RunSpec, RunStore, Session, SessionStore, SessionSummary, Stores, Turn } from './types.js';

interface SessionRow {
  created_at: string;
  updated_at: string;
  cost_usd: number;
  turns: Turn[];
}

/**
 * A run as the memory store holds it. A run not final yet is the record its last save was given
 * (`live`; the run engine's, which only the run's recorder changes): this store is process memory,
 * so a copy per save would keep nothing the record itself does not, and a save costs no
 * serialisation (a 3–7 KB JSON.stringify per save, about 4 per run, was 13 % of an
 * orchestration-only profile). Reads copy it. A final record is kept as JSON text beside the
 * fields GET /runs filters and sorts on.
 */
type StoredRun = { live: RunResult } | { live?: undefined; key: RunListKey; json: string };

const listKey = (run: RunListKey): RunListKey => ({ run_id: run.run_id, status: run.status, workflow: run.workflow, session_id: run.session_id, started_at: run.started_at });

const storedRun = (run: RunResult): StoredRun =>
  isFinalStatus(run.status) ? { key: listKey(run), json: runJson(run) } : { live: run };
const keyOf = (stored: StoredRun): RunListKey => stored.live ?? stored.key;
const recordOf = (stored: StoredRun): RunResult => JSON.parse(stored.live ? JSON.stringify(stored.live) : stored.json) as RunResult;

/**
 * Sessions and runs in process memory: for tests and ephemeral deployments.
 * Every method finishes its mutation synchronously before its first await, so
 * concurrent appends on one session interleave by whole calls and never lose a turn.
 * Values are copied in and out so callers cannot change stored state by reference
 * (runs, specs and run events as JSON text, so they read back as the other drivers'.)
 */
export function createMemoryStores(opts: StoreOptions = {}): Stores {
  const clock = opts.clock ?? systemClock;
  const sessions = new Map<string, SessionRow>();
  const runs = new Map<string, StoredRun>();
  /** Specs as JSON text. */
  const specs = new Map<string, string>();
  /** Each event's data as JSON text. */
  const logs = new Map<string, Array<{ id: string; event: string; data: string }>>();
  const watchers = new LocalWatchers();
  let nextEventId = 1;
  let closed = false;
  let outboxDb: Database | undefined;
  const outbox = lazyOutbox(() => createSqliteOutbox((outboxDb ??= openSqliteDatabase(':memory:'))));
  const open = () => {
    if (closed) throw new AppError('overloaded', 'session store unavailable: store is closed', [], 5);
  };

  const sessionStore: SessionStore = {
    async appendTurns(sessionId, turns) {
      open();
      const now = new Date(clock.now()).toISOString();
      let row = sessions.get(sessionId);
      if (!row) {
        const created = turns[0]?.created_at ?? now;
        row = { created_at: created, updated_at: created, cost_usd: 0, turns: [] };
        sessions.set(sessionId, row);
      }
      for (const t of turns) {
        row.turns.push({ ...t });
        row.cost_usd += t.cost_usd;
      }
      row.updated_at = latestStamp(row.updated_at, turns, now);
      const max = opts.maxStoredTurns;
      if (max !== undefined && row.turns.length > max) row.turns.splice(0, row.turns.length - max);
    },
    async get(sessionId): Promise<Session | null> {
      open();
      const row = sessions.get(sessionId);
      if (!row) return null;
      return {
        session_id: sessionId,
        created_at: row.created_at,
        updated_at: row.updated_at,
        cost_usd: row.cost_usd,
        turns: row.turns.map((t) => ({ ...t })),
      };
    },
    async recentTurns(sessionId, limit) {
      open();
      const row = sessions.get(sessionId);
      if (!row || limit <= 0) return [];
      return row.turns.slice(-limit).map((t) => ({ ...t }));
    },
    async delete(sessionId) {
      open();
      return sessions.delete(sessionId);
    },
    async list(query) {
      open();
      const cursor = query.cursor === undefined ? undefined : decodeSessionCursor(query.cursor);
      const matching: SessionSummary[] = [];
      for (const [id, row] of sessions) {
        if (cursor && !isAfterPageCursor(isoMs(row.updated_at), id, cursor)) continue;
        matching.push({ session_id: id, created_at: row.created_at, updated_at: row.updated_at, cost_usd: row.cost_usd, turns: row.turns.length });
      }
      return sessionPageOf(matching.sort(recentlyUpdatedFirst), query.limit);
    },
    async deleteIdleSince(cutoff) {
      open();
      const limit = isoMs(cutoff);
      let removed = 0;
      for (const [id, row] of sessions) {
        if (isoMs(row.updated_at) < limit) {
          sessions.delete(id);
          removed++;
        }
      }
      return removed;
    },
  };

  const runStore: RunStore = {
    async create(run, spec) {
      open();
      runs.set(run.run_id, storedRun(run));
      specs.set(run.run_id, JSON.stringify(spec));
    },
    async spec(runId) {
      open();
      const spec = specs.get(runId);
      return spec === undefined ? null : (JSON.parse(spec) as RunSpec);
    },
    async unfinished(limit) {
      open();
      return [...runs.values()]
        .map(keyOf)
        .filter((r) => !isFinalStatus(r.status))
        .sort((a, b) => -newestFirst(a, b))
        .slice(0, limit)
        .map((r) => r.run_id);
    },
    async list(query) {
      open();
      const keep = runFilter(query);
      const matching = [...runs.values()].filter((r) => keep(keyOf(r))).sort((a, b) => newestFirst(keyOf(a), keyOf(b)));
      return pageOf(matching.slice(0, query.limit + 1).map(recordOf), query.limit);
    },
    async save(run, messages) {
      open();
      runs.set(run.run_id, storedRun(run));
      // Nothing survives a crash here anyway; the outbox is SQLite in memory, opened on first use.
      if (messages?.length) await outbox.enqueue(messages);
    },
    async get(runId) {
      open();
      const run = runs.get(runId);
      return run ? recordOf(run) : null;
    },
    async deleteStartedBefore(cutoff) {
      open();
      const limit = isoMs(cutoff);
      let removed = 0;
      for (const [id, run] of runs) {
        if (isoMs(keyOf(run).started_at) < limit) {
          runs.delete(id);
          specs.delete(id);
          logs.delete(id);
          removed++;
        }
      }
      return removed;
    },
  };

  const events: RunEventLog = {
    async append(runId, event, data) {
      open();
      const id = String(nextEventId++);
      let log = logs.get(runId);
      if (!log) logs.set(runId, (log = []));
      log.push({ id, event, data: eventJson(event, data) });
      watchers.notify(runId);
      return id;
    },
    async read(runId, afterId, limit) {
      open();
      const after = afterId === null ? 0 : sequenceOf(afterId);
      return (logs.get(runId) ?? [])
        .filter((e) => Number(e.id) > after)
        .slice(0, limit)
        .map((e): RunEvent => ({ id: e.id, event: e.event, data: JSON.parse(e.data) as object }));
    },
    watch: (runId, onAppend) => watchers.watch(runId, onAppend),
  };

  return {
    sessions: sessionStore,
    runs: runStore,
    events,
    control: createMemoryControlStore(),
    outbox,
    drift: createMemoryDriftStore(),
    async health() {
      return closed ? { status: 'error', driver: 'memory', message: 'store is closed' } : { status: 'ok', driver: 'memory' };
    },
    async close() {
      closed = true;
      if (outboxDb?.open) outboxDb.close();
    },
  };
}

/** An outbox made on first use, so stores that never see a webhook never open a database. */
function lazyOutbox(make: () => Outbox): Outbox {
  let made: Outbox | undefined;
  const get = () => (made ??= make());
  return {
    enqueue: (messages) => get().enqueue(messages),
    claim: (now, limit, leaseMs) => get().claim(now, limit, leaseMs),
    settle: (message, attempt, next) => get().settle(message, attempt, next),
    attempts: (runId) => get().attempts(runId),
    nextDue: () => get().nextDue(),
    prune: (before) => get().prune(before),
  };
}
