import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveJwtConfig } from '../../src/server/plugins/jwt-auth.js';
import { logLines } from '../helpers/log-lines.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const ISSUER = 'https://idp.test';
const AUDIENCE = 'master-orchestrator';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}
async function newKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** A local identity provider's JWKS endpoint whose key set the test rotates. */
let jwks: { url: string; keys: JWK[]; fetches: number; server: Server };
let k1: SigningKey;
let k2: SigningKey;
let t: TestApp;
const log = logLines();

const sign = (key: SigningKey, claims: Record<string, unknown> = {}, opts: { exp?: number | string; iss?: string; aud?: string } = {}) =>
  new SignJWT({ models: ['medium_ai', 'fast_ai'], tier: 'gold', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setSubject('alice')
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(key.privateKey);

const call = (token: string | undefined, path = '/models', init: RequestInit = {}) =>
  fetch(`${t.url}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });
const reason = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message;

beforeAll(async () => {
  k1 = await newKey('k1');
  k2 = await newKey('k2');
  const state = { keys: [k1.jwk], fetches: 0 };
  const server = createServer((req, res) => {
    state.fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwks = Object.assign(state, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`, server });
  t = await startTestApp({
    apiKeys: ['sk-static-key'],
    logger: pino({ level: 'info' }, log.sink),
    jwt: resolveJwtConfig(
      { models_claim: 'models', budget_tier_claim: 'tier', jwks_cooldown_s: 0 },
      { JWT_JWKS_URL: jwks.url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
    ),
  });
});
afterAll(async () => {
  await t?.close();
  jwks?.server.close();
});

describe('JWT sign-in against a JWKS (auth.jwt, JWT_JWKS_URL / JWT_ISSUER / JWT_AUDIENCE)', () => {
  it('accepts a valid token, and the caller it names shows in the request log', async () => {
    const res = await call(await sign(k1));
    expect(res.status).toBe(200);
    // The request's line is written as the response finishes, which may be after the client read it.
    const line = await log.lineWhere((l) => l.route === '/models' && l.status === 200);
    expect(line?.caller).toBe('jwt:alice');
    expect(JSON.stringify(log.lines)).not.toContain('eyJ');
  });

  it('refuses each bad token with 401 and the reason', async () => {
    const expired = await sign(k1, {}, { exp: Math.floor(Date.now() / 1000) - 3600 });
    expect(await reason(await call(expired))).toBe('invalid token: expired');
    expect(await reason(await call(await sign(k1, {}, { aud: 'someone-else' })))).toBe(`invalid token: wrong audience (expected ${AUDIENCE})`);
    expect(await reason(await call(await sign(k1, {}, { iss: 'https://evil.test' })))).toBe(`invalid token: wrong issuer (expected ${ISSUER})`);
    const forged = await sign({ ...k2, kid: 'k1' });
    const res = await call(forged);
    expect(res.status).toBe(401);
    expect(await reason(res)).toBe('invalid token: bad signature');
  });

  it('refuses alg none and HMAC tokens before looking up any key', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    const res = await call(none);
    expect(res.status).toBe(401);
    expect(await reason(res)).toBe('invalid token: unsigned token (alg none) refused');
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await reason(await call(hs))).toMatch(/^invalid token: algorithm HS256 not allowed/);
  });

  it('follows a key rotation: the new key is fetched on first sight, the old one stops verifying', async () => {
    const before = jwks.fetches;
    const oldToken = await sign(k1);
    jwks.keys = [k2.jwk];
    const fresh = await call(await sign(k2));
    expect(fresh.status).toBe(200);
    expect(jwks.fetches).toBeGreaterThan(before);
    const old = await call(oldToken);
    expect(old.status).toBe(401);
    expect(await reason(old)).toBe("invalid token: no key of the identity provider's JWKS matches the token's kid");
    const oldAndExpired = await sign(k1, {}, { exp: Math.floor(Date.now() / 1000) - 60 });
    expect((await call(oldAndExpired)).status).toBe(401);
  });

  it('works beside API keys: a key still signs in, a wrong key or nothing does not', async () => {
    expect((await call('sk-static-key')).status).toBe(200);
    expect((await call('sk-wrong')).status).toBe(401);
    expect(await reason(await call(undefined))).toMatch(/^missing credentials: send Authorization: Bearer <JWT or API key>/);
  });

  it("limits the model a request names to the token's models claim", async () => {
    jwks.keys = [k2.jwk];
    const token = await sign(k2, { models: ['medium_ai'] });
    const post = (model: string) =>
      call(token, '/chat', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'hi', model }) });
    expect((await post('medium_ai')).status).toBe(200);
    const refused = await post('thinking_ai');
    expect(refused.status).toBe(403);
    expect(await reason(refused)).toBe("model 'thinking_ai' is not among the models your token allows: medium_ai");
  });

  it("limits the models a workflow's or a template's tasks use to the token's models claim", async () => {
    jwks.keys = [k2.jwk];
    const token = await sign(k2, { models: ['medium_ai'] });
    const workflow = (model?: string) =>
      call(token, '/workflow', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ workflow: { linear_queue: [{ id: 'a', prompt: 'say hi', ...(model ? { model } : {}) }] } }),
      });
    // No model on the task: the default task model (medium_ai), which the token allows.
    expect((await workflow()).status).toBe(200);
    expect((await workflow('medium_ai')).status).toBe(200);
    const refused = await workflow('code_ai');
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { message: string; details: { path: string }[] } };
    expect(body.error.message).toBe("the token of 'jwt:alice' may not use model 'code_ai'");
    expect(body.error.details[0]!.path).toBe('workflow.linear_queue.0.model');
    // research_report's tasks name models the token does not list.
    const template = await call(token, '/template/research_report', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ variables: { topic: 'heat pumps' } }),
    });
    expect(template.status).toBe(403);
  });

  it('counts requests per caller in /stats', async () => {
    const stats = (await (await call('sk-static-key', '/stats')).json()) as { requests: { by_caller: Record<string, number> } };
    expect(stats.requests.by_caller['jwt:alice']).toBeGreaterThan(0);
    expect(Object.keys(stats.requests.by_caller).some((name) => /^key:[0-9a-f]{12}$/.test(name))).toBe(true);
  });
});

describe('JWT configuration', () => {
  it('is off without auth.jwt and JWT_JWKS_URL, on with the environment alone', () => {
    expect(resolveJwtConfig(undefined, {})).toBeUndefined();
    const config = resolveJwtConfig(undefined, { JWT_JWKS_URL: 'https://idp.test/jwks', JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'a, b' });
    expect(config).toMatchObject({ issuer: ISSUER, audience: ['a', 'b'], caller_claim: 'sub', clock_tolerance_s: 30 });
  });

  it('names what is missing', () => {
    expect(() => resolveJwtConfig(undefined, { JWT_JWKS_URL: 'https://idp.test/jwks' })).toThrow(/auth\.jwt\.issuer/);
  });
});
