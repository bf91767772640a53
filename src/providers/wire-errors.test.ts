import { describe, expect, it } from 'vitest';
import { errorInfo } from './error-body.js';
import type { ErrorCode, ErrorKind } from './provider-error.js';
import { embeddedError, matchRule, operationError, payloadError, statusError, thrownError, WIRE_RULES } from './wire-errors.js';

/** A real error body of one provider and what it must classify as. */
interface Case {
  what: string;
  status: number;
  body: unknown;
  kind: ErrorKind;
  code?: ErrorCode;
}

const anthropic = (type: string, message: string, extra: Record<string, unknown> = {}) => ({ type: 'error', error: { type, message, ...extra }, request_id: 'req_011CUWu7a8bGeMSvA9d7DRLa' });
const openai = (message: string, type: string | null, code: string | null, param: string | null = null) => ({ error: { message, type, param, code } });
const google = (code: number, status: string, message: string, details?: unknown[]) => ({ error: { code, message, status, ...(details ? { details } : {}) } });
const relay = (code: number, raw: unknown, provider = 'Anthropic') => ({
  error: { message: 'Provider returned error', code, metadata: { raw: typeof raw === 'string' ? raw : JSON.stringify(raw), provider_name: provider } },
});
const mistral = (message: string, type: string, code: string | null) => ({ object: 'error', message, type, param: null, code });

const ANTHROPIC_OVERFLOW = 'input length and `max_tokens` exceed context limit: 178959 + 64000 > 200000, decrease input length or `max_tokens` and try again';

const CASES: Case[] = [
  // Context overflow
  { what: 'Anthropic: input + max_tokens over the limit', status: 400, body: anthropic('invalid_request_error', ANTHROPIC_OVERFLOW), kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'OpenRouter relaying Anthropic overflow (metadata.raw JSON text)', status: 400, body: relay(400, anthropic('invalid_request_error', ANTHROPIC_OVERFLOW)), kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'OpenRouter relay as an object, not text', status: 400, body: { error: { message: 'Provider returned error', code: 400, metadata: { raw: anthropic('invalid_request_error', 'prompt is too long: 208000 tokens > 200000 maximum') } } }, kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'Anthropic: prompt is too long (413)', status: 413, body: anthropic('invalid_request_error', 'prompt is too long: 250000 tokens > 200000 maximum'), kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'OpenAI context_length_exceeded code', status: 400, body: openai("This model's maximum context length is 128000 tokens. However, your messages resulted in 204308 tokens. Please reduce the length of the messages.", 'invalid_request_error', 'context_length_exceeded', 'messages'), kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'DeepSeek/vLLM wording without a code', status: 400, body: openai("This model's maximum context length is 65536 tokens. However, you requested 70000 tokens (60000 in the messages, 10000 in the completion). Please reduce the length of the messages or completion.", 'invalid_request_error', null), kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'Gemini input token count', status: 400, body: google(400, 'INVALID_ARGUMENT', 'The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).'), kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'xAI maximum prompt length', status: 400, body: { code: 'Client specified an invalid argument', error: "This model's maximum prompt length is 131072 but the request contains 140000 tokens." }, kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'Mistral too large for model', status: 400, body: mistral('Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length', 'invalid_request_error', null), kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'Together (403) input + max_tokens', status: 403, body: openai('Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8193. Given: 8000 `inputs` tokens and 1000 `max_new_tokens`', 'invalid_request_error', null), kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'TGI (422) inputs + max_new_tokens', status: 422, body: { error: 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 65537. Given: 79993 `inputs` tokens and 1024 `max_new_tokens`', error_type: 'validation' }, kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'Fireworks prompt too long', status: 400, body: { error: { object: 'error', type: 'invalid_request_error', message: 'The prompt is too long: 140000, model maximum context length: 131072' } }, kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'Groq context_length_exceeded code', status: 400, body: openai('Please reduce the length of the messages or completion.', 'invalid_request_error', 'context_length_exceeded', 'messages'), kind: 'client_error', code: 'context_length_exceeded' },
  { what: 'llama.cpp exceed_context_size_error', status: 400, body: { error: { code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: 9000, n_ctx: 8192 } }, kind: 'client_error', code: 'context_length_exceeded' },
  // Quota and billing
  { what: 'OpenRouter 402 requires more credits', status: 402, body: { error: { message: 'This request requires more credits, or fewer max_tokens. You requested up to 64000 tokens, but can only afford 1234.', code: 402 } }, kind: 'quota', code: 'quota_exceeded' },
  { what: 'OpenRouter 402 key limit (limit_source)', status: 402, body: { error: { message: 'Key limit exceeded', code: 402, metadata: { limit_source: 'openrouter_key_limit' } } }, kind: 'quota', code: 'quota_exceeded' },
  { what: 'OpenRouter 402 in-flight budget (clears by itself)', status: 402, body: { error: { message: 'In-flight spending budget exhausted', code: 402, metadata: { limit_source: 'openrouter_in_flight_budget' } } }, kind: 'rate_limit' },
  { what: 'OpenAI insufficient_quota (429)', status: 429, body: openai('You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota'), kind: 'quota', code: 'quota_exceeded' },
  { what: 'DeepSeek 402 Insufficient Balance', status: 402, body: openai('Insufficient Balance', 'unknown_error', 'invalid_request_error'), kind: 'quota', code: 'quota_exceeded' },
  { what: 'Anthropic 400 credit balance too low', status: 400, body: anthropic('invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.'), kind: 'quota', code: 'quota_exceeded' },
  { what: 'Anthropic 402 billing_error', status: 402, body: anthropic('billing_error', 'Billing issue with your account'), kind: 'quota', code: 'quota_exceeded' },
  { what: 'Anthropic 429 spend limit (details.error_code)', status: 429, body: anthropic('rate_limit_error', 'You have reached your monthly spend limit.', { details: { error_code: 'enforced_spend_limit_reached' } }), kind: 'quota', code: 'quota_exceeded' },
  { what: 'xAI 429 out of credits', status: 429, body: { code: 'Some resource has been exhausted', error: 'Your team team-123 has either used all available credits or reached its monthly spending limit. To continue making API requests, please purchase more credits or raise your spending limit.' }, kind: 'quota', code: 'quota_exceeded' },
  { what: 'Fireworks 412 suspended account', status: 412, body: { error: { object: 'error', type: 'invalid_request_error', message: 'Account fw-123 is suspended, possibly due to reaching the monthly spending limit or failure to pay past invoices.' } }, kind: 'quota', code: 'quota_exceeded' },
  { what: 'Gemini 429 with limit: 0 (model not in the plan)', status: 429, body: google(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro'), kind: 'quota', code: 'quota_exceeded' },
  { what: 'Groq 413 over the tier TPM', status: 413, body: { error: { message: 'Request too large for model `llama-3.1-8b-instant` in organization `org_1` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Requested 36114, please reduce your message size and try again.', type: 'tokens', code: 'rate_limit_exceeded' } }, kind: 'quota', code: 'quota_exceeded' },
  // Rate limits
  { what: 'OpenAI 429 rate_limit_exceeded', status: 429, body: openai('Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.', 'tokens', 'rate_limit_exceeded'), kind: 'rate_limit' },
  { what: 'Gemini 429 RESOURCE_EXHAUSTED per-minute quota', status: 429, body: google(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: generate_content_free_tier_requests, limit: 10'), kind: 'rate_limit' },
  { what: 'Mistral 429 rate_limited', status: 429, body: mistral('Rate limit exceeded', 'rate_limited', '1300'), kind: 'rate_limit' },
  { what: 'OpenRouter relaying an upstream rate limit with another status', status: 400, body: relay(400, 'google/gemini-2.0-flash-exp:free is temporarily rate-limited upstream. Please retry shortly.', 'Google AI Studio'), kind: 'rate_limit' },
  { what: 'Anthropic rate_limit_error under a 400 relay', status: 400, body: relay(400, anthropic('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit')), kind: 'rate_limit' },
  // Auth
  { what: 'OpenAI invalid_api_key', status: 401, body: openai('Incorrect API key provided: sk-abc***xyz.', 'invalid_request_error', 'invalid_api_key'), kind: 'auth_error' },
  { what: 'Gemini 400 API_KEY_INVALID', status: 400, body: google(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }]), kind: 'auth_error' },
  { what: 'xAI 400 incorrect API key', status: 400, body: { code: 'Client specified an invalid argument', error: 'Incorrect API key provided: xa***fz. You can obtain an API key from https://console.x.ai.' }, kind: 'auth_error' },
  { what: 'Gemini 400 user location not supported', status: 400, body: google(400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.'), kind: 'auth_error' },
  { what: 'Anthropic permission_error inside a 200 stream', status: 400, body: relay(400, anthropic('permission_error', 'Your API key does not have permission to use the specified resource.')), kind: 'auth_error' },
  // Content policy
  { what: 'OpenRouter 403 moderation', status: 403, body: { error: { code: 403, message: 'openai/gpt-4o requires moderation on OpenAI. Your input was flagged for "violence".', metadata: { reasons: ['violence'], flagged_input: 'x', provider_name: 'OpenAI' } } }, kind: 'client_error', code: 'content_filter' },
  { what: 'Azure content_filter code', status: 400, body: { error: { message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", type: null, param: 'prompt', code: 'content_filter', status: 400 } }, kind: 'client_error', code: 'content_filter' },
  { what: 'OpenAI images content_policy_violation', status: 400, body: openai('Your request was rejected as a result of our safety system.', 'invalid_request_error', 'content_policy_violation'), kind: 'client_error', code: 'content_filter' },
  { what: 'OpenAI safety system wording', status: 400, body: openai('Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed.', 'invalid_request_error', null), kind: 'client_error', code: 'content_filter' },
  // Overloaded
  { what: 'Anthropic 529 overloaded_error', status: 529, body: anthropic('overloaded_error', 'Overloaded'), kind: 'server_error', code: 'overloaded' },
  { what: 'Gemini 503 model is overloaded', status: 503, body: google(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'), kind: 'server_error', code: 'overloaded' },
  { what: 'OpenRouter 502 relaying Anthropic overloaded', status: 502, body: relay(502, anthropic('overloaded_error', 'Overloaded')), kind: 'server_error', code: 'overloaded' },
  { what: 'DeepSeek 503 Server Overloaded', status: 503, body: openai('Server Overloaded', 'server_error', null), kind: 'server_error', code: 'overloaded' },
  { what: 'OpenRouter 403 key limit exceeded', status: 403, body: { error: { message: 'Key limit exceeded (monthly limit). Manage it using https://openrouter.ai/settings/keys', code: 403 } }, kind: 'quota', code: 'quota_exceeded' },
  { what: 'Gemini 400 free tier needs billing', status: 400, body: google(400, 'FAILED_PRECONDITION', 'Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.'), kind: 'quota', code: 'quota_exceeded' },
  // Model not found
  { what: 'OpenAI 404 model_not_found', status: 404, body: openai('The model `gpt-5-turbo` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'), kind: 'client_error', code: 'model_not_found' },
  { what: 'Anthropic 404 not_found_error', status: 404, body: anthropic('not_found_error', 'model: claude-3-opus-2099'), kind: 'client_error', code: 'model_not_found' },
  { what: 'OpenRouter 400 not a valid model ID', status: 400, body: { error: { code: 400, message: 'meta-llama/llama-9 is not a valid model ID' } }, kind: 'client_error', code: 'model_not_found' },
  { what: 'Gemini 404 NOT_FOUND for API version', status: 404, body: google(404, 'NOT_FOUND', 'models/gemini-9-pro is not found for API version v1beta, or is not supported for generateContent.'), kind: 'client_error', code: 'model_not_found' },
  { what: 'Mistral 400 Invalid model', status: 400, body: { object: 'error', message: 'Invalid model: mistral-huge-2099', type: 'invalid_model', param: null, code: '1500' }, kind: 'client_error', code: 'model_not_found' },
  { what: 'a bare 404 from a model call', status: 404, body: 'Not Found', kind: 'client_error', code: 'model_not_found' },
  // Prefill, timeouts
  { what: 'prefill refusal code', status: 400, body: openai('x', 'invalid_request_error', 'prefill_unsupported'), kind: 'client_error', code: 'prefill_unsupported' },
  { what: 'prefill refusal wording', status: 400, body: anthropic('invalid_request_error', 'This model does not support assistant message prefill. The conversation must end with a user message.'), kind: 'client_error', code: 'prefill_unsupported' },
  { what: 'Gemini 504 DEADLINE_EXCEEDED', status: 504, body: google(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'), kind: 'timeout' },
  // Nothing special
  { what: 'a plain bad request', status: 400, body: openai("Invalid value for 'temperature': must be between 0 and 2.", 'invalid_request_error', 'invalid_value', 'temperature'), kind: 'client_error' },
  { what: 'a plain 500', status: 500, body: anthropic('api_error', 'Internal server error'), kind: 'server_error' },
];

describe('the wire error table', () => {
  it.each(CASES)('$what → $kind $code', ({ status, body, kind, code }) => {
    const err = statusError('p', status, body);
    expect({ kind: err.kind, code: err.code, status: err.status }).toEqual({ kind, code, status });
  });

  it('every row of WIRE_RULES is exercised by a real body above', () => {
    const hit = new Set(CASES.map((c) => matchRule(c.status, errorInfo(c.body))?.name));
    const missing = WIRE_RULES.map((r) => r.name).filter((name) => !hit.has(name));
    expect(missing).toEqual([]);
  });

  it('maps statuses no row names to kinds', () => {
    const kind = (status: number) => statusError('p', status, {}).kind;
    expect([429, 401, 403, 402, 408, 500, 502, 503, 529, 400, 404, 409, 413, 422].map(kind)).toEqual([
      'rate_limit',
      'auth_error',
      'auth_error',
      'quota',
      'timeout',
      'server_error',
      'server_error',
      'server_error',
      'server_error',
      'client_error',
      'client_error',
      'client_error',
      'client_error',
      'client_error',
    ]);
  });

  it('does not attach client-error codes to server errors', () => {
    expect(statusError('p', 500, { error: { message: 'context length exceeded upstream' } }).code).toBeUndefined();
  });

  it('reads a body that is plain text or an array (Gemini streams)', () => {
    expect(statusError('p', 400, 'prompt is too long: 1 > 0').code).toBe('context_length_exceeded');
    expect(statusError('g', 429, [google(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).')]).kind).toBe('rate_limit');
  });

  it('carries a retry hint only for kinds that are retried', () => {
    const headers = { 'retry-after': '3' };
    expect(statusError('p', 429, {}, headers).retryAfterMs).toBe(3000);
    expect(statusError('p', 503, {}, headers).retryAfterMs).toBe(3000);
    expect(statusError('p', 529, anthropic('overloaded_error', 'Overloaded'), { 'retry-after': '1.5' }).retryAfterMs).toBe(1500);
    expect(statusError('p', 408, {}, headers).retryAfterMs).toBe(3000);
    expect(statusError('p', 400, {}, headers).retryAfterMs).toBeUndefined();
    expect(statusError('p', 402, {}, headers).retryAfterMs).toBeUndefined();
  });

  it('treats an error object inside a 200 by its numeric code, else by the table, else as a mid-answer server error', () => {
    expect(embeddedError('p', { error: { code: 429, message: 'slow down' } })).toMatchObject({ kind: 'rate_limit', status: 429 });
    expect(embeddedError('p', { error: { code: 502, message: 'Upstream provider disconnected' } })).toMatchObject({ kind: 'server_error', status: 502 });
    expect(embeddedError('p', { error: { message: 'stream broke' } })).toMatchObject({ kind: 'server_error' });
    expect(embeddedError('p', { error: { code: 'content_filter' } })).toMatchObject({ kind: 'client_error', code: 'content_filter' });
    expect(embeddedError('p', { error: { code: 'server_error', message: 'Provider disconnected unexpectedly' } })).toMatchObject({ kind: 'server_error' });
    expect(embeddedError('p', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })).toMatchObject({ kind: 'server_error', code: 'overloaded' });
  });

  it('finds Gemini, OpenAI and Imagen content blocks in successful payloads', () => {
    expect(payloadError('g', { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } })).toMatchObject({ code: 'content_filter' });
    expect(payloadError('g', { candidates: [{ finishReason: 'SAFETY' }] })).toMatchObject({ code: 'content_filter' });
    expect(payloadError('g', { candidates: [{ finishReason: 'STOP' }] })).toBeUndefined();
    expect(payloadError('o', { choices: [{ finish_reason: 'content_filter' }] })).toMatchObject({ code: 'content_filter' });
    expect(payloadError('i', { predictions: [{ raiFilteredReason: 'unsafe' }] })).toMatchObject({ code: 'content_filter' });
  });

  it('maps operation error codes (google.rpc.Code) to kinds', () => {
    expect(operationError('v', { code: 8, message: 'quota' })).toMatchObject({ kind: 'rate_limit', code: 'operation_failed' });
    expect(operationError('v', { code: 3, message: 'bad prompt' })).toMatchObject({ kind: 'client_error', code: 'operation_failed' });
    expect(operationError('v', { code: 13 })).toMatchObject({ kind: 'server_error', code: 'operation_failed' });
  });

  it('maps undici and socket error codes, also when nested as a cause', () => {
    const coded = (code: string) => Object.assign(new Error(code), { code });
    expect(thrownError('p', coded('UND_ERR_CONNECT_TIMEOUT'))).toMatchObject({ kind: 'timeout', code: 'connect_timeout' });
    expect(thrownError('p', coded('UND_ERR_HEADERS_TIMEOUT'))).toMatchObject({ kind: 'timeout', code: 'first_byte_timeout' });
    expect(thrownError('p', coded('UND_ERR_BODY_TIMEOUT'))).toMatchObject({ kind: 'timeout', code: 'stream_idle_timeout' });
    expect(thrownError('p', new TypeError('fetch failed', { cause: coded('ECONNREFUSED') }))).toMatchObject({ kind: 'server_error', code: 'connection_reset' });
  });
});
