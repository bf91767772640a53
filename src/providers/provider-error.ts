/**
 * One typed error for every wire failure. Its `kind` says how the gateway treats
 * it (retry, breaker, fallback — per the config's error_handling classes); its
 * `code` names the special cases. The kind is decided from the wire (status,
 * undici error code, provider error code) in `http.ts`, never by string matching elsewhere.
 */

export type ErrorKind = 'rate_limit' | 'timeout' | 'server_error' | 'client_error' | 'auth_error';

export type ErrorCode =
  | 'context_length_exceeded'
  | 'content_filter'
  | 'prefill_unsupported'
  | 'connect_timeout'
  | 'first_byte_timeout'
  | 'stream_idle_timeout'
  | 'total_timeout'
  /** The caller's own time budget ended the attempt: says nothing about the model's health. */
  | 'budget_exhausted'
  | 'connection_reset'
  | 'malformed_body'
  | 'truncated_stream'
  | 'operation_failed';

export class ProviderError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode | undefined;
  /** HTTP status from the provider, when there was one. */
  readonly status: number | undefined;
  /** From a Retry-After header (seconds or HTTP date), in ms. */
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
