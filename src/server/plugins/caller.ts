import type { FastifyRequest } from 'fastify';
import { annotateRequest } from '../../telemetry/request-log.js';

/**
 * Who sent a request, once authentication knows: the name logs and /stats show (a JWT's caller
 * claim, or an API key's fingerprint), and what a token allows. Kept beside the request (a WeakMap),
 * so nothing outlives it.
 */
export interface Caller {
  /** `jwt:<caller claim>`, `key:<first 12 hex of the key's SHA-256>` or `admin:<admin key name>` (reads only): never the credential itself. */
  name: string;
  via: 'jwt' | 'api_key' | 'admin_key';
  /** Model keys the token allows (its models claim), when it carries one. */
  models?: string[];
  /** The token's budget tier claim, when it carries one. */
  budget_tier?: string;
}

const callers = new WeakMap<FastifyRequest, Caller>();

/** Records the caller and puts its name on the request's log line. */
export function setCaller(request: FastifyRequest, caller: Caller): void {
  callers.set(request, caller);
  annotateRequest(request, { caller: caller.name });
}

export const callerOf = (request: FastifyRequest): Caller | undefined => callers.get(request);
