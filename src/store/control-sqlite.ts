import type { Database } from 'better-sqlite3';
import { AUDIT_MAX_ENTRIES, type AuditEntry, type ConfigVersion, type ControlStore, type StoredVersion } from './control-types.js';
import { guarded, type StoreLog } from './store-error.js';

interface VersionRow {
  seq: number;
  hash: string;
  parent: string | null;
  author: string;
  message: string;
  created_at: string;
  document?: string;
}

interface AuditRow extends Omit<AuditEntry, 'details'> {
  details: string;
}

const VERSION_COLUMNS = 'seq, hash, parent, author, message, created_at';
const ACTIVE = 'active';
const versionOf = (row: VersionRow): ConfigVersion => ({
  hash: row.hash,
  parent: row.parent,
  author: row.author,
  message: row.message,
  created_at: row.created_at,
  seq: row.seq,
});
const auditOf = (row: AuditRow): AuditEntry => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> });

/**
 * Versions, the active pointer and the audit log in the server's SQLite file (tables of
 * migration 2). `commit` is one IMMEDIATE transaction, so two processes on one file
 * cannot both move the active version from the same base.
 */
export function createSqliteControlStore(db: Database, log?: StoreLog): ControlStore {
  const stmt = {
    getMeta: db.prepare('SELECT value FROM control_meta WHERE key = ?'),
    setMeta: db.prepare('INSERT INTO control_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    insertVersion: db.prepare(
      `INSERT INTO config_versions (hash, parent, author, message, created_at, document) VALUES (@hash, @parent, @author, @message, @created_at, @document)
       ON CONFLICT (hash) DO NOTHING`,
    ),
    getVersion: db.prepare(`SELECT ${VERSION_COLUMNS}, document FROM config_versions WHERE hash = ?`),
    listVersions: db.prepare(`SELECT ${VERSION_COLUMNS} FROM config_versions WHERE seq < ? ORDER BY seq DESC LIMIT ?`),
    insertAudit: db.prepare(
      'INSERT INTO audit_log (at, actor, address, action, target, message, details) VALUES (@at, @actor, @address, @action, @target, @message, @details)',
    ),
    trimAudit: db.prepare('DELETE FROM audit_log WHERE id <= ?'),
    listAudit: db.prepare('SELECT id, at, actor, address, action, target, message, details FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?'),
  };
  const readMeta = (key: string): string | null => (stmt.getMeta.get(key) as { value: string } | undefined)?.value ?? null;

  const commit = db.transaction((version: Omit<StoredVersion, 'seq'>, expected: string | null) => {
    const active = readMeta(ACTIVE);
    if (active !== expected) return { activated: false, active, version: null };
    stmt.insertVersion.run({ ...version, document: JSON.stringify(version.document) });
    stmt.setMeta.run(ACTIVE, version.hash);
    const row = stmt.getVersion.get(version.hash) as VersionRow;
    return { activated: true, active: version.hash, version: versionOf(row) };
  });

  return {
    async commit(version, expected) {
      return guarded(() => commit.immediate(version, expected), log);
    },
    async getVersion(hash) {
      return guarded(() => {
        const row = stmt.getVersion.get(hash) as VersionRow | undefined;
        return row ? { ...versionOf(row), document: JSON.parse(row.document!) as unknown } : null;
      }, log);
    },
    async listVersions({ before, limit }) {
      return guarded(() => (stmt.listVersions.all(before ?? Number.MAX_SAFE_INTEGER, limit) as VersionRow[]).map(versionOf), log);
    },
    async active() {
      return guarded(() => readMeta(ACTIVE), log);
    },
    async getMeta(key) {
      return guarded(() => readMeta(`meta:${key}`), log);
    },
    async setMeta(key, value) {
      guarded(() => stmt.setMeta.run(`meta:${key}`, value), log);
    },
    async appendAudit(entry) {
      return guarded(() => {
        const id = Number(stmt.insertAudit.run({ ...entry, details: JSON.stringify(entry.details) }).lastInsertRowid);
        if (id > AUDIT_MAX_ENTRIES) stmt.trimAudit.run(id - AUDIT_MAX_ENTRIES);
        return structuredClone({ ...entry, id });
      }, log);
    },
    async listAudit({ before, limit }) {
      return guarded(() => (stmt.listAudit.all(before ?? Number.MAX_SAFE_INTEGER, limit) as AuditRow[]).map(auditOf), log);
    },
  };
}
