import * as z from 'zod';
import { ERROR_STATUS, type ErrorType } from '../../errors.js';
import { isOpenAiPath } from './openai-errors.js';

/**
 * What every operation of the OpenAPI document says beyond its zod schemas, decided in one place
 * (so routes stay free of documentation boilerplate): the error responses it can return, each with
 * its error body (API.md's, or OpenAI's under /v1), and a realistic request example. Applied by the
 * docs plugin's transform.
 */

/** The error body of API.md (`{error: {type, message, details, request_id}}`), as the document shows it. */
export const ErrorBodySchema = z.object({
  error: z.object({
    type: z.enum(Object.keys(ERROR_STATUS) as [ErrorType, ...ErrorType[]]),
    message: z.string(),
    details: z.array(
      z.looseObject({
        path: z.string().optional().describe('dotted path of the offending field, e.g. body.variables.tpoic'),
        message: z.string(),
      }),
    ),
    request_id: z.string().describe('also sent as the x-request-id header'),
  }),
});

/** The error body of `/v1/*`: OpenAI's, with this server's details and request id alongside (openai-errors.ts). */
export const OpenAiErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().describe('invalid_request_error, authentication_error, not_found_error, rate_limit_error, api_error...'),
    param: z.string().nullable().describe('the offending request parameter, e.g. messages[0].content'),
    code: z.string().nullable(),
    details: z.array(z.looseObject({ path: z.string().optional(), message: z.string() })),
    request_id: z.string(),
  }),
});

const errorBodyJsonSchema = z.toJSONSchema(ErrorBodySchema, { target: 'openapi-3.0' });
const openAiErrorBodyJsonSchema = z.toJSONSchema(OpenAiErrorBodySchema, { target: 'openapi-3.0' });

/** Paths open without credentials (the security plugin's list). */
const PUBLIC = new Set(['/', '/health', '/openapi.json', '/docs']);

/** What an operation looks like to the rules below. */
export interface OperationShape {
  method: string;
  url: string;
  hasBody: boolean;
  hasParams: boolean;
  hasQuery: boolean;
}

const WHY: Partial<Record<ErrorType, string>> = {
  validation_error: 'the request is invalid; `details` names each offending field by path (`request` when the HTTP framing itself is broken: the connection is then closed)',
  request_timeout: 'the request (headers and body) did not arrive whole within server.request_timeout_ms; the connection is closed',
  unsupported_media_type: 'the body is not application/json',
  headers_too_large: 'the request line and headers exceed server.max_header_bytes; the connection is closed',
  unauthorized: 'API keys are configured and none (or a wrong one) was presented',
  forbidden: "the credential may not do this: an admin key calling the client API with anything but GET, a client key on the admin API, or a model outside the key's allowance or the token's models claim",
  conflict: 'the change was written against a config version (or a plan) that is no longer current; fetch it again',
  not_found: 'the named resource does not exist',
  method_not_allowed: 'the path exists under other methods, listed in the Allow header',
  payload_too_large: 'the body is larger than server.body_limit_bytes',
  rate_limited: "the caller's own rate limit (server.rate_limit) is exceeded; see Retry-After",
  upstream_error: 'every model of the fallback chain failed; `details` lists each attempt',
  overloaded: 'the run queue is full or the server is draining; see Retry-After',
  timeout: 'the run or the model call exceeded its deadline',
  internal_error: 'a bug; the request id finds it in the logs',
};

/**
 * Error types an operation answers with beyond what its shape says: a body naming a resource
 * (a config version, a plan) that may not exist, or a change against a version no longer active.
 */
const EXTRA_ERRORS: ReadonlyMap<string, ErrorType[]> = new Map<string, ErrorType[]>([
  ['POST /admin/config', ['conflict']],
  ['POST /admin/config/rollback', ['not_found', 'conflict']],
  ['GET /admin/config/diff', ['not_found']],
  ['POST /admin/ops', ['not_found', 'conflict']],
]);

/** The error types an operation can answer with, from its shape. */
export function errorTypesOf(op: OperationShape): ErrorType[] {
  // Any request may be malformed HTTP (400), too slow (408) or carry headers too large (431): node answers those below the router.
  const types: ErrorType[] = ['validation_error', 'request_timeout', 'headers_too_large'];
  const extra = EXTRA_ERRORS.get(`${op.method} ${op.url}`) ?? [];
  // Not public: a missing or wrong credential (401), or one of the other kind or outside its allowance (403).
  if (!PUBLIC.has(op.url)) types.push('unauthorized', 'forbidden');
  if (op.hasParams || extra.includes('not_found')) types.push('not_found');
  if (extra.includes('conflict')) types.push('conflict');
  if (op.hasBody) types.push('payload_too_large', 'unsupported_media_type');
  types.push('rate_limited');
  // Operations that run models (every POST with a body today) can fail upstream or time out.
  if (op.method === 'POST' && op.hasBody) types.push('upstream_error', 'timeout');
  types.push('overloaded', 'internal_error');
  return types;
}

/** The 202 answer of an async run (`async: true` or `Prefer: respond-async`; routes/workflows.ts). */
export const RunAcceptedSchema = z.object({
  run_id: z.string(),
  status: z.literal('queued'),
  location: z.string().describe('where to follow the run: GET it, or GET its /events'),
});

const runAccepted = {
  description: 'Accepted (`async: true` or `Prefer: respond-async`): the run is queued; follow it at `Location`',
  content: { 'application/json': { schema: z.toJSONSchema(RunAcceptedSchema, { target: 'openapi-3.0' }) } },
};

/** Success responses a route sends besides its main one, by `METHOD path` as the router knows it. */
const EXTRA_SUCCESS: ReadonlyMap<string, Record<string, unknown>> = new Map([
  ['POST /workflow', { 202: runAccepted }],
  ['POST /template/:name', { 202: runAccepted }],
]);

/** The success responses to add to a route's own (a second success status, e.g. 202 for async runs). */
export const extraSuccessResponses = (method: string, url: string): Record<string, unknown> => EXTRA_SUCCESS.get(`${method} ${url}`) ?? {};

/** The `response` entries to add: one per status, the error types it carries in its description. */
export function errorResponses(op: OperationShape): Record<string, unknown> {
  const byStatus = new Map<number, ErrorType[]>();
  for (const type of errorTypesOf(op)) byStatus.set(ERROR_STATUS[type], [...(byStatus.get(ERROR_STATUS[type]) ?? []), type]);
  const out: Record<string, unknown> = {};
  for (const [status, types] of byStatus) {
    out[String(status)] = {
      description: types.map((t) => `\`${t}\`: ${WHY[t] ?? t.replaceAll('_', ' ')}`).join('; '),
      // Explicit media type: errors are JSON even on routes that produce text (GET /metrics).
      content: { 'application/json': { schema: isOpenAiPath(op.url) ? openAiErrorBodyJsonSchema : errorBodyJsonSchema } },
    };
  }
  return out;
}

/** Realistic request bodies, by `METHOD path` as the router knows it. */
export const REQUEST_EXAMPLES: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ['POST /chat', { message: 'Write an SEO article outline about home composting', addons: ['seo_writer'], session_id: 'demo-session-1' }],
  [
    'POST /workflow',
    {
      workflow: {
        name: 'brief',
        inputs: { company: { required: true } },
        linear_queue: [
          { id: 'market', model: 'medium_ai', prompt: 'Summarise the market of {{company}}.' },
          { id: 'risks', model: 'thinking_ai', addons: ['risk_analyst'], prompt: 'List the risks facing {{company}}.' },
        ],
        inline_queue: [{ id: 'draft', model: 'medium_ai', prompt: 'Write a brief from {{market}} and {{risks}}.', output: 'brief' }],
        output: 'brief',
      },
      variables: { company: 'Acme' },
    },
  ],
  ['POST /template/:name', { variables: { topic: 'solid-state batteries' } }],
  [
    'POST /admin/config',
    {
      base: '3f5a0c1e9b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d',
      patch: [{ op: 'replace', path: '/routing/tiers/M/model', value: 'fast_ai' }],
      message: 'route everyday requests to fast_ai for the weekend',
      dry_run: true,
    },
  ],
  ['POST /admin/ops', { text: 'send tier M to fast_ai until Monday' }],
  ['POST /admin/keys', { name: 'mobile-app', models: ['M', 'fast_ai'], rpm: 120, budgets: { day_usd: 5, month_usd: 100 } }],
  ['PATCH /admin/keys/:id', { rpm: 300, budgets: { day_usd: 10 } }],
  ['POST /admin/config/rollback', { to: '3f5a0c1e9b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d', message: 'back to Friday\'s routing' }],
  [
    'POST /v1/chat/completions',
    { model: 'auto', messages: [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: 'What is the capital of France?' }] },
  ],
]);

const HASH_EXAMPLE = '3f5a0c1e9b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d';

/**
 * Realistic values of path and query parameters, by name; `id` names a different thing on each path.
 * Opaque values the server hands out (`cursor`, `last_event_id`) have none: Swagger UI's "Try it out"
 * would send a made-up one.
 */
const PARAMETER_EXAMPLES: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ['name', 'research_report'],
  ['run_id', '93edaa42-c3e0-4fac-b135-2f2616a8c53c'],
  ['/session/:id id', 'demo-session-1'],
  ['/admin/keys/:id id', 'key_7Qm2xV9pLs'],
  ['/admin/experiments/:id id', 'routing.tiers.M.model'],
  ['hash', HASH_EXAMPLE],
  ['from', HASH_EXAMPLE],
  ['to', 'b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d3f5a0c1e9'],
  ['*', 'medium_ai'],
  ['category', 'marketing'],
  ['status', 'completed'],
  ['workflow', 'research_report'],
  ['session_id', 'demo-session-1'],
  ['since', '2026-11-30T00:00:00Z'],
  ['until', '2026-12-01T00:00:00Z'],
  ['limit', 20],
  ['window', '1h'],
  ['by', 'tier'],
]);

/** The example of parameter `name` of the route `url` (as the router knows it), if it has one. */
export const parameterExample = (url: string, name: string): unknown => PARAMETER_EXAMPLES.get(`${url} ${name}`) ?? PARAMETER_EXAMPLES.get(name);
