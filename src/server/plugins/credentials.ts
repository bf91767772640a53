import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** SHA-256 first, so keys of any length compare in constant time. */
export const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The caller's key from `Authorization: Bearer <key>` or `x-api-key`. */
function readKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  const header = request.headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}

/**
 * A request's key and its digest, read once per request: client auth, admin auth and the rate
 * limit's per-key bucket all ask for them. Kept on the request (a symbol property), so nothing outlives it.
 */
const kPresented = Symbol('presented key');
type Presenting = FastifyRequest & { [kPresented]?: { key: string | undefined; digest?: Buffer } };
const presentedOf = (request: FastifyRequest) => ((request as Presenting)[kPresented] ??= { key: readKey(request) });

/** The caller's key from `Authorization: Bearer <key>` or `x-api-key`. */
export const presentedKey = (request: FastifyRequest): string | undefined => presentedOf(request).key;

/** `digest` of the presented key ('' when none), computed once per request. */
export function presentedDigest(request: FastifyRequest): Buffer {
  const p = presentedOf(request);
  return (p.digest ??= digest(p.key ?? ''));
}

/** Compares `given` with every digest, without an early exit, so timing says nothing about which matched. */
export function matchDigest<T extends { digest: Buffer }>(keys: readonly T[], given: Buffer): T | undefined {
  let found: T | undefined;
  for (const k of keys) if (timingSafeEqual(k.digest, given)) found ??= k;
  return found;
}
