import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, errorBody, type ErrorDetail, type ErrorType } from '../../errors.js';
import { scrubSecrets } from '../../secrets.js';
import { trackAllowedMethods } from './method-not-allowed.js';
import { isOpenAiPath, openAiErrorBody } from './openai-errors.js';
import { pathOf } from '../url-path.js';

/** Fastify's own error codes that are the caller's fault, mapped to API error kinds. */
const FASTIFY_CODES: Record<string, () => AppError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new AppError('payload_too_large', 'request body is larger than the configured limit'),
  // Fastify's parser (secure-json-parse) also refuses `__proto__` and `constructor.prototype` keys, which
  // would replace a parsed object's prototype; it drops the cause, so the detail names both reasons.
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new AppError('validation_error', 'request body is not valid JSON', [
      { path: 'body', message: "malformed JSON, or a key named '__proto__' (or 'prototype' inside 'constructor'), which is a reserved name" },
    ]),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new AppError('validation_error', 'request body is empty', [{ path: 'body', message: 'expected a JSON object' }]),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new AppError('unsupported_media_type', 'unsupported content type; send application/json', [{ path: 'headers.content-type', message: 'unsupported media type' }]),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new AppError('validation_error', 'content-length does not match the body'),
};

/** Framework errors known only by their status. */
const BY_STATUS = new Map<number, ErrorType>([
  [408, 'request_timeout'],
  [413, 'payload_too_large'],
  [415, 'unsupported_media_type'],
  [431, 'headers_too_large'],
]);

/** The error body for this request's path: OpenAI's on `/v1/*` (so SDKs read it), the API's own elsewhere. */
export function errorBodyFor(request: FastifyRequest, err: AppError): object {
  return isOpenAiPath(request.url) ? openAiErrorBody(err, request.id) : errorBody(err, request.id);
}

/** Converts anything thrown in a route into an AppError without leaking internals. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError & { validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(fe)) {
    const where = fe.validationContext ?? 'body';
    const details: ErrorDetail[] = fe.validation.map((v) => ({
      path: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'invalid',
    }));
    return new AppError('validation_error', `invalid request ${where}`, details);
  }
  if (fe?.code && FASTIFY_CODES[fe.code]) return FASTIFY_CODES[fe.code]!();
  if (fe?.statusCode === 429) return new AppError('rate_limited', 'too many requests', [], 60);
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Every 4xx a framework error can carry maps onto a documented type; the rest are the request's fault.
    return new AppError(BY_STATUS.get(fe.statusCode) ?? 'validation_error', fe.message);
  }
  return new AppError('internal_error', 'internal error');
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The second scrub layer: anything thrown, as the AppError that may leave the server, with every
     * configured secret removed from its message and details. Every way out uses it: the JSON error
     * handler, the `error` event of a named-event stream (operation.ts) and the in-band error of a
     * `/v1` stream (openai/completion.ts).
     */
    outboundError(err: unknown): AppError;
  }
}

/** Every string inside a detail value (nested objects and arrays included), scrubbed. */
function scrubValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, secrets)]));
  return value;
}

/**
 * An error with every configured secret removed from its message and details. The first layer
 * scrubs upstream text where it enters (gateway/run-chain.ts); this one catches whatever else
 * carries a secret, since an error body is the one answer built from arbitrary text.
 */
export function scrubAppError(err: AppError, secrets: readonly string[]): AppError {
  if (secrets.length === 0) return err;
  const details = err.details.map((d) => scrubValue(d, secrets)) as ErrorDetail[];
  return new AppError(err.type, scrubSecrets(err.message, secrets), details, err.retryAfterS);
}

/**
 * Errors Fastify's router raises before any hook runs (a malformed URL, a path
 * parameter past the router's length limit), in the same error body as the rest.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appError =
    error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError('validation_error', error.code === 'FST_ERR_BAD_URL' ? 'malformed URL' : 'a path parameter is too long', [
          { path: 'url', message: error.message },
        ])
      : new AppError('internal_error', 'internal error');
  void reply.code(appError.status).header('x-request-id', request.id).send(errorBodyFor(request, appError));
}

/**
 * Every failure, 404s included, leaves as the JSON error body of API.md with an x-request-id.
 * A path that exists under other methods answers 405 with `Allow` (RFC 9110 §15.5.6), not 404.
 * Register before any route, so that every route is seen.
 */
export function registerErrorHandling(app: FastifyInstance, secrets: string[] = []): void {
  const allowed = trackAllowedMethods(app);
  app.decorate('outboundError', (err: unknown) => scrubAppError(toAppError(err), secrets));
  app.setErrorHandler((err, request, reply) => {
    const appError = app.outboundError(err);
    if (appError.type === 'internal_error') request.log.error({ err }, 'unhandled error');
    else request.log.info({ error_type: appError.type, message: appError.message }, 'request failed');
    if (appError.retryAfterS !== undefined) void reply.header('retry-after', String(appError.retryAfterS));
    void reply.code(appError.status).send(errorBodyFor(request, appError));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const methods = allowed.for(path);
    if (methods.length > 0) {
      const err = new AppError('method_not_allowed', `${request.method} is not allowed on ${path}; use ${methods.join(', ')}`);
      void reply.code(405).header('allow', methods.join(', ')).send(errorBodyFor(request, err));
      return;
    }
    const err = new AppError('not_found', `no route ${request.method} ${path}`);
    void reply.code(404).send(errorBodyFor(request, err));
  });
}
