import { ProviderError, type ErrorCode, type ErrorKind } from './provider-error.js';
import { isObject } from './json-shape.js';

/**
 * Wire failures → ProviderError, decided here and nowhere else: HTTP statuses,
 * undici/socket error codes, provider error bodies (OpenAI-style `{error:{code,type,message}}`,
 * Google-style `{error:{code,status,message}}`), Gemini/Imagen block signals and
 * long-running operation errors. `http.ts` and the adapters call these; they never
 * inspect error text themselves.
 */

/** The fields of a provider error body that classification looks at. */
interface ErrorInfo {
  code?: string;
  type?: string;
  status?: string;
  message?: string;
  numericCode?: number;
}

const MESSAGE_LIMIT = 300;

const CONTEXT_CODES = new Set(['context_length_exceeded', 'string_above_max_length', 'context_window_exceeded']);
const CONTENT_CODES = new Set(['content_filter', 'content_policy_violation', 'content_filtered', 'safety']);
const PREFILL_CODES = new Set(['prefill_unsupported', 'assistant_prefill_unsupported', 'unsupported_prefill']);
const CONTEXT_MESSAGE = /context length|context window|maximum context|too many tokens|prompt is too long|input token count.*exceeds/i;
const PREFILL_MESSAGE = /prefill|final assistant (message|content)|last message.*assistant/i;

/** Gemini finish/block reasons that mean "the provider refused this content". */
const GEMINI_BLOCKS = new Set(['SAFETY', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII', 'IMAGE_SAFETY', 'RECITATION']);

const short = (text: string): string => (text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT)}…` : text);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Pulls the classifiable fields out of whatever error body shape the provider used. */
function errorInfo(payload: unknown): ErrorInfo {
  if (!isObject(payload)) return {};
  const err = payload.error;
  if (typeof err === 'string') return { message: err, code: str(payload.code), type: str(payload.type) };
  const src = isObject(err) ? err : payload;
  const info: ErrorInfo = {
    code: typeof src.code === 'string' ? src.code : undefined,
    numericCode: typeof src.code === 'number' ? src.code : undefined,
    type: str(src.type),
    status: str(src.status),
    message: str(src.message) ?? str(payload.message) ?? str(payload.detail),
  };
  // OpenRouter nests the upstream's own error as JSON text in metadata.raw.
  const raw = isObject(src.metadata) ? str(src.metadata.raw) : undefined;
  if (raw && !info.code) {
    try {
      const inner = errorInfo(JSON.parse(raw));
      info.code = inner.code;
      info.type ??= inner.type;
      if (inner.message) info.message = `${info.message ?? ''} ${inner.message}`.trim();
    } catch {
      info.message = `${info.message ?? ''} ${raw}`.trim();
    }
  }
  return info;
}

/** The special client-error case named by the body, if any. */
function specialCode(info: ErrorInfo): ErrorCode | undefined {
  const ids = [info.code, info.type, info.status].filter((v): v is string => Boolean(v)).map((v) => v.toLowerCase());
  if (ids.some((id) => CONTEXT_CODES.has(id))) return 'context_length_exceeded';
  if (ids.some((id) => CONTENT_CODES.has(id))) return 'content_filter';
  if (ids.some((id) => PREFILL_CODES.has(id))) return 'prefill_unsupported';
  const message = info.message ?? '';
  if (CONTEXT_MESSAGE.test(message)) return 'context_length_exceeded';
  if (PREFILL_MESSAGE.test(message)) return 'prefill_unsupported';
  return undefined;
}

/** `Retry-After` as seconds (possibly fractional) or an HTTP date → ms from now. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function kindForStatus(status: number): ErrorKind {
  if (status === 429) return 'rate_limit';
  if (status === 401 || status === 403) return 'auth_error';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

/** An HTTP error response (status ≥ 400, or an error object inside a 200) → ProviderError. */
export function statusError(
  provider: string,
  status: number,
  payload: unknown,
  retryAfter?: string | string[],
): ProviderError {
  const info = errorInfo(payload);
  const kind = kindForStatus(status);
  const special = kind === 'client_error' ? specialCode(info) : undefined;
  const detail = info.message ?? info.code ?? info.status ?? (typeof payload === 'string' ? payload : '');
  return new ProviderError({
    kind,
    code: special,
    status,
    provider,
    retryAfterMs: kind === 'rate_limit' ? parseRetryAfter(retryAfter) : undefined,
    message: short(`${provider} answered HTTP ${status}${detail ? `: ${detail}` : ''}`),
  });
}

/**
 * An `{error: ...}` object inside a successful response or a stream chunk. A numeric
 * code is an HTTP status (OpenRouter); otherwise special client cases are recognised
 * and anything else is the upstream failing mid-answer (server_error).
 */
export function embeddedError(provider: string, payload: unknown): ProviderError {
  const info = errorInfo(payload);
  const status = info.numericCode && info.numericCode >= 400 && info.numericCode < 600 ? info.numericCode : undefined;
  if (status) return statusError(provider, status, payload);
  const special = specialCode(info);
  const rateLimited = [info.code, info.type, info.status].some((v) => v === 'rate_limit_exceeded' || v === 'RESOURCE_EXHAUSTED');
  const kind: ErrorKind = special ? 'client_error' : rateLimited ? 'rate_limit' : 'server_error';
  return new ProviderError({
    kind,
    code: special,
    provider,
    message: short(`${provider} reported an error: ${info.message ?? info.code ?? 'unknown error'}`),
  });
}

/**
 * Checks a successful JSON payload (whole response or one stream chunk) for an error
 * or a content block: `{error}`, Gemini `promptFeedback.blockReason` / a blocking
 * `finishReason`, OpenAI `finish_reason: content_filter`, Imagen `raiFilteredReason`.
 */
export function payloadError(provider: string, payload: unknown): ProviderError | undefined {
  if (!isObject(payload)) return undefined;
  if (payload.error !== undefined && payload.error !== null) return embeddedError(provider, payload);
  const blocked = (reason: string) =>
    new ProviderError({ kind: 'client_error', code: 'content_filter', provider, message: short(`${provider} blocked the content: ${reason}`) });
  const feedback = payload.promptFeedback;
  if (isObject(feedback) && str(feedback.blockReason)) return blocked(String(feedback.blockReason));
  const candidates = Array.isArray(payload.candidates) ? payload.candidates : [];
  const first: unknown = candidates[0];
  if (isObject(first) && typeof first.finishReason === 'string' && GEMINI_BLOCKS.has(first.finishReason)) {
    return blocked(first.finishReason);
  }
  const choices = Array.isArray(payload.choices) ? payload.choices : [];
  const choice: unknown = choices[0];
  if (isObject(choice) && choice.finish_reason === 'content_filter') return blocked('content_filter');
  const predictions = Array.isArray(payload.predictions) ? payload.predictions : undefined;
  if (predictions) {
    const filtered = predictions.find((p): p is Record<string, unknown> => isObject(p) && Boolean(str(p.raiFilteredReason)));
    if (filtered && !predictions.some((p) => isObject(p) && str(p.bytesBase64Encoded))) return blocked(String(filtered.raiFilteredReason));
  }
  return undefined;
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
  const special = kind === 'client_error' ? specialCode(info) : undefined;
  return new ProviderError({
    kind,
    code: special ?? 'operation_failed',
    provider,
    message: short(`${provider} operation failed: ${info.message ?? `code ${info.numericCode ?? 'unknown'}`}`),
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
