import type { Database } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { DeliveryAttempt, LeasedMessage, Outbox, OutboxMessage, Settlement } from './outbox-types.js';

interface Row extends OutboxMessage {
  attempts: number;
}

/**
 * Writes outbox messages with `db`'s statements; the caller's transaction (if
 * any) holds them, which is how a run's final record and its webhooks commit
 * together (the transactional outbox). A message already there is left as it is.
 */
export function outboxWriter(db: Database): (messages: readonly OutboxMessage[]) => void {
  const insert = db.prepare(
    `INSERT INTO webhook_outbox (id, run_id, event, url, shown_url, payload, created_ms, state, attempts, next_ms)
     VALUES (@id, @run_id, @event, @url, @shown_url, @payload, @created_ms, 'pending', 0, @created_ms)
     ON CONFLICT (id) DO NOTHING`,
  );
  return (messages) => {
    for (const m of messages) insert.run({ id: m.id, run_id: m.run_id, event: m.event, url: m.url, shown_url: m.shown_url, payload: m.payload, created_ms: m.created_ms });
  };
}

/**
 * The outbox in SQLite (tables of the one database, migration 5). better-sqlite3 is synchronous,
 * so a claim's select-and-lease runs whole in one IMMEDIATE transaction; a claim
 * moves the message's due time to the lease's end, which is also how a lapsed
 * lease makes it due again.
 */
export function createSqliteOutbox(db: Database): Outbox {
  const stmt = {
    due: db.prepare(
      `SELECT id, run_id, event, url, shown_url, payload, created_ms, attempts FROM webhook_outbox
       WHERE state = 'pending' AND next_ms <= ? ORDER BY next_ms LIMIT ?`,
    ),
    lease: db.prepare('UPDATE webhook_outbox SET lease = ?, next_ms = ? WHERE id = ?'),
    settle: db.prepare(
      `UPDATE webhook_outbox SET state = @state, next_ms = @next_ms, attempts = attempts + 1, lease = NULL
       WHERE id = @id AND lease = @lease AND state = 'pending'`,
    ),
    addAttempt: db.prepare('INSERT INTO webhook_attempts (run_id, data, at_ms) VALUES (?, ?, ?)'),
    attempts: db.prepare('SELECT data FROM webhook_attempts WHERE run_id = ? ORDER BY id'),
    nextDue: db.prepare(`SELECT MIN(next_ms) AS next FROM webhook_outbox WHERE state = 'pending'`),
    pruneMessages: db.prepare(`DELETE FROM webhook_outbox WHERE state <> 'pending' AND created_ms < ?`),
    pruneAttempts: db.prepare('DELETE FROM webhook_attempts WHERE at_ms < ?'),
  };

  const enqueue = db.transaction(outboxWriter(db));
  const claim = db.transaction((now: number, limit: number, leaseMs: number): LeasedMessage[] => {
    const rows = stmt.due.all(now, limit) as Row[];
    return rows.map((row) => {
      const lease = randomUUID();
      stmt.lease.run(lease, now + leaseMs, row.id);
      return { ...row, lease };
    });
  });
  const settle = db.transaction((m: LeasedMessage, attempt: DeliveryAttempt, next: Settlement): boolean => {
    const state = next.kind === 'retry' ? 'pending' : next.kind;
    const changed = stmt.settle.run({ id: m.id, lease: m.lease, state, next_ms: next.kind === 'retry' ? next.at_ms : 0 }).changes;
    if (changed === 0) return false;
    stmt.addAttempt.run(m.run_id, JSON.stringify(attempt), Date.parse(attempt.at));
    return true;
  });
  const prune = db.transaction((before: number) => stmt.pruneMessages.run(before).changes + stmt.pruneAttempts.run(before).changes);

  return {
    async enqueue(messages) {
      enqueue.immediate(messages);
    },
    async claim(now, limit, leaseMs) {
      return claim.immediate(now, limit, leaseMs);
    },
    async settle(message, attempt, next) {
      return settle.immediate(message, attempt, next);
    },
    async attempts(runId) {
      return (stmt.attempts.all(runId) as { data: string }[]).map((r) => JSON.parse(r.data) as DeliveryAttempt);
    },
    async nextDue() {
      return (stmt.nextDue.get() as { next: number | null }).next;
    },
    async prune(before) {
      return prune.immediate(before);
    },
  };
}
