import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { parseConfig } from '../../src/config/load.js';
import { shippedConfig, startTestApp, type TestApp } from '../helpers/app.js';
import { TEST_ENV } from '../helpers/gateway-config.js';
import { call, spendUntilRefused, trafficConfig } from '../control/traffic-support.js';

const ISSUER = 'https://idp.test';
const AUDIENCE = 'master-orchestrator';
const BUDGET_TIERS = {
  metered: { day_usd: 0.01 },
  slow: { rpm: 2 },
  medium_only: { models: ['M'] },
  unlimited: {},
};

let privateKey: CryptoKey;
let jwks: Server;
let fake: FakeProvider;
let t: TestApp;

/** A token for `sub`; `tier` goes in the `tier` claim unless undefined. */
const token = (sub: string, tier?: string) =>
  new SignJWT(tier === undefined ? {} : { tier })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
const chat = async (bearer: string, body: Record<string, unknown>) => call(t.url, 'POST', '/chat', bearer, { category: 'M', ...body });

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  fake = await startFakeProvider();
  t = await startTestApp({
    env: TEST_ENV,
    config: trafficConfig(fake.url, (raw) => {
      // About $0.002 per answer, so a $0.01 budget lasts a few requests.
      raw.models.medium_ai.pricing = { input_per_million: 100, output_per_million: 100 };
      raw.auth = {
        jwt: {
          jwks_url: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
          issuer: ISSUER,
          audience: AUDIENCE,
          budget_tier_claim: 'tier',
          budget_tiers: BUDGET_TIERS,
        },
      };
    }),
  });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
  jwks?.close();
});

describe('JWT callers with budget tiers (auth.jwt.budget_tiers)', () => {
  it("each caller of a tier has its own spend: one past the tier's daily budget gets 429 budget_exceeded, another caller of the tier still answers", async () => {
    const alice = await token('alice', 'metered');
    const { spent, refused } = await spendUntilRefused((i) => chat(alice, { message: `question number ${i} about budgets` }));
    expect(refused?.body.error.type).toBe('budget_exceeded');
    expect(refused!.body.error.message).toMatch(/^caller 'jwt:alice' \(budget tier 'metered'\) has spent \$[0-9.]+ of its daily budget of \$0\.01; it resets at /);
    expect(refused!.body.error.details[0]).toMatchObject({ path: 'budgets.day_usd', resets_at: expect.stringMatching(/T00:00:00\.000Z$/) });
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(spent).toBeGreaterThanOrEqual(0.01);

    expect((await chat(await token('bob', 'metered'), { message: 'my own budget' })).status).toBe(200);
    expect((await chat(await token('alice', 'unlimited'), { message: 'an unlimited tier' })).status).toBe(200);
  });

  it("refuses past the tier's requests per minute with 429 rate_limited, per caller", async () => {
    const carol = await token('carol', 'slow');
    expect((await chat(carol, { message: 'one' })).status).toBe(200);
    expect((await chat(carol, { message: 'two' })).status).toBe(200);
    const third = await chat(carol, { message: 'three' });
    expect(third.status).toBe(429);
    expect(third.body.error.type).toBe('rate_limited');
    expect(third.body.error.message).toBe("caller 'jwt:carol' (budget tier 'slow') is limited to 2 requests per minute");
    expect((await chat(await token('dave', 'slow'), { message: 'one' })).status).toBe(200);
  });

  it("limits the tiers and models a caller may use to the tier's models, on every door", async () => {
    const erin = await token('erin', 'medium_only');
    expect((await chat(erin, { message: 'allowed tier' })).status).toBe(200);
    const denied = await chat(erin, { message: 'other model', model: 'thinking_ai' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toBe("caller 'jwt:erin' (budget tier 'medium_only') may not use model 'thinking_ai'");
    expect((await call(t.url, 'POST', '/v1/chat/completions', erin, { model: 'fast_ai', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(403);
    const wf = await call(t.url, 'POST', '/workflow', erin, { workflow: { linear_queue: [{ id: 'a', prompt: 'x', model: 'code_ai' }] } });
    expect(wf.status).toBe(403);
    expect(wf.body.error.details[0].path).toBe('workflow.linear_queue.0.model');
  });

  it('refuses a token whose tier is missing or not configured with 403: a missing claim never means unlimited', async () => {
    const none = await chat(await token('frank'), { message: 'no tier' });
    expect(none.status).toBe(403);
    expect(none.body.error.message).toMatch(/no budget tier \(claim tier\).*known tiers: metered, slow, medium_only, unlimited/);
    const unknown = await chat(await token('frank', 'platinum'), { message: 'made-up tier' });
    expect(unknown.status).toBe(403);
    expect(unknown.body.error.message).toBe("the token's budget tier 'platinum' is not configured (auth.jwt.budget_tiers: metered, slow, medium_only, unlimited)");
  });
});

describe('budget tier configuration', () => {
  const withJwt = (jwt: Record<string, unknown>) => {
    const raw = shippedConfig();
    raw.auth = { jwt: { jwks_url: 'https://idp.test/jwks', issuer: ISSUER, audience: AUDIENCE, ...jwt } };
    return raw;
  };
  const problems = (raw: Record<string, unknown>) => {
    try {
      parseConfig(raw, {});
    } catch (err) {
      return (err as { problems: { path: string; message: string }[] }).problems;
    }
    return [];
  };

  it('lists every problem with its path: an unknown default tier, an unknown model, a budget under a cent', () => {
    const found = problems(withJwt({ default_budget_tier: 'gold', budget_tiers: { silver: { models: ['M', 'no_such_model'], day_usd: 0.001 } } }));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'auth.jwt.default_budget_tier', message: expect.stringMatching(/unknown budget tier 'gold'/) }),
        expect.objectContaining({ path: 'auth.jwt.budget_tiers.silver.day_usd' }),
      ]),
    );
    const crossChecked = problems(withJwt({ budget_tiers: { silver: { models: ['M', 'no_such_model'] } } }));
    expect(crossChecked).toEqual([{ path: 'auth.jwt.budget_tiers.silver.models.1', message: "'no_such_model' is neither a configured model nor a tier (L, M, H)" }]);
  });
});
