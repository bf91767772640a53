import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { digest, matchDigest as match, presentedDigest, presentedKey } from './credentials.js';
import { pathOf } from '../url-path.js';

/** Who made an admin call: the name of the admin key, and the caller's address. */
export interface AdminIdentity {
  name: string;
  address: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on /admin/* requests that presented a valid admin key. */
    admin?: AdminIdentity;
  }
}

/** Every admin route lives under this prefix; the hook guards all of it, so no route can be left open. */
export const ADMIN_PREFIX = '/admin';
const ADMIN_DIR = `${ADMIN_PREFIX}/`;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** One admin key: its name (the audit's "who") and the SHA-256 of its secret. */
export interface AdminKey {
  name: string;
  digest: Buffer;
}

/**
 * Parses `ADMIN_API_KEYS="alice:KEY1,ops:KEY2"`. Throws naming the bad entry (by
 * position and name, never the secret): a missing name or key, a bad name, a duplicate.
 */
export function parseAdminKeys(value: string | undefined): AdminKey[] {
  const keys: AdminKey[] = [];
  const names = new Set<string>();
  (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, i) => {
      const colon = entry.indexOf(':');
      const name = colon > 0 ? entry.slice(0, colon).trim() : '';
      const secret = colon > 0 ? entry.slice(colon + 1).trim() : '';
      if (!NAME.test(name) || secret.length === 0) {
        throw new Error(`ADMIN_API_KEYS entry ${i + 1} must be name:key (name of letters, digits, _ . -)`);
      }
      if (names.has(name)) throw new Error(`ADMIN_API_KEYS names '${name}' twice`);
      names.add(name);
      keys.push({ name, digest: digest(secret) });
    });
  return keys;
}

/** The secrets of ADMIN_API_KEYS, so error bodies can scrub them like provider keys. */
export const adminSecrets = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((entry) => entry.slice(entry.indexOf(':') + 1).trim())
    .filter(Boolean);

export const isAdminPath = (url: string): boolean => {
  const path = pathOf(url);
  return path === ADMIN_PREFIX || path.startsWith(ADMIN_DIR);
};

export interface AdminAuthOptions {
  adminKeys: AdminKey[];
  /** Client keys (API_KEYS), so a client key on /admin is told it is the wrong kind (403). */
  clientKeys: string[];
}

/**
 * Guards every /admin/* request, whatever client auth says (`/admin` is never open):
 * no key → 401; a client key → 403 `forbidden`; no ADMIN_API_KEYS configured → 403
 * saying so; an unknown key → 401. A valid admin key sets `request.admin`.
 * Registered once in app.ts; routes under /admin (config, keys, experiments, audit,
 * ops) need nothing more and read the caller with `adminOf(request)`.
 */
export function registerAdminAuth(app: FastifyInstance, opts: AdminAuthOptions): void {
  const clientDigests = opts.clientKeys.map((k) => ({ digest: digest(k) }));
  const checkAdmin = (request: FastifyRequest): void => {
    const key = presentedKey(request);
    if (!key) {
      throw new AppError('unauthorized', 'missing admin key: send Authorization: Bearer <admin key> or x-api-key (keys come from ADMIN_API_KEYS)');
    }
    const given = presentedDigest(request);
    const admin = match(opts.adminKeys, given);
    if (admin) {
      request.admin = { name: admin.name, address: request.ip };
      return;
    }
    if (match(clientDigests, given)) throw new AppError('forbidden', 'a client key cannot use the admin API: use a key from ADMIN_API_KEYS');
    if (opts.adminKeys.length === 0) throw new AppError('forbidden', 'the admin API is disabled: set ADMIN_API_KEYS (name:key pairs) to enable it');
    throw new AppError('unauthorized', 'invalid admin key');
  };
  app.addHook('onRequest', (request, _reply, done) => {
    if (!isAdminPath(request.url) || request.method === 'OPTIONS') return done();
    try {
      checkAdmin(request);
      done();
    } catch (err) {
      done(err as Error);
    }
  });
}

/** The admin behind a request under /admin (the hook guarantees one). */
export function adminOf(request: FastifyRequest): AdminIdentity {
  if (!request.admin) throw new AppError('unauthorized', 'missing admin key');
  return request.admin;
}

/** True when `key` is one of the admin keys (client auth refuses admin keys with 403). */
export function isAdminKey(adminKeys: readonly AdminKey[], key: string): boolean {
  return match(adminKeys, digest(key)) !== undefined;
}
