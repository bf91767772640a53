import type { FastifyRequest } from 'fastify';
import type { BudgetTier } from '../../config/auth-schema.js';
import type { Allowance } from '../../control/keys.js';
import { annotateRequest } from '../../telemetry/request-log.js';

/**
 * Who sent a request, once authentication knows: the name logs and /stats show (a JWT's caller
 * claim, or an API key's fingerprint), and what a token allows. Kept on the request (a symbol property,
 * as credentials.ts keeps the presented key), so nothing outlives it.
 */
export interface Caller {
  /** `jwt:<caller claim>`, `key:<first 12 hex of the key's SHA-256>` or `admin:<admin key name>` (reads only): never the credential itself. */
  name: string;
  via: 'jwt' | 'api_key' | 'admin_key';
  /** Model keys the token allows (its models claim), when it carries one. */
  models?: string[];
  /** The token's budget tier (its claim, else auth.jwt.default_budget_tier), when it has one. */
  budget_tier?: string;
  /** That tier's limits (auth.jwt.budget_tiers), applied to this caller like a managed key's. */
  budget?: BudgetTier;
}

const kCaller = Symbol('caller');
type WithCaller = FastifyRequest & { [kCaller]?: Caller };

/** Records the caller and puts its name on the request's log line. */
export function setCaller(request: FastifyRequest, caller: Caller): void {
  (request as WithCaller)[kCaller] = caller;
  annotateRequest(request, { caller: caller.name });
}

export const callerOf = (request: FastifyRequest): Caller | undefined => (request as WithCaller)[kCaller];

/**
 * A token's models claim as an allowance (checkAllowance, checkWorkflowAllowance): the model keys it
 * lists, for the tasks of a workflow or template as for the model a request names. Undefined when the
 * caller's token carries no models claim.
 */
export function tokenAllowance(request: FastifyRequest): Allowance | undefined {
  const caller = callerOf(request);
  return caller?.models ? { id: 'token', name: caller.name, models: caller.models, prefix: '' } : undefined;
}
