import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Issue 17: errors raised below the router (node's parser, its timeouts, Fastify's content parsing)
 * answer with the documented error body and an x-request-id, like every other error; a slow client
 * gets 408 and its connection is closed. Raw bytes over a socket, because a client library would
 * refuse to send most of these.
 */

let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await startTestApp({
    config: (raw) => {
      // Small timeouts so a stalled request ends soon; the checks say only "eventually".
      Object.assign(raw.server, { request_timeout_ms: 400, headers_timeout_ms: 400, timeout_check_ms: 100, max_header_bytes: 2048, body_limit_bytes: 4096 });
      raw.server.rate_limit.max = 100_000;
    },
  });
  port = Number(new URL(t.url).port);
});
afterAll(async () => {
  await t?.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** The server closed the connection after answering. */
  closed: boolean;
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads one response off the socket and whether the server then closed it (the socket's end). */
function readResponse(socket: Socket): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (data = Buffer.concat([data, chunk])));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = data.toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no response before close: ${JSON.stringify(text)}`));
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      let body = text.slice(split + 4);
      if (headers['transfer-encoding'] === 'chunked') body = body.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '');
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: body ? JSON.parse(body) : undefined, closed: true });
    });
  });
}

/** Sends `bytes` on a fresh connection and waits for the answer and the close. */
async function raw(bytes: string | Buffer, opts: { end?: boolean } = {}): Promise<RawResponse> {
  const socket = await open();
  const answer = readResponse(socket);
  socket.write(bytes);
  // The server must answer and close by itself; ending our side would hide a hanging connection.
  if (opts.end) socket.end();
  return answer;
}

function expectApiError(res: RawResponse, status: number, type: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['x-request-id']).toMatch(/^[\w.-]+$/);
  expect(res.body.error.type).toBe(type);
  expect(res.body.error.request_id).toBe(res.headers['x-request-id']);
  expect(typeof res.body.error.message).toBe('string');
  expect(Array.isArray(res.body.error.details)).toBe(true);
}

const chat = JSON.stringify({ message: 'hi' });

describe('errors below the router', () => {
  it('a malformed request line: 400 in the error body, x-request-id, connection closed', async () => {
    const res = await raw('GARBAGE\r\n\r\n');
    expectApiError(res, 400, 'validation_error');
    expect(res.body.error.details[0].path).toBe('request');
    expect(res.closed).toBe(true);
  });

  it('a chunk size that is not hexadecimal: 400', async () => {
    const res = await raw(`POST /chat HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n${chat}\r\n0\r\n\r\n`);
    expectApiError(res, 400, 'validation_error');
    expect(res.body.error.details[0].message).toMatch(/chunk size/);
  });

  it('both transfer-encoding and content-length: 400', async () => {
    const res = await raw(
      `POST /chat HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${chat.length}\r\ntransfer-encoding: chunked\r\n\r\n${chat.length.toString(16)}\r\n${chat}\r\n0\r\n\r\n`,
    );
    expectApiError(res, 400, 'validation_error');
  });

  it('a NUL in a header: 400', async () => {
    const res = await raw(Buffer.from('GET /health HTTP/1.1\r\nhost: x\r\nx-odd: a\u0000b\r\n\r\n', 'latin1'));
    expectApiError(res, 400, 'validation_error');
    expect(res.body.error.details[0].message).toMatch(/forbids/);
  });

  it('headers larger than server.max_header_bytes: 431', async () => {
    const res = await raw(`GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(4000)}\r\n\r\n`);
    expectApiError(res, 431, 'headers_too_large');
  });

  it('a bad percent-encoding in the URL: 400 with the request id the caller sent', async () => {
    const res = await raw('GET /session/%E0%A4%A HTTP/1.1\r\nhost: x\r\nx-request-id: bad-url-1\r\nconnection: close\r\n\r\n');
    expectApiError(res, 400, 'validation_error');
    expect(res.headers['x-request-id']).toBe('bad-url-1');
  });

  it('an unsupported content type: 415', async () => {
    const res = await raw(`POST /chat HTTP/1.1\r\nhost: x\r\ncontent-type: application/xml\r\ncontent-length: 4\r\nconnection: close\r\n\r\n<a/>`);
    expectApiError(res, 415, 'unsupported_media_type');
    expect(res.body.error.details[0].path).toBe('headers.content-type');
  });

  it('invalid JSON: 400 naming the body', async () => {
    const res = await raw(`POST /chat HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5\r\nconnection: close\r\n\r\n{"a":`);
    expectApiError(res, 400, 'validation_error');
    expect(res.body.error.details[0].path).toBe('body');
  });

  it('a body over server.body_limit_bytes: 413', async () => {
    const big = JSON.stringify({ message: 'a'.repeat(5000) });
    const res = await raw(`POST /chat HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${big.length}\r\nconnection: close\r\n\r\n${big}`);
    expectApiError(res, 413, 'payload_too_large');
  });
});

describe('slow clients', () => {
  it('a chunked body that stops after 5 bytes: 408 with the request id, connection closed', async () => {
    const res = await raw(
      `POST /chat HTTP/1.1\r\nhost: x\r\nx-request-id: stalled-1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n${chat.slice(0, 5)}\r\n`,
    );
    expectApiError(res, 408, 'request_timeout');
    expect(res.headers['x-request-id']).toBe('stalled-1');
    expect(res.headers.connection).toBe('close');
  });

  it('a body shorter than its content-length on /v1: 408 in OpenAI\'s error body', async () => {
    const body = JSON.stringify({ model: 'fast_ai', messages: [{ role: 'user', content: 'hi' }] });
    const res = await raw(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-request-id: short-1\r\ncontent-type: application/json\r\ncontent-length: ${body.length + 10}\r\n\r\n${body}`);
    expect(res.status).toBe(408);
    expect(res.headers['x-request-id']).toBe('short-1');
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'request_timeout', request_id: 'short-1' });
  });

  it('headers that never end: 408', async () => {
    const res = await raw('GET /health HTTP/1.1\r\nhost: x\r\nx-slow: ');
    expectApiError(res, 408, 'request_timeout');
  });

  it('500 stalled connections: /health still answers, and every one gets 408 and is freed', async () => {
    const sockets = await Promise.all(Array.from({ length: 500 }, () => open()));
    const answers = sockets.map((socket, i) => {
      const answer = readResponse(socket);
      socket.write(
        i % 2 === 0
          ? `POST /chat HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n${chat.slice(0, 5)}\r\n`
          : `POST /chat HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n${chat.slice(0, 5)}`,
      );
      return answer;
    });
    const health = await fetch(`${t.url}/health`);
    expect(health.status).toBe(200);
    const results = await Promise.all(answers);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 408));
    expect(results.every((r) => r.closed && r.body.error.type === 'request_timeout')).toBe(true);
    // Every stalled connection was closed by the server: only the fetch's keep-alive one may remain.
    await expect.poll(() => new Promise<number>((resolve) => t.app.server.getConnections((_e, n) => resolve(n))), { timeout: 20_000 }).toBeLessThanOrEqual(1);
  });
});
