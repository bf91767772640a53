import { AUDIT_MAX_ENTRIES, type AuditEntry, type ConfigVersion, type ControlStore, type StoredVersion } from './control-types.js';

const recordOf = ({ document: _d, ...record }: StoredVersion): ConfigVersion => ({ ...record });

/** Versions and audit in process memory (tests, STORE_DRIVER=memory); copies in and out. */
export function createMemoryControlStore(): ControlStore {
  const versions = new Map<string, StoredVersion>();
  const order: string[] = [];
  const meta = new Map<string, string>();
  const audit: AuditEntry[] = [];
  let active: string | null = null;
  let auditSeq = 0;

  return {
    async commit(version, expected) {
      if (active !== expected) return { activated: false, active, version: null };
      let stored = versions.get(version.hash);
      if (!stored) {
        stored = structuredClone({ ...version, seq: order.length + 1 });
        versions.set(version.hash, stored);
        order.push(version.hash);
      }
      active = version.hash;
      return { activated: true, active, version: recordOf(stored) };
    },
    async getVersion(hash) {
      const v = versions.get(hash);
      return v ? structuredClone(v) : null;
    },
    async listVersions({ before, limit }) {
      const end = before === undefined ? order.length : Math.min(order.length, before - 1);
      return order
        .slice(Math.max(0, end - limit), end)
        .reverse()
        .map((hash) => recordOf(versions.get(hash)!));
    },
    async active() {
      return active;
    },
    async getMeta(key) {
      return meta.get(key) ?? null;
    },
    async setMeta(key, value) {
      meta.set(key, value);
    },
    async appendAudit(entry) {
      const stored = structuredClone({ ...entry, id: ++auditSeq });
      audit.push(stored);
      if (audit.length > AUDIT_MAX_ENTRIES) audit.splice(0, audit.length - AUDIT_MAX_ENTRIES);
      return structuredClone(stored);
    },
    async listAudit({ before, limit }) {
      const older = before === undefined ? audit : audit.filter((e) => e.id < before);
      return older.slice(-limit).reverse().map((e) => structuredClone(e));
    },
  };
}
