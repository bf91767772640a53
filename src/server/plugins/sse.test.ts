import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { EventStreamWriter } from './sse.js';

/** A real HTTP server whose one route hands its response to `handle`. */
async function serve(handle: (res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    handle(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

describe('EventStreamWriter', () => {
  it('joins what is written in one turn into one socket write, and the rest into the end', async () => {
    const writes: string[] = [];
    const { server, url } = await serve((res) => {
      const write = res.write.bind(res) as (chunk: string) => boolean;
      res.write = ((chunk: string) => (writes.push(`write:${chunk}`), write(chunk))) as typeof res.write;
      const end = res.end.bind(res) as (chunk?: string) => ServerResponse;
      res.end = ((chunk?: string) => (writes.push(`end:${chunk ?? ''}`), end(chunk))) as typeof res.end;
      const out = new EventStreamWriter(res);
      out.write('data: 1\n\n');
      out.write('data: 2\n\n');
      setImmediate(() => {
        setImmediate(() => {
          out.write('data: 3\n\n');
          out.write('data: [DONE]\n\n');
          out.end();
          out.write('data: late\n\n');
        });
      });
    });
    servers.push(server);
    const res = await request(url);
    expect(await res.body.text()).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\ndata: [DONE]\n\n');
    expect(writes).toEqual(['write:data: 1\n\ndata: 2\n\n', 'end:data: 3\n\ndata: [DONE]\n\n']);
  });

  it('drained() waits while the client does not read, and resolves when it leaves', async () => {
    let writer: EventStreamWriter | undefined;
    let waited: Promise<void> | undefined;
    const full = new Promise<void>((resolve) => {
      void serve((res) => {
        writer = new EventStreamWriter(res);
        const fill = () => {
          if (!res.writableNeedDrain) {
            writer!.write(`data: ${'x'.repeat(64 * 1024)}\n\n`);
            return void setImmediate(fill);
          }
          waited = writer!.drained();
          resolve();
        };
        expect(writer.drained()).toBeUndefined();
        fill();
      }).then(({ server, url }) => {
        servers.push(server);
        // A client that sends its request and never reads the answer.
        const { port } = new URL(url);
        const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
        socket.pause();
        void full.then(() => socket.destroy());
      });
    });
    await full;
    expect(waited).toBeInstanceOf(Promise);
    await waited;
    expect(writer!.open).toBe(false);
  });

  it('keeps an open stream alive from a turn after it is made; an answer ended within that turn arms no timer', async () => {
    const { server, url } = await serve((res) => {
      const out = new EventStreamWriter(res, 20);
      out.write('data: 1\n\n');
      if (res.req.url === '/whole') return out.end('data: [DONE]\n\n');
      // Quiet past the keep-alive period (the interval is due first, so it writes before the end), then the end.
      setTimeout(() => out.end('data: [DONE]\n\n'), 50);
    });
    servers.push(server);
    const intervals = vi.spyOn(globalThis, 'setInterval');
    try {
      expect(await (await request(`${url}/whole`)).body.text()).toBe('data: 1\n\ndata: [DONE]\n\n');
      expect(intervals).not.toHaveBeenCalled();
      const quiet = await (await request(`${url}/quiet`)).body.text();
      expect(quiet.startsWith('data: 1\n\n: keep-alive\n\n')).toBe(true);
      expect(quiet.endsWith(': keep-alive\n\ndata: [DONE]\n\n')).toBe(true);
      expect(intervals).toHaveBeenCalledTimes(1);
    } finally {
      intervals.mockRestore();
    }
  });
});
