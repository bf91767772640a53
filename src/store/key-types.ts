/**
 * Client keys managed through /admin/keys: what is stored of each (never the
 * key itself, only its SHA-256), their spend per UTC day and month, and their
 * requests-per-minute counters.
 */

/** A client key as stored and answered (without spend). */
export interface ClientKey {
  /** Opaque id (`key_…`), the handle of the admin API. */
  id: string;
  name: string;
  /** Allowed model keys and tier names (L, M, H); null allows everything. */
  models: string[] | null;
  /** Requests per minute (fixed UTC-minute window); null for no limit. */
  rpm: number | null;
  /** USD budgets per UTC day and UTC month; null for none. */
  budgets: { day_usd: number | null; month_usd: number | null };
  /** The first characters of the key (`mo_AbCd`), so an operator can tell keys apart. */
  prefix: string;
  /** ISO 8601. */
  created_at: string;
  updated_at: string;
}

/** Spend of one key in its current periods, in nano-USD (integers, so every replica adds exactly). */
export interface KeySpend {
  day_nano: number;
  month_nano: number;
}

/** Period names a spend is counted under: `2026-11-30` and `2026-11` (UTC). */
export interface SpendPeriods {
  day: string;
  month: string;
}

/** A page of keys in creation order; `next_cursor` fetches the next one, null at the end. */
export interface KeyPage {
  items: ClientKey[];
  next_cursor: string | null;
}

/** Where client keys live: memory (tests), SQLite (single node) or Redis (shared mode). */
export interface KeyStore {
  /** Stores a new key under the SHA-256 (hex) of its secret. */
  create(key: ClientKey, hash: string): Promise<void>;
  get(id: string): Promise<ClientKey | null>;
  /** The key whose secret hashes to `hash`, or null. */
  byHash(hash: string): Promise<ClientKey | null>;
  /** Keys in creation order after `cursor` (a previous page's next_cursor). */
  list(page: { cursor?: string; limit: number }): Promise<KeyPage>;
  /** Replaces the key's mutable fields; null when it does not exist. */
  update(id: string, key: ClientKey): Promise<ClientKey | null>;
  delete(id: string): Promise<boolean>;
  /** How many keys exist (once any does, client requests need a key). */
  count(): Promise<number>;
  /** Adds `nano` nano-USD to the key's day and month. */
  addSpend(id: string, nano: number, periods: SpendPeriods): Promise<void>;
  spend(id: string, periods: SpendPeriods): Promise<KeySpend>;
  /** Counts one request in the key's minute `minute` and returns the count so far. */
  hit(id: string, minute: number): Promise<number>;
  close(): Promise<void>;
}

/** A list cursor: the creation time and id of the last item of a page. */
export const encodeCursor = (key: Pick<ClientKey, 'created_at' | 'id'>): string =>
  Buffer.from(`${Date.parse(key.created_at)}:${key.id}`).toString('base64url');

/** The (ms, id) a cursor names; null when it is not one of ours. */
export function decodeCursor(cursor: string): { ms: number; id: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{1,15}):(key_[A-Za-z0-9]{1,64})$/.exec(text);
  return m ? { ms: Number(m[1]), id: m[2]! } : null;
}

/** Sort order of keys: creation time, then id. */
export const keyOrder = (a: { ms: number; id: string }, b: { ms: number; id: string }): number => a.ms - b.ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
