import { ProviderError, type ErrorCode, type ErrorKind } from './provider-error.js';
import { errorInfo, type ErrorInfo } from './error-body.js';
import { retryHintMs, type HeaderBag } from './retry-hint.js';
import { isObject, listOf } from './json-shape.js';
import { choiceError, finishFailure, isGeminiBlock } from './answer-check.js';

/**
 * Wire failures → ProviderError, decided here and nowhere else: HTTP statuses,
 * provider error bodies (read by `error-body.ts`, OpenRouter relays included),
 * Gemini/Imagen block signals, long-running operation errors and undici/socket
 * error codes. `http.ts` and the adapters call these; they never inspect error
 * text themselves.
 *
 * Error bodies are classified by ONE table, `WIRE_RULES`: the first row whose
 * status, identifiers and message pattern all match decides the kind and code;
 * a body no row matches gets the kind of its status. Sources of the wordings:
 * OpenAI (platform.openai.com/docs/guides/error-codes), Anthropic
 * (docs.anthropic.com/en/api/errors), Google (ai.google.dev/gemini-api/docs/troubleshooting),
 * OpenRouter (openrouter.ai/docs/api-reference/errors), Mistral, xAI, DeepSeek
 * (api-docs.deepseek.com/quick_start/error_codes), Groq, Together (docs.together.ai/docs/error-codes),
 * Fireworks and the vLLM/TGI servers behind many of them. Each row has a test with the provider's body.
 */

/** Which statuses a row applies to: a list, or a family (`client`: 4xx, `server`: 5xx; both also match an error inside a 200). */
type StatusMatch = readonly number[] | 'client' | 'server' | 'any';

/** One row of the classification table. Every given condition must hold; omitted ones match anything. */
export interface WireRule {
  /** Whose wording this is, for readers and test names. */
  name: string;
  status?: StatusMatch;
  /** Any of these identifiers (lower-case code, type, gRPC status, details reason, limit source). */
  ids?: readonly string[];
  /** A pattern of the message (outer and relayed messages joined). */
  message?: RegExp;
  /** The kind; omitted: the kind of the status. */
  kind?: ErrorKind;
  code?: ErrorCode;
}

const CLIENT_4XX: StatusMatch = 'client';

/**
 * The table, most specific rows first. Kinds: `rate_limit` and `server_error` are retried
 * (after the provider's hint), `quota` falls back without retrying (the key cannot be served
 * by this provider now: credits, spend caps, plan limits), `auth_error` falls back,
 * `client_error` with `model_not_found` falls back (the model, not the request, is wrong),
 * `client_error` with `context_length_exceeded` moves to a larger window, `content_filter`
 * is answered to the caller.
 */
export const WIRE_RULES: readonly WireRule[] = [
  // OpenRouter: a 402 from its in-flight spending budget clears by itself (it sends Retry-After).
  { name: 'OpenRouter in-flight budget', status: [402], ids: ['openrouter_in_flight_budget'], kind: 'rate_limit' },
  // Quota and billing: retrying the same provider cannot help, another provider can.
  {
    name: 'quota codes (OpenAI insufficient_quota, Anthropic billing_error / enforced_spend_limit_reached, OpenRouter credit limits)',
    ids: ['insufficient_quota', 'billing_error', 'billing_hard_limit_reached', 'enforced_spend_limit_reached', 'payment_required', 'insufficient_balance', 'openrouter_credits', 'openrouter_key_limit'],
    kind: 'quota',
    code: 'quota_exceeded',
  },
  { name: 'HTTP 402 Payment Required (OpenRouter credits, DeepSeek balance, Together/Mistral spend limit)', status: [402], kind: 'quota', code: 'quota_exceeded' },
  // Gemini's free tier answers "limit: 0" for a model the key's plan does not include at all.
  { name: 'Gemini quota of zero', status: [429], ids: ['resource_exhausted'], message: /\blimit: 0\b/, kind: 'quota', code: 'quota_exceeded' },
  {
    name: 'billing wordings (Anthropic credit balance / usage limits, xAI credits, Fireworks suspended account, OpenRouter credits and key limits, Gemini free tier needing billing)',
    status: CLIENT_4XX,
    message:
      /credit balance is too low|requires more credits|insufficient (credits|balance|funds)|out of credits|used all available credits|(monthly )?spending limit|spend limit|reached your specified api usage limits|billing (hard )?limit|account .{0,60}suspended|purchase (more )?credits|add (more )?credits|key limit exceeded|enable billing/i,
    kind: 'quota',
    code: 'quota_exceeded',
  },
  // Groq: a request larger than the key's tokens-per-minute never fits this tier.
  { name: 'Groq request too large for the TPM tier', status: [413], message: /tokens per minute|\bTPM\b/i, kind: 'quota', code: 'quota_exceeded' },
  // Content policy, before the auth rows: OpenRouter answers its moderation flags with 403.
  {
    name: 'content policy codes (OpenAI, Azure, DALL·E)',
    status: CLIENT_4XX,
    ids: ['content_filter', 'content_policy_violation', 'content_filtered', 'safety', 'moderation_blocked', 'responsible_ai_policy_violation'],
    kind: 'client_error',
    code: 'content_filter',
  },
  {
    name: 'content policy wordings (OpenRouter moderation, OpenAI safety system, Azure content management)',
    status: CLIENT_4XX,
    message: /requires moderation|input was flagged|was flagged for|content management policy|safety system|violat\w* (our|the) (usage|content) polic/i,
    kind: 'client_error',
    code: 'content_filter',
  },
  // Context overflow in every wording (Together answers it with 403, TGI with 422, Anthropic with 413).
  {
    name: 'context overflow codes (OpenAI, Groq, DeepSeek, llama.cpp)',
    status: CLIENT_4XX,
    ids: ['context_length_exceeded', 'string_above_max_length', 'context_window_exceeded', 'context_exceeded', 'exceed_context_size_error'],
    kind: 'client_error',
    code: 'context_length_exceeded',
  },
  {
    name: 'context overflow wordings (OpenAI/vLLM/DeepSeek, Anthropic, Gemini, xAI, Mistral, Together/TGI, Fireworks)',
    status: CLIENT_4XX,
    message:
      /maximum context length|context length|context window|context limit|maximum prompt length|prompt is too long|prompt too long|too many tokens|input token count.*exceeds|input length and `?max_tokens`? exceed|`?inputs`? tokens \+ `?max_new_tokens`? must be|max_tokens.{0,40}(must be )?less than the context length|reduce the length of the messages|exceeds? (the )?(model'?s? )?(maximum )?context/i,
    kind: 'client_error',
    code: 'context_length_exceeded',
  },
  { name: 'prefill refusals', status: CLIENT_4XX, ids: ['prefill_unsupported', 'assistant_prefill_unsupported', 'unsupported_prefill'], kind: 'client_error', code: 'prefill_unsupported' },
  { name: 'prefill wordings', status: CLIENT_4XX, message: /prefill|final assistant (message|content)|last message.*assistant/i, kind: 'client_error', code: 'prefill_unsupported' },
  // The model is not served here (retired, misspelt, no endpoint): the request itself is fine, another model may answer.
  {
    name: 'model not found codes (OpenAI model_not_found, Anthropic not_found_error)',
    status: CLIENT_4XX,
    ids: ['model_not_found', 'not_found_error'],
    kind: 'client_error',
    code: 'model_not_found',
  },
  {
    name: 'model not found wordings (OpenRouter "no endpoints found" / "not a valid model ID", Gemini "models/x is not found", Mistral "Invalid model")',
    status: CLIENT_4XX,
    message: /no endpoints found|not a valid model id|invalid model(:| id| name)|unknown model|\bmodels?\b.{0,80}\b(does not exist|not found|is not supported for generatecontent)/i,
    kind: 'client_error',
    code: 'model_not_found',
  },
  { name: 'HTTP 404 on a model call', status: [404], kind: 'client_error', code: 'model_not_found' },
  // Auth: a key that is wrong, revoked, or not allowed here (Google answers a bad key with 400).
  {
    name: 'auth codes (OpenAI invalid_api_key, Anthropic authentication/permission, Google API_KEY_INVALID / UNAUTHENTICATED / PERMISSION_DENIED)',
    status: CLIENT_4XX,
    ids: ['invalid_api_key', 'authentication_error', 'permission_error', 'api_key_invalid', 'api_key_expired', 'unauthenticated', 'permission_denied', 'invalid_authentication', 'unsupported_country_region_territory'],
    kind: 'auth_error',
  },
  {
    name: 'auth wordings (xAI incorrect key, Google key not valid, region not supported)',
    status: CLIENT_4XX,
    message: /incorrect api key|invalid api key|api key not valid|no auth credentials|api key expired|user location is not supported/i,
    kind: 'auth_error',
  },
  // Rate limits under another status (Groq/Mistral in a 200 stream chunk, OpenRouter relays).
  {
    name: 'rate limit codes (OpenAI, Groq, Mistral, Anthropic, Google)',
    status: 'any',
    ids: ['rate_limit_exceeded', 'rate_limit_error', 'rate_limited', 'resource_exhausted', 'too_many_requests'],
    kind: 'rate_limit',
  },
  { name: 'rate limit wordings (OpenRouter upstream relays)', status: 'any', message: /rate[- ]limit|too many requests/i, kind: 'rate_limit' },
  // Overloaded: a retryable server error with its own code, so reports can tell it apart.
  { name: 'Anthropic 529', status: [529], kind: 'server_error', code: 'overloaded' },
  { name: 'overloaded codes (Anthropic overloaded_error)', status: 'any', ids: ['overloaded_error', 'overloaded', 'engine_overloaded'], kind: 'server_error', code: 'overloaded' },
  {
    name: 'overloaded wordings (Gemini "model is overloaded", DeepSeek "Server Overloaded", OpenAI "engine is currently overloaded", Together)',
    status: 'server',
    message: /overloaded|over capacity|high demand|currently unavailable due to load/i,
    kind: 'server_error',
    code: 'overloaded',
  },
  { name: 'Google DEADLINE_EXCEEDED', status: 'any', ids: ['deadline_exceeded'], kind: 'timeout' },
];

function statusMatches(match: StatusMatch | undefined, status: number | undefined): boolean {
  if (match === undefined || match === 'any') return true;
  if (match === 'client') return status === undefined || (status >= 400 && status < 500);
  if (match === 'server') return status === undefined || status >= 500;
  return status !== undefined && match.includes(status);
}

/** The first row of `WIRE_RULES` that matches, if any. */
export function matchRule(status: number | undefined, info: ErrorInfo, rules: readonly WireRule[] = WIRE_RULES): WireRule | undefined {
  return rules.find(
    (rule) =>
      statusMatches(rule.status, status) &&
      (rule.ids === undefined || rule.ids.some((id) => info.ids.includes(id))) &&
      (rule.message === undefined || rule.message.test(info.message)),
  );
}

const MESSAGE_LIMIT = 300;

const short = (text: string): string => (text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT)}…` : text);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The kind a status means when no row says otherwise. */
export function kindForStatus(status: number): ErrorKind {
  if (status === 429) return 'rate_limit';
  if (status === 402) return 'quota';
  if (status === 401 || status === 403) return 'auth_error';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

/** Kinds whose failure may be retried on the same provider, so a retry hint matters. */
const HINTED_KINDS = new Set<ErrorKind>(['rate_limit', 'server_error', 'timeout']);

/** An HTTP error response (status ≥ 400, or an error object inside a 200) → ProviderError. */
export function statusError(provider: string, status: number, payload: unknown, headers?: HeaderBag): ProviderError {
  const info = errorInfo(payload);
  const rule = matchRule(status, info);
  const kind = rule?.kind ?? kindForStatus(status);
  const detail = info.message || info.ids[0] || (typeof payload === 'string' ? payload : '');
  return new ProviderError({
    kind,
    code: rule?.code,
    status,
    provider,
    retryAfterMs: HINTED_KINDS.has(kind) ? retryHintMs(headers, payload, info.message) : undefined,
    message: short(`${provider} answered HTTP ${status}${detail ? `: ${detail}` : ''}`),
  });
}

/**
 * An `{error: ...}` object inside a successful response or a stream chunk. A numeric
 * code is an HTTP status (OpenRouter, Google); otherwise the table decides, and anything
 * it does not name is the upstream failing mid-answer (server_error).
 */
export function embeddedError(provider: string, payload: unknown): ProviderError {
  const info = errorInfo(payload);
  const status = info.numericCode && info.numericCode >= 400 && info.numericCode < 600 ? info.numericCode : undefined;
  if (status) return statusError(provider, status, payload);
  const rule = matchRule(undefined, info);
  const kind = rule?.kind ?? 'server_error';
  return new ProviderError({
    kind,
    code: rule?.code,
    provider,
    retryAfterMs: HINTED_KINDS.has(kind) ? retryHintMs(undefined, payload, info.message) : undefined,
    message: short(`${provider} reported an error: ${info.message || info.ids[0] || 'unknown error'}`),
  });
}

/** The content_filter error (client_error) of a payload the provider blocked for `reason`. */
const blockedError = (provider: string, reason: string): ProviderError =>
  new ProviderError({ kind: 'client_error', code: 'content_filter', provider, message: short(`${provider} blocked the content: ${reason}`) });

/**
 * Checks a successful JSON payload (whole response or one stream chunk) for a failure
 * inside: a top-level `{error}` or a choice-level one (OpenRouter), a content block (Gemini
 * `promptFeedback.blockReason` / a refusing `finishReason`, OpenAI `finish_reason: content_filter`,
 * Imagen `raiFilteredReason`), or a finish reason outside the wire's normal set (answer-check.ts).
 * Returns that failure as a ProviderError, or undefined when the payload carries none.
 */
export function payloadError(provider: string, payload: unknown): ProviderError | undefined {
  if (!isObject(payload)) return undefined;
  if (payload.error !== undefined && payload.error !== null) return embeddedError(provider, payload);
  const inChoice = choiceError(payload);
  if (inChoice !== undefined) return embeddedError(provider, { error: inChoice });
  // Run per stream event: no closure or empty array per call.
  const feedback = payload.promptFeedback;
  if (isObject(feedback) && str(feedback.blockReason)) return blockedError(provider, String(feedback.blockReason));
  const first: unknown = listOf(payload.candidates)[0];
  if (isObject(first) && typeof first.finishReason === 'string' && isGeminiBlock(first.finishReason)) {
    return blockedError(provider, first.finishReason);
  }
  const choice: unknown = listOf(payload.choices)[0];
  if (isObject(choice) && choice.finish_reason === 'content_filter') return blockedError(provider, 'content_filter');
  const predictions = Array.isArray(payload.predictions) ? payload.predictions : undefined;
  if (predictions) {
    const filtered = predictions.find((p): p is Record<string, unknown> => isObject(p) && Boolean(str(p.raiFilteredReason)));
    if (filtered && !predictions.some((p) => isObject(p) && str(p.bytesBase64Encoded))) return blockedError(provider, String(filtered.raiFilteredReason));
  }
  return finishFailure(provider, payload);
}

/** google.rpc.Code → kind, for long-running operation errors. */
const RPC_KINDS: Record<number, ErrorKind> = {
  1: 'server_error', // CANCELLED (by the provider)
  3: 'client_error', // INVALID_ARGUMENT
  4: 'timeout', // DEADLINE_EXCEEDED
  5: 'client_error', // NOT_FOUND
  7: 'auth_error', // PERMISSION_DENIED
  8: 'rate_limit', // RESOURCE_EXHAUSTED
  9: 'client_error', // FAILED_PRECONDITION
  11: 'client_error', // OUT_OF_RANGE
  16: 'auth_error', // UNAUTHENTICATED
};

/** A finished long-running operation's `error: {code, message}` → ProviderError. */
export function operationError(provider: string, error: unknown): ProviderError {
  const info = errorInfo({ error });
  const kind = (info.numericCode !== undefined ? RPC_KINDS[info.numericCode] : undefined) ?? 'server_error';
  const special = kind === 'client_error' ? matchRule(400, info)?.code : undefined;
  return new ProviderError({
    kind,
    code: special ?? 'operation_failed',
    provider,
    message: short(`${provider} operation failed: ${info.message || `code ${info.numericCode ?? 'unknown'}`}`),
  });
}

/** undici / socket error codes → kind and code. */
const THROWN: Record<string, { kind: ErrorKind; code: ErrorCode }> = {
  UND_ERR_CONNECT_TIMEOUT: { kind: 'timeout', code: 'connect_timeout' },
  UND_ERR_HEADERS_TIMEOUT: { kind: 'timeout', code: 'first_byte_timeout' },
  UND_ERR_BODY_TIMEOUT: { kind: 'timeout', code: 'stream_idle_timeout' },
  ETIMEDOUT: { kind: 'timeout', code: 'connect_timeout' },
  UND_ERR_SOCKET: { kind: 'server_error', code: 'connection_reset' },
  UND_ERR_CLOSED: { kind: 'server_error', code: 'connection_reset' },
  ECONNRESET: { kind: 'server_error', code: 'connection_reset' },
  ECONNREFUSED: { kind: 'server_error', code: 'connection_reset' },
  EPIPE: { kind: 'server_error', code: 'connection_reset' },
  ENOTFOUND: { kind: 'server_error', code: 'connection_reset' },
  EAI_AGAIN: { kind: 'server_error', code: 'connection_reset' },
  EHOSTUNREACH: { kind: 'server_error', code: 'connection_reset' },
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: { kind: 'server_error', code: 'truncated_stream' },
  UND_ERR_RES_EXCEEDED_MAX_SIZE: { kind: 'server_error', code: 'malformed_body' },
};

const errorCodeOf = (err: unknown): string | undefined => {
  for (let e = err, depth = 0; isObject(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
};

/** A thrown network/undici error → ProviderError (already-classified errors pass through). */
export function thrownError(provider: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const code = errorCodeOf(err);
  const mapped = code ? THROWN[code] : undefined;
  const text = err instanceof Error ? err.message : String(err);
  return new ProviderError({
    kind: mapped?.kind ?? 'server_error',
    code: mapped?.code ?? 'connection_reset',
    provider,
    cause: err,
    message: short(`${provider} request failed: ${code ?? 'error'}${text ? ` (${text})` : ''}`),
  });
}

/** One of our own timers ended the attempt. */
export function timeoutError(provider: string, code: 'connect_timeout' | 'first_byte_timeout' | 'stream_idle_timeout' | 'total_timeout', ms: number): ProviderError {
  return new ProviderError({ kind: 'timeout', code, provider, message: `${provider}: ${code.replace(/_/g, ' ')} after ${ms} ms` });
}

/** A body that should have been JSON and was not, or lacked the fields every answer has. */
export function malformedError(provider: string, what: string): ProviderError {
  return new ProviderError({ kind: 'server_error', code: 'malformed_body', provider, message: short(`${provider} sent a malformed response: ${what}`) });
}

/** A stream that ended before its terminator. */
export function truncatedError(provider: string, what: string): ProviderError {
  return new ProviderError({ kind: 'server_error', code: 'truncated_stream', provider, message: `${provider} stream ended early: ${what}` });
}
