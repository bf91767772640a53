import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { isAdminPath, type AdminKey } from './admin-auth.js';
import { pathOf } from '../url-path.js';
import { callerOf, setCaller } from './caller.js';
import { digest, matchDigest, presentedDigest, presentedKey } from './credentials.js';
import { registerSecurityHeaders } from './security-headers.js';
import type { JwtAuth } from './jwt-auth.js';
import { KEY_PREFIX, type ClientKeys } from '../../control/keys.js';
import type { ClientKey } from '../../store/key-types.js';

/** Paths anyone may read, even when API keys are configured: the console's files hold no data (it signs in to the API). */
const PUBLIC_PATHS = new Set(['/', '/health', '/openapi.json', '/docs', '/ui']);
const isPublic = (url: string): boolean => {
  const path = pathOf(url);
  return PUBLIC_PATHS.has(path) || path.startsWith('/docs/') || path.startsWith('/ui/');
};

/** Methods that only read: an admin key may use them on the client API (the console watches with one). */
const READS = new Set(['GET', 'HEAD']);

declare module 'fastify' {
  interface FastifyRequest {
    /** The managed client key (/admin/keys) the request presented, if any. */
    clientKey?: ClientKey;
  }
}

export function parseApiKeys(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
}

/**
 * Security headers, CORS, API-key auth and the caller rate limit. Keys come only
 * from the environment (API_KEYS), or are managed ones (/admin/keys, with budgets);
 * without any, the server is open and says so once.
 */
export async function registerSecurity(
  app: FastifyInstance,
  opts: { apiKeys: string[]; adminKeys?: AdminKey[]; clientKeys?: ClientKeys; jwt?: JwtAuth },
): Promise<void> {
  const { config } = app.ctx;
  const keys = opts.apiKeys.map((k) => ({ digest: digest(k) }));
  const adminKeys = opts.adminKeys ?? [];

  registerSecurityHeaders(app);
  // Without allowed origins @fastify/cors (origin: false) adds no header and its preflight route defers to the
  // not-found handler, which answers OPTIONS as it answers without the plugin (405 with Allow, or 404): not
  // registered then, so no request pays its hook (a copy of its options and two route-option objects each).
  if (config.server.cors_origins.length > 0) await app.register(cors, { origin: config.server.cors_origins });

  const managed = opts.clientKeys;
  const { jwt } = opts;
  if (keys.length === 0 && !jwt) {
    app.log.warn('API_KEYS is not set: every endpoint is open to anyone who can reach this server (until a client key is created through /admin/keys)');
  }
  if (keys.length > 0 || managed || jwt) {
    /** The caller of a request that presented no JWT and no managed key: an API_KEYS key, an admin key reading, or none on an open server. */
    const byKey = (request: FastifyRequest, key: string | undefined, open: boolean): void => {
      // Without API_KEYS (and without JWT sign-in) the server is open until the first managed key exists.
      if (open) return;
      const given = presentedDigest(request);
      const ok = matchDigest(keys, given) !== undefined;
      if (key && !ok) {
        const admin = matchDigest(adminKeys, given);
        // An admin key reads (GET /stats, /models, /runs... for the console) but never spends: model work needs a client key.
        if (admin && READS.has(request.method)) return setCaller(request, { name: `admin:${admin.name}`, via: 'admin_key' });
        if (admin) throw new AppError('forbidden', 'an admin key may only read the client API (GET): use a key from API_KEYS to call it');
      }
      if (!key) {
        throw new AppError('unauthorized', jwt ? 'missing credentials: send Authorization: Bearer <JWT or API key>' : 'missing API key: send Authorization: Bearer <key> or x-api-key');
      }
      if (!ok) throw new AppError('unauthorized', 'invalid API key');
      setCaller(request, { name: `key:${given.toString('hex').slice(0, 12)}`, via: 'api_key' });
    };
    const mayBeOpen = keys.length === 0 && !jwt;
    /** Signs the request in; a promise only when a store or a token must be asked (a managed key, a JWT, the key count after a second). */
    const authenticate = (request: FastifyRequest): Promise<void> | undefined => {
      // /admin/* has its own keys and its own hook (admin-auth.ts).
      if (request.method === 'OPTIONS' || isPublic(request.url) || isAdminPath(request.url)) return undefined;
      const key = presentedKey(request);
      if (jwt || (key && managed && key.startsWith(KEY_PREFIX))) return signIn(request, key);
      const required = !mayBeOpen || !managed ? false : managed.requiredNow();
      if (required === undefined) return managed!.required().then((r) => byKey(request, key, !r));
      byKey(request, key, mayBeOpen && !required);
      return undefined;
    };
    const signIn = async (request: FastifyRequest, key: string | undefined): Promise<void> => {
      // A JWT (when auth.jwt is on) signs the caller in by itself; keys still work beside it.
      const fromToken = await jwt?.authenticate(request);
      if (fromToken) {
        // A budget tier makes the caller a key of its own: budgets, rpm, allowed models, spend under jwt:<caller>.
        setCaller(request, fromToken);
        if (fromToken.budget && managed) request.clientKey = await managed.admitCaller({ name: fromToken.name, tier: fromToken.budget_tier!, policy: fromToken.budget });
        return;
      }
      // A managed key (/admin/keys) is admitted with its budgets and limits; API_KEYS keys are unlimited.
      const client = key && managed ? await managed.admit(key) : null;
      if (client) {
        request.clientKey = client;
        setCaller(request, { name: `key:${client.name}`, via: 'api_key' });
        return;
      }
      byKey(request, key, mayBeOpen && (!managed || !(await managed.required())));
    };
    // Callback-style: most requests (no JWT, no managed key presented) are signed in without a promise.
    app.addHook('onRequest', (request, _reply, done) => {
      let pending: Promise<void> | undefined;
      try {
        pending = authenticate(request);
      } catch (err) {
        return done(err as Error);
      }
      if (pending) pending.then(() => done(), done);
      else done();
    });
    // A token's models claim limits the model a request names (/chat, /v1/chat/completions); `auto` is routing, always allowed.
    app.addHook('preHandler', (request, _reply, done) => {
      const allowed = callerOf(request)?.models;
      const model = (request.body as { model?: unknown } | undefined)?.model;
      if (!allowed || typeof model !== 'string' || model === 'auto' || allowed.includes(model)) return done();
      done(
        new AppError('forbidden', `model '${model}' is not among the models your token allows: ${allowed.join(', ') || '(none)'}`, [
          { path: 'body.model', message: 'not allowed by the token' },
        ]),
      );
    });
  }

  const limit = config.server.rate_limit;
  if (limit.enabled) {
    await app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.time_window_ms,
      // Callers tracked at once (an LRU): each IP or key a caller brings is an entry.
      cache: config.bounds.rate_limit_callers,
      allowList: (request) => {
        const path = pathOf(request.url);
        return path === '/health' || path === '/';
      },
      // Per key when one is presented (hashed, never stored raw), else per IP.
      keyGenerator: (request) => {
        const key = presentedKey(request);
        return key ? `key:${presentedDigest(request).toString('hex').slice(0, 16)}` : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) =>
        new AppError('rate_limited', `rate limit exceeded: ${context.max} requests per ${context.after}`, [], Math.max(1, Math.ceil(context.ttl / 1000))),
    });
  }
}
