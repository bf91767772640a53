/**
 * The error kinds of the HTTP API, their status and their body — decided here
 * and nowhere else. Code anywhere throws an `AppError`; the error plugin turns
 * it into `{ error: { type, message, details, request_id } }`.
 */

export const ERROR_STATUS = {
  validation_error: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  rate_limited: 429,
  budget_exceeded: 429,
  upstream_error: 502,
  overloaded: 503,
  timeout: 504,
  internal_error: 500,
} as const;

export type ErrorType = keyof typeof ERROR_STATUS;

/** One itemised problem: where (a dotted path) and what. Upstream failures add model/kind/status. */
export interface ErrorDetail {
  path?: string;
  message: string;
  model?: string;
  kind?: string;
  status?: number;
  [key: string]: unknown;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Seconds, sent as `Retry-After` (429, 503). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_STATUS[type];
  }
}

export interface ErrorBody {
  error: { type: ErrorType; message: string; details: ErrorDetail[]; request_id: string };
}

export function errorBody(err: AppError, requestId: string): ErrorBody {
  return { error: { type: err.type, message: err.message, details: err.details, request_id: requestId } };
}

export const validationError = (message: string, details: ErrorDetail[]): AppError =>
  new AppError('validation_error', message, details);

export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found`);

/** New work refused while the server drains (503 with Retry-After). */
export const shuttingDown = (retryAfterS = 1): AppError => new AppError('overloaded', 'the server is shutting down', [], retryAfterS);
