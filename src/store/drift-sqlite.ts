import type { Database } from 'better-sqlite3';
import type { DriftBaselineRecord, DriftBaselineStore } from './drift-types.js';
import { guarded, type StoreLog } from './store-error.js';

interface Row {
  subject: string;
  stream: string;
  version: string;
  summary: string;
  created_ms: number;
}

const recordOf = (row: Row): DriftBaselineRecord => ({ ...row, summary: JSON.parse(row.summary) as DriftBaselineRecord['summary'] });

/** Baselines in the SQLite file of the sessions and runs (table drift_baselines, migration 4). */
export function createSqliteDriftStore(db: Database, log?: StoreLog): DriftBaselineStore {
  const stmt = {
    all: db.prepare('SELECT subject, stream, version, summary, created_ms FROM drift_baselines'),
    upsert: db.prepare(
      `INSERT INTO drift_baselines (subject, stream, version, summary, created_ms) VALUES (@subject, @stream, @version, @summary, @created_ms)
       ON CONFLICT (subject, stream) DO UPDATE SET version = excluded.version, summary = excluded.summary, created_ms = excluded.created_ms
       WHERE drift_baselines.version <> excluded.version`,
    ),
    one: db.prepare('SELECT subject, stream, version, summary, created_ms FROM drift_baselines WHERE subject = ? AND stream = ?'),
  };
  const claim = db.transaction((record: DriftBaselineRecord): DriftBaselineRecord => {
    stmt.upsert.run({ ...record, summary: JSON.stringify(record.summary) });
    return recordOf(stmt.one.get(record.subject, record.stream) as Row);
  });
  return {
    async list() {
      return guarded(() => (stmt.all.all() as Row[]).map(recordOf), log);
    },
    async claim(record) {
      return guarded(() => claim.immediate(record), log);
    },
  };
}
