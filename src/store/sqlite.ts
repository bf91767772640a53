import type { Database } from 'better-sqlite3';
import { systemClock } from '../clock.js';
import type { RunResult } from '../orchestrator/workflow/types.js';
import { createSqliteControlStore } from './control-sqlite.js';
import { createSqliteDriftStore } from './drift-sqlite.js';
import { latestStamp, type StoreOptions } from './driver-options.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { createSqliteOutbox, outboxWriter } from './outbox-sqlite.js';
import { guarded, type StoreLog } from './store-error.js';
import { sequenceOf } from './event-id.js';
import { LocalWatchers } from './local-watchers.js';
import { eventJson, runJson } from './run-json.js';
import { decodeCursor, filterTime, pageOf } from './run-query.js';
import { decodeSessionCursor, sessionPageOf } from './session-query.js';
import type { RunEventLog, RunPage, RunQuery, RunSpec, RunStore, RunWrite, RunWriteResult, Session, SessionStore, SessionSummary, Stores, Turn } from './types.js';

/** Options of the SQLite driver. */
export interface SqliteStoreOptions extends StoreOptions {
  /** How long a write waits for another connection's lock before failing with 503. Default 5000. */
  busyTimeoutMs?: number;
  /** Receives one error line per storage failure. */
  log?: StoreLog;
}

interface SessionRow {
  session_id: string;
  created_at: string;
  updated_at: string;
  cost_usd: number;
}

const TURN_COLUMNS = 'role, content, category, model_used, run_id, request_id, cost_usd, created_at';

/**
 * Sessions and runs in the one SQLite database (WAL mode; see
 * sqlite-database.ts): the embedded default, so history survives a restart.
 * Given a file, it opens (and on `close` closes) the database; given an open
 * database, its owner closes it. The returned `sqlite` is the database, for the
 * other stores that keep their tables in it (keys, schedule state). better-sqlite3 is synchronous, so each method's
 * statement or transaction runs whole before another request's can start; WAL
 * plus `busy_timeout` covers a second process on the same file. Driver failures
 * leave as the API's 503 (see `store-error.ts`).
 */
export function createSqliteStores(file: string | Database, opts: SqliteStoreOptions = {}): Stores {
  const clock = opts.clock ?? systemClock;
  const log = opts.log;
  const owned = typeof file === 'string';
  const db = typeof file === 'string' ? openSqliteDatabase(file, { busyTimeoutMs: opts.busyTimeoutMs }) : file;

  const writeOutbox = outboxWriter(db);
  const stmt = {
    insertSession: db.prepare(
      'INSERT INTO sessions (session_id, created_at, updated_at, updated_ms, cost_usd) VALUES (?, ?, ?, ?, 0) ON CONFLICT (session_id) DO NOTHING',
    ),
    sessionStamp: db.prepare('SELECT updated_at FROM sessions WHERE session_id = ?'),
    touchSession: db.prepare('UPDATE sessions SET updated_at = ?, updated_ms = ?, cost_usd = cost_usd + ? WHERE session_id = ?'),
    insertTurn: db.prepare(
      `INSERT INTO turns (session_id, ${TURN_COLUMNS}) VALUES (@session_id, @role, @content, @category, @model_used, @run_id, @request_id, @cost_usd, @created_at)`,
    ),
    trimTurns: db.prepare(
      'DELETE FROM turns WHERE session_id = ? AND id NOT IN (SELECT id FROM turns WHERE session_id = ? ORDER BY id DESC LIMIT ?)',
    ),
    getSession: db.prepare('SELECT session_id, created_at, updated_at, cost_usd FROM sessions WHERE session_id = ?'),
    allTurns: db.prepare(`SELECT ${TURN_COLUMNS} FROM turns WHERE session_id = ? ORDER BY id`),
    lastTurns: db.prepare(`SELECT ${TURN_COLUMNS} FROM turns WHERE session_id = ? ORDER BY id DESC LIMIT ?`),
    deleteSession: db.prepare('DELETE FROM sessions WHERE session_id = ?'),
    // GET /sessions: newest first on the updated_ms index; the turn count per listed session only.
    listSessions: db.prepare(
      `SELECT s.session_id, s.created_at, s.updated_at, s.cost_usd, (SELECT count(*) FROM turns t WHERE t.session_id = s.session_id) AS turns
       FROM sessions s ORDER BY s.updated_ms DESC, s.session_id DESC LIMIT ?`,
    ),
    listSessionsAfter: db.prepare(
      `SELECT s.session_id, s.created_at, s.updated_at, s.cost_usd, (SELECT count(*) FROM turns t WHERE t.session_id = s.session_id) AS turns
       FROM sessions s WHERE s.updated_ms < ? OR (s.updated_ms = ? AND s.session_id < ?)
       ORDER BY s.updated_ms DESC, s.session_id DESC LIMIT ?`,
    ),
    deleteIdle: db.prepare('DELETE FROM sessions WHERE updated_ms < ?'),
    createRun: db.prepare(
      `INSERT INTO runs (run_id, status, session_id, started_ms, workflow, data, spec) VALUES (@run_id, @status, @session_id, @started_ms, @workflow, @data, @spec)`,
    ),
    saveRun: db.prepare(
      `INSERT INTO runs (run_id, status, session_id, started_ms, workflow, data) VALUES (@run_id, @status, @session_id, @started_ms, @workflow, @data)
       ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, session_id = excluded.session_id, started_ms = excluded.started_ms,
         workflow = excluded.workflow, data = excluded.data`,
    ),
    getRun: db.prepare('SELECT data FROM runs WHERE run_id = ?'),
    getSpec: db.prepare('SELECT spec FROM runs WHERE run_id = ?'),
    unfinished: db.prepare(`SELECT run_id FROM runs WHERE status IN ('queued', 'running') ORDER BY started_ms, run_id LIMIT ?`),
    deleteRuns: db.prepare('DELETE FROM runs WHERE started_ms < ?'),
    appendEvent: db.prepare('INSERT INTO run_events (run_id, event, data) VALUES (?, ?, ?)'),
    readEvents: db.prepare('SELECT id, event, data FROM run_events WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?'),
  };
  const watchers = new LocalWatchers();

  const runRow = (run: RunResult) => {
    const started = Date.parse(run.started_at);
    return {
      run_id: run.run_id,
      status: run.status,
      session_id: run.session_id,
      started_ms: Number.isFinite(started) ? started : clock.now(),
      workflow: run.workflow,
      data: runJson(run),
    };
  };

  /** GET /runs in SQL: the filters and the cursor as a WHERE clause, newest first. */
  const listRuns = (query: RunQuery): RunPage => {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (clause: string, value: string | number) => {
      where.push(clause);
      args.push(value);
    };
    if (query.status !== undefined) add('status = ?', query.status);
    if (query.workflow !== undefined) add('workflow = ?', query.workflow);
    if (query.session_id !== undefined) add('session_id = ?', query.session_id);
    if (query.since !== undefined) add('started_ms >= ?', filterTime(query.since, 'since'));
    if (query.until !== undefined) add('started_ms < ?', filterTime(query.until, 'until'));
    if (query.cursor !== undefined) {
      const c = decodeCursor(query.cursor);
      where.push('(started_ms < ? OR (started_ms = ? AND run_id < ?))');
      args.push(c.ms, c.ms, c.id);
    }
    const sql = `SELECT data FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_ms DESC, run_id DESC LIMIT ?`;
    const rows = db.prepare(sql).all(...args, query.limit + 1) as { data: string }[];
    return pageOf(
      rows.map((r) => JSON.parse(r.data) as RunResult),
      query.limit,
    );
  };

  // One IMMEDIATE transaction: the user turn and its answer land together, or neither does.
  const append = db.transaction((sessionId: string, turns: Turn[]) => {
    const now = new Date(clock.now()).toISOString();
    const created = turns[0]?.created_at ?? now;
    stmt.insertSession.run(sessionId, created, created, Date.parse(created));
    const current = (stmt.sessionStamp.get(sessionId) as { updated_at: string }).updated_at;
    const updated = latestStamp(current, turns, now);
    let cost = 0;
    for (const t of turns) {
      stmt.insertTurn.run({
        session_id: sessionId,
        role: t.role,
        content: t.content,
        category: t.category,
        model_used: t.model_used,
        run_id: t.run_id,
        request_id: t.request_id,
        cost_usd: t.cost_usd,
        created_at: t.created_at,
      });
      cost += t.cost_usd;
    }
    stmt.touchSession.run(updated, Date.parse(updated), cost, sessionId);
    if (opts.maxStoredTurns !== undefined) stmt.trimTurns.run(sessionId, sessionId, opts.maxStoredTurns);
  });

  const cutoffMs = (cutoff: string): number => {
    const value = Date.parse(cutoff);
    if (!Number.isFinite(value)) throw new RangeError(`invalid cutoff time: ${cutoff}`);
    return value;
  };

  const sessions: SessionStore = {
    async appendTurns(sessionId, turns) {
      guarded(() => append.immediate(sessionId, turns), log);
    },
    async get(sessionId): Promise<Session | null> {
      return guarded(() => {
        const row = stmt.getSession.get(sessionId) as SessionRow | undefined;
        if (!row) return null;
        const turns = stmt.allTurns.all(sessionId) as Turn[];
        return { ...row, turns };
      }, log);
    },
    async recentTurns(sessionId, limit) {
      if (limit <= 0) return [];
      return guarded(() => (stmt.lastTurns.all(sessionId, limit) as Turn[]).reverse(), log);
    },
    async delete(sessionId) {
      return guarded(() => stmt.deleteSession.run(sessionId).changes > 0, log);
    },
    async list(query) {
      const cursor = query.cursor === undefined ? undefined : decodeSessionCursor(query.cursor);
      const rows = guarded(
        () =>
          (cursor
            ? stmt.listSessionsAfter.all(cursor.ms, cursor.ms, cursor.id, query.limit + 1)
            : stmt.listSessions.all(query.limit + 1)) as SessionSummary[],
        log,
      );
      return sessionPageOf(rows, query.limit);
    },
    async deleteIdleSince(cutoff) {
      const limit = cutoffMs(cutoff);
      return guarded(() => stmt.deleteIdle.run(limit).changes, log);
    },
  };

  const runs: RunStore = {
    async create(run, spec) {
      const row = { ...runRow(run), spec: JSON.stringify(spec) };
      guarded(() => stmt.createRun.run(row), log);
    },
    async save(run, messages) {
      const row = runRow(run);
      if (!messages?.length) return void guarded(() => stmt.saveRun.run(row), log);
      guarded(
        () =>
          db.transaction(() => {
            stmt.saveRun.run(row);
            writeOutbox(messages);
          }).immediate(),
        log,
      );
    },
    async get(runId) {
      return guarded(() => {
        const row = stmt.getRun.get(runId) as { data: string } | undefined;
        return row ? (JSON.parse(row.data) as RunResult) : null;
      }, log);
    },
    async spec(runId) {
      return guarded(() => {
        const row = stmt.getSpec.get(runId) as { spec: string | null } | undefined;
        return row?.spec ? (JSON.parse(row.spec) as RunSpec) : null;
      }, log);
    },
    async unfinished(limit) {
      return guarded(() => (stmt.unfinished.all(limit) as { run_id: string }[]).map((r) => r.run_id), log);
    },
    async list(query) {
      return guarded(() => listRuns(query), log);
    },
    async deleteStartedBefore(cutoff) {
      const limit = cutoffMs(cutoff);
      return guarded(() => stmt.deleteRuns.run(limit).changes, log);
    },
  };

  /** One write of `writeRuns`, as `runs.create` / `runs.save` / `events.append` write it; the event's id. */
  const applyWrite = (w: RunWrite): string | undefined => {
    if (w.kind === 'event') return String(stmt.appendEvent.run(w.run_id, w.event, eventJson(w.event, w.data)).lastInsertRowid);
    if (w.kind === 'create') return void stmt.createRun.run({ ...runRow(w.run), spec: JSON.stringify(w.spec) });
    stmt.saveRun.run(runRow(w.run));
    if (w.outbox?.length) writeOutbox(w.outbox);
    return undefined;
  };
  /** Every write in one IMMEDIATE transaction: one commit (one WAL append) for all of them. */
  const writeAll = db.transaction((writes: readonly RunWrite[]) => writes.map(applyWrite));
  /** Each write on its own (an outbox with its record in one transaction, as `runs.save`). */
  const writeOne = (w: RunWrite): string | undefined => (w.kind === 'save' && w.outbox?.length ? db.transaction(applyWrite).immediate(w) : applyWrite(w));

  const writeRuns = (writes: readonly RunWrite[]): RunWriteResult[] => {
    let results: RunWriteResult[];
    try {
      results = guarded(() => writeAll.immediate(writes), log).map((id) => ({ ok: true, id }));
    } catch {
      // Nothing of the batch was written: each write alone, so one that cannot be written fails alone.
      results = writes.map((w) => {
        try {
          return { ok: true, id: guarded(() => writeOne(w), log) };
        } catch (error) {
          return { ok: false, error };
        }
      });
    }
    const woken = new Set<string>();
    writes.forEach((w, i) => {
      if (w.kind === 'event' && results[i]!.ok && !woken.has(w.run_id)) {
        woken.add(w.run_id);
        watchers.notify(w.run_id);
      }
    });
    return results;
  };

  const events: RunEventLog = {
    async append(runId, event, data) {
      const id = guarded(() => stmt.appendEvent.run(runId, event, eventJson(event, data)).lastInsertRowid, log);
      watchers.notify(runId);
      return String(id);
    },
    async read(runId, afterId, limit) {
      const after = afterId === null ? 0 : sequenceOf(afterId);
      return guarded(
        () =>
          (stmt.readEvents.all(runId, after, limit) as { id: number; event: string; data: string }[]).map((r) => ({
            id: String(r.id),
            event: r.event,
            data: JSON.parse(r.data) as object,
          })),
        log,
      );
    },
    watch: (runId, onAppend) => watchers.watch(runId, onAppend),
  };

  return {
    sessions,
    runs,
    events,
    control: createSqliteControlStore(db, log),
    drift: createSqliteDriftStore(db, log),
    async health() {
      try {
        db.prepare('SELECT 1').get();
        return { status: 'ok', driver: 'sqlite' };
      } catch (err) {
        return { status: 'error', driver: 'sqlite', message: (err as Error).message };
      }
    },
    sqlite: db,
    async writeRuns(writes) {
      return writeRuns(writes);
    },
    outbox: createSqliteOutbox(db),
    async close() {
      if (owned && db.open) db.close();
    },
  };
}
