import { describe, expect, it } from 'vitest';
import { embeddedError, operationError, parseRetryAfter, payloadError, statusError, thrownError } from './wire-errors.js';

describe('wire error classification', () => {
  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('maps statuses to kinds', () => {
    const kind = (status: number) => statusError('p', status, {}).kind;
    expect([429, 401, 403, 408, 500, 502, 503, 529, 400, 404, 409, 413, 422].map(kind)).toEqual([
      'rate_limit',
      'auth_error',
      'auth_error',
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

  it('recognises context length from the error code, the type, or the message', () => {
    expect(statusError('p', 400, { error: { code: 'context_length_exceeded', message: 'x' } }).code).toBe('context_length_exceeded');
    expect(statusError('p', 400, { error: { type: 'context_length_exceeded' } }).code).toBe('context_length_exceeded');
    expect(statusError('p', 413, { error: { message: 'prompt is too long: 250000 tokens > 200000 maximum' } }).code).toBe('context_length_exceeded');
    expect(statusError('p', 400, { error: { code: 400, message: 'The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).', status: 'INVALID_ARGUMENT' } }).code).toBe(
      'context_length_exceeded',
    );
    expect(statusError('p', 400, { error: { message: 'bad temperature' } }).code).toBeUndefined();
  });

  it('reads the upstream error OpenRouter nests in metadata.raw', () => {
    const body = { error: { message: 'Provider returned error', code: 400, metadata: { raw: '{"error":{"code":"context_length_exceeded","message":"too long"}}' } } };
    expect(statusError('openrouter', 400, body)).toMatchObject({ kind: 'client_error', code: 'context_length_exceeded' });
  });

  it('recognises content filters and prefill refusals', () => {
    expect(statusError('p', 400, { error: { code: 'content_policy_violation' } }).code).toBe('content_filter');
    expect(statusError('p', 400, { error: { code: 'prefill_unsupported' } }).code).toBe('prefill_unsupported');
    expect(statusError('p', 400, { error: { message: 'This model does not support assistant message prefill.' } }).code).toBe('prefill_unsupported');
  });

  it('does not attach client-error codes to rate limits or server errors', () => {
    expect(statusError('p', 500, { error: { message: 'context length exceeded upstream' } }).code).toBeUndefined();
  });

  it('treats an error object inside a 200 by its numeric code, else as a mid-answer server error', () => {
    expect(embeddedError('p', { error: { code: 429, message: 'slow down' } })).toMatchObject({ kind: 'rate_limit', status: 429 });
    expect(embeddedError('p', { error: { message: 'stream broke' } })).toMatchObject({ kind: 'server_error' });
    expect(embeddedError('p', { error: { code: 'content_filter' } })).toMatchObject({ kind: 'client_error', code: 'content_filter' });
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
