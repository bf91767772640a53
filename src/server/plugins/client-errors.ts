import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AppError, errorBody } from '../../errors.js';
import { isOpenAiPath, openAiErrorBody } from './openai-errors.js';

/**
 * The request id on the raw request, so an error raised on the socket answers with the id of the request
 * it cuts short. A property, not a WeakMap entry: it goes with the request, and the collector has no
 * weak table to process per request.
 */
const kRequestId = Symbol('request id');
type IdentifiedMessage = IncomingMessage & { [kRequestId]?: string };

/** Records the id given to a request (called from Fastify's genReqId). */
export function rememberRequestId(req: IncomingMessage, id: string): string {
  (req as IdentifiedMessage)[kRequestId] = id;
  return id;
}

/**
 * node's llhttp parser codes (https://github.com/nodejs/llhttp, `HPE_*`) in words, for the
 * error's detail: what was wrong with the bytes the client sent.
 */
const PARSE_PROBLEMS: Record<string, string> = {
  HPE_INVALID_METHOD: 'the request line has an invalid method',
  HPE_INVALID_URL: 'the request line has an invalid URL',
  HPE_INVALID_VERSION: 'the request line has an invalid HTTP version',
  HPE_INVALID_CONSTANT: 'the request line is malformed',
  HPE_INVALID_HEADER_TOKEN: 'a header name or value holds a character HTTP forbids (a NUL, a control character)',
  HPE_INVALID_CHUNK_SIZE: 'a chunk size of the chunked body is not hexadecimal',
  HPE_INVALID_CONTENT_LENGTH: 'the content-length header is not a number',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'both transfer-encoding and content-length were sent',
  HPE_INVALID_TRANSFER_ENCODING: 'the transfer-encoding header is invalid',
  HPE_CR_EXPECTED: 'a line does not end with CRLF',
  HPE_LF_EXPECTED: 'a line does not end with CRLF',
  HPE_STRICT: 'the request breaks HTTP/1.1 framing',
  HPE_INVALID_EOF_STATE: 'the connection ended in the middle of the request',
  HPE_PAUSED_UPGRADE: 'protocol upgrades are not supported',
};

type ClientError = Error & { code?: string };

/** The API error for an error node raised on the connection before (or while) reading a request. */
export function clientAppError(err: ClientError): AppError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new AppError('request_timeout', 'the request did not arrive whole in time; the connection is closed', [
      { path: 'request', message: 'headers or body incomplete when server.request_timeout_ms (or headers_timeout_ms) ran out' },
    ]);
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return new AppError('headers_too_large', 'the request line and headers are larger than the server accepts', [
      { path: 'headers', message: 'larger than server.max_header_bytes' },
    ]);
  }
  const problem = (err.code && PARSE_PROBLEMS[err.code]) ?? 'the request is not valid HTTP/1.1';
  return new AppError('validation_error', 'malformed HTTP request; the connection is closed', [{ path: 'request', message: problem, code: err.code ?? 'unknown' }]);
}

/**
 * Fastify's `clientErrorHandler`: errors node raises on a connection below the router (framing the
 * parser refuses, headers too large, a request that did not arrive whole within the timeouts) answer
 * with the API's error body and an `x-request-id` like every other error, then the connection closes —
 * the bytes after a framing error cannot be trusted. A request cut short mid-body keeps its id and, on
 * `/v1/*`, gets OpenAI's error body; a response already begun is only closed.
 */
export function clientErrorHandler(this: FastifyInstance, err: ClientError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const inflight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
  if (inflight?.headersSent || !socket.writable) {
    socket.destroy();
    return;
  }
  const req = inflight?.req;
  const requestId = (req as IdentifiedMessage | undefined)?.[kRequestId] ?? randomUUID();
  const appError = clientAppError(err);
  const body = JSON.stringify(req?.url && isOpenAiPath(req.url) ? openAiErrorBody(appError, requestId) : errorBody(appError, requestId));
  this.log.info({ request_id: requestId, error_type: appError.type, code: err.code }, 'client error');
  const head = [
    `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status]}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    'connection: close',
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${body}`, () => socket.destroy());
}
