import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AttemptScope } from './attempt-scope.js';
import { HttpClient, SSE_DONE } from './http.js';

const timeouts = { connect_ms: 1000, first_byte_ms: 1000, stream_idle_ms: 1000, total_ms: 5000 };
let server: Server | undefined;
let client: HttpClient | undefined;

async function serve(handler: (res: ServerResponse) => void): Promise<HttpClient> {
  server = createServer((_req, res) => handler(res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  client = new HttpClient({ provider: 'test', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api` });
  return client;
}

/** `serve`, and a promise that settles when the upstream's response is closed (its connection ended by the client). */
async function serveWatchingClose(handler: (res: ServerResponse) => void): Promise<{ http: HttpClient; upstreamClosed: Promise<void> }> {
  let closed!: () => void;
  const upstreamClosed = new Promise<void>((resolve) => (closed = resolve));
  const http = await serve((res) => {
    res.on('close', closed);
    handler(res);
  });
  return { http, upstreamClosed };
}

afterEach(async () => {
  await client?.close();
  server?.closeAllConnections();
  server?.close();
});

describe('SSE reader', () => {
  it('reassembles events split across TCP chunks, with CRLF lines, comments and multi-line data', async () => {
    const http = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': keep-alive comment\r\n\r\ndata: {"a"');
      setTimeout(() => {
        res.write(':1}\r\n\r\nevent: message\ndata: {"b":\ndata: 2}\n\n');
        res.end('data: [DONE]\n\n');
      }, 20);
    });
    const events: unknown[] = [];
    for await (const e of http.sse({ path: '/s', body: {}, timeouts, signal: new AbortController().signal })) events.push(e);
    expect(events).toEqual([{ a: 1 }, { b: 2 }, SSE_DONE]);
  });

  it('does not count time the consumer spends on an event as upstream silence', async () => {
    const http = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
      setTimeout(() => res.end('data: {"n":2}\n\n'), 50);
    });
    const events: unknown[] = [];
    for await (const e of http.sse({ path: '/s', body: {}, timeouts: { ...timeouts, stream_idle_ms: 150 }, signal: new AbortController().signal })) {
      events.push(e);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(events).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('hands each event to a pushed reader as it is parsed; an event the reader refuses ends the request with its error, untouched', async () => {
    const { http, upstreamClosed } = await serveWatchingClose((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Two events in one read, then a stream that would go on for long.
      res.write('data: {"n":1}\n\ndata: {"n":2}\n\n');
      setTimeout(() => res.write('data: {"n":3}\n\n'), 5000);
    });
    const seen: unknown[] = [];
    const refusal = new Error('not this one');
    const sse = http.sse({ path: '/s', body: {}, timeouts, signal: new AbortController().signal });
    const err = await sse
      .read((event) => {
        seen.push(event);
        if ((event as { n: number }).n === 1) throw refusal;
      })
      .catch((e: unknown) => e);
    expect(err).toBe(refusal);
    // Nothing after the refused event reaches the reader, and the upstream connection is closed at once.
    expect(seen).toEqual([{ n: 1 }]);
    await upstreamClosed;
  });

  it('drops a byte-order mark at the start of the stream, also when it is split across reads', async () => {
    const bom = Buffer.from('\uFEFFdata: {"a":1}\n\n', 'utf8');
    const http = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(bom.subarray(0, 2));
      setTimeout(() => res.end(Buffer.concat([bom.subarray(2), Buffer.from('data: {"b":"\u00e9"}\n\n')])), 20);
    });
    const events: unknown[] = [];
    await http.sse({ path: '/s', body: {}, timeouts, signal: new AbortController().signal }).read((e) => events.push(e));
    expect(events).toEqual([{ a: 1 }, { b: 'é' }]);
  });

  it("inside an attempt that ends in time (the signal's own limit), still cuts a stalled stream at stream_idle_ms (its timer closes the body)", async () => {
    const http = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
    });
    const caller = new AbortController();
    const scope = new AttemptScope(caller.signal, Date.now() + 5000, () => new Error('overdue'));
    const events: unknown[] = [];
    const err = await scope
      .run((signal) => http.sse({ path: '/s', body: {}, timeouts: { ...timeouts, stream_idle_ms: 80 }, signal }).read((e) => events.push(e)))
      .catch((e: unknown) => e);
    expect(events).toEqual([{ n: 1 }]);
    expect(err).toMatchObject({ kind: 'timeout', code: 'stream_idle_timeout' });
    expect(caller.signal.aborted).toBe(false);
  });

  it('sends requests to the base URL path', async () => {
    let seen = '';
    server = createServer((req, res) => {
      seen = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    client = new HttpClient({ provider: 'test', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/` });
    expect(await client.json({ path: '/chat/completions', body: {}, timeouts, signal: new AbortController().signal })).toEqual({ ok: true });
    expect(seen).toBe('/api/v1/chat/completions');
  });

  it('reads at most 8 KB of an error body and still classifies it', async () => {
    const http = await serve((res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('x'.repeat(1_000_000));
    });
    const err = await http.json({ path: '/x', body: {}, timeouts, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'server_error', status: 503 });
    expect((err as Error).message.length).toBeLessThan(400);
  });
});

describe('SSE exchange inside an attempt', () => {
  const scoped = () => new AttemptScope(new AbortController().signal, Date.now() + 5000, () => new Error('overdue'));

  it("cuts a stalled stream at stream_idle_ms on the attempt's one timer and reports it as its own timeout", async () => {
    const http = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
    });
    const scope = scoped();
    const events: unknown[] = [];
    const err = await scope
      .run((signal) => http.sse({ path: '/s', body: {}, timeouts: { ...timeouts, stream_idle_ms: 80 }, signal }).read((e) => events.push(e)))
      .catch((e: unknown) => e);
    expect(events).toEqual([{ n: 1 }]);
    expect(err).toMatchObject({ kind: 'timeout', code: 'stream_idle_timeout' });
    expect(scope.fired).toEqual({ code: 'stream_idle_timeout', ms: 80 });
    expect(scope.exchange).toBeUndefined();
  });

  it('ends quietly when the upstream keeps the connection open after [DONE], without aborting the attempt', async () => {
    const http = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\ndata: [DONE]\n\n');
    });
    const scope = scoped();
    const events: unknown[] = [];
    await scope.run((signal) => http.sse({ path: '/s', body: {}, timeouts: { ...timeouts, stream_idle_ms: 60 }, signal }).read((e) => events.push(e)));
    expect(events).toEqual([{ n: 1 }, SSE_DONE]);
    expect(scope.fired?.code).toBe('grace');
    expect(scope.signal.aborted).toBe(false);
  });

  it('ends with the caller\'s reason when the caller gives up mid-stream, and closes the upstream connection', async () => {
    const { http, upstreamClosed } = await serveWatchingClose((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
    });
    const caller = new AbortController();
    const scope = new AttemptScope(caller.signal, Date.now() + 5000, () => new Error('overdue'));
    const reason = new Error('client left');
    let inner: unknown;
    const err = await scope
      .run((signal) =>
        http.sse({ path: '/s', body: {}, timeouts, signal }).read(() => setTimeout(() => caller.abort(reason), 10)).catch((e: unknown) => {
          inner = e;
          throw e;
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBe(reason);
    await upstreamClosed;
    expect(inner).toBe(reason);
  });

  it('reads at most 8 KB of an error answer and classifies it by its status', async () => {
    const http = await serve((res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('x'.repeat(1_000_000));
    });
    const scope = scoped();
    const err = await scope.run((signal) => http.sse({ path: '/s', body: {}, timeouts, signal }).read(() => undefined)).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'server_error', status: 503 });
    expect((err as Error).message.length).toBeLessThan(400);
  });

  it('takes one JSON document instead of an event stream as its events', async () => {
    const http = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('\uFEFF[{"a":1},{"b":2}]');
    });
    const events: unknown[] = [];
    await scoped().run((signal) => http.sse({ path: '/s', body: {}, timeouts, signal }).read((e) => events.push(e)));
    expect(events).toEqual([{ a: 1 }, { b: 2 }]);
  });
});

describe('JSON exchange limits', () => {
  const silent = () => serve(() => undefined);

  it('enforces its own total limit (total_timeout) when the caller signal does not', async () => {
    const http = await silent();
    const err = await http.json({ path: '/j', body: {}, timeouts: { ...timeouts, first_byte_ms: 5000, total_ms: 80 }, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'timeout', code: 'total_timeout' });
  });

  it("inside an attempt, arms its limit on the attempt's one timer and signal, and reports it as its own timeout", async () => {
    // The headers come at once, the body never: the answer's limit (response_ms) ends it.
    const http = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
    });
    const scope = new AttemptScope(new AbortController().signal, Date.now() + 5000, () => new Error('overdue'));
    const err = await scope
      .run((signal) => http.json({ path: '/j', body: {}, timeouts: { ...timeouts, response_ms: 80, total_ms: 5000 }, signal }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'timeout', code: 'first_byte_timeout', message: 'test: first byte timeout after 80 ms' });
    expect(scope.fired).toEqual({ code: 'first_byte_timeout', ms: 80 });
    expect(scope.signal.aborted).toBe(true);
    expect(scope.exchange).toBeUndefined();
  });

  it("leaves the limit to an attempt that ends sooner, and reports the attempt's reason", async () => {
    const http = await silent();
    const reason = new Error('the attempt ran out of time');
    const scope = new AttemptScope(undefined, Date.now() + 80, () => reason);
    let inner: unknown;
    const err = await scope
      .run((signal) =>
        http.json({ path: '/j', body: {}, timeouts: { ...timeouts, first_byte_ms: 5000, total_ms: 5000 }, signal }).catch((e: unknown) => {
          inner = e;
          throw e;
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBe(reason);
    await new Promise((r) => setTimeout(r, 20));
    // The exchange was stopped with the attempt, and says why.
    expect(inner).toBe(reason);
    expect(scope.fired).toBeUndefined();
  });

  it("ends with the caller's reason when the caller gives up", async () => {
    const http = await silent();
    const caller = new AbortController();
    const reason = new Error('client left');
    setTimeout(() => caller.abort(reason), 50);
    const err = await http.json({ path: '/j', body: {}, timeouts: { ...timeouts, first_byte_ms: 5000, total_ms: 5000 }, signal: caller.signal }).catch((e: unknown) => e);
    expect(err).toBe(reason);
  });
});
