import type { FastifyReply } from 'fastify';

/** An open Server-Sent Events response. */
export interface SseStream {
  /** Writes `event: <name>` with `data: <json>`; a no-op once the stream has ended or the client left. */
  send(event: string, data: object): void;
  /** Writes the one terminal event (`completed` or `error`) and ends the response. */
  end(event: 'completed' | 'error', data: object): void;
  /** True once the client went away or the stream ended. */
  readonly closed: boolean;
}

/**
 * Takes the response over from Fastify and writes event-stream headers: the
 * reply's headers so far (x-request-id, security headers) plus the SSE ones,
 * with proxy buffering off. Shared by the named-event streams and the OpenAI one.
 */
export function hijackForEventStream(reply: FastifyReply): FastifyReply['raw'] {
  reply.hijack();
  reply.raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  return reply.raw;
}

/**
 * Opens a named-event stream on the reply (see `hijackForEventStream`): the reply's
 * headers so far (x-request-id, security headers) plus the SSE ones, and a
 * `: keep-alive` comment every `keepAliveMs` so proxies do not close a quiet stream.
 */
export function openSse(reply: FastifyReply, keepAliveMs: number): SseStream {
  const raw = hijackForEventStream(reply);
  let ended = false;
  const timer = setInterval(() => {
    if (!raw.writableEnded) raw.write(': keep-alive\n\n');
  }, keepAliveMs);
  const stop = () => {
    ended = true;
    clearInterval(timer);
  };
  raw.once('close', stop);
  const write = (event: string, data: object) => {
    if (ended || raw.writableEnded || raw.destroyed) return;
    raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  return {
    send: write,
    end(event, data) {
      write(event, data);
      stop();
      if (!raw.writableEnded) raw.end();
    },
    get closed() {
      return ended || raw.destroyed;
    },
  };
}
