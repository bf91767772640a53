import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** SHA-256 first, so keys of any length compare in constant time. */
export const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The caller's key from `Authorization: Bearer <key>` or `x-api-key`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  const header = request.headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}

/** Compares `given` with every digest, without an early exit, so timing says nothing about which matched. */
export function matchDigest<T extends { digest: Buffer }>(keys: readonly T[], given: Buffer): T | undefined {
  let found: T | undefined;
  for (const k of keys) if (timingSafeEqual(k.digest, given)) found ??= k;
  return found;
}
