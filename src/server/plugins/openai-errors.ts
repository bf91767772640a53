import type { AppError, ErrorDetail } from '../../errors.js';

/**
 * Errors of the OpenAI-compatible API (`/v1/*`) in OpenAI's body,
 * `{"error":{"message","type","param","code"}}`
 * (https://platform.openai.com/docs/guides/error-codes), so the official SDKs fill
 * `APIError.status/type/param/code`. The rest of the API keeps its own body; the
 * itemised `details` and the `request_id` ride along as extra fields.
 */

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; details: ErrorDetail[]; request_id: string };
}

/** True for paths of the OpenAI-compatible API. */
export const isOpenAiPath = (url: string): boolean => url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');

/** This server's error kinds as OpenAI error types; anything unlisted is a 4xx invalid request or a 5xx api_error. */
const TYPES: Record<string, string> = {
  validation_error: 'invalid_request_error',
  payload_too_large: 'invalid_request_error',
  unsupported_media_type: 'invalid_request_error',
  headers_too_large: 'invalid_request_error',
  request_timeout: 'invalid_request_error',
  conflict: 'invalid_request_error',
  unauthorized: 'authentication_error',
  forbidden: 'permission_error',
  not_found: 'not_found_error',
  rate_limited: 'rate_limit_error',
  budget_exceeded: 'rate_limit_error',
  upstream_error: 'api_error',
  overloaded: 'api_error',
  timeout: 'api_error',
  internal_error: 'api_error',
};

/** OpenAI's own codes where one exists; else this server's error kind. */
const CODES: Record<string, string> = {
  rate_limited: 'rate_limit_exceeded',
  budget_exceeded: 'insufficient_quota',
};

/** A detail path as OpenAI names a parameter: `body.messages.0.content` → `messages[0].content`. */
export function paramOf(path: string | undefined): string | null {
  if (!path) return null;
  const segments = path.split('.').filter(Boolean);
  if (segments[0] === 'body') segments.shift();
  if (segments.length === 0) return null;
  return segments.reduce((out, s) => (/^\d+$/.test(s) ? `${out}[${s}]` : out ? `${out}.${s}` : s), '');
}

export function openAiErrorBody(err: AppError, requestId: string): OpenAiErrorBody {
  const first = err.details[0];
  const invalid = err.status < 500 && err.type !== 'rate_limited';
  const detailCode = invalid && typeof first?.code === 'string' ? first.code : undefined;
  const apiKeyCode = err.type === 'unauthorized' ? (/missing/i.test(err.message) ? 'missing_api_key' : 'invalid_api_key') : undefined;
  return {
    error: {
      message: err.message,
      type: TYPES[err.type] ?? (err.status >= 500 ? 'api_error' : 'invalid_request_error'),
      param: invalid ? paramOf(first?.path) : null,
      code: detailCode ?? apiKeyCode ?? CODES[err.type] ?? err.type,
      details: err.details,
      request_id: requestId,
    },
  };
}
