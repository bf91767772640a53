import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError, createApi } from '../../scripts/test-client/http.js';

let server: Server;
let url: string;
const seen: Array<{ path: string | undefined; auth: string | undefined }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url, auth: req.headers.authorization });
    if (req.url === '/bad') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'validation_error', message: 'workflow is invalid', details: [{ path: 'linear_queue.0.model', message: "unknown model 'gpt9'" }], request_id: 'req-1' } }));
    } else if (req.url === '/locked') {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'unauthorized', message: 'missing API key', details: [], request_id: 'req-2' } }));
    } else if (req.url === '/busy') {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end(JSON.stringify({ error: { type: 'overloaded', message: 'queue full', details: [], request_id: 'req-3' } }));
    } else if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: task_started\ndata: {"task_id":"a"}\n\n');
      res.end('event: completed\ndata: {"status":"completed"}\n\n');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>): Promise<ClientError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ClientError);
  return err as ClientError;
}

describe('test client HTTP', () => {
  it('sends the API key as a bearer token and parses JSON', async () => {
    const res = await createApi(url, 'secret-k', 5_000).get<{ ok: boolean }>('/ok');
    expect(res.body).toEqual({ ok: true });
    expect(seen.at(-1)).toEqual({ path: '/ok', auth: 'Bearer secret-k' });
  });

  it("turns the API's error body into one sentence with type, details and request id", async () => {
    const err = await failure(createApi(url, undefined, 5_000).post('/bad', {}));
    expect(err.message).toBe("POST /bad → 400 validation_error: workflow is invalid (linear_queue.0.model: unknown model 'gpt9') [request req-1]");
    expect(err.status).toBe(400);
    expect(err.type).toBe('validation_error');
  });

  it('suggests --api-key on a 401 and shows Retry-After on a 503', async () => {
    expect((await failure(createApi(url, undefined, 5_000).get('/locked'))).message).toContain('pass --api-key or set API_KEY');
    expect((await failure(createApi(url, 'wrong', 5_000).get('/locked'))).message).toContain('the API key was refused');
    expect((await failure(createApi(url, undefined, 5_000).get('/busy'))).message).toContain('retry after 5 s');
  });

  it('names the URL and suggests `npm start` when nothing listens there', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(createApi(deadUrl, undefined, 5_000).get('/health'));
    expect(err.unreachable).toBe(true);
    expect(err.message).toContain(`cannot reach the server at ${deadUrl}`);
    expect(err.message).toContain('npm start');
  });

  it('reads a streamed answer as SSE events', async () => {
    const events = [];
    for await (const e of createApi(url, undefined, 5_000).stream('/stream', { stream: true })) events.push(e);
    expect(events.map((e) => e.event)).toEqual(['task_started', 'completed']);
  });

  it('refuses a "stream" that is plain JSON, saying what came back', async () => {
    const err = await failure((async () => {
      for await (const _ of createApi(url, undefined, 5_000).stream('/ok', {})) void _;
    })());
    expect(err.message).toContain('was asked to stream but answered application/json');
  });
});
