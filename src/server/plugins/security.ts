import { createHash, timingSafeEqual } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';

/** Paths anyone may read, even when API keys are configured. */
const PUBLIC_PATHS = new Set(['/', '/health', '/openapi.json']);
const isPublic = (url: string): boolean => {
  const path = url.split('?')[0]!;
  return PUBLIC_PATHS.has(path) || path === '/docs' || path.startsWith('/docs/');
};

/** SHA-256 first, so keys of any length compare in constant time. */
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The caller's key from `Authorization: Bearer <key>` or `x-api-key`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  const header = request.headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}

export function parseApiKeys(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
}

/**
 * Security headers, CORS, API-key auth and the caller rate limit. Keys come only
 * from the environment (API_KEYS); without any, the server is open and says so once.
 */
export async function registerSecurity(app: FastifyInstance, opts: { apiKeys: string[] }): Promise<void> {
  const { config } = app.ctx;
  const keys = opts.apiKeys.map(digest);

  await app.register(helmet, { global: true, contentSecurityPolicy: false });
  await app.register(cors, { origin: config.server.cors_origins.length > 0 ? config.server.cors_origins : false });

  if (keys.length === 0) {
    app.log.warn('API_KEYS is not set: every endpoint is open to anyone who can reach this server');
  } else {
    app.addHook('onRequest', async (request) => {
      if (request.method === 'OPTIONS' || isPublic(request.url)) return;
      const key = presentedKey(request);
      const given = digest(key ?? '');
      // Compare against every key, without an early exit, so timing says nothing about which matched.
      let ok = false;
      for (const k of keys) ok = timingSafeEqual(k, given) || ok;
      if (!key || !ok) {
        throw new AppError('unauthorized', key ? 'invalid API key' : 'missing API key: send Authorization: Bearer <key> or x-api-key');
      }
    });
  }

  const limit = config.server.rate_limit;
  if (limit.enabled) {
    await app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.time_window_ms,
      allowList: (request) => {
        const path = request.url.split('?')[0];
        return path === '/health' || path === '/';
      },
      // Per key when one is presented (hashed, never stored raw), else per IP.
      keyGenerator: (request) => {
        const key = presentedKey(request);
        return key ? `key:${digest(key).toString('hex').slice(0, 16)}` : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) =>
        new AppError('rate_limited', `rate limit exceeded: ${context.max} requests per ${context.after}`, [], Math.max(1, Math.ceil(context.ttl / 1000))),
    });
  }
}
