import * as z from 'zod';
import { budgetUsd, timerMs } from './minimums.js';

/**
 * What callers of one budget tier may do: the same limits a managed key (/admin/keys) carries,
 * applied per caller (the caller claim), so each caller of a tier has its own spend and minute count.
 */
export const BudgetTierSchema = z
  .object({
    models: z
      .array(z.string().min(1))
      .min(1)
      .nullable()
      .default(null)
      .describe('model keys and tiers (L, M, H) its callers may use; null allows everything'),
    rpm: z.number().int().positive().nullable().default(null).describe('requests per minute per caller (fixed UTC-minute window); null for no limit'),
    day_usd: budgetUsd().nullable().default(null).describe('USD each caller may spend per UTC day; null for no budget'),
    month_usd: budgetUsd().nullable().default(null).describe('USD each caller may spend per UTC month; null for no budget'),
  })
  .strict();

/**
 * `auth.jwt`: callers may sign in with a JWT from an identity provider (`Authorization: Bearer <JWT>`),
 * verified against the provider's JWKS (RFC 7517) with jose. JWT_JWKS_URL, JWT_ISSUER and JWT_AUDIENCE
 * in the environment override the matching fields (and turn JWT sign-in on by themselves).
 */
export const JwtAuthSchema = z
  .object({
    jwks_url: z.url().describe("the identity provider's JWKS, e.g. https://idp.example.com/.well-known/jwks.json (JWT_JWKS_URL)"),
    issuer: z.string().min(1).describe('the iss claim tokens must carry (JWT_ISSUER)'),
    audience: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe('the aud claim tokens must carry; a list accepts any of them (JWT_AUDIENCE, comma-separated)'),
    algorithms: z
      .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
      .min(1)
      .default(['RS256', 'PS256', 'ES256', 'EdDSA'])
      .describe('signature algorithms accepted; "none" and HMAC never are'),
    clock_tolerance_s: z.number().int().nonnegative().max(300).default(30).describe('leeway for exp and nbf, seconds'),
    caller_claim: z.string().min(1).default('sub').describe('the claim that names the caller in logs, /stats and budgets'),
    models_claim: z.string().min(1).optional().describe('a claim listing the model keys the caller may name (e.g. "models")'),
    budget_tier_claim: z.string().min(1).optional().describe('a claim carrying the caller budget tier (e.g. "tier"), a key of budget_tiers'),
    budget_tiers: z
      .record(z.string().min(1), BudgetTierSchema)
      .default({})
      .describe('budgets and limits by budget tier; when any is defined, every token must resolve to one (its claim, else default_budget_tier) or is refused with 403'),
    default_budget_tier: z.string().min(1).optional().describe('the budget tier of a token without the budget tier claim'),
    jwks_cache_max_age_s: z.number().int().positive().default(600).describe('how long fetched keys are trusted before a refetch, seconds'),
    jwks_cooldown_s: z.number().int().nonnegative().default(30).describe('minimum time between JWKS refetches on an unknown kid, seconds'),
    jwks_timeout_ms: timerMs().positive().default(5000),
  })
  .strict()
  .superRefine((jwt, ctx) => {
    if (jwt.default_budget_tier !== undefined && !Object.hasOwn(jwt.budget_tiers, jwt.default_budget_tier)) {
      ctx.addIssue({
        code: 'custom',
        path: ['default_budget_tier'],
        message: `unknown budget tier '${jwt.default_budget_tier}' (budget_tiers: ${Object.keys(jwt.budget_tiers).join(', ') || 'none'})`,
      });
    }
  });

export const AuthSchema = z
  .object({
    jwt: JwtAuthSchema.optional(),
  })
  .strict();

export type JwtAuthConfig = z.infer<typeof JwtAuthSchema>;
export type BudgetTier = z.infer<typeof BudgetTierSchema>;
