import type { FastifyRequest } from 'fastify';
import type { JWTPayload } from 'jose';
import { JwtAuthSchema, type BudgetTier, type JwtAuthConfig } from '../../config/auth-schema.js';
import { ConfigError, zodProblems } from '../../config/load.js';
import { AppError } from '../../errors.js';
import type { Caller } from './caller.js';

/** Verifies `Authorization: Bearer <JWT>` against the identity provider's JWKS. */
export interface JwtAuth {
  /**
   * The caller a JWT names. Undefined when the request carries no JWT (no bearer credential, or one
   * that is not shaped like a JWT: an API key). Throws AppError `unauthorized` (401) with the reason
   * when a JWT does not verify, `overloaded` (503) when the JWKS cannot be fetched, `forbidden` (403)
   * when budget tiers are configured and the token resolves to none of them.
   */
  authenticate(request: FastifyRequest): Promise<Caller | undefined>;
}

/** Three base64url segments: the compact JWS serialisation of a JWT (RFC 7515 §7.1). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * `auth.jwt` of the config with JWT_JWKS_URL, JWT_ISSUER and JWT_AUDIENCE (comma-separated for
 * several) from the environment on top; undefined when neither turns JWT sign-in on.
 * Throws ConfigError naming the missing or invalid field.
 */
export function resolveJwtConfig(fromConfig: Partial<JwtAuthConfig> | undefined, env: NodeJS.ProcessEnv): JwtAuthConfig | undefined {
  const url = env.JWT_JWKS_URL?.trim();
  const issuer = env.JWT_ISSUER?.trim();
  const audience = env.JWT_AUDIENCE?.trim();
  if (!fromConfig && !url) return undefined;
  const merged = {
    ...fromConfig,
    ...(url ? { jwks_url: url } : {}),
    ...(issuer ? { issuer } : {}),
    ...(audience ? { audience: audience.includes(',') ? audience.split(',').map((a) => a.trim()).filter(Boolean) : audience } : {}),
  };
  const parsed = JwtAuthSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError('auth.jwt (config and JWT_* environment)', zodProblems(parsed.error, 'auth.jwt'));
  return parsed.data;
}

const unauthorized = (reason: string): AppError => new AppError('unauthorized', `invalid token: ${reason}`);

type Jose = typeof import('jose');
/** jose (ESM only, ~8 MiB) is loaded with the first JWT, so a server without JWT sign-in never holds it. */
let jose: Promise<Jose> | undefined;
const loadJose = (): Promise<Jose> => (jose ??= import('jose'));

/** jose's verification failures as the reason a caller reads in the 401. */
function reasonFor(err: unknown, config: JwtAuthConfig, { errors }: Jose): AppError {
  if (err instanceof errors.JWTExpired) return unauthorized('expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return unauthorized(`wrong issuer (expected ${config.issuer})`);
    if (err.claim === 'aud') return unauthorized(`wrong audience (expected ${[config.audience].flat().join(' or ')})`);
    if (err.claim === 'nbf') return unauthorized('not valid yet (nbf)');
    return unauthorized(`claim ${err.claim}: ${err.reason}`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthorized('bad signature');
  if (err instanceof errors.JWKSNoMatchingKey) return unauthorized("no key of the identity provider's JWKS matches the token's kid");
  if (err instanceof errors.JWKSMultipleMatchingKeys) return unauthorized('several keys of the JWKS match the token');
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthorized(`algorithm not allowed (allowed: ${config.algorithms.join(', ')})`);
  // The JWKS could not be fetched or read (timeout, network, not a key set): not the caller's fault.
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError)) {
    return new AppError('overloaded', "cannot fetch the identity provider's keys (auth.jwt.jwks_url); try again", [], 5);
  }
  return unauthorized('malformed token');
}

/**
 * The limits of a token's budget tier. None when no budget tiers are configured; with some, a token
 * must name one of them (or fall back on default_budget_tier): otherwise 403 `forbidden`, so a
 * missing or misspelt claim never means "unlimited".
 */
function budgetOf(config: JwtAuthConfig, tier: string | undefined): BudgetTier | undefined {
  const tiers = config.budget_tiers;
  if (Object.keys(tiers).length === 0) return undefined;
  const known = Object.keys(tiers).join(', ');
  if (tier === undefined) {
    throw new AppError('forbidden', `the token carries no budget tier (claim ${config.budget_tier_claim ?? '(none configured)'}) and auth.jwt has no default_budget_tier; known tiers: ${known}`);
  }
  const policy = Object.hasOwn(tiers, tier) ? tiers[tier] : undefined;
  if (!policy) throw new AppError('forbidden', `the token's budget tier '${tier.slice(0, 100)}' is not configured (auth.jwt.budget_tiers: ${known})`);
  return policy;
}

/**
 * The JWT verifier: keys fetched from the JWKS URL and cached (`jwks_cache_max_age_s`); a token whose
 * `kid` is not in the cache triggers one refetch (at most every `jwks_cooldown_s`), so a rotated key
 * is picked up without a restart and a key removed from the JWKS stops verifying once the cache expires.
 * `alg: none` and HMAC algorithms are refused before any key is looked up.
 */
export function createJwtAuth(config: JwtAuthConfig): JwtAuth {
  const jwksUrl = new URL(config.jwks_url);
  let keys: ReturnType<Jose['createRemoteJWKSet']> | undefined;
  const allowed = new Set<string>(config.algorithms);
  return {
    async authenticate(request) {
      const auth = request.headers.authorization;
      if (typeof auth !== 'string' || !/^bearer\s+/i.test(auth)) return undefined;
      const token = auth.replace(/^bearer\s+/i, '').trim();
      if (!COMPACT_JWS.test(token)) return undefined;
      const lib = await loadJose();
      const { decodeProtectedHeader, jwtVerify } = lib;
      keys ??= lib.createRemoteJWKSet(jwksUrl, {
        cacheMaxAge: config.jwks_cache_max_age_s * 1000,
        cooldownDuration: config.jwks_cooldown_s * 1000,
        timeoutDuration: config.jwks_timeout_ms,
      });
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw unauthorized('malformed token');
      }
      if (!alg || alg.toLowerCase() === 'none') throw unauthorized('unsigned token (alg none) refused');
      if (!allowed.has(alg)) throw unauthorized(`algorithm ${alg} not allowed (allowed: ${config.algorithms.join(', ')})`);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: config.algorithms,
          clockTolerance: config.clock_tolerance_s,
          requiredClaims: ['exp'],
        }));
      } catch (err) {
        throw reasonFor(err, config, lib);
      }
      const who = payload[config.caller_claim];
      if (typeof who !== 'string' || who === '') throw unauthorized(`no ${config.caller_claim} claim naming the caller`);
      const models = config.models_claim ? payload[config.models_claim] : undefined;
      const claimed = config.budget_tier_claim ? payload[config.budget_tier_claim] : undefined;
      const tier = typeof claimed === 'string' ? claimed : config.default_budget_tier;
      const budget = budgetOf(config, tier);
      return {
        name: `jwt:${who.slice(0, 200)}`,
        via: 'jwt',
        ...(Array.isArray(models) ? { models: models.filter((m): m is string => typeof m === 'string') } : {}),
        ...(tier !== undefined ? { budget_tier: tier } : {}),
        ...(budget ? { budget } : {}),
      };
    },
  };
}
