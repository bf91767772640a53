/**
 * What the control plane keeps: config versions (content-addressed documents with
 * their lineage), which one is active, and the audit log of admin changes.
 */

/** A config version as listed and answered (without its document). */
export interface ConfigVersion {
  /** SHA-256 (hex) of the document's canonical JSON. */
  hash: string;
  /** The version that was active when this one was made; null for the first. */
  parent: string | null;
  /** The admin key's name, or `file` (read from the config file) or `system` (made by the server itself). */
  author: string;
  message: string;
  /** ISO 8601 time the version was first stored. */
  created_at: string;
  /** Position in creation order, 1-based; the list cursor. */
  seq: number;
}

/** A stored version: its record and the document as written (`${ENV}` references, never resolved secrets). */
export interface StoredVersion extends ConfigVersion {
  document: unknown;
}

/** One entry of the audit log: who did what, when, from where. */
export interface AuditEntry {
  /** 1-based position in the log; the list cursor. */
  id: number;
  /** ISO 8601. */
  at: string;
  /** Admin key name, `file` or `system`. */
  actor: string;
  /** The caller's IP address; null for the server's own changes. */
  address: string | null;
  /** What was done, e.g. `config.apply`, `config.rollback`, `config.file`, `ops.plan`, `ops.confirm`. */
  action: string;
  /** What it was done to (a version hash, a key id...). */
  target: string | null;
  message: string;
  /** Action-specific figures (the diff of a config change, the plan of an op...). */
  details: Record<string, unknown>;
}

/** A page of a list, newest first; `next_cursor` fetches the next (older) page, null at the end. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Newest-first page request: items strictly older than `before` (a seq/id), at most `limit`. */
export interface PageRequest {
  before?: number;
  limit: number;
}

/** The outcome of a commit: whether it became active, and what is active now. */
export interface CommitResult {
  activated: boolean;
  /** The active hash after the call (the new one, or the one that made the commit stale). */
  active: string | null;
  /** The version's record (an existing one when the document was already stored); null when not activated. */
  version: ConfigVersion | null;
}

/** The most audit entries kept; older ones are dropped. */
export const AUDIT_MAX_ENTRIES = 10_000;

/**
 * Versions, the active pointer and the audit log. `commit` is atomic: the version is
 * stored (once per hash; a known document keeps its first record) and becomes active
 * only when the active version is still `expected` — the compare-and-set behind 409.
 */
export interface ControlStore {
  commit(version: Omit<StoredVersion, 'seq'>, expected: string | null): Promise<CommitResult>;
  getVersion(hash: string): Promise<StoredVersion | null>;
  listVersions(page: PageRequest): Promise<ConfigVersion[]>;
  active(): Promise<string | null>;
  /** A small key-value record (the hash of the config file seen at the last start). */
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry>;
  listAudit(page: PageRequest): Promise<AuditEntry[]>;
}
