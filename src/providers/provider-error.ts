/**
 * One typed error for every wire failure. Its `kind` says how the gateway treats
 * it (retry, breaker, fallback — per the config's error_handling classes); its
 * `code` names the special cases. The kind is decided from the wire (status,
 * undici error code, provider error body) by the table in `wire-errors.ts`, never by string matching elsewhere.
 */

/**
 * How the gateway treats a failure (one `error_handling` class each). `quota`: the provider
 * cannot serve this key now (credits, spend cap, plan limit) — fall back, do not retry it.
 */
export type ErrorKind = 'rate_limit' | 'timeout' | 'server_error' | 'client_error' | 'auth_error' | 'quota';

export type ErrorCode =
  | 'context_length_exceeded'
  | 'content_filter'
  | 'prefill_unsupported'
  /** The provider does not serve this model (404, retired, misspelt): the next model may. */
  | 'model_not_found'
  | 'connect_timeout'
  | 'first_byte_timeout'
  | 'stream_idle_timeout'
  | 'total_timeout'
  /** The caller's own time budget ended the attempt: says nothing about the model's health. */
  | 'budget_exhausted'
  | 'connection_reset'
  | 'malformed_body'
  | 'truncated_stream'
  | 'operation_failed'
  /** Out of credits, over a spend cap or a plan limit (kind `quota`). */
  | 'quota_exceeded'
  /** The provider is overloaded for everyone (Anthropic 529, Gemini/DeepSeek 503 "overloaded"). */
  | 'overloaded'
  /** The answer ended with a finish reason outside the wire's normal set (`error`, `OTHER`, `MALFORMED_FUNCTION_CALL`...). */
  | 'abnormal_finish'
  /** The answer had no text, no tool call and no media. */
  | 'empty_answer';

export class ProviderError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode | undefined;
  /** HTTP status from the provider, when there was one. */
  readonly status: number | undefined;
  /** How long the provider asked us to wait (retry-hint.ts: Retry-After, rate-limit resets, RetryInfo), in ms. */
  readonly retryAfterMs: number | undefined;
  readonly provider: string;

  constructor(init: {
    kind: ErrorKind;
    message: string;
    provider: string;
    code?: ErrorCode;
    status?: number;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.name = 'ProviderError';
    this.kind = init.kind;
    this.code = init.code;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.provider = init.provider;
  }
}

export const isProviderError = (err: unknown): err is ProviderError => err instanceof ProviderError;
